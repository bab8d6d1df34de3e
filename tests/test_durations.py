"""Case durations: each distribution a scenario can configure against scipy's.

A case's minimum duration is drawn from its type's distribution
(``sim/scenario/distributions.py``). Each is checked on many draws against scipy's
distribution of the same mean and spread (Kolmogorov-Smirnov), on its mean (the t
interval) and its variance (a z statistic from the fourth moment), and a run's case
durations against the configured lognormal. Statistical checks follow
tests/statistics_checks.py: five seeds, level ALPHA per seed, and power against an
effect of the size that matters.

The fast layer runs every check of the sampler and the first seed of the run; the power
of the sampler's check (a property of the test, not of the code) and the run's other
seeds are in the full suite.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import FIRST_SEED_FAST, small_office_data
from pydantic import ValidationError
from scipy import stats
from statistics_checks import ALPHA, POWER, SEEDS, mean_interval

import sim
from sim.scenario.distributions import Exponential, Fixed, Gamma, LogNormal, Triangular, Uniform

DISTRIBUTIONS = {
    # the configured distribution, scipy's of the same mean and spread, and an alternative
    # off by the size that matters (the spread 20% too high with the mean kept; a mean or
    # a width 10% off for the one-parameter shapes)
    "exponential": (
        Exponential(distribution="exponential", mean=20.0),
        stats.expon(scale=20.0),
        Exponential(distribution="exponential", mean=22.0),
    ),
    "lognormal": (
        LogNormal(distribution="lognormal", mean=60.0, sd=30.0),
        stats.lognorm(
            s=math.sqrt(math.log1p(0.25)), scale=60.0 / math.sqrt(1.25)
        ),  # median = mean / sqrt(1 + cv^2)
        LogNormal(distribution="lognormal", mean=60.0, sd=36.0),
    ),
    "gamma": (  # shape (mean / sd)^2 = 6.25 (a shape of 4 = 2 * 2 hid a slip)
        Gamma(distribution="gamma", mean=60.0, sd=24.0),
        stats.gamma(a=6.25, scale=9.6),
        Gamma(distribution="gamma", mean=60.0, sd=28.8),
    ),
    "uniform": (
        Uniform(distribution="uniform", low=10.0, high=50.0),
        stats.uniform(loc=10.0, scale=40.0),
        Uniform(distribution="uniform", low=12.0, high=48.0),
    ),
    "triangular": (
        Triangular(distribution="triangular", low=5.0, mode=20.0, high=80.0),
        stats.triang(c=0.2, loc=5.0, scale=75.0),
        Triangular(distribution="triangular", low=5.0, mode=20.0, high=72.5),
    ),
}
DRAWS = 20_000


def ks_rejects(draws: np.ndarray, reference, alpha: float) -> bool:
    return stats.kstest(draws, reference.cdf).pvalue < alpha


def variance_z(draws: np.ndarray, reference) -> float:
    """``(s^2 - sigma^2) / se``, the standard error from the fourth moment."""
    sigma2 = reference.var()
    mu4 = (reference.stats(moments="k") + 3.0) * sigma2**2
    return (draws.var(ddof=1) - sigma2) / math.sqrt((mu4 - sigma2**2) / draws.size)


@pytest.mark.fast
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_durations_have_scipys_distribution_mean_and_spread(name, seed):
    configured, reference, _ = DISTRIBUTIONS[name]
    # The reference is the right one: scipy's mean and sd are the configured ones.
    spread = getattr(configured, "sd", None)
    assert reference.mean() == pytest.approx(configured.mean, rel=1e-12)
    if spread is not None:
        assert reference.std() == pytest.approx(spread, rel=1e-12)
    draws = configured.sample(np.random.default_rng(seed), DRAWS)
    alpha = ALPHA / 3  # three checks
    assert not ks_rejects(draws, reference, alpha)
    low, high = mean_interval(draws, alpha)
    assert low <= reference.mean() <= high
    assert abs(variance_z(draws, reference)) < stats.norm.isf(alpha / 2)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_the_duration_check_has_power(name):
    """Draws from the alternative (spread or mean off by the size that matters) fail the
    Kolmogorov-Smirnov check on at least 90% of 20 seeds."""
    _, reference, alternative = DISTRIBUTIONS[name]
    rejected = [
        ks_rejects(alternative.sample(np.random.default_rng(100 + i), DRAWS), reference, ALPHA / 3)
        for i in range(20)
    ]
    assert np.mean(rejected) >= POWER


@pytest.mark.fast
@pytest.mark.parametrize("kind", [LogNormal, Gamma])
def test_a_spread_whose_parameter_overflows_is_refused(kind):
    name = kind.__name__.lower()
    with pytest.raises(ValidationError, match=r"a parameter overflows\), got sd=1e\+10"):
        kind(distribution=name, mean=1e-300, sd=1e10)
    assert kind(distribution=name, mean=1.0, sd=50.0).mean == 1.0


@pytest.mark.fast
def test_fixed_durations_are_the_value():
    fixed = Fixed(distribution="fixed", value=12.5)
    assert fixed.mean == 12.5
    assert (fixed.sample(np.random.default_rng(1), 50) == 12.5).all()


@pytest.mark.parametrize("seed", FIRST_SEED_FAST)
def test_a_runs_case_durations_are_the_configured_lognormal(seed):
    """With no work to hold them open, cases close exactly one drawn duration after
    assignment: those assigned early enough that none is cut off by the horizon."""
    data = small_office_data(
        **{
            "horizon_days": 500.0,
            "warmup_days": 0.0,
            "intake.threshold": 0.0,
            "case_types.0.arrivals.rate_per_year": 2000.0,
            "case_types.0.duration": {"distribution": "lognormal", "mean": 20.0, "sd": 15.0},
            "case_types.0.work_hours": 0.0,
            "case_types.0.first_contact": None,
            "case_types.0.contacts": None,
            "caps.count": 1000,
            "workforce.caseworkers": 2,
        }
    )
    out = sim.run_replication(sim.validate_scenario(data), 0, seed, records=True)
    r = out.records[out.records.assigned_at < 300.0]  # P(duration > 200) < 1e-4
    durations = (r.closed_at - r.assigned_at).to_numpy()
    assert not np.isnan(durations).any() and len(durations) > 1500
    reference = stats.lognorm(s=math.sqrt(math.log1p(0.5625)), scale=20.0 / math.sqrt(1.5625))
    assert reference.std() == pytest.approx(15.0)
    assert not ks_rejects(durations, reference, ALPHA / 2)
    low, high = mean_interval(durations, ALPHA / 2)
    assert low <= 20.0 <= high
    # An sd 20% too high (the mean kept) would fail the KS check on this many cases.
    wrong = LogNormal(distribution="lognormal", mean=20.0, sd=18.0)
    rejected = [
        ks_rejects(wrong.sample(np.random.default_rng(i), len(durations)), reference, ALPHA / 2)
        for i in range(20)
    ]
    assert np.mean(rejected) >= POWER
