"""Arrivals: Poisson at a yearly rate, monthly seasonality, surge windows, complexity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import small_office_data
from scipy import stats

import sim
from sim.core.arrivals import MONTH_LENGTHS, MONTH_STARTS, ArrivalProcess, month_of
from sim.core.casetypes import build_profiles
from sim.core.randomness import RandomStreams


def arrival_times(data: dict, horizon: float, seed: int = 1, replication: int = 0) -> np.ndarray:
    scenario = sim.validate_scenario(dict(data, horizon_days=horizon, warmup_days=0.0))
    profile = build_profiles(scenario)[0]
    process = ArrivalProcess(profile, RandomStreams(seed, replication), horizon)
    batches = [batch.times for batch in process.batches()]
    return np.concatenate(batches) if batches else np.array([])


def poisson_interval(mean: float, level: float = 0.999) -> tuple[float, float]:
    return stats.poisson.interval(level, mean)


def test_yearly_rate():
    horizon = 3650.0
    times = arrival_times(small_office_data(), horizon)
    low, high = poisson_interval(400.0 * horizon / 365)
    assert low <= len(times) <= high
    assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < horizon


def test_interarrival_times_are_exponential():
    times = arrival_times(small_office_data(), 2000.0)
    gaps = np.diff(times)
    result = stats.kstest(gaps, "expon", args=(0, 365.0 / 400.0))
    assert result.pvalue > 0.001


SEASON = [1.4, 1.2, 1.0, 1.0, 0.9, 0.8, 0.6, 0.7, 1.1, 1.2, 1.1, 1.0]


def test_seasonality_shapes_months_and_keeps_the_yearly_rate():
    data = small_office_data(
        **{
            "case_types.0.arrivals.seasonality": SEASON,
            "case_types.0.arrivals.rate_per_year": 3000.0,
        }
    )
    years = 4
    times = arrival_times(data, 365.0 * years)
    low, high = poisson_interval(3000.0 * years)
    assert low <= len(times) <= high
    months = np.searchsorted(MONTH_STARTS, times % 365.0, side="right") - 1
    observed = np.bincount(months, minlength=12)
    weights = np.array(SEASON) * MONTH_LENGTHS
    expected = weights / weights.sum() * len(times)
    assert stats.chisquare(observed, expected).pvalue > 0.001
    # ... and the flat alternative is clearly rejected: the test has power.
    flat = MONTH_LENGTHS / 365.0 * len(times)
    assert stats.chisquare(observed, flat).pvalue < 1e-6


def test_surge_window_multiplies_the_rate_inside_only():
    surge = {"start_day": 100.0, "end_day": 200.0, "multiplier": 3.0}
    data = small_office_data(
        **{"case_types.0.arrivals.surges": [surge], "case_types.0.arrivals.rate_per_year": 1825.0}
    )  # 5 a day
    times = arrival_times(data, 300.0)
    inside = np.sum((times >= 100.0) & (times < 200.0))
    outside = len(times) - inside
    assert poisson_interval(15.0 * 100)[0] <= inside <= poisson_interval(15.0 * 100)[1]
    assert poisson_interval(5.0 * 200)[0] <= outside <= poisson_interval(5.0 * 200)[1]


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


def test_complexity_levels_have_their_shares_and_scale_case_work():
    data = small_office_data(
        **{
            "case_types.0.complexity": [
                {"name": "simple", "share": 0.6, "work_multiplier": 0.5},
                {"name": "complex", "share": 0.4, "work_multiplier": 2.5, "weight_multiplier": 2.0},
            ],
            "intake.threshold": 0.0,
        }
    )
    scenario = sim.validate_scenario(data)
    model = sim.CaseloadModel(scenario, seed=3, records=True)
    model.run()
    referrals = [r for r in model.referrals if not r.rereferral]
    complex_share = np.mean([r.complexity == 1 for r in referrals])
    n = len(referrals)
    half = stats.norm.ppf(0.9995) * np.sqrt(0.4 * 0.6 / n)
    assert abs(complex_share - 0.4) <= half
    for r in referrals:
        multiplier, weight = (0.5, 1.0) if r.complexity == 0 else (2.5, 2.0)
        assert r.work_total == pytest.approx(15.0 * multiplier)
        assert r.weight == pytest.approx(weight)


def test_arrivals_do_not_depend_on_the_horizon():
    """A longer run sees the same referrals at the start (segments are drawn in order)."""
    short = arrival_times(small_office_data(), 300.0)
    long = arrival_times(small_office_data(), 900.0)
    np.testing.assert_array_equal(short, long[: len(short)])
