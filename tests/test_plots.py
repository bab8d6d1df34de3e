"""Plot functions return figures with the expected axes, labels and series."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from conftest import small_office_data

import sim
from sim.analysis import plots


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = sim.validate_scenario(small_office_data(**{"horizon_days": 200.0}))
    plan = sim.sweep_over(
        base,
        replications=3,
        seed=2,
        factors=[
            {"path": "workforce.caseworkers", "values": [3, 5, 7]},
            {"path": "intake.threshold", "values": [0.3, 0.6]},
        ],
        overrides={"budget": {"caseworker_cost": 60000.0}},
    )
    out = tmp_path_factory.mktemp("plots") / "out"
    sim.run_sweep(plan, out, engine="serial")
    return sim.load_results(out)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_frontier_shows_every_point_and_the_frontier(results):
    fig = plots.frontier(results, label="workforce.caseworkers")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Total cost (money)"
    assert ax.get_ylabel() == "Missed risk per 1,000 referrals (per 1,000)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["Pareto frontier", "design points (95% CI)"]
    frontier_line = ax.get_lines()[-1]
    assert 1 <= len(frontier_line.get_xdata()) <= 6
    assert len(ax.texts) == 6  # one annotation per design point


def test_heatmap_has_one_cell_per_combination(results):
    fig = plots.heatmap(results, "workforce.caseworkers", "intake.threshold", "missed")
    ax = fig.axes[0]
    assert ax.images[0].get_array().shape == (2, 3)
    assert ax.get_xlabel() == "workforce.caseworkers"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "5", "7"]
    assert len(fig.axes) == 2  # the colour bar


def test_missed_by_cause_stacks_every_cause(results):
    fig = plots.missed_by_cause(results, "workforce.caseworkers")
    ax = fig.axes[0]
    causes = [t.get_text() for t in ax.get_legend().get_texts()]
    assert causes == [c.removeprefix("missed_") for c in plots.CAUSES]
    assert len(ax.patches) == 3 * len(plots.CAUSES)
    # The stacks add up to the mean missed risk of each staffing level.
    tops = {}
    for patch in ax.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    means = results.groupby("workforce.caseworkers").missed.mean().to_numpy()
    assert [tops[i] for i in range(3)] == pytest.approx(means)


def test_fan_chart_and_strain_distribution():
    scenario = sim.load_scenario(sim.__path__[0] + "/../scenarios/minimal.yaml")
    short = sim.apply_overrides(scenario, {"horizon_days": 120.0, "warmup_days": 20.0})
    series = sim.run(short, replications=3, timeseries=True).timeseries
    fig = plots.fan_chart(series, ["waiting", "headcount"])
    assert [ax.get_ylabel() for ax in fig.axes] == ["waiting", "headcount"]
    assert fig.axes[-1].get_xlabel() == "Day"
    assert len(fig.axes[0].collections) == 2  # the 90% and 50% bands
    fig = plots.strain_distribution(series)
    assert fig.axes[0].get_xlabel().startswith("Mean strain")
    assert fig.axes[0].get_lines()[0].get_xdata()[0] == 1.0


def test_budget_curve_marks_the_standards(results):
    fig = plots.budget_curve(
        results,
        "workforce.caseworkers",
        standards={"weighted caseload": 4.2, "count cap": 5.0},
        target=300.0,
    )
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "weighted caseload standard: 4.2" in labels and "count cap standard: 5.0" in labels
    assert "target 300" in labels
    assert ax.get_xlabel() == "workforce.caseworkers"
