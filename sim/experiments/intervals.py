"""Intervals over replications: the mean of a figure and its confidence interval.

Replications are independent (each has its own random streams), so the mean of a figure
over ``n`` replications has the Student-t interval
``mean +/- t(1 - alpha/2, n - 1) * sd / sqrt(n)``, with the sample standard deviation
(``ddof=1``). This is the "summaries" step of the data flow: replications in, one row per
figure out; :mod:`sim.analysis` compares and plots such rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["confidence_interval", "summarise"]


def confidence_interval(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)`` of the Student-t interval; NaN values are ignored.

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
    return mean, mean - half, mean + half


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
        Indexed by figure, with columns ``mean``, ``ci_low``, ``ci_high``, ``sd``, ``n``.
    """
    if figures is None:
        figures = [
            c for c in replications.columns if pd.api.types.is_numeric_dtype(replications[c])
        ]
    rows = {}
    for figure in figures:
        column = replications[figure].astype(float)
        mean, low, high = confidence_interval(column.tolist(), level)
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
