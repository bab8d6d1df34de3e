"""The statistical conventions of the test suite: seeds, levels, acceptance regions and power.

A statistical test compares what a run produced with a known value (an exact count
distribution, a theoretical mean) or asserts that an effect exists. To keep such a test
from passing by luck, or failing by it:

- it runs on every seed of :data:`SEEDS` (parametrised, one test per seed);
- on each seed it rejects at level :data:`ALPHA` (0.01 over the five seeds, Bonferroni),
  divided further by the number of checks it makes on that seed;
- it shows power: the same check, on the same number of observations, rejects an effect
  of the size that matters with probability at least :data:`POWER` (computed exactly from
  the distribution under the alternative, or by drawing from it), on each seed or, where
  replications are costly, over its five seeds together (:data:`SEED_POWER` each).

Plain Python and scipy, no test framework, so the helpers can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = [
    "ALPHA",
    "POWER",
    "SEEDS",
    "SEED_POWER",
    "binomial_power",
    "binomial_region",
    "exponential_fit",
    "mean_interval",
    "poisson_power",
    "poisson_region",
    "t_power",
]

SEEDS = (1, 2, 3, 4, 5)
"""Every statistical test holds on each of these seeds."""
ALPHA = 0.01 / len(SEEDS)
"""False-alarm level of one seed's check (a test's five seeds together: 0.01)."""
POWER = 0.9
"""Least chance that a test (over its seeds) detects an effect of the size that matters."""
SEED_POWER = 1.0 - (1.0 - POWER) ** (1.0 / len(SEEDS))
"""Least power of one seed's check (0.37): the test fails if any seed's check does, so
five such checks together detect the effect with probability at least POWER. Checks on
cheap draws meet POWER on every seed; this is for checks on costly replications."""


def binomial_region(trials: int, p: float, alpha: float = ALPHA) -> tuple[int, int]:
    """Counts ``[low, high]`` that a Binomial(``trials``, ``p``) count falls in with
    probability at least ``1 - alpha`` (``alpha / 2`` or less cut from each tail)."""
    low = int(stats.binom.ppf(alpha / 2, trials, p))
    if stats.binom.cdf(low, trials, p) <= alpha / 2 and low < trials:
        low += 1
    high = int(stats.binom.isf(alpha / 2, trials, p))
    if stats.binom.sf(high - 1, trials, p) <= alpha / 2 and high > 0:
        high -= 1
    return low, high


def binomial_power(trials: int, p: float, alternative: float, alpha: float = ALPHA) -> float:
    """Chance that a count drawn with ``alternative`` falls outside ``binomial_region``."""
    low, high = binomial_region(trials, p, alpha)
    inside = stats.binom.cdf(high, trials, alternative) - stats.binom.cdf(
        low - 1, trials, alternative
    )
    return float(1.0 - inside)


def exponential_fit(
    draws: np.ndarray, mean: float, longer: float, seed: int, alpha: float = ALPHA
) -> tuple[float, float]:
    """Kolmogorov-Smirnov of ``draws`` against the exponential of ``mean``: its p-value, and
    its power, the share of 20 samples of the same size from an exponential ``longer`` times
    the mean (drawn with ``seed``) that it rejects at ``alpha``."""
    reference = stats.expon(scale=mean).cdf
    wrong = np.random.default_rng(seed).exponential(longer * mean, (20, len(draws)))
    power = np.mean([stats.kstest(row, reference).pvalue < alpha for row in wrong])
    return float(stats.kstest(draws, reference).pvalue), float(power)


def poisson_region(mean: float, alpha: float = ALPHA) -> tuple[int, int]:
    """Counts ``[low, high]`` that a Poisson(``mean``) count falls in with probability at
    least ``1 - alpha``."""
    low = int(stats.poisson.ppf(alpha / 2, mean))
    if stats.poisson.cdf(low, mean) <= alpha / 2:
        low += 1
    high = int(stats.poisson.isf(alpha / 2, mean))
    if high > 0 and stats.poisson.sf(high - 1, mean) <= alpha / 2:
        high -= 1
    return low, high


def poisson_power(mean: float, alternative: float, alpha: float = ALPHA) -> float:
    """Chance that a Poisson(``alternative``) count falls outside ``poisson_region(mean)``."""
    low, high = poisson_region(mean, alpha)
    inside = stats.poisson.cdf(high, alternative) - stats.poisson.cdf(low - 1, alternative)
    return float(1.0 - inside)


def mean_interval(values: Sequence[float], alpha: float = ALPHA) -> tuple[float, float]:
    """The Student-t interval of the mean of ``values`` at level ``1 - alpha`` (scipy's)."""
    data = np.asarray(values, dtype=float)
    mean, sem = float(data.mean()), float(stats.sem(data))
    if sem == 0.0:  # every value the same: the mean is known exactly
        return mean, mean
    low, high = stats.t.interval(1.0 - alpha, data.size - 1, loc=mean, scale=sem)
    return float(low), float(high)


def t_power(n: int, sd: float, effect: float, alpha: float = ALPHA) -> float:
    """Chance that the ``1 - alpha`` t interval of ``n`` values with standard deviation
    ``sd`` excludes the true mean when the values are shifted by ``effect`` (noncentral t)."""
    df = n - 1
    critical = stats.t.isf(alpha / 2, df)
    shift = abs(effect) / (sd / math.sqrt(n))
    wrong_side = stats.nct.cdf(-critical, df, shift)  # NaN once it underflows
    return float(stats.nct.sf(critical, df, shift) + np.nan_to_num(wrong_side))
