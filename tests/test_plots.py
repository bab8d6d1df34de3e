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
    assert ax.get_xlabel() == "Total cost (USD)"
    assert ax.get_ylabel() == "Missed risk per 1,000 referrals"  # the unit said once
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["Pareto frontier", "design points (95% CI)"]
    frontier_line = ax.get_lines()[-1]
    assert 1 <= len(frontier_line.get_xdata()) <= 6
    assert sorted(t.get_text() for t in ax.texts) == ["3", "3", "5", "5", "7", "7"]


def test_frontier_labels_points_by_every_factor_that_varies_in_the_currency(results):
    fig = plots.frontier(results, currency="GBP")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Total cost (GBP)"
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(t.startswith("£") for t in ticks), ticks
    assert ax.xaxis.get_offset_text().get_text() == ""  # no "1e6" in a corner
    texts = sorted(t.get_text() for t in ax.texts)
    expected = sorted(
        f"caseworkers {w}, intake threshold {t}" for w in (3, 5, 7) for t in (0.3, 0.6)
    )
    assert texts == expected


def test_workforce_shows_each_setting_with_its_interval(results):
    fig = plots.workforce(results)
    turnover, burnout = fig.axes
    assert turnover.get_xlabel() == "Annual turnover (leavers per worker-year)"
    assert burnout.get_xlabel() == "Worker-days burned out (%)"
    names = dict(
        zip(turnover.get_yticks(), [t.get_text() for t in turnover.get_yticklabels()], strict=True)
    )
    assert names[5] == "caseworkers 3, intake threshold 0.3"  # the first point at the top
    assert names[0] == "caseworkers 7, intake threshold 0.6"
    assert len(turnover.patches) == 6
    # Each bar is the point's mean over its replications, the first point at the top.
    ok = results[results.status == "ok"]
    means = ok.groupby("point").burned_out_share.mean().to_numpy()
    bars = sorted(burnout.patches, key=lambda patch: -patch.get_y())
    assert [patch.get_width() for patch in bars] == pytest.approx(means)


def test_heatmap_has_one_cell_per_combination(results):
    fig = plots.heatmap(results, "workforce.caseworkers", "intake.threshold", "missed")
    ax = fig.axes[0]
    assert ax.images[0].get_array().shape == (2, 3)
    assert ax.get_xlabel() == "caseworkers"
    assert ax.get_ylabel() == "intake threshold"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "5", "7"]
    assert len(fig.axes) == 2  # the colour bar


def test_missed_by_cause_stacks_every_cause(results):
    fig = plots.missed_by_cause(results, "workforce.caseworkers")
    ax = fig.axes[0]
    causes = [t.get_text() for t in ax.get_legend().get_texts()]
    assert causes == [
        "screened out",
        "on the waiting list",
        "no contact in the window",
        "contacted, not detected",
        "with an external provider",
        "after the case closed",
    ]
    # The threshold varies too: the bars average over it, and the title says so.
    assert "mean over replications and over intake threshold" in ax.get_title()
    assert len(ax.patches) == 3 * len(plots.CAUSES)
    # The stacks add up to the mean missed risk of each staffing level.
    tops = {}
    for patch in ax.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    means = results.groupby("workforce.caseworkers").missed.mean().to_numpy()
    assert [tops[i] for i in range(3)] == pytest.approx(means)


def test_missed_by_cause_per_setting(results):
    fig = plots.missed_by_cause(results)
    ax = fig.axes[0]
    names = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert names[5] == "caseworkers 3, intake threshold 0.3"  # the first point at the top
    assert len(ax.patches) == 6 * len(plots.CAUSES)
    ends = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        ends[y] = max(ends.get(y, 0.0), patch.get_x() + patch.get_width())
    ok = results[results.status == "ok"]
    means = ok.groupby("point").missed.mean().to_numpy()
    assert [ends[5 - i] for i in range(6)] == pytest.approx(means)


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
    assert ax.get_xlabel() == "caseworkers"
