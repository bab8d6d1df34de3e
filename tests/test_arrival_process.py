"""Arrivals: Poisson at a yearly rate, monthly seasonality, surge windows, complexity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import small_office_data
from scipy import stats
from statistics_checks import (
    ALPHA,
    POWER,
    SEEDS,
    binomial_power,
    binomial_region,
    exponential_fit,
    poisson_power,
    poisson_region,
)

import sim
from sim.core.arrivals import (
    MONTH_LENGTHS,
    MONTH_STARTS,
    ArrivalProcess,
    AttributeSampler,
    month_of,
)
from sim.core.casetypes import build_profiles
from sim.core.randomness import Purpose, RandomStreams

pytestmark = pytest.mark.fast


def arrival_times(data: dict, horizon: float, seed: int = 1, replication: int = 0) -> np.ndarray:
    scenario = sim.validate_scenario(dict(data, horizon_days=horizon, warmup_days=0.0))
    profile = build_profiles(scenario)[0]
    process = ArrivalProcess(profile, RandomStreams(seed, replication), horizon)
    batches = [batch.times for batch in process.batches()]
    return np.concatenate(batches) if batches else np.array([])


@pytest.mark.parametrize("seed", SEEDS)
def test_yearly_rate(seed):
    """Ten years at 400 a year: a Poisson count of mean 4,000; a rate 10% off would fail."""
    horizon = 3650.0
    times = arrival_times(small_office_data(), horizon, seed)
    expected = 400.0 * horizon / 365
    low, high = poisson_region(expected)
    assert low <= len(times) <= high
    assert poisson_power(expected, 1.1 * expected) >= POWER
    assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < horizon


@pytest.mark.parametrize("seed", SEEDS)
def test_interarrival_times_are_exponential(seed):
    """Twenty years of gaps against the exponential of mean 365 / 400 days
    (Kolmogorov-Smirnov); gaps 10% longer on average would fail on 90% of draws."""
    gaps = np.diff(arrival_times(small_office_data(), 7300.0, seed))
    pvalue, power = exponential_fit(gaps, 365.0 / 400.0, 1.1, seed)
    assert pvalue > ALPHA and power >= POWER


SEASON = [1.4, 1.2, 1.0, 1.0, 0.9, 0.8, 0.6, 0.7, 1.1, 1.2, 1.1, 1.0]


@pytest.mark.parametrize("seed", SEEDS)
def test_seasonality_shapes_months_and_keeps_the_yearly_rate(seed):
    data = small_office_data(
        **{
            "case_types.0.arrivals.seasonality": SEASON,
            "case_types.0.arrivals.rate_per_year": 3000.0,
        }
    )
    years = 4
    times = arrival_times(data, 365.0 * years, seed)
    low, high = poisson_region(3000.0 * years, ALPHA / 2)
    assert low <= len(times) <= high
    months = np.searchsorted(MONTH_STARTS, times % 365.0, side="right") - 1
    observed = np.bincount(months, minlength=12)
    weights = np.array(SEASON) * MONTH_LENGTHS
    expected = weights / weights.sum() * len(times)
    assert stats.chisquare(observed, expected).pvalue > ALPHA / 2
    # ... and the flat alternative is clearly rejected: the test has power.
    flat = MONTH_LENGTHS / 365.0 * len(times)
    assert stats.chisquare(observed, flat).pvalue < 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_surge_window_multiplies_the_rate_inside_only(seed):
    """Ten a day, three times that in the surge: Poisson counts inside and outside; a
    multiplier 10% off (2.7) would fail the check."""
    surge = {"start_day": 100.0, "end_day": 200.0, "multiplier": 3.0}
    data = small_office_data(
        **{"case_types.0.arrivals.surges": [surge], "case_types.0.arrivals.rate_per_year": 3650.0}
    )
    times = arrival_times(data, 300.0, seed)
    inside = np.sum((times >= 100.0) & (times < 200.0))
    outside = len(times) - inside
    low, high = poisson_region(30.0 * 100, ALPHA / 2)
    assert low <= inside <= high
    low, high = poisson_region(10.0 * 200, ALPHA / 2)
    assert low <= outside <= high
    assert poisson_power(30.0 * 100, 27.0 * 100, ALPHA / 2) >= POWER


def test_rate_function_and_segments():
    data = small_office_data(
        **{
            "case_types.0.arrivals.seasonality": SEASON,
            "case_types.0.arrivals.surges": [
                {"start_day": 40.0, "end_day": 45.5, "multiplier": 2.0}
            ],
        }
    )
    scenario = sim.validate_scenario(data)
    process = ArrivalProcess(build_profiles(scenario)[0], RandomStreams(1), 400.0)
    norm = float(np.dot(SEASON, MONTH_LENGTHS)) / 365.0
    assert process.rate_per_day(10.0) == pytest.approx(400 / 365 * SEASON[0] / norm)
    assert process.rate_per_day(42.0) == pytest.approx(400 / 365 * SEASON[1] / norm * 2)
    assert process.rate_per_day(365.0 + 200.0) == pytest.approx(400 / 365 * SEASON[6] / norm)
    segments = process.segments()
    assert segments[0][0] == 0.0 and segments[-1][1] == 365.0 + 59.0  # 1 March, year 2
    assert all(a < b for a, b, _ in segments)
    assert all(b1 == a2 for (_, b1, _), (a2, _, _) in itertools.pairwise(segments))
    assert {40.0, 45.5} <= {a for a, _, _ in segments}
    assert month_of(0) == 0 and month_of(31) == 1 and month_of(364) == 11 and month_of(365) == 0


COMPLEXITY = small_office_data(
    **{
        "case_types.0.complexity": [
            {"name": "simple", "share": 0.6, "work_multiplier": 0.5},
            {"name": "complex", "share": 0.4, "work_multiplier": 2.5, "weight_multiplier": 2.0},
        ],
        "intake.threshold": 0.0,
    }
)


@pytest.mark.parametrize("seed", SEEDS)
def test_complexity_levels_have_their_shares(seed):
    """40,000 referrals' levels: a binomial count at 0.4; a share of 0.42 would fail."""
    profile = build_profiles(sim.validate_scenario(COMPLEXITY))[0]
    draws = AttributeSampler(profile, RandomStreams(seed), Purpose.ARRIVALS).draw(np.zeros(40_000))
    low, high = binomial_region(len(draws), 0.4)
    assert low <= int(np.sum(draws.complexity == 1)) <= high
    assert binomial_power(len(draws), 0.4, 0.42) >= POWER


def test_complexity_levels_scale_case_work_and_weight():
    scenario = sim.validate_scenario(COMPLEXITY)
    model = sim.CaseloadModel(scenario, seed=3, records=True)
    model.run()
    referrals = [r for r in model.referrals if not r.rereferral]
    assert {r.complexity for r in referrals} == {0, 1}
    for r in referrals:
        multiplier, weight = (0.5, 1.0) if r.complexity == 0 else (2.5, 2.0)
        assert r.work_total == pytest.approx(15.0 * multiplier)
        assert r.weight == pytest.approx(weight)


def test_arrivals_do_not_depend_on_the_horizon():
    """A longer run sees the same referrals at the start (segments are drawn in order)."""
    short = arrival_times(small_office_data(), 300.0)
    long = arrival_times(small_office_data(), 900.0)
    np.testing.assert_array_equal(short, long[: len(short)])
