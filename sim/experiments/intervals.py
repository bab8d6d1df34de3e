"""Intervals over replications: the mean of a figure and its confidence interval.

Replications are independent (each has its own random streams), so the mean of a figure
over ``n`` replications has the Student-t interval
``mean +/- t(1 - alpha/2, n - 1) * sd / sqrt(n)``, with the sample standard deviation
(``ddof=1``). This is the "summaries" step of the data flow: replications in, one row per
figure out; :mod:`sim.analysis` compares and plots such rows.

A figure has a natural range (:func:`natural_range`, from its unit): a share lies in
[0, 1], a count, a duration or a cost is never negative. The interval reported for a
figure is the t-interval intersected with that range. The true mean lies in the range, so
the intersection holds it exactly when the t-interval does: the coverage is unchanged (the
intersection of a confidence set with the parameter space is a confidence set of the same
level), and no interval shows a value the figure cannot take, such as a share below zero
when most replications have none. What clipping does not mend is the t-interval's own
shortfall for a skewed figure near its bound with few replications: the cure for that is
more replications.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..core.summary import FIGURES

__all__ = ["UNIT_RANGES", "confidence_interval", "natural_range", "summarise"]

UNBOUNDED = (-math.inf, math.inf)
UNIT_RANGES: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0),
    "score": (0.0, 1.0),  # a percentile of the screening score
    "count": (0.0, math.inf),
    "cases": (0.0, math.inf),
    "workers": (0.0, math.inf),
    "days": (0.0, math.inf),
    "hours": (0.0, math.inf),
    "money": (0.0, math.inf),
    "per year": (0.0, math.inf),
    "per 1,000": (0.0, math.inf),
    "per subject": (0.0, math.inf),
    "strain": (0.0, math.inf),
    "ratio": (0.0, math.inf),
}
"""The values a figure of each unit can take. A unit not listed here is unbounded."""


def natural_range(figure: str) -> tuple[float, float]:
    """``(low, high)``: the values a summary figure can take, from its unit.

    A name that is not a summary figure (a factor, a difference) is unbounded.
    """
    meta = FIGURES.get(figure)
    return UNBOUNDED if meta is None else UNIT_RANGES.get(meta["unit"], UNBOUNDED)


def confidence_interval(
    values: Iterable[float],
    level: float = 0.95,
    bounds: tuple[float, float] = UNBOUNDED,
) -> tuple[float, float, float]:
    """``(mean, low, high)`` of the Student-t interval; NaN values are ignored.

    Parameters
    ----------
    values
        One value per replication.
    level
        Confidence level.
    bounds
        The range the values (and so their mean) can take, e.g. ``(0, 1)`` for a share,
        or :func:`natural_range` of a figure: the interval is intersected with it, which
        keeps its coverage (see the module's docstring).

    With fewer than two values the interval is undefined and returned as NaN.
    """
    data = np.asarray([v for v in values if not _isnan(v)], dtype=float)
    if data.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(data.mean())
    if data.size < 2:
        return mean, math.nan, math.nan
    half = float(
        stats.t.ppf(0.5 + level / 2, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size)
    )
    low, high = bounds
    return mean, max(mean - half, low), min(mean + half, high)


def _isnan(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def summarise(
    replications: pd.DataFrame, figures: Sequence[str] | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Mean, confidence interval, standard deviation and count of each figure.

    Parameters
    ----------
    replications
        One row per replication, one column per figure.
    figures
        The columns to summarise (default: every numeric column).
    level
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by figure, with columns ``mean``, ``ci_low``, ``ci_high``, ``sd``, ``n``;
        the interval of a summary figure stays within its :func:`natural_range`.
    """
    if figures is None:
        figures = [
            c for c in replications.columns if pd.api.types.is_numeric_dtype(replications[c])
        ]
    rows = {}
    for figure in figures:
        column = replications[figure].astype(float)
        mean, low, high = confidence_interval(column.tolist(), level, natural_range(figure))
        valid = column.dropna()
        rows[figure] = {
            "mean": mean,
            "ci_low": low,
            "ci_high": high,
            "sd": float(valid.std(ddof=1)) if len(valid) > 1 else math.nan,
            "n": len(valid),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "figure"
    return frame
