"""Feedback policies: adaptive gatekeeping and scandal response.

Each is compared with the same scenario without the policy, on the same seed:
ordinary referrals, latent risk and signal times are then identical, so the
differences are the policy's.
"""

from __future__ import annotations

import pytest
from conftest import assert_same_runs, small_office_data

import sim
from sim.analysis import confidence_interval

SURGE = {"start_day": 150.0, "end_day": 300.0, "multiplier": 2.0}
GATEKEEPING = {
    "trigger_caseload": 10.0,
    "release_caseload": 8.0,
    "step": 0.1,
    "persistence_days": 10,
}
SCANDAL = {
    "publicity_probability": 0.05,
    "threshold_drop": 0.3,
    "surge_multiplier": 1.5,
    "duration_days": 120.0,
}


def office(policies: dict | None = None, **changes) -> sim.Scenario:
    data = small_office_data(
        **{
            "horizon_days": 500.0,
            "warmup_days": 0.0,
            "case_types.0.arrivals.surges": [SURGE],
            **changes,
        }
    )
    if policies is not None:
        data["policies"] = policies
    return sim.validate_scenario(data)


@pytest.fixture(scope="module")
def without_policy() -> sim.RunResult:
    return sim.run(office(), replications=6, seed=2, timeseries=True)


@pytest.fixture(scope="module")
def gatekeeping() -> sim.RunResult:
    return sim.run(office({"gatekeeping": GATEKEEPING}), replications=6, seed=2, timeseries=True)


def test_gatekeeping_raises_the_threshold_in_a_surge(gatekeeping):
    series = gatekeeping.timeseries
    before = series[series.day < 150]
    surge = series[(series.day >= 150) & (series.day < 300)]
    assert (before.threshold == 0.4).all(), "caseloads stay low before the surge"
    raised = surge.groupby("replication").threshold.max()
    assert (raised > 0.4).all()
    assert surge.threshold.max() <= 0.9 + 1e-12  # max_threshold
    # Caseloads are above the trigger while the threshold climbs.
    climbing = surge[surge.threshold.diff() > 0]
    assert (climbing.caseload_mean > 10.0).all()


def test_gatekeeping_trades_caseload_for_screened_out_harm(gatekeeping, without_policy):
    on, off = gatekeeping.replications, without_policy.replications
    _, low, _ = confidence_interval(on.missed_screened_out - off.missed_screened_out)
    assert low > 0
    _, _, high = confidence_interval(on.caseload_mean - off.caseload_mean)
    assert high < 0
    assert (on.threshold_mean > off.threshold_mean).all()


def test_gatekeeping_releases_after_the_surge(gatekeeping):
    series = gatekeeping.timeseries
    last = series[series.day == series.day.max()]
    peak = series.groupby("replication").threshold.max()
    assert (last.set_index("replication").threshold < peak).all()


@pytest.fixture(scope="module")
def scandal() -> sim.RunResult:
    return sim.run(
        office({"scandal": SCANDAL}), replications=6, seed=2, timeseries=True, records=True
    )


@pytest.fixture(scope="module")
def baseline_records() -> sim.RunResult:
    return sim.run(office(), replications=6, seed=2, records=True)


def test_a_public_harm_lowers_the_threshold(scandal):
    series = scandal.timeseries
    assert series.scandals.sum() > 0
    for _, run in series.groupby("replication"):
        if not run.scandals.any():
            continue
        first = int(run.day[run.scandals > 0].iloc[0])
        assert (run.threshold[run.day < first] == 0.4).all()
        after = run[(run.day > first) & (run.day < first + 120)]
        assert after.threshold.to_numpy() == pytest.approx(0.1)


def test_a_public_harm_brings_more_referrals(scandal, baseline_records):
    """First reports in the 120 days after the first scandal, against the same days
    without the policy: the ordinary stream is the same, the surge is extra."""
    series, records = scandal.timeseries, scandal.records
    baseline = baseline_records.records
    ratios = []
    for replication, run in series.groupby("replication"):
        if not run.scandals.any():
            continue
        start = float(run.day[run.scandals > 0].iloc[0]) + 1.0
        end = min(start + 120.0, 500.0)

        def first_reports(table, start=start, end=end, replication=replication):
            mine = table[(table.replication == replication) & ~table.rereferral & ~table.initial]
            return int(mine.arrival.between(start, end, inclusive="left").sum())

        with_scandal, without = first_reports(records), first_reports(baseline)
        assert with_scandal > without
        ratios.append(with_scandal / without)
    assert len(ratios) >= 3
    # The surge multiplies the rate by 1.5 for as long as scandals keep coming.
    mean, low, high = confidence_interval(ratios, 0.99)
    assert low <= 1.5 <= high, (mean, low, high)


def test_scandals_are_counted_in_the_summary(scandal):
    per_replication = scandal.timeseries.groupby("replication").scandals.sum()
    assert (per_replication.to_numpy() == scandal.replications.scandals.to_numpy()).all()


@pytest.mark.parametrize(
    "policies",
    [
        {"gatekeeping": {**GATEKEEPING, "enabled": False}},
        {"scandal": {**SCANDAL, "enabled": False}},
        {"gatekeeping": {**GATEKEEPING, "trigger_caseload": 1000.0, "release_caseload": 0.0}},
        {"scandal": {**SCANDAL, "publicity_probability": 0.0}},
        {},
    ],
    ids=["gatekeeping_off", "scandal_off", "never_triggered", "never_public", "empty_block"],
)
def test_policy_off_is_identical_to_no_policy_block(policies):
    assert_same_runs(office(policies), office())
