"""Two scenarios on the same seeds: the paired differences of `sim.compare` and
`caseload compare`, checked against the per-replication differences and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import MINIMAL, ROOT
from scipy import stats

import sim
from sim.cli import main

SHORT = {"horizon_days": 240.0, "warmup_days": 60.0}
FIGURES = ["missed_per_1000_referrals", "caseload_mean", "referrals", "total_cost"]


@pytest.fixture(scope="module")
def pair():
    base = sim.apply_overrides(sim.load_scenario(MINIMAL), SHORT)
    more = sim.apply_overrides(base, {"workforce.caseworkers": 15})
    return base, more


def test_the_differences_are_the_paired_ones_with_scipys_interval(pair):
    base, more = pair
    comparison = sim.compare(base, more, replications=5, seed=3, figures=FIGURES)
    # The same runs, made independently: replication r of each with seed 3.
    a = sim.run(base, replications=5, seed=3).replications
    b = sim.run(more, replications=5, seed=3).replications
    for figure in ["missed_per_1000_referrals", "caseload_mean", "total_cost"]:
        differences = (b[figure] - a[figure]).to_numpy()
        row = comparison.table.loc[figure]
        assert row["difference"] == pytest.approx(differences.mean(), rel=1e-12)
        low, high = stats.t.interval(0.95, 4, loc=differences.mean(), scale=stats.sem(differences))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-9)
        assert row["p_value"] == pytest.approx(stats.ttest_rel(b[figure], a[figure]).pvalue)
        assert row["significant"] == (low > 0 or high < 0)
        assert row["a_mean"] == pytest.approx(a[figure].mean())
        assert row["n"] == 5
    # More staff: smaller caseloads and a larger bill, beyond doubt.
    assert set(comparison.significant) >= {"caseload_mean", "total_cost"}
    assert comparison.table.loc["caseload_mean", "ci_high"] < 0


def test_common_random_numbers_make_the_comparison_paired(pair):
    """Staffing does not touch arrivals: referrals are identical in every replication (a
    zero difference, not significant), and the paired interval of missed risk is narrower
    than the interval that ignores the pairing."""
    base, more = pair
    comparison = sim.compare(base, more, replications=6, seed=8, figures=FIGURES)
    referrals = comparison.table.loc["referrals"]
    assert referrals[["difference", "ci_low", "ci_high"]].tolist() == [0.0, 0.0, 0.0]
    assert not referrals["significant"] and np.isnan(referrals["p_value"])
    a, b = comparison.a.replications, comparison.b.replications
    _, w_low, w_high = sim.analysis.welch_interval(a.caseload_mean, b.caseload_mean)
    paired = comparison.table.loc["caseload_mean"]
    assert paired["ci_high"] - paired["ci_low"] < w_high - w_low


def test_compare_two_shipped_scenarios_on_the_command_line():
    child = ROOT / "scenarios" / "child_protection.yaml"
    result = CliRunner().invoke(
        main,
        [
            "compare",
            str(MINIMAL),
            str(child),
            "--reps",
            "3",
            "--set",
            "horizon_days=240",
            "--set",
            "warmup_days=60",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"A: 'minimal' ({MINIMAL}), figures over days 60-240"
    assert lines[1] == f"B: 'child_protection' ({child}), figures over days 60-240"
    assert lines[2].startswith("B 'child_protection' against A 'minimal': 3 replications each")
    header = lines[4]
    assert header.split() == ["figure", "A", "B", "B", "-", "A", "95%", "CI", "significant"]
    labels = [
        "Missed risk per 1,000 referrals",
        "Caseload per worker, mean (cases)",
        "Worker-days burned out (%)",
        "Annual turnover (leavers per worker-year)",
        "Total cost (USD)",
    ]
    rows = {label: line for label, line in zip(labels, lines[5:10], strict=True)}
    assert all(line.startswith(label + "  ") for label, line in rows.items()), lines[5:10]
    # The county agency costs more than the small office, beyond doubt.
    assert rows["Total cost (USD)"].rstrip().endswith("yes (p < 0.001)")
    assert "+$" in rows["Total cost (USD)"]
    assert lines[-1].endswith("excludes zero (a paired t-test with p < 0.05).")
    # The same numbers as the Python API, as CSV.
    csv = CliRunner().invoke(
        main,
        [
            *("compare", str(MINIMAL), str(child), "-r", "3", "--set", "horizon_days=240"),
            *("--set", "warmup_days=60", "-f", "csv", "--outcome", "total_cost"),
        ],
    )
    assert csv.exit_code == 0 and csv.stdout.startswith("figure,label,unit,a_mean,b_mean,")
    a = sim.apply_overrides(sim.load_scenario(MINIMAL), SHORT)
    b = sim.apply_overrides(sim.load_scenario(child), SHORT)
    expected = sim.compare(a, b, replications=3, figures=["total_cost"]).table
    value = float(csv.stdout.splitlines()[1].split(",")[5])
    assert value == pytest.approx(expected.loc["total_cost", "difference"], rel=1e-12)


def test_amounts_in_two_currencies_are_not_compared():
    england = ROOT / "scenarios" / "england_child_protection.yaml"
    child = ROOT / "scenarios" / "child_protection.yaml"
    result = CliRunner().invoke(
        main,
        [
            *("compare", str(child), str(england), "-r", "2", "--outcome", "total_cost"),
            *("--set", "horizon_days=120", "--set", "warmup_days=30"),
        ],
    )
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("Total cost"))
    assert row.startswith("Total cost (USD, GBP)") and "£" in row and "$" in row
    assert row.rstrip().endswith("n/a (two currencies)")


def test_compare_needs_two_replications_and_known_figures():
    one = CliRunner().invoke(main, ["compare", str(MINIMAL), str(MINIMAL), "--reps", "1"])
    assert one.exit_code == 2
    with pytest.raises(ValueError, match="summary figures"):
        sim.compare(MINIMAL, MINIMAL, replications=2, figures=["nonsense"])


def test_a_comparison_shows_itself_in_a_notebook(pair):
    base, more = pair
    comparison = sim.compare(base, more, replications=3, seed=1, figures=["caseload_mean"])
    assert repr(comparison) == (
        "<Comparison 'minimal' -> 'minimal': 3 paired replications, seed 1; "
        "1 of 1 figures differ significantly>"
    )
    page = comparison._repr_html_()
    assert page.startswith("<table><caption>B &#x27;minimal&#x27; against A")
    assert "Caseload per worker, mean (cases)" in page and "yes (p" in page
