"""Strain and burnout: the documented functional forms, and their effects in runs."""

from __future__ import annotations

import pytest
from conftest import FIRST_SEED_FAST, assert_same_runs, small_office_data
from scipy import stats
from statistics_checks import (
    ALPHA,
    POWER,
    SEEDS,
    binomial_power,
    binomial_region,
    mean_interval,
)

import sim
from sim.core.strain import NoStrain, StrainModel, strain_model
from sim.scenario import Strain


@pytest.fixture
def model() -> StrainModel:
    return StrainModel(Strain())


@pytest.mark.fast
def test_strain_moves_toward_the_pressure(model):
    # Pressure: the day's new work plus the backlog spread over catch_up_days (5), over hours.
    assert model.pressure(7.0, 0.0, 7.0) == pytest.approx(1.0)
    assert model.pressure(7.0, 35.0, 7.0) == pytest.approx(2.0)
    # Above the strain, up by rise_per_day (0.05) of the gap (times the supervision factor);
    # below it, down by recovery_per_day (0.03) of the gap; days off toward 0.
    assert model.after_working_day(0.5, 2.0, 1.0) == pytest.approx(0.5 + 0.05 * 1.5)
    assert model.after_working_day(0.5, 3.0, 1.5) == pytest.approx(0.5 + 0.05 * 2.5 * 1.5)
    assert model.after_working_day(0.5, 0.3, 1.0) == pytest.approx(0.5 - 0.03 * 0.2)
    assert model.after_working_day(0.5, 0.5, 1.0) == 0.5
    assert model.after_day_off(0.5) == pytest.approx(0.5 * 0.97)
    assert model.after_working_day(1.99, 50.0, 1.0) == 2.0  # max_strain
    assert model.after_harm(0.5) == pytest.approx(0.6)
    assert model.after_harm(1.95) == 2.0


@pytest.mark.fast
def test_strain_reaches_the_pressure_in_the_long_run(model):
    """Day after day at a constant pressure, strain settles at it: the fixed point of the
    update, whatever it started from (a smooth response to load, not a switch at 1)."""
    for pressure in (0.4, 0.9, 1.3):
        for start in (0.0, 1.9):
            strain = start
            for _ in range(2000):
                strain = model.after_working_day(strain, pressure, 1.0)
            assert strain == pytest.approx(pressure, rel=1e-6)


@pytest.mark.fast
def test_burnout_is_the_share_of_tolerances_below_the_strain(model):
    """Tolerances lognormal around burnout_threshold (1) with log-sd tolerance_spread (1):
    the share burned out at strain s is the lognormal's cdf at s (scipy's, not ours)."""
    tolerance = stats.lognorm(s=1.0, scale=1.0)
    for strain in (0.05, 0.5, 1.0, 1.7, 2.0):
        assert model.burned_out(strain) == pytest.approx(tolerance.cdf(strain), rel=1e-12)
        fresh = StrainModel(Strain())  # its first answer too, before it remembers any
        assert fresh.burned_out(strain) == pytest.approx(tolerance.cdf(strain), rel=1e-12)
    assert model.burned_out(0.0) == 0.0
    assert model.burned_out(1.0) == pytest.approx(0.5)
    wide = StrainModel(Strain(burnout_threshold=2.0, tolerance_spread=0.3))
    assert wide.burned_out(3.0) == pytest.approx(stats.lognorm(s=0.3, scale=2.0).cdf(3.0))


@pytest.mark.fast
def test_strain_effects_in_proportion_to_the_share_burned_out(model):
    b = stats.lognorm(s=1.0, scale=1.0).cdf
    assert model.hours_factor(0.0) == 1.0
    assert model.hours_factor(0.5) == pytest.approx(1 - 0.25 * b(0.5))
    assert model.hours_factor(2.0) == pytest.approx(1 - 0.25 * b(2.0))
    assert model.detection_factor(1.0) == pytest.approx(1 - 0.25 * 0.5)
    assert model.absence_probability(0.0) == pytest.approx(0.02)
    assert model.absence_probability(1.0) == pytest.approx(0.05)
    assert model.absence_probability(2.0) == pytest.approx(0.02 + 0.06 * b(2.0))
    assert model.quit_multiplier(0.0) == 1.0
    assert model.quit_multiplier(1.0) == pytest.approx(2.0)  # half at 3 times the hazard
    assert model.quit_multiplier(2.0) == pytest.approx(1 + 2 * b(2.0))
    strains = [0.1 * k for k in range(1, 21)]
    multipliers = [model.quit_multiplier(s) for s in strains]
    assert multipliers == sorted(multipliers) and multipliers[-1] < 3.0


@pytest.mark.fast
def test_no_strain_block_or_disabled_means_no_effects():
    for spec in (None, Strain(enabled=False)):
        off = strain_model(spec)
        assert isinstance(off, NoStrain) and not off.enabled
        assert off.after_working_day(0.0, 10.0, 2.0) == 0.0
        assert off.after_harm(0.0) == 0.0
        assert off.hours_factor(1.0) == off.detection_factor(1.0) == off.quit_multiplier(1.0) == 1
        assert off.absence_probability(1.0) == 0.0


def test_disabled_strain_block_gives_the_same_run_as_none():
    plain = sim.validate_scenario(small_office_data(**{"turnover": {"annual_rate": 0.5}}))
    disabled = sim.validate_scenario(
        small_office_data(**{"turnover": {"annual_rate": 0.5}, "strain": {"enabled": False}})
    )
    assert_same_runs(plain, disabled)


@pytest.mark.parametrize("seed", FIRST_SEED_FAST)
def test_absence_rate_is_the_base_rate_for_rested_workers(seed):
    """With strain held at 0 (no rise, no trauma), each working day of each caseworker is
    lost with probability absence_base: the absences are a binomial count over the
    working days (those worked, 7 hours each, and those lost). An absence rate 20% off
    (0.06) would fail the check."""
    data = small_office_data(
        **{
            "horizon_days": 800.0,
            "workforce.caseworkers": 20,
            "strain": {"rise_per_day": 0.0, "trauma_jump": 0.0, "absence_base": 0.05},
        }
    )
    summary = sim.run_replication(sim.validate_scenario(data), 0, seed).summary
    days = summary.absence_days + round(summary.hours_available / 7.0)
    low, high = binomial_region(days, 0.05)
    assert low <= summary.absence_days <= high, (summary.absence_days, days)
    assert binomial_power(days, 0.05, 0.06) >= POWER
    assert summary.strain_mean == 0 and summary.burned_out_share == 0


def overloaded(strain: dict | None, **changes) -> sim.Scenario:
    data = small_office_data(**{"workforce.caseworkers": 3, "caps.overflow": "over_cap", **changes})
    if strain is not None:
        data["strain"] = strain
    return sim.validate_scenario(data)


def paired_lower_bound(on: sim.Scenario, off: sim.Scenario, figure: str, seed: int, n: int):
    """The one-sided lower confidence bound (level ALPHA) of ``on - off``, paired by
    replication (common random numbers)."""
    a = sim.run(on, replications=n, seed=seed).replications[figure]
    b = sim.run(off, replications=n, seed=seed).replications[figure]
    return mean_interval(a - b, 2 * ALPHA)[0]


@pytest.mark.fast
def test_overload_builds_strain_and_burnout():
    summary = sim.run_replication(overloaded({}), 0, 3).summary
    assert summary.strain_mean > 0.5
    assert summary.burned_out_share > 0.2
    assert summary.absence_days > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_strain_lowers_detection(seed):
    """Only the detection effect on: more signals missed in contact (8 replications a
    seed: t of 7 to 16 against a critical 4)."""
    only_detection = {
        "productivity_loss": 0.0,
        "absence_base": 0.0,
        "absence_at_burnout": 0.0,
        "quit_multiplier_at_burnout": 1.0,
        "detection_loss": 0.5,
    }
    low = paired_lower_bound(
        overloaded(only_detection), overloaded(None), "missed_not_detected", seed, 8
    )
    assert low > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_strain_lowers_productivity(seed):
    """Only the hours effect on: fewer hours, more overdue work (6 replications a seed)."""
    only_hours = {
        "detection_loss": 0.0,
        "absence_base": 0.0,
        "absence_at_burnout": 0.0,
        "quit_multiplier_at_burnout": 1.0,
        "productivity_loss": 0.5,
    }
    on = sim.run(overloaded(only_hours), replications=6, seed=seed).replications
    off = sim.run(overloaded(None), replications=6, seed=seed).replications
    assert (on.hours_available < off.hours_available).all()
    assert mean_interval(on.backlog_hours_mean - off.backlog_hours_mean, 2 * ALPHA)[0] > 0


@pytest.mark.fast
def test_secondary_trauma_raises_strain_without_overload():
    """A well-staffed office with no rise from pressure: strain comes only from harms."""
    base = {"rise_per_day": 0.0, "trauma_jump": 0.0}
    trauma = {"rise_per_day": 0.0, "trauma_jump": 0.3}
    calm = sim.run_replication(overloaded(base, **{"workforce.caseworkers": 8}), 0, 2).summary
    hurt = sim.run_replication(overloaded(trauma, **{"workforce.caseworkers": 8}), 0, 2).summary
    assert calm.strain_mean == 0.0
    assert hurt.strain_mean > 0.0
