"""Statistics over replications and sweeps: intervals, paired differences, frontiers,
the least sufficient budget, sensitivity indices and scenario discovery.

Replications are independent (each has its own random streams), so the mean of
a figure over ``n`` replications has the Student-t interval
``mean +/- t(1 - alpha/2, n - 1) * sd / sqrt(n)``. Across the points of a sweep,
replication ``r`` of every point shares its random streams (common random
numbers): the difference between two points, replication by replication, has
the paired interval, usually much narrower than the two intervals apart.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..experiments.intervals import confidence_interval, natural_range, summarise

__all__ = [
    "Box",
    "PairedDifference",
    "confidence_interval",
    "first_order_indices",
    "least_cost_point",
    "least_sufficient",
    "paired_difference",
    "pareto_frontier",
    "points_meeting",
    "prim_box",
    "summarise",
    "welch_interval",
]


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class PairedDifference:
    """``b - a`` of one outcome between two sweep points, replication by replication."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    unpaired_ci_low: float
    unpaired_ci_high: float
    """Welch's interval, as if the two points had independent random numbers."""


def paired_difference(
    table: pd.DataFrame, a: int, b: int, outcome: str, level: float = 0.95
) -> PairedDifference:
    """Difference of ``outcome`` between points ``a`` and ``b`` of a results table.

    Replications present (and successful) at both points are paired by their
    number; the interval is the Student-t interval of the differences. Welch's
    interval of the two samples is returned beside it for comparison.
    """
    ok = table[table.status == "ok"] if "status" in table else table
    left = ok[ok.point == a].set_index("replication")[outcome]
    right = ok[ok.point == b].set_index("replication")[outcome]
    both = left.index.intersection(right.index)
    differences = (right.loc[both] - left.loc[both]).dropna()
    mean, low, high = confidence_interval(differences.tolist(), level)
    _, w_low, w_high = welch_interval(left.dropna(), right.dropna(), level)
    return PairedDifference(mean, low, high, len(differences), w_low, w_high)


def welch_interval(
    a: Sequence[float], b: Sequence[float], level: float = 0.95
) -> tuple[float, float, float]:
    """``(mean(b) - mean(a), low, high)``: Welch's interval for independent samples."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    difference = float(y.mean() - x.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return difference, difference, difference
    df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    return difference, difference - half, difference + half


def pareto_frontier(table: pd.DataFrame, objectives: Sequence[str]) -> pd.DataFrame:
    """The rows no other row beats on every objective (all minimised), in order of the first.

    A row is dominated when another is at least as good on every objective and
    strictly better on one.
    """
    values = table[list(objectives)].to_numpy(dtype=float)
    keep = []
    for row in values:
        better_or_equal = np.all(values <= row, axis=1)
        strictly_better = np.any(values < row, axis=1)
        keep.append(not np.any(better_or_equal & strictly_better))
    frontier = table[np.asarray(keep)]
    return frontier.sort_values(list(objectives))


def least_sufficient(
    table: pd.DataFrame,
    budget: str,
    outcome: str,
    target: float,
    level: float = 0.95,
) -> pd.Series | None:
    """The smallest ``budget`` whose ``outcome`` is below ``target`` with ``level`` confidence.

    ``table`` has one row per replication (a results table, or any frame with the
    two columns). At each budget level the one-sided upper confidence bound of
    the outcome's mean must be below the target; the answer is the least budget
    at which that holds for it and for every larger budget (so a lucky dip below
    the target does not count). Returns that budget's summary row (budget, mean,
    upper bound, n), or ``None`` if no budget is enough.
    """
    ok = table[table.status == "ok"] if "status" in table else table
    rows = []
    for level_value, runs in ok.groupby(budget, sort=True):
        values = runs[outcome].dropna().to_numpy(dtype=float)
        if values.size < 2:
            continue
        mean = float(values.mean())
        upper = mean + float(
            stats.t.ppf(level, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
        )
        rows.append({budget: level_value, "mean": mean, "upper": upper, "n": values.size})
    if not rows:
        return None
    levels = pd.DataFrame(rows)
    sufficient = (levels.upper < target).to_numpy()
    # The least level from which every larger level is also sufficient.
    tail = np.logical_and.accumulate(sufficient[::-1])[::-1]
    if not tail.any():
        return None
    return levels[tail].iloc[0]


def points_meeting(
    table: pd.DataFrame,
    outcome: str,
    target: float,
    cost: str = "total_cost",
    level: float = 0.95,
) -> pd.DataFrame:
    """Which design points keep ``outcome`` below ``target`` with ``level`` confidence.

    One row per point with at least two successful runs: the outcome's ``mean`` and its
    one-sided upper confidence bound ``upper = mean + t(level, n - 1) * sd / sqrt(n)``,
    ``n``, ``meets`` (``upper < target``), and the mean ``cost`` with its two-sided
    interval (``cost_low``, ``cost_high``); in point order.
    """
    ok = table[table.status == "ok"] if "status" in table else table
    high_bound = natural_range(outcome)[1]
    rows = []
    for point, runs in ok.groupby("point", sort=True):
        values = runs[outcome].dropna().to_numpy(dtype=float)
        if values.size < 2:
            continue
        mean = float(values.mean())
        spread = float(values.std(ddof=1)) / math.sqrt(values.size)
        upper = min(mean + float(stats.t.ppf(level, values.size - 1)) * spread, high_bound)
        money, low, high = confidence_interval(runs[cost].tolist(), level, natural_range(cost))
        rows.append(
            {
                "point": int(point),
                "mean": mean,
                "upper": upper,
                "n": int(values.size),
                "meets": bool(upper < target),
                "cost": money,
                "cost_low": low,
                "cost_high": high,
            }
        )
    columns = ["point", "mean", "upper", "n", "meets", "cost", "cost_low", "cost_high"]
    return pd.DataFrame(rows, columns=columns)


def least_cost_point(
    table: pd.DataFrame,
    outcome: str,
    target: float,
    cost: str = "total_cost",
    level: float = 0.95,
) -> pd.Series | None:
    """The design point of least mean ``cost`` among those that keep ``outcome`` below
    ``target`` with ``level`` confidence (:func:`points_meeting`), or ``None`` if none does.

    Unlike :func:`least_sufficient`, which walks one budget factor, this answers for any
    design: of every setting the sweep tried, the cheapest that is good enough. Ties in cost
    go to the lower point number.
    """
    points = points_meeting(table, outcome, target, cost, level)
    meeting = points[points.meets]
    if meeting.empty:
        return None
    return meeting.sort_values(["cost", "point"], kind="stable").iloc[0]


# --------------------------------------------------------------------------- sensitivity


def first_order_indices(
    table: pd.DataFrame,
    factors: Sequence[str],
    outcome: str,
    *,
    resamples: int = 100,
    seed: int = 0,
    delta: bool = True,
) -> pd.DataFrame:
    """Sensitivity of ``outcome`` to each factor, from a sweep's own results.

    Uses SALib's moment-independent delta method (Plischke, Borgonovo & Smith
    2013), which estimates from given data (any space-filling design: Latin
    hypercube, Sobol, random) both the first-order Sobol index ``S1 = Var(E[Y |
    X_i]) / Var(Y)`` and Borgonovo's ``delta``, each with a bootstrap 95%
    half-width (``S1_conf``, ``delta_conf``). A factor that never varies gets 0.
    The same table and ``seed`` give the same indices (seed 0 too), and numpy's global
    random state is left as it was. SALib's cautions about the estimate
    (raw and balanced delta far apart: a biased sample) are kept in
    ``frame.attrs["notes"]``, not printed. ``delta=False`` estimates ``S1`` only (``delta``
    and ``delta_conf`` are NaN): the delta's kernel density estimates take most of the time,
    and grow with the runs.
    """
    from SALib.analyze import delta as delta_method

    data = table[[*factors, outcome]].dropna()
    x = data[list(factors)].to_numpy(dtype=float)
    y = data[outcome].to_numpy(dtype=float)
    varying = [j for j in range(len(factors)) if np.ptp(x[:, j]) > 0]
    frame = pd.DataFrame(0.0, index=list(factors), columns=["S1", "S1_conf", "delta", "delta_conf"])
    if varying and np.ptp(y) > 0:
        problem = {
            "num_vars": len(varying),
            "names": [factors[j] for j in varying],
            "bounds": [[float(x[:, j].min()), float(x[:, j].max())] for j in varying],
        }
        # SALib draws from numpy's global generator (and takes seed=0 for no seed): seed it
        # here and put the process's state back after. Its notices (bins merged for a factor
        # with few levels, as a grid has; raw and balanced delta apart) are warnings it
        # prints after resetting the filters and their format for the whole process: record
        # them instead, keep the cautions, and put the format back.
        state, formatter = np.random.get_state(), warnings.formatwarning
        with warnings.catch_warnings(record=True) as notices:
            np.random.seed(seed)
            try:
                result = delta_method.analyze(
                    problem,
                    x[:, varying],
                    y,
                    num_resamples=resamples,
                    seed=None,
                    print_to_console=False,
                    method="all" if delta else "sobol",
                )
            finally:
                np.random.set_state(state)
                warnings.formatwarning = formatter
        notes = [str(n.message) for n in notices if "Bin Merge Notice" not in str(n.message)]
        if not delta:
            frame[["delta", "delta_conf"]] = np.nan
        for key, source in (
            ("S1", "S1"),
            ("S1_conf", "S1_conf"),
            ("delta", "delta_balanced"),  # SALib's balanced estimator
            ("delta_conf", "delta_balanced_conf"),
        )[: 4 if delta else 2]:
            frame.loc[problem["names"], key] = np.asarray(result[source], dtype=float)
        frame.attrs["notes"] = list(dict.fromkeys(notes))
    frame.index.name = "factor"
    return frame


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Box:
    """A box in factor space where bad outcomes concentrate (PRIM)."""

    limits: dict[str, tuple[float, float]]
    """Factor -> (low, high): the restricted factors only."""
    coverage: float
    """Share of all bad cases that fall in the box."""
    density: float
    """Share of the cases in the box that are bad."""
    support: float
    """Share of all cases in the box."""


def prim_box(
    table: pd.DataFrame,
    factors: Sequence[str],
    bad: Sequence[bool] | np.ndarray | pd.Series,
    *,
    alpha: float = 0.05,
    min_support: float = 0.05,
) -> Box:
    """Patient Rule Induction (Friedman & Fisher 1999), peeling only.

    Starting from the whole design, repeatedly cut off the ``alpha`` share of the
    remaining cases from the low or high end of one factor, choosing the cut that
    most raises the share of ``bad`` cases inside, until the box would hold less
    than ``min_support`` of all cases or no cut helps. Categorical factors are
    not supported (encode them as numbers).
    """
    x = table[list(factors)].to_numpy(dtype=float)
    y = np.asarray(bad, dtype=bool)
    inside = np.ones(len(y), dtype=bool)
    limits = {f: (float(x[:, j].min()), float(x[:, j].max())) for j, f in enumerate(factors)}
    while True:
        count = inside.sum()
        best = None
        for j in range(len(factors)):
            values = x[inside, j]
            for side in ("low", "high"):
                q = np.quantile(values, alpha if side == "low" else 1 - alpha)
                keep = inside & ((x[:, j] > q) if side == "low" else (x[:, j] < q))
                kept = keep.sum()
                if kept == count or kept < min_support * len(y) or kept == 0:
                    continue
                density = y[keep].mean()
                if best is None or density > best[0]:
                    best = (density, keep, j, side, q)
        if best is None or best[0] <= y[inside].mean():
            break
        _, inside, j, side, q = best
        low, high = limits[factors[j]]
        limits[factors[j]] = (float(q), high) if side == "low" else (low, float(q))
    full = {f: (float(x[:, j].min()), float(x[:, j].max())) for j, f in enumerate(factors)}
    restricted = {f: b for f, b in limits.items() if b != full[f]}
    total_bad = y.sum()
    return Box(
        limits=restricted,
        coverage=float(y[inside].sum() / total_bad) if total_bad else math.nan,
        density=float(y[inside].mean()) if inside.any() else math.nan,
        support=float(inside.mean()),
    )
