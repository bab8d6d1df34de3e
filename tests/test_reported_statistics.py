"""Every reported statistic against a value known independently of the code that reports it.

- Intervals: :mod:`sim.analysis` against scipy on fixed data (the t quantile, ``ddof=1``,
  the count), and the run and sweep summaries built on it.
- Percentiles: ``wait_p90_days`` against numpy on the per-referral records, within the
  log-histogram's documented 1% relative error; ``caseload_p90`` (exact) against numpy on
  the end-of-day caseloads rebuilt from the records of a one-worker office.
- Time averages: :class:`sim.core.accumulators.TimeWeighted` against a path built by hand, and
  ``waiting_mean`` and ``open_cases_mean`` against the paths rebuilt from the records.
- Counts, means and shares: from the records (intake, waits, first contacts, closures),
  from hand arithmetic (hours available, tenure, salaries), from the daily series
  (workforce figures), and every share, ratio and rate against its definition in
  docs/outputs.md.
- Harms per subject: against the Poisson mixture of a risk window's signals when nothing is
  caught. The metrics fed by hand, every figure against its definition, are in
  ``tests/test_metrics_by_hand.py``.

The records are read, never the model's own counters, so a wrong counter fails here.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, mmc_data, small_office_data
from scipy import stats

import sim
from sim.analysis.statistics import (
    least_cost_point,
    least_sufficient,
    paired_difference,
    points_meeting,
    welch_interval,
)
from sim.core.accumulators import LogHistogram, TimeWeighted
from sim.core.model import CaseloadModel
from sim.core.referral import ReferralState
from sim.core.summary import FIGURES
from sim.core.work import workday_start
from sim.experiments.intervals import confidence_interval, summarise

pytestmark = pytest.mark.fast

# --------------------------------------------------------------------------- intervals

# Five values: t(0.975, 4) = 2.776 is 42% wider than z = 1.960, and ddof=0 would make the
# sd 11% narrower, so neither slip can hide inside a tolerance.
FIXED = [3.1, 4.7, 2.2, 5.9, 4.4]


def scipy_interval(values, level):
    """scipy's own Student-t interval: mean +/- t(1 - alpha/2, n - 1) * sd(ddof=1) / sqrt(n)."""
    data = np.asarray(values, dtype=float)
    low, high = stats.t.interval(level, data.size - 1, loc=data.mean(), scale=stats.sem(data))
    return float(data.mean()), float(low), float(high)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
@pytest.mark.parametrize(
    "values",
    [FIXED, [10.0, 12.5], [0.1, 0.4, 0.2, 0.9, 0.3, 0.3, 0.8, 0.5, 0.6, 0.2, 0.7, 0.4]],
    ids=["n5", "n2", "n12"],
)
def test_confidence_interval_is_scipys_student_t_interval(values, level):
    assert confidence_interval(values, level) == pytest.approx(
        scipy_interval(values, level), rel=1e-12
    )


def test_confidence_interval_by_hand_on_five_values():
    """Mean 4.06, sd (ddof=1) 1.4398, t(0.975, 4) = 2.7764: half-width 1.7877."""
    mean, low, high = confidence_interval(FIXED)
    assert mean == pytest.approx(4.06, abs=1e-12)
    assert (high - low) / 2 == pytest.approx(1.7877, abs=1e-4)


def test_confidence_interval_ignores_missing_values_and_needs_two():
    with_gaps = [math.nan, *FIXED[:2], None, *FIXED[2:], math.nan]
    assert confidence_interval(with_gaps) == pytest.approx(scipy_interval(FIXED, 0.95))
    mean, low, high = confidence_interval([2.5, math.nan])
    assert mean == 2.5 and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in confidence_interval([math.nan]))
    assert all(math.isnan(v) for v in confidence_interval([]))


def test_summarise_reports_scipys_interval_sd_and_count():
    table = pd.DataFrame(
        {"a": FIXED, "b": [1.0, math.nan, 3.0, 7.0, math.nan], "label": list("vwxyz")}
    )
    summary = summarise(table, level=0.9)
    assert list(summary.index) == ["a", "b"]  # numeric columns only
    for figure, values in (("a", FIXED), ("b", [1.0, 3.0, 7.0])):
        row = summary.loc[figure]
        mean, low, high = scipy_interval(values, 0.9)
        assert (row["mean"], row.ci_low, row.ci_high) == pytest.approx((mean, low, high))
        assert row.sd == pytest.approx(float(np.std(values, ddof=1)))
        assert row.n == len(values)
    single = summarise(pd.DataFrame({"a": [1.0]}))
    assert single.loc["a", "n"] == 1 and math.isnan(single.loc["a", "sd"])
    # By default: every numeric column, at 95%, indexed by figure; two values have an sd.
    default = summarise(table.assign(c=[2, 4, None, None, None]))
    assert default.index.name == "figure" and list(default.index) == ["a", "b", "c"]
    assert (default.loc["a", "ci_low"], default.loc["a", "ci_high"]) == pytest.approx(
        scipy_interval(FIXED, 0.95)[1:]
    )
    assert default.loc["c", "sd"] == pytest.approx(math.sqrt(2.0))


def test_a_runs_summary_is_scipys_interval_of_its_replications():
    scenario = sim.validate_scenario(small_office_data(horizon_days=150.0, warmup_days=30.0))
    result = sim.run(scenario, replications=4, seed=3)
    for level in (0.95, 0.8):
        summary = result.summary(level)
        for figure in ("referrals", "first_contact_mean_days", "caught_share", "caseload_p90"):
            values = result.replications[figure].dropna().to_numpy()
            mean, low, high = scipy_interval(values, level)
            row = summary.loc[figure]
            assert (row["mean"], row.ci_low, row.ci_high) == pytest.approx((mean, low, high))
            assert row.sd == pytest.approx(values.std(ddof=1))
            assert row.n == 4
            assert (row.label, row.unit) == (FIGURES[figure]["label"], FIGURES[figure]["unit"])


def test_a_sweeps_summary_is_scipys_interval_of_its_successful_runs():
    table = pd.DataFrame(
        {
            "point": [0] * 6 + [1] * 3,
            "replication": [0, 1, 2, 3, 4, 5, 0, 1, 2],
            "status": ["ok"] * 5 + ["failed", "ok", "ok", "ok"],
            "staff": [4] * 6 + [5] * 3,
            "missed": [*FIXED, math.nan, 1.0, 2.0, 4.0],
        }
    )
    summary = sim.summarise_results(table, ["missed"], level=0.9).set_index("point")
    for point, values, failed in ((0, FIXED, 1), (1, [1.0, 2.0, 4.0], 0)):
        row = summary.loc[point]
        mean, low, high = scipy_interval(values, 0.9)
        # a count is never negative: its interval is cut at 0 (its natural range)
        expected = (mean, max(low, 0.0), high)
        assert (row["mean"], row.ci_low, row.ci_high) == pytest.approx(expected)
        assert (row.n, row.failed, row.staff) == (len(values), failed, 4 + point)


def test_paired_and_welch_intervals_are_scipys():
    a = np.array([5.0, 7.5, 6.1, 8.8, 5.9, 7.2])
    b = np.array([5.9, 8.1, 7.4, 9.0, 6.2, 8.9])
    table = pd.DataFrame(
        {
            "point": [0] * 6 + [1] * 6,
            "replication": list(range(6)) * 2,
            "status": "ok",
            "missed": np.concatenate([a, b]),
        }
    )
    for level in (0.95, 0.99):
        d = paired_difference(table, 0, 1, "missed", level)
        paired = stats.ttest_rel(b, a).confidence_interval(level)
        welch = stats.ttest_ind(b, a, equal_var=False).confidence_interval(level)
        assert d.mean == pytest.approx(float((b - a).mean()))
        assert (d.ci_low, d.ci_high) == pytest.approx((paired.low, paired.high))
        assert (d.unpaired_ci_low, d.unpaired_ci_high) == pytest.approx((welch.low, welch.high))
        assert d.n == 6
        _, low, high = welch_interval(a, b, level)
        assert (low, high) == pytest.approx((welch.low, welch.high))
    # Replications missing at one point, or failed, are not paired.
    gappy = table.drop(index=[0]).assign(status=["ok"] * 10 + ["failed"])
    d = paired_difference(gappy, 0, 1, "missed")
    kept = [1, 2, 3, 4]
    paired = stats.ttest_rel(b[kept], a[kept]).confidence_interval(0.95)
    assert d.n == 4 and (d.ci_low, d.ci_high) == pytest.approx((paired.low, paired.high))


def test_welch_interval_of_identical_constant_samples_is_a_point():
    assert welch_interval([2.0, 2.0], [3.0, 3.0, 3.0]) == (1.0, 1.0, 1.0)


def test_welch_interval_defaults_to_95_percent():
    a, b = [5.0, 7.5, 6.1, 8.8], [5.9, 8.1, 7.4, 9.0, 6.2]
    welch = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert welch_interval(a, b)[1:] == pytest.approx((welch.low, welch.high))


def test_least_sufficient_uses_the_one_sided_t_bound():
    table = pd.DataFrame({"budget": [1] * 5 + [2] * 5 + [3] * 2, "missed": [*FIXED] * 2 + [9, 9.5]})
    best = least_sufficient(table, "budget", "missed", target=100.0, level=0.9)
    data = np.asarray(FIXED)
    upper = data.mean() + stats.t.ppf(0.9, 4) * stats.sem(data)
    assert best["budget"] == 1 and best["n"] == 5
    assert best["upper"] == pytest.approx(upper)
    # The bound is one-sided: the target just above it is enough, just below it is not.
    levels = table[table.budget < 3]
    assert least_sufficient(levels, "budget", "missed", upper + 1e-9, 0.9)["budget"] == 1
    assert least_sufficient(levels, "budget", "missed", upper - 1e-9, 0.9) is None


COLUMNS = ["point", "mean", "upper", "n", "meets", "cost", "cost_low", "cost_high"]


def test_points_meeting_is_scipys_one_sided_bound_and_two_sided_cost_interval():
    """Per point with two successful runs or more, in point order: the outcome's one-sided
    t bound at ``level`` (cut at its natural range: a share's at 1), whether it is below the
    target, and the cost's two-sided interval; a point with one run is left out."""
    cost = [10.0, 12.0, 11.5, 9.0, 13.0]
    table = pd.DataFrame(
        {
            "point": [2] * 5 + [0] * 5 + [1] * 2 + [3],
            "status": ["ok"] * 11 + ["failed", "ok"],
            "missed": [*FIXED, *(2 * np.asarray(FIXED)), 1.0, 2.0, 3.0],
            "caught_share": [0.5, 0.99, 0.1, 0.9, 0.3] * 2 + [0.5] * 3,
            "total_cost": cost * 2 + [1.0] * 3,
        }
    )
    points = points_meeting(table, "missed", 10.0, level=0.9)
    assert points.point.tolist() == [0, 2]  # point 1 has one successful run, point 3 one run
    for row, values in zip(points.itertuples(), (2 * np.asarray(FIXED), FIXED), strict=True):
        data = np.asarray(values)
        upper = data.mean() + stats.t.ppf(0.9, data.size - 1) * stats.sem(data)
        assert (row.mean, row.upper, row.n) == (pytest.approx(data.mean()), pytest.approx(upper), 5)
        assert row.meets == (upper < 10.0)
        mean, low, high = scipy_interval(cost, 0.9)
        assert (row.cost, row.cost_low, row.cost_high) == pytest.approx((mean, low, high))
    assert points.meets.tolist() == [False, True]
    shares = points_meeting(table, "caught_share", 2.0, level=0.99)
    assert shares.upper.tolist() == [1.0, 1.0]  # the t bound is above 1: a share's is 1
    assert shares.meets.all()
    assert list(shares.columns) == COLUMNS
    # two runs are enough; a cost interval is cut at 0; the bound must be below the target
    pair = pd.DataFrame({"point": [7, 7], "missed": [1.0, 3.0], "total_cost": [0.0, 10.0]})
    (row,) = points_meeting(pair, "missed", 100.0).itertuples()
    assert row.n == 2 and row.cost_low == 0.0
    assert row.cost_high == pytest.approx(scipy_interval([0.0, 10.0], 0.95)[2])
    assert row.upper == pytest.approx(2.0 + stats.t.ppf(0.95, 1) * stats.sem([1.0, 3.0]))
    assert not points_meeting(pair, "missed", row.upper).meets.any()
    # no point with two runs: no rows, the same columns
    none = points_meeting(pair.iloc[:1], "missed", 100.0)
    assert none.empty and list(none.columns) == COLUMNS
    assert least_cost_point(pair.iloc[:1], "missed", 100.0) is None


def test_least_cost_point_is_the_cheapest_meeting_point_ties_to_the_lower():
    rows = {0: (FIXED, 5.0), 1: (FIXED, 3.0), 2: (FIXED, 3.0), 3: ([50.0] * 4 + [51.0], 1.0)}
    table = pd.DataFrame(
        [
            {"point": p, "missed": v, "total_cost": c}
            for p, (values, c) in rows.items()
            for v in values
        ]
    )
    best = least_cost_point(table, "missed", 10.0)
    assert best["point"] == 1 and best["cost"] == 3.0  # 1 and 2 tie on cost: the lower
    assert least_cost_point(table, "missed", 60.0)["point"] == 3
    assert least_cost_point(table, "missed", 1.0) is None
    by_level = least_cost_point(table, "missed", 10.0, level=0.8)
    assert by_level["upper"] < best["upper"]  # a lower level, a lower bound


# --------------------------------------------------------------------------- the log histogram


@pytest.mark.parametrize("seed", range(1, 6))
def test_log_histogram_quantiles_are_numpys_within_one_percent(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate([np.zeros(rng.integers(1, 400)), rng.lognormal(1.0, 1.5, 3000)])
    rng.shuffle(values)
    histogram = LogHistogram()
    for value in values:
        histogram.add(float(value))
    assert histogram.count == values.size
    assert histogram.mean() == pytest.approx(values.mean(), rel=1e-12)
    for q in (0.01, 0.05, 0.25, 0.5, 0.9, 0.99, 1.0):
        exact = float(np.quantile(values, q, method="inverted_cdf"))
        if exact == 0.0:
            assert histogram.quantile(q) == 0.0
        else:
            assert histogram.quantile(q) == pytest.approx(exact, rel=1e-2), q
    assert len(histogram.bins) < 2_000


def test_an_empty_histogram_has_no_mean_or_quantile():
    assert math.isnan(LogHistogram().mean()) and math.isnan(LogHistogram().quantile(0.9))


# --------------------------------------------------------------------------- time averages


def test_log_histogram_quantile_by_hand_where_q_times_the_count_is_whole():
    """1 to 10: the median is the 5th value, the 90th percentile the 9th (numpy's
    inverted_cdf: the smallest value with at least q of the count at or below it)."""
    histogram = LogHistogram()
    for value in range(1, 11):
        histogram.add(float(value))
    for q, exact in ((0.5, 5.0), (0.9, 9.0), (1.0, 10.0), (0.1, 1.0)):
        assert exact == np.quantile(np.arange(1.0, 11.0), q, method="inverted_cdf")
        assert histogram.quantile(q) == pytest.approx(exact, rel=0.01), q


def test_time_average_of_a_path_built_by_hand():
    """From day 10 to 30: 0 until 12, 3 until 15, 1 until 20, 4 until 30 (a change before
    the start sets the value only): (0*2 + 3*3 + 1*5 + 4*10) / 20 = 2.7."""
    path = TimeWeighted(10.0)
    path.set(4.0, 7.0)  # before the window: sets the value, adds no area
    path.set(10.0, 0.0)
    path.set(12.0, 3.0)
    path.set(15.0, 5.0)
    path.set(15.0, 1.0)  # two changes at one instant: the last holds
    path.set(20.0, 4.0)
    assert path.mean(30.0) == pytest.approx(2.7, rel=1e-15)
    assert math.isnan(TimeWeighted(5.0).mean(5.0))
    short = TimeWeighted(5.0)
    short.set(5.0, 2.0)
    assert short.mean(5.5) == 2.0  # a window shorter than a day has a mean too
    # reading the mean leaves the path as it was: 4 until 40 gives (2.7 * 20 + 40) / 30
    assert path.mean(40.0) == pytest.approx((2.7 * 20 + 40) / 30, rel=1e-15)


# --------------------------------------------------------------------------- from the records

DEADLINE = 3.0
DURATION = 60.0


def busy_office(seed_changes: dict | None = None) -> sim.Scenario:
    """Three caseworkers short of hours: cases wait, first contacts run late, case work
    runs late; fixed 60-day cases and one first-contact deadline, so that the planned
    closure and the deadline of every record are known."""
    data = small_office_data(
        **{
            "horizon_days": 300.0,
            "warmup_days": 60.0,
            "case_types.0.duration": {"distribution": "fixed", "value": DURATION},
            "case_types.0.first_contact.deadline_days": DEADLINE,
            "case_types.0.work_hours": 30.0,
            "workforce.caseworkers": 3,
            **(seed_changes or {}),
        }
    )
    return sim.validate_scenario(data)


def overlap(start: pd.Series, stop: pd.Series, window: tuple[float, float]) -> float:
    """Total length of the intervals ``[start, stop)`` inside ``window``."""
    low, high = window
    return float((stop.clip(upper=high) - start.clip(lower=low)).clip(lower=0.0).sum())


@pytest.mark.parametrize("seed", range(1, 6))
def test_intake_waits_first_contacts_and_closures_are_the_records(seed):
    scenario = busy_office()
    out = sim.run_replication(scenario, 0, seed, records=True)
    s, r = out.summary, out.records
    start, end = scenario.warmup_days, scenario.horizon_days
    assert s.window_days == end - start

    # Intake: referrals arriving in the window (the initial caseload is not a referral).
    arrived = r[(r.arrival >= start) & ~r.initial]
    out_of_screen = arrived.state == "screened_out"
    assert s.referrals == (~arrived.rereferral).sum()
    assert s.rereferrals == arrived.rereferral.sum() > 0
    assert s.screened_out == out_of_screen.sum() > 0
    assert s.screened_in == (~out_of_screen).sum()
    assert (
        out.state_counts == r.state.value_counts().reindex(out.state_counts, fill_value=0).to_dict()
    )

    # Waits: over the cases assigned in the window, the 90th percentile to 1% (numpy's
    # "smallest value with 90% at or below it" is method inverted_cdf).
    assigned = r[r.assigned_at >= start]
    waits = (assigned.assigned_at - assigned.arrival).to_numpy()
    assert s.assigned == len(waits)
    assert s.wait_mean_days == pytest.approx(waits.mean(), rel=1e-9)
    p90, median = np.quantile(waits, [0.9, 0.5], method="inverted_cdf")
    assert p90 > 1.2 * median > 0  # so that reporting the median would fail
    assert s.wait_p90_days == pytest.approx(p90, rel=1e-2)
    assert s.waiting_at_end == (r.state == "waiting").sum() > 0

    # Time averages: each screened-in referral waits from arrival to assignment (or the
    # end), and is open from assignment to closure (or the end).
    opened = r[r.state != "screened_out"]
    window = (start, end)
    waiting_path = overlap(opened.arrival, opened.assigned_at.fillna(end), window)
    open_path = overlap(opened.assigned_at.dropna(), opened.closed_at.fillna(end), window)
    assert s.waiting_mean == pytest.approx(waiting_path / (end - start), rel=1e-9)
    assert s.open_cases_mean == pytest.approx(open_path / (end - start), rel=1e-9)

    # First contacts: made in the window, and those never made whose deadline passed by
    # the case's closure in the window or by the end.
    made = r[r.first_contact_at >= start]
    due = made.arrival + DEADLINE
    assert s.first_contact_mean_days == pytest.approx(
        (made.first_contact_at - made.arrival).mean(), rel=1e-9
    )
    never = opened[opened.first_contact_at.isna()]
    stop = never.closed_at.fillna(end)
    never_late = ((stop >= start) & (never.arrival + DEADLINE <= stop)).sum()
    in_time = (made.first_contact_at <= due).sum()
    late = (made.first_contact_at > due).sum() + never_late
    assert late > 0 and in_time > 0
    assert s.first_contact_within_deadline_share == pytest.approx(in_time / (in_time + late))

    # Closures: a case closes late when its case work kept it open past its planned date.
    closed = r[r.closed_at >= start]
    durations = closed.closed_at - closed.assigned_at
    assert s.cases_closed == len(closed)
    assert s.case_duration_mean_days == pytest.approx(durations.mean(), rel=1e-9)
    assert (durations >= DURATION - 1e-9).all()
    late_closures = (durations > DURATION + 1e-9).mean()
    assert 0 < late_closures < 1
    assert s.cases_closed_late_share == pytest.approx(late_closures)


@pytest.mark.fast
def test_intake_counts_of_each_case_type_are_the_records():
    """The per-case-type table's referrals and screened_out (docs/outputs.md) are the
    records' first reports of each type, and the first reports and re-referrals of it
    screened out, in an office of two types screened at different thresholds (no warm-up:
    every referral counts)."""
    data = small_office_data(**{"horizon_days": 200.0, "warmup_days": 0.0})
    data["case_types"].append({**data["case_types"][0], "name": "court"})
    data["intake"]["threshold"] = {"family": 0.3, "court": 0.7}
    out = sim.run_replication(sim.validate_scenario(data), 0, 3, records=True)
    r = out.records
    reports = r[~r.initial & ~r.follow_on]
    first = reports[~reports.rereferral]
    table = out.by_case_type.set_index("case_type")
    assert table.referrals.to_dict() == first.case_type.value_counts().to_dict()
    screened_out = reports[reports.state == "screened_out"].case_type.value_counts()
    assert table.screened_out.to_dict() == screened_out.to_dict()
    assert screened_out["court"] > 2 * screened_out["family"] > 0


@pytest.mark.fast
def test_the_threshold_in_force_all_run_is_its_time_average():
    """With no feedback policy the threshold never moves: its time average over a run with
    no warm-up is the threshold itself, from the first moment."""
    data = small_office_data(**{"horizon_days": 50.0, "warmup_days": 0.0})
    summary = sim.run_replication(sim.validate_scenario(data), 0, 1).summary
    assert summary.threshold_mean == pytest.approx(0.4, rel=1e-12)


CAP = 5


def one_worker_office() -> sim.Scenario:
    """One caseworker taking every case over a cap of 5 (overflow over_cap), continuous
    case durations: the caseload at any moment is the records' open cases."""
    data = small_office_data(
        **{
            "horizon_days": 250.0,
            "warmup_days": 40.0,
            "case_types.0.arrivals.rate_per_year": 300.0,
            "case_types.0.duration": {"distribution": "exponential", "mean": 12.0},
            "case_types.0.work_hours": 4.0,
            "caps": {"count": CAP, "overflow": "over_cap"},
            "workforce.caseworkers": 1,
        }
    )
    return sim.validate_scenario(data)


def held_at(records: pd.DataFrame, time: float) -> int:
    """Cases held at ``time`` (no assignment or closure falls exactly on it)."""
    closed = records.closed_at.fillna(math.inf)
    return int(((records.assigned_at < time) & (closed > time)).sum())


@pytest.mark.parametrize("seed", range(1, 6))
def test_caseload_figures_and_hours_of_one_worker_are_the_records(seed):
    scenario = one_worker_office()
    out = sim.run_replication(scenario, 0, seed, records=True)
    s, r = out.summary, out.records
    start, end = scenario.warmup_days, scenario.horizon_days
    held = r[r.assigned_at.notna()]

    # One reading at the end of every day that ends inside the window.
    readings = np.array([held_at(held, day + 1.0) for day in range(int(start), int(end))])
    assert s.caseload_mean == pytest.approx(readings.mean(), rel=1e-12)
    p90 = np.quantile(readings, 0.9, method="inverted_cdf")
    assert s.caseload_p90 == p90 > np.quantile(readings, 0.5, method="inverted_cdf")
    assert s.caseload_max == readings.max() > CAP
    assert s.worker_days_over_cap_share == pytest.approx((readings > CAP).mean())

    # An assignment is over the cap when the worker already holds the cap's worth of cases.
    in_window = held[held.assigned_at >= start]
    before = [held_at(held.drop(index=i), t) for i, t in in_window.assigned_at.items()]
    assert s.cap_breaches == sum(n >= CAP for n in before) > 0

    # Hours: 7 a day on the working days (Monday to Friday) whose 09:00 start is in the
    # window; tenure: 1,095 days at the start (the default), plus the day of each reading.
    days = [d for d in range(int(end)) if d % 7 < 5 and d + 9 / 24 >= start]
    assert s.hours_available == pytest.approx(7.0 * len(days), rel=1e-12)
    assert s.headcount_mean == 1.0 and s.vacancy_rate == 0.0
    tenure = np.mean([1095.0 + day + 1.0 for day in range(int(start), int(end))])
    assert s.tenure_mean_days == pytest.approx(tenure, rel=1e-12)


# --------------------------------------------------------------------------- from the daily series

BUDGET = {
    "caseworker_cost": 73_000.0,
    "supervisor_cost": 91_250.0,
    "support_cost": 36_500.0,
    "agency_cost": 109_500.0,
    "overtime_premium": 1.5,
    "hiring_cost": 5_000.0,
    "training_cost": 7_000.0,
}
WORKFORCE = {
    "horizon_days": 400.0,
    "warmup_days": 50.0,
    "workforce": {
        "caseworkers": 4,
        "supervisors": 1,
        "support_staff": 2,
        "hours_per_day": 7.0,
        "working_days_per_week": 5,
        "overtime_hours_per_day": 1.0,
    },
    "turnover": {"annual_rate": 1.5},
    "hiring": {"lag": {"distribution": "gamma", "mean": 30.0, "sd": 10.0}, "training_days": 10.0},
    "budget": BUDGET,
    "case_types.0.arrivals.rate_per_year": 500.0,
}
STRAINED = {**WORKFORCE, "strain": {"rise_per_day": 0.2}, "caps.overflow": "over_cap"}
COVERED = {
    **WORKFORCE,
    "hiring": {**WORKFORCE["hiring"], "agency_cover_share": 0.6},
    "caps.overflow": "external",
    "caps.external_cost_per_case": 800.0,
}


def in_window(series: pd.DataFrame, scenario: sim.Scenario) -> pd.DataFrame:
    """The daily rows whose reading (at the end of the day) falls inside the window."""
    return series[series.day + 1.0 > scenario.warmup_days]


@pytest.mark.parametrize("seed", range(1, 6))
@pytest.mark.parametrize("changes", [STRAINED, COVERED], ids=["strained", "agency_cover"])
def test_workforce_and_cost_figures_are_the_daily_readings(changes, seed):
    """Caseworker-days, vacancies, agency days and salaries are sums over the daily
    readings (each read at the end of its day); flows are the days' flows."""
    scenario = sim.validate_scenario(small_office_data(**changes))
    out = sim.run_replication(scenario, 0, seed, timeseries=True)
    s, days = out.summary, in_window(out.timeseries, scenario)
    assert len(days) == s.window_days == 350
    staff_days, agency_days = days.headcount.sum(), days.agency.sum()
    assert s.headcount_mean == pytest.approx(staff_days / s.window_days)
    assert s.vacancy_rate == pytest.approx(days.vacancies.sum() / (4 * len(days)))
    assert s.absence_days == days.absent.sum()
    assert s.agency_share == pytest.approx(agency_days / (staff_days + agency_days))
    for flow, figure in (
        ("assigned", "assigned"),
        ("closed", "cases_closed"),
        ("caught", "caught"),
        ("missed", "missed"),
        ("hires", "hires"),
    ):
        assert getattr(s, figure) == days[flow].sum(), figure
    assert s.referrals + s.rereferrals == days.referrals.sum()
    assert s.screened_out == days.screened_out.sum()
    # Money, by hand: salaries by the day in post, agency by the day covered, overtime at
    # the contracted hourly rate (7 hours, 5 days a week: 1,825 hours a year) times 1.5.
    salaries = staff_days * 200.0 + len(days) * (250.0 + 2 * 100.0)
    assert s.salary_cost == pytest.approx(salaries, rel=1e-12)
    assert s.agency_cost == pytest.approx(agency_days * 300.0, rel=1e-12)
    assert s.overtime_cost == pytest.approx(s.overtime_hours * 73_000.0 / 1825.0 * 1.5)
    assert s.hiring_cost == pytest.approx(s.hires * 12_000.0)
    assert s.external_cost == pytest.approx(s.sent_out * 800.0 if "external" in str(changes) else 0)
    assert s.hires > 0 and s.quits > 0 and s.overtime_hours > 0
    if changes is STRAINED:
        # No agency workers: the series' strain and burnout cover the payroll only.
        assert agency_days == 0
        assert s.burned_out_share == pytest.approx(days.burned_out.sum() / staff_days)
        strain = (days.strain_mean * days.headcount).sum() / staff_days
        assert s.strain_mean == pytest.approx(strain)
        assert 0 < s.burned_out_share < 1
    else:
        assert agency_days > 0 and s.sent_out > 0
        assert s.vacancies_covered_share == pytest.approx(agency_days / days.vacancies.sum())


# --------------------------------------------------------------------------- the window's edge

EDGE_COUNTS = (
    "absence_days",
    "overtime_hours",
    "non_case_hours",
    "hours_available",
    "hours_demanded",
    "hours_worked",
    "quits",
    "transfers",
    "returned_to_waiting",
    "sent_out",
    "hires",
    "contacts_missed",
)
"""Counts of events, each counted from the window's first moment on."""


def counts_from(
    scenario: sim.Scenario, warmup: float, seed: int, figures: tuple[str, ...] = EDGE_COUNTS
) -> dict[str, float]:
    """The ``figures`` of a run whose statistics window starts at ``warmup`` (the warm-up
    changes only what is counted, never what happens)."""
    summary = sim.run_replication(scenario.model_copy(update={"warmup_days": warmup}), 0, seed)
    return {figure: getattr(summary.summary, figure) for figure in figures}


EDGE_OFFICE = {
    **WORKFORCE,
    "hiring": {**WORKFORCE["hiring"], "freeze_window": {"start_day": 100.0, "end_day": 250.0}},
    "strain": {"absence_base": 0.3, "absence_at_burnout": 0.3},
    "workforce.non_case_share": 0.2,
    "case_types.0.work_hours": 40.0,
    "caps.external_cost_per_case": 800.0,
}
"""A busy office (overtime and absences most working days) with a hiring freeze."""


JUST = 1e-6
"""A moment in which nothing happens (events come at whole days, at 09:00 or at random)."""
NINE = 9 / 24
"""A seven-hour working day's start (09:00), as a fraction of the day."""


@pytest.mark.fast
@pytest.mark.parametrize("overflow", ["wait", "over_cap"])
def test_events_at_the_windows_first_moment_are_counted(overflow):
    """An event at the very moment the window starts is inside it (docs/outputs.md: figures
    over [warm-up, end]): a window starting a moment before counts the same, and one
    starting a moment after counts it no more. The working day's events (absences, overtime,
    non-case hours, the hours available, asked and worked) happen at its start, 09:00; a
    leaver leaves at the end of a day, on the clock's whole day, its cases back to wait or
    transferred over the cap; hires held back by a freeze start the moment it ends."""
    changes = {**EDGE_OFFICE, "caps.overflow": overflow}
    scenario = sim.validate_scenario(small_office_data(**changes))
    out = sim.run_replication(scenario, 0, 2, timeseries=True, records=True)
    series, staff = out.timeseries, out.staff

    def edge(time: float) -> dict[str, float]:
        """The counts of the events at ``time``, checked the same from a moment before."""
        at = counts_from(scenario, time, 2)
        assert at == counts_from(scenario, time - JUST, 2), time
        after = counts_from(scenario, time + JUST, 2)
        return {figure: at[figure] - after[figure] for figure in EDGE_COUNTS}

    day = int(series.day[(series.day >= 56) & (series.absent > 0)].min())
    assert workday_start(day, 8.0) == day + NINE  # a 7-hour day with an hour's overtime
    at_work = edge(day + NINE)
    for figure in ("absence_days", "overtime_hours", "non_case_hours", "hours_available"):
        assert at_work[figure] > 0, figure

    moved = "returned_to_waiting" if overflow == "wait" else "transfers"
    for quit_at in sorted(staff.left_at[staff.left_at > 60]):  # the first whose cases move
        assert quit_at == math.floor(quit_at)
        at_quit = edge(quit_at)
        assert at_quit["quits"] > 0
        if at_quit[moved] > 0:
            break
    else:
        raise AssertionError(f"no leaver's cases were {moved}")

    at_thaw = edge(250.0)
    assert at_thaw["hires"] == (staff.hired_at == 250.0).sum() >= 2
    assert series.hires.sum() == counts_from(scenario, 0.0, 2)["hires"]  # two on a day too


@pytest.mark.fast
def test_an_idle_days_hours_at_the_windows_first_moment_are_counted():
    """The same for an office whose cases need no work (its days take the idle path): the
    hours available at day 30's start, 09:00, are counted in a window from then."""
    scenario = sim.validate_scenario(mmc_data(2, 0.5, horizon=100.0, warmup=10.0))
    start = workday_start(30, 7.0)
    assert start == 30 + NINE
    at_start = counts_from(scenario, start, 1)["hours_available"]
    assert at_start == counts_from(scenario, 30.0, 1)["hours_available"]
    workforce = scenario.workforce
    a_day = workforce.caseworkers * workforce.hours_per_day
    assert at_start == counts_from(scenario, 31.0, 1)["hours_available"] + a_day


@pytest.mark.fast
def test_leavers_and_their_cases_are_the_records():
    """quits, transfers and returned_to_waiting (docs/outputs.md) over a run with no warm-up:
    the caseworkers who left (not agency cover, which hands over when the hire starts; and
    the daily series' quits, two on a day too), the changes of worker the referrals record,
    and each move of a case from open back to the waiting list in the referrals' histories."""
    data = small_office_data(**{**WORKFORCE, "warmup_days": 0.0, "caps.count": 8})
    data["workforce"]["caseworkers"] = 12
    data["turnover"]["annual_rate"] = 3.0
    data["case_types"][0]["arrivals"]["rate_per_year"] = 1500.0
    model = CaseloadModel(sim.validate_scenario(data), seed=2, records=True, timeseries=True)
    out = model.run()
    summary, staff, records = out.summary, out.staff, out.records
    assert summary.quits == (staff.left_at.notna() & ~staff.agency).sum() > 3
    assert out.timeseries.quits.sum() == summary.quits  # days with two quits too
    assert out.timeseries.quits.max() >= 2
    assert summary.transfers == records.handoffs.sum() > 10
    moves = sum(
        (before, after) == (ReferralState.OPEN, ReferralState.WAITING)
        for referral in model.referrals
        for (_, before), (_, after) in itertools.pairwise(referral.history)
    )
    assert summary.returned_to_waiting == moves > 10


@pytest.mark.fast
def test_contacts_done_and_missed_are_those_the_records_fell_due():
    """Every recurring contact that fell due was made or missed (docs/outputs.md): with no
    first contact and no warm-up, the records' contacts due add up to contacts_done plus
    contacts_missed, in a busy office that misses some; the contacts made on time are the
    records' own, and every other contact made was late."""
    data = small_office_data(
        **{
            "warmup_days": 0.0,
            "horizon_days": 200.0,
            "workforce.caseworkers": 3,
            "case_types.0.contacts.hours": 4.0,
            "case_types.0.work_hours": 40.0,
        }
    )
    del data["case_types"][0]["first_contact"]
    scenario = sim.validate_scenario(data)
    out = sim.run_replication(scenario, 0, 3, records=True)
    s = out.summary
    assert s.contacts_missed > 50 and s.contacts_done > 50
    assert out.records.contacts_due.sum() == s.contacts_done + s.contacts_missed
    on_time = out.records.contacts_on_time.sum()
    assert s.contacts_on_time == on_time
    assert s.contacts_late == s.contacts_done - on_time > 10


@pytest.mark.fast
def test_the_work_of_nine_oclock_is_counted_from_the_working_days_start():
    """Contacts made and missed, signals caught and first contacts made at 09:00, the
    working day's first moment: counted in a window from 09:00 as in one from a moment
    before. For each, the first day from day 100 with such an event at 09:00 exactly."""
    data = small_office_data(
        **{
            "horizon_days": 200.0,
            "workforce.caseworkers": 3,
            "case_types.0.contacts.hours": 4.0,
            "case_types.0.work_hours": 40.0,
        }
    )
    scenario = sim.validate_scenario(data)
    figures = ("contacts_done", "contacts_missed", "caught", "first_contact_mean_days")

    def counts(time: float) -> dict[str, float]:
        return counts_from(scenario, time, 3, figures)

    before = {day: counts(day + NINE - JUST) for day in range(100, 115)}
    after = {day: counts(day + NINE + JUST) for day in range(100, 115)}
    for figure in before[100]:
        day = next(d for d in before if before[d][figure] != after[d][figure])
        assert counts(day + NINE)[figure] == before[day][figure], figure


HARM_OFFICES = {
    # name: (horizon, detection window, referrals a year, the error the band must see)
    "three thousand days": (3000.0, 14.0, 400.0, 0.10),
    "harms long after the window": (700.0, 150.0, 2000.0, 0.15),
}
"""Two offices for harms per subject: a long run, to see a figure 10% off; and a short one
whose harms come 150 days after their signals, where counting only the subjects whose risk
window (not their follow-up, the window plus the detection window) ends in the run would
miss the harms of their last signals, about 15% of them."""


@pytest.mark.fast
@pytest.mark.parametrize("office", HARM_OFFICES)
@pytest.mark.parametrize("seed", range(1, 6))
def test_harms_per_subject_is_the_signals_of_a_risk_window_when_none_is_caught(office, seed):
    """With no detection, no provider and no service, every signal becomes a harm, so the
    harms to a subject over its 200-day risk window are its signals: Poisson with the mean
    of its latent tier, signals_per_year * 200 / 365, mixed over the risk mix
    (docs/outputs.md: harms to subjects first referred in the window, over their whole risk
    window, per such subject). The mean over the n subjects the records show first referred
    in the window's days, with their follow-up ending in the run, holds the mixture's mean
    within a normal band of its exact variance, each of five seeds at level 0.001 (0.005
    together); the band is narrow enough that the office's error fails it (the power
    check)."""
    horizon, delay, rate, error_seen = HARM_OFFICES[office]
    data = small_office_data(
        **{
            "horizon_days": horizon,
            "risk.detection_probability": 0.0,
            "risk.detection_window_days": delay,
            "case_types.0.arrivals.rate_per_year": rate,
        }
    )
    scenario = sim.validate_scenario(data)
    out = sim.run_replication(scenario, 0, seed, records=True)
    assert out.summary.caught == 0

    window = 200.0
    mix = np.array([0.5, 0.3, 0.2])
    signals = np.array([0.5, 1.5, 4.0]) * window / 365.0
    mean = mix @ signals
    variance = mix @ (signals + signals**2) - mean**2  # a Poisson mixture's
    records = out.records
    first = records[~records.rereferral & ~records.follow_on & ~records.initial]
    day = np.floor(first.arrival)
    last = horizon - 1.0 - window - delay  # the last signal's harm comes inside the run
    subjects = int(((day >= scenario.warmup_days) & (day <= last)).sum())
    error = math.sqrt(variance / subjects)
    band = stats.norm.ppf(1 - 0.001 / 2) * error
    assert subjects > 1500
    assert abs(out.summary.harms_per_subject - mean) <= band
    # a figure off by the office's error falls outside the band with probability over 1/2
    # on each seed (over 96% on one of the five)
    assert stats.norm.sf((band - error_seen * mean) / error) > 0.5


@pytest.mark.fast
def test_closures_at_the_windows_first_moment_are_counted():
    """Cases of a fixed 30-day duration waiting at the start are assigned at 0 and close on
    schedule at 30 exactly, some (a worker makes one first contact a day) with their first
    contact, due at 30 too, never made: a window starting at 30 counts the closures and the
    first contacts missed as one starting a moment before does, and one starting a moment
    after does not."""
    data = small_office_data(
        **{
            "horizon_days": 90.0,
            "case_types.0.duration": {"distribution": "fixed", "value": 30.0},
            "case_types.0.closes_on_schedule": True,
            "case_types.0.first_contact": {
                "deadline_days": {"low": 30, "medium": 30, "high": 30},
                "hours": 7.0,
            },
            "workforce.caseworkers": 1,
            "caps.count": 40,
            "initial_state": {"waiting": 30},
        }
    )
    scenario = sim.validate_scenario(data)
    out = sim.run_replication(scenario, 0, 1, records=True)
    at_start = out.records[out.records.initial]
    assert (at_start.closed_at == 30.0).all() and len(at_start) == 30
    assert at_start.first_contact_at.isna().sum() >= 5
    figures = ("cases_closed", "case_duration_mean_days", "first_contact_within_deadline_share")
    before, at, after = (counts_from(scenario, t, 1, figures) for t in (30 - JUST, 30, 30 + JUST))
    assert at == before
    assert at["cases_closed"] == after["cases_closed"] + 30
    assert at["first_contact_within_deadline_share"] < after["first_contact_within_deadline_share"]


@pytest.mark.fast
def test_cases_sent_out_at_the_first_moment_are_counted():
    """With no warm-up the window starts at 0, when the initial caseload is placed: its
    waiting cases, with every caseworker full and overflow "external", are sent out then,
    and count. Every case sent out stays so: the records in that state are the count."""
    data = small_office_data(
        **{
            "warmup_days": 0.0,
            "horizon_days": 30.0,
            "caps.overflow": "external",
            "caps.external_cost_per_case": 800.0,
            "initial_state": {"open_cases_per_worker": 12, "waiting": 10},
        }
    )
    out = sim.run_replication(sim.validate_scenario(data), 0, 1, records=True)
    sent = out.records[out.records.state == "sent_out"]
    assert (sent.initial & (sent.arrival <= 0.0)).sum() == 10
    assert out.summary.sent_out == len(sent)


def test_absence_share_is_absent_days_over_working_days():
    """Strain held at 0, experienced staff: each day worked has all 7 hours, so the days
    worked are the hours available over 7."""
    data = small_office_data(
        **{
            "strain": {
                "rise_per_day": 0.0,
                "trauma_jump": 0.0,
                "absence_base": 0.1,
                "absence_at_burnout": 0.1,
            }
        }
    )
    s = sim.run_replication(sim.validate_scenario(data), 0, 1).summary
    worked = s.hours_available / 7.0
    assert s.absence_days > 0
    assert s.absence_share == pytest.approx(s.absence_days / (s.absence_days + worked))


@pytest.mark.parametrize("seed", range(1, 6))
def test_case_work_left_undone_is_the_closed_cases_own(seed):
    """Cases that close on schedule: the share closed with case work left, and its hours,
    read from the cases themselves."""
    data = small_office_data(
        **{
            "case_types.0.closes_on_schedule": True,
            "case_types.0.work_hours": 60.0,
            "workforce.caseworkers": 3,
            "caps.count": 30,
        }
    )
    scenario = sim.validate_scenario(data)
    model = sim.CaseloadModel(scenario, seed=seed, records=True)
    s = model.run().summary
    closed = [r for r in model.referrals if r.closed_at is not None]
    closed = [r for r in closed if r.closed_at >= scenario.warmup_days]
    left = np.array([r.work_total - r.work_done for r in closed])
    assert s.cases_closed == len(closed)
    assert 0 < s.cases_closed_work_undone_share < 1
    assert s.cases_closed_work_undone_share == pytest.approx(np.mean(left > 1e-9))
    assert s.casework_undone_hours == pytest.approx(left[left > 1e-9].sum())


# --------------------------------------------------------------------------- every definition

DEFINITIONS = {
    # figure: its definition over the other figures and the terms of TERMS (as
    # docs/outputs.md writes it, where the docs give a formula of figures)
    "screened_out_share": "screened_out / (screened_in + screened_out)",
    "contacts_due": "contacts_on_time + contacts_late + contacts_missed + contacts_overdue_at_end",
    "contacts_on_time_share": "contacts_on_time / contacts_due",
    "headcount_mean": "caseworker_days / window_days",
    "turnover_rate": "365 * quits / caseworker_days",
    "utilisation": "hours_worked / (hours_available + overtime_hours)",
    "demand_ratio": "hours_demanded / hours_available",
    "signals": "caught + missed",
    "missed": (
        "missed_screened_out + missed_waitlist + missed_no_contact + missed_not_detected"
        " + missed_sent_out + missed_after_closure"
    ),
    "missed_per_1000_referrals": "1000 * missed / referrals",
    "caught_share": "caught / (caught + missed)",
    "total_cost": (
        "salary_cost + overtime_cost + hiring_cost + agency_cost + external_cost + technology_cost"
        " + wellbeing_cost + retention_pay_cost + hiring_pipeline_cost + rebalancing_cost"
        " + sharing_cost"
    ),
    "cost_per_referral": "total_cost / referrals",
    "cost_per_harm_prevented": "total_cost / caught",
    "external_cost": "sent_out * external_cost_per_case",
    "prevented_share": "prevented / (prevented + caught + missed)",
}
AS_IN_THE_DOCS = {
    "screened_out_share",
    "contacts_on_time_share",
    "utilisation",
    "demand_ratio",
    "signals",
    "missed_per_1000_referrals",
    "caught_share",
    "total_cost",
    "cost_per_referral",
    "cost_per_harm_prevented",
    "external_cost",
    "prevented_share",
}
OUTCOME_SHARES = {
    "prevented_share",
    "service_dose_mean",
    "rereferred_6m_after_services",
    "rereferred_12m_after_services",
    "rereferred_6m_after_closure_without_services",
    "rereferred_12m_after_closure_without_services",
    "rereferred_6m_after_screen_out",
    "rereferred_12m_after_screen_out",
}
"""Shares of the outcome model, NaN in an office without service or whose follow-up
windows do not fit in the run."""

CHECKED_ABOVE = {
    # shares and rates checked against records, readings or cases earlier in this file
    "first_contact_within_deadline_share",
    "cases_closed_late_share",
    "cases_closed_work_undone_share",
    "worker_days_over_cap_share",
    "vacancy_rate",
    "burned_out_share",
    "absence_share",
    "agency_share",
    "vacancies_covered_share",
}
# the outcome model's but prevented_share: against the per-referral records, in
# tests/test_pathways.py (test_every_recurrence_share_and_the_mean_dose_are_their_...)
CHECKED_ABOVE |= OUTCOME_SHARES - {"prevented_share"}


def outputs_table() -> dict[str, str]:
    """Figure -> definition, from the tables of docs/outputs.md."""
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", text, flags=re.MULTILINE)
    return dict(rows)


def test_every_share_ratio_and_rate_has_a_checked_definition():
    derived = {f for f, meta in FIGURES.items() if meta["unit"] in ("share", "ratio", "per year")}
    derived |= {f for f, meta in FIGURES.items() if meta["unit"] == "per 1,000"}
    assert derived <= set(DEFINITIONS) | CHECKED_ABOVE, derived - set(DEFINITIONS) - CHECKED_ABOVE
    docs = outputs_table()
    assert set(FIGURES) == set(docs), set(FIGURES) ^ set(docs)
    for figure in AS_IN_THE_DOCS:
        assert f"`{DEFINITIONS[figure]}`" in docs[figure], (figure, docs[figure])


@pytest.mark.parametrize("seed", range(1, 4))
@pytest.mark.parametrize("changes", [STRAINED, COVERED], ids=["strained", "agency_cover"])
def test_every_share_and_rate_is_its_definition(changes, seed):
    scenario = sim.validate_scenario(small_office_data(**changes))
    out = sim.run_replication(scenario, 0, seed, timeseries=True)
    s = out.summary.as_dict()
    days = in_window(out.timeseries, scenario)
    terms = {
        "caseworker_days": float(days.headcount.sum()),
        "external_cost_per_case": scenario.caps.external_cost_per_case,
    }
    for figure, definition in DEFINITIONS.items():
        expected = eval(definition, {}, {**s, **terms})  # a formula of figures, written above
        assert s[figure] == pytest.approx(expected, rel=1e-9), (figure, definition)
    # a share is in [0, 1], or NaN where nothing it divides by happened (no service here)
    shares = {f: s[f] for f, meta in FIGURES.items() if meta["unit"] == "share"}
    assert all(0 <= v <= 1 for v in shares.values() if not math.isnan(v)), shares
    assert {f for f, v in shares.items() if math.isnan(v)} <= OUTCOME_SHARES, shares


@pytest.mark.fast
def test_an_office_with_no_referrals_has_no_offered_load():
    """Nothing arrives (one referral in a billion years): hours at work, no work due."""
    changes = {
        "case_types.0.arrivals.rate_per_year": 1e-9,
        "horizon_days": 30.0,
        "warmup_days": 0.0,
    }
    data = small_office_data(**changes)
    s = sim.run_replication(sim.validate_scenario(data), 0, 1).summary
    assert s.referrals == 0 and s.hours_available > 0
    assert s.hours_demanded == 0.0 and s.demand_ratio == 0.0 and s.backlog_hours_mean == 0.0


@pytest.mark.fast
def test_the_offered_load_of_first_contacts_is_counted_from_the_first_moment():
    """Only first contacts (2 hours each), every case assigned at once, no warm-up: the offered
    load is 2 hours for each case assigned before the last working day began (09:00 of day
    29; a case assigned later would be counted at the next working day)."""
    data = small_office_data(
        **{
            "horizon_days": 30.0,
            "warmup_days": 0.0,
            "intake.threshold": 0.0,
            "case_types.0.arrivals.rate_per_year": 5000.0,
            "case_types.0.work_hours": 0.0,
            "case_types.0.contacts": None,
            "case_types.0.first_contact": {"deadline_days": 1.0, "hours": 2.0},
            "caps.count": 50,
            "workforce.caseworkers": 10,
            "workforce.working_days_per_week": 7,
        }
    )
    out = sim.run_replication(sim.validate_scenario(data), 0, 4, records=True)
    assigned = out.records.assigned_at.dropna()
    assert (assigned < 0.375).any()  # some before the first working day began
    last_day_start = 29.0 + 9.0 / 24.0
    assert out.summary.hours_demanded == pytest.approx(2.0 * (assigned < last_day_start).sum())
