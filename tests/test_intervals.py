"""Intervals within a figure's natural range: the Student-t interval intersected with the
values the figure can take, checked against scipy, against a worked example, and for its
coverage on samples piled up at a bound (docs/outputs.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.experiments.intervals import (
    UNIT_RANGES,
    confidence_interval,
    natural_range,
    summarise,
)
from sim.experiments.results import summarise_results


def scipy_interval(values, level=0.95):
    data = np.asarray(values, dtype=float)
    return stats.t.interval(level, data.size - 1, loc=data.mean(), scale=stats.sem(data))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_the_interval_is_scipys_t_interval_clipped_to_the_range(seed, level):
    rng = np.random.default_rng(seed)
    values = rng.exponential(0.05, size=6)  # near zero: the t-interval often dips below it
    low, high = scipy_interval(values, level)
    mean, clipped_low, clipped_high = confidence_interval(values, level, (0.0, 1.0))
    assert mean == pytest.approx(values.mean(), rel=1e-12)
    assert clipped_low == pytest.approx(max(low, 0.0), rel=1e-12, abs=1e-15)
    assert clipped_high == pytest.approx(min(high, 1.0), rel=1e-12)
    plain = confidence_interval(values, level)
    assert plain[1:] == pytest.approx((low, high), rel=1e-12)


def test_a_worked_example_at_the_lower_bound():
    """Three replications without a burned-out day and one with 10%: the t-interval runs
    below zero; the reported one starts at zero and keeps the t-interval's upper end."""
    values = [0.0, 0.0, 0.0, 0.1]
    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert 0.025 - half < 0  # the plain interval shows an impossible share
    mean, low, high = confidence_interval(values, 0.95, natural_range("burned_out_share"))
    assert (mean, low) == (0.025, 0.0)
    assert high == pytest.approx(0.025 + half, rel=1e-12)
    assert high == pytest.approx(0.10456, abs=1e-5)  # t(0.975, 3) = 3.1824, sd = 0.05


def test_shares_are_clipped_at_one_and_undefined_intervals_stay_undefined():
    mean, low, high = confidence_interval([1.0, 1.0, 0.9], 0.95, (0.0, 1.0))
    assert high == 1.0 and low < mean < 1.0
    assert all(math.isnan(v) for v in confidence_interval([0.5], 0.95, (0.0, 1.0))[1:])
    assert confidence_interval([0.0, 0.0, 0.0], 0.95, (0.0, 1.0)) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_clipping_keeps_the_coverage_of_the_t_interval(seed):
    """The true mean lies in the range, so the clipped interval holds it exactly when the
    t-interval does. Samples of 5 from a share that is zero 70% of the time."""
    rng = np.random.default_rng(seed)
    true_mean = 0.3 * 2 / (2 + 5)  # 30% draw a Beta(2, 5) share, whose mean is 2/7
    covered_plain, covered_clipped, dipped = [], [], 0
    for _ in range(2000):
        sample = np.where(rng.random(5) < 0.3, rng.beta(2, 5, 5), 0.0)
        _, low, high = confidence_interval(sample)
        _, c_low, c_high = confidence_interval(sample, 0.95, (0.0, 1.0))
        dipped += low < 0
        covered_plain.append(low <= true_mean <= high)
        covered_clipped.append(c_low <= true_mean <= c_high)
        assert 0.0 <= c_low <= c_high <= 1.0
    assert covered_clipped == covered_plain
    # Power: clipping mattered for many samples, so the equality above says something.
    assert dipped > 500
    # The coverage is the t-interval's, and for so skewed a figure at n = 5 it falls short
    # of 95% (about 77% on these seeds: a sample with no burnout at all gives [0, 0]).
    # Clipping neither causes nor mends that; more replications do (docs/outputs.md).
    assert 0.70 < np.mean(covered_clipped) < 0.85


def test_every_unit_of_a_figure_has_a_natural_range():
    units = {meta["unit"] for meta in sim.FIGURES.values()}
    assert units <= set(UNIT_RANGES), f"decide the range of {units - set(UNIT_RANGES)}"
    assert natural_range("burned_out_share") == (0.0, 1.0)
    assert natural_range("total_cost") == (0.0, math.inf)
    assert natural_range("workforce.caseworkers") == (-math.inf, math.inf)  # not a figure


def test_summaries_keep_every_interval_in_its_range():
    replications = pd.DataFrame(
        {
            "burned_out_share": [0.0, 0.0, 0.0, 0.1],
            "missed": [0.0, 0.0, 1.0, 0.0],
            "difference": [-1.0, 0.0, 0.0, 0.2],  # not a figure: unbounded
        }
    )
    table = summarise(replications)
    assert table.loc["burned_out_share", "ci_low"] == 0.0
    assert table.loc["missed", "ci_low"] == 0.0
    assert table.loc["difference", "ci_low"] == pytest.approx(
        scipy_interval(replications.difference)[0]
    )
    rows = replications.assign(point=0, replication=range(4), status="ok")
    summary = summarise_results(rows, ["burned_out_share"])
    assert summary.loc[0, "ci_low"] == 0.0
    assert summary.loc[0, "ci_high"] == pytest.approx(scipy_interval([0, 0, 0, 0.1])[1])
