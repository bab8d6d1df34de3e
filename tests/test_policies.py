"""Feedback policies: adaptive gatekeeping and scandal response.

Each is compared with the same scenario without the policy, on the same seed:
ordinary referrals, latent risk and signal times are then identical, so the
differences are the policy's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIRST_SEED_FAST, assert_same_results, small_office_data
from statistics_checks import ALPHA, POWER, SEEDS, mean_interval, poisson_power, poisson_region

import sim
from sim.core.model import CaseloadModel

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
def gatekeeping() -> sim.RunResult:
    return sim.run(office({"gatekeeping": GATEKEEPING}), replications=6, seed=2, timeseries=True)


@pytest.mark.fast
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


@pytest.mark.parametrize("seed", SEEDS)
def test_gatekeeping_trades_caseload_for_screened_out_harm(seed):
    """Paired over six replications a seed, one-sided bounds at level ALPHA."""
    on = sim.run(office({"gatekeeping": GATEKEEPING}), replications=6, seed=seed).replications
    off = sim.run(office(), replications=6, seed=seed).replications
    low, _ = mean_interval(on.missed_screened_out - off.missed_screened_out, 2 * ALPHA)
    assert low > 0
    _, high = mean_interval(on.caseload_mean - off.caseload_mean, 2 * ALPHA)
    assert high < 0
    assert (on.threshold_mean > off.threshold_mean).all()


@pytest.mark.fast
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


@pytest.mark.fast
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


def surge_days(series: pd.DataFrame, duration: float) -> list[int]:
    """Days wholly inside a scandal's surge: a scandal on day ``d`` (at a time in
    ``(d, d + 1)``) keeps it going through days ``d + 1`` to ``d + duration``."""
    days: set[int] = set()
    for day in series.day[series.scandals > 0]:
        days.update(range(int(day) + 1, int(day) + int(duration) + 1))
    return sorted(d for d in days if d <= series.day.max())


def first_report_arrivals(records: pd.DataFrame, replication: int, surge: bool) -> np.ndarray:
    mine = records[(records.replication == replication) & ~records.rereferral & ~records.initial]
    return np.sort(mine[mine.surge == surge].arrival.to_numpy())


@pytest.mark.parametrize("seed", FIRST_SEED_FAST)
def test_a_public_harm_brings_extra_referrals_at_the_surge_rate(seed):
    """While a scandal lasts, referrals arrive at 1.5 times their rate: the ordinary stream
    is the same as without the policy (common random numbers) and the surge adds a Poisson
    stream at 0.5 times the rate (doubled by the arrivals' own surge on days 150-300).
    Counted on the days wholly inside a scandal, the extra referrals are Poisson with that
    mean; a surge 20% short of it (multiplier 1.4) would fail the check."""
    with_policy = sim.run(
        office({"scandal": SCANDAL}), replications=3, seed=seed, timeseries=True, records=True
    )
    without = sim.run(office(), replications=3, seed=seed, records=True)
    extra, rate_days = 0, 0.0
    for replication, series in with_policy.timeseries.groupby("replication"):
        ordinary = first_report_arrivals(with_policy.records, replication, surge=False)
        np.testing.assert_array_equal(
            ordinary, first_report_arrivals(without.records, replication, surge=False)
        )
        surge = first_report_arrivals(with_policy.records, replication, surge=True)
        for day in surge_days(series, SCANDAL["duration_days"]):
            extra += int(np.sum((surge >= day) & (surge < day + 1)))
            rate_days += 400.0 / 365.0 * (2.0 if 150 <= day < 300 else 1.0)
    expected = (SCANDAL["surge_multiplier"] - 1.0) * rate_days
    assert expected > 100, "the scandals must last long enough to count"
    low, high = poisson_region(expected)
    assert low <= extra <= high, (extra, expected)
    assert poisson_power(expected, expected * 0.4 / 0.5) >= POWER


HIGH = 2
"""The index of the high-risk tier, the one whose harm can become public."""


def surge_of_a_scandal_at(
    start: float, duration: float, seed: int, **changes
) -> dict[str, np.ndarray]:
    """The arrival times of the surge referrals of each case type in one scandal made
    public by hand at ``start`` and lasting ``duration`` days (surge multiplier 3), in an
    office of 100 referrals a day (changed by ``changes``) where high-risk families have no
    harmful events, so that no harm of the run's own starts another."""
    scandal = {**SCANDAL, "publicity_probability": 1.0, "surge_multiplier": 3.0}
    scenario = office(
        {"scandal": {**scandal, "duration_days": duration}},
        **{
            "risk.tiers.2.signals_per_year": 0.0,
            "case_types.0.arrivals.surges": [],
            "case_types.0.arrivals.rate_per_year": 36500.0,
            "caps.count": 1000,
            **changes,
        },
    )
    model = CaseloadModel(scenario, seed=seed, records=True)
    model.env.run(until=start)
    model.intake.harm(HIGH)
    model.run(until=start + duration + 1.0)
    assert model.intake.policy.scandals == 1
    return {
        profile.name: np.sort(
            [r.arrival for r in model.referrals if r.surge and r.profile is profile]
        )
        for profile in model.intake.profiles
    }


@pytest.mark.parametrize("seed", FIRST_SEED_FAST)
def test_a_surge_lasts_as_long_as_its_scandal_even_part_of_a_day(seed):
    """A scandal from day 2.5 to day 2.8: extra referrals arrive then and only then, at
    twice the rate of 100 a day, so Poisson with mean 60 (drawn for the piece of the day,
    not for a whole day); a surge that ran to the day's end (mean 100) would fail the
    count."""
    arrivals = surge_of_a_scandal_at(2.5, 0.3, seed)["family"]
    assert ((arrivals >= 2.5) & (arrivals < 2.8)).all(), arrivals
    expected = 2.0 * 100.0 * 0.3
    low, high = poisson_region(expected)
    assert low <= len(arrivals) <= high, (len(arrivals), expected)
    assert poisson_power(expected, 100.0) >= POWER


SEASONS = [0.1, 10.0] + [1.0] * 10
"""A tenth of the yearly mean rate in January, ten times it in February."""


@pytest.mark.parametrize("seed", FIRST_SEED_FAST)
def test_a_surge_follows_the_seasonal_rate_day_by_day(seed):
    """At 3,650 referrals a year, January brings 0.62 a day and February 62. A scandal
    from the last morning of January (day 30.5) to day 33: the surge is drawn a day at a
    time at each day's rate, so on February's first two days (31 and 32) it is Poisson
    with mean 2 x 2 x 62 = 248; drawn at January's rate into February (a piece of two
    days from day 30.5) it would be half that or less."""
    arrivals = surge_of_a_scandal_at(
        30.5,
        2.5,
        seed,
        **{
            "case_types.0.arrivals.rate_per_year": 3650.0,
            "case_types.0.arrivals.seasonality": SEASONS,
        },
    )["family"]
    february_rate = 3650.0 * 10.0 / (0.1 * 31 + 10.0 * 28 + 1.0 * 306)
    expected = 2.0 * 2.0 * february_rate
    in_february = int(np.sum((arrivals >= 31.0) & (arrivals < 33.0)))
    low, high = poisson_region(expected)
    assert low <= in_february <= high, (in_february, expected)
    assert poisson_power(expected, expected / 2) >= POWER


@pytest.mark.fast
def test_the_surges_of_two_case_types_are_drawn_apart():
    """Two case types with the same rate: each surge has its own stream, so no surge
    referral of one arrives at the moment of one of the other's."""
    family = {**small_office_data()["case_types"][0], "arrivals": {"rate_per_year": 36500.0}}
    arrivals = surge_of_a_scandal_at(
        2.0, 1.0, SEEDS[0], case_types=[family, {**family, "name": "other"}]
    )
    assert all(len(times) > 100 for times in arrivals.values())
    assert not set(arrivals["family"]) & set(arrivals["other"])


@pytest.mark.fast
def test_scandals_are_counted_in_the_summary(scandal):
    per_replication = scandal.timeseries.groupby("replication").scandals.sum()
    assert (per_replication.to_numpy() == scandal.replications.scandals.to_numpy()).all()


@pytest.fixture(scope="module")
def without_policies() -> sim.RunResult:
    return sim.run(office(), replications=2, seed=1, timeseries=True)


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
@pytest.mark.fast
def test_policy_off_is_identical_to_no_policy_block(policies, without_policies):
    with_block = sim.run(office(policies), replications=2, seed=1, timeseries=True)
    assert_same_results(with_block, without_policies)
