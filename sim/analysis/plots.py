"""Figures for reports and notebooks: frontiers, heatmaps, causes, fan charts, standards.

Every function takes the tables of :mod:`sim.experiments.results` or :func:`sim.run` and
returns a matplotlib ``Figure`` with labelled axes (units from the summary
figures' metadata) and 95% confidence bands where there are replications.
Nothing is shown or saved: the caller decides (``fig.savefig(...)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.risk import HarmCause
from ..core.summary import FIGURES
from .statistics import confidence_interval, pareto_frontier

__all__ = [
    "budget_curve",
    "fan_chart",
    "frontier",
    "heatmap",
    "missed_by_cause",
    "strain_distribution",
]

CAUSES = [f"missed_{cause.value}" for cause in HarmCause]


def axis_label(name: str) -> str:
    """A figure's label with its unit, or the name itself (a factor's dotted path)."""
    meta = FIGURES.get(name)
    if meta is None:
        return name
    unit = meta["unit"]
    return f"{meta['label'].strip()} ({unit})" if unit and unit != "share" else meta["label"]


def _per_group(table: pd.DataFrame, by: str, outcome: str) -> pd.DataFrame:
    """Mean and 95% interval of ``outcome`` for each value of ``by`` (successful runs)."""
    ok = table[table.status == "ok"] if "status" in table else table
    rows = []
    for value, runs in ok.groupby(by, sort=True):
        mean, low, high = confidence_interval(runs[outcome].tolist())
        rows.append({by: value, "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def frontier(
    table: pd.DataFrame,
    cost: str = "total_cost",
    risk: str = "missed_per_1000_referrals",
    label: str | None = None,
) -> Figure:
    """Cost against missed risk per sweep point, with 95% intervals; the Pareto frontier joined.

    ``label`` names a column whose value annotates each point (e.g. a factor).
    """
    means = (
        table[table.status == "ok"].groupby("point")
        if "status" in table
        else table.groupby("point")
    )
    rows = []
    for point, runs in means:
        c = confidence_interval(runs[cost].tolist())
        r = confidence_interval(runs[risk].tolist())
        row = {"point": point, cost: c[0], risk: r[0], "c_err": c[2] - c[0], "r_err": r[2] - r[0]}
        if label is not None:
            row[label] = runs[label].iloc[0]
        rows.append(row)
    points = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.errorbar(
        points[cost],
        points[risk],
        xerr=points.c_err.fillna(0),
        yerr=points.r_err.fillna(0),
        fmt="o",
        color="0.55",
        ecolor="0.8",
        label="design points (95% CI)",
    )
    best = pareto_frontier(points, [cost, risk])
    ax.plot(best[cost], best[risk], "-o", color="C3", label="Pareto frontier")
    if label is not None:
        for _, row in points.iterrows():
            ax.annotate(
                f"{row[label]:g}" if isinstance(row[label], int | float) else str(row[label]),
                (row[cost], row[risk]),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
    ax.set_xlabel(axis_label(cost))
    ax.set_ylabel(axis_label(risk))
    ax.set_title("What each budget buys: cost against missed risk")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def heatmap(table: pd.DataFrame, x: str, y: str, outcome: str) -> Figure:
    """The mean of ``outcome`` over two factors, each cell annotated."""
    ok = table[table.status == "ok"] if "status" in table else table
    grid = ok.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean").sort_index(
        ascending=False
    )
    fig, ax = plt.subplots(figsize=(7, 5))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(grid.columns)), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index])
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        ax.text(j, i, f"{value:.3g}", ha="center", va="center", color="white", fontsize=8)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.set_title(f"{axis_label(outcome)}: mean over replications")
    fig.colorbar(image, ax=ax, label=axis_label(outcome))
    fig.tight_layout()
    return fig


def missed_by_cause(table: pd.DataFrame, by: str) -> Figure:
    """Missed risk stacked by cause, for each value of ``by`` (mean over replications)."""
    ok = table[table.status == "ok"] if "status" in table else table
    means = ok.groupby(by, sort=True)[CAUSES].mean()
    fig, ax = plt.subplots(figsize=(7, 5))
    bottom = np.zeros(len(means))
    positions = np.arange(len(means))
    for cause in CAUSES:
        values = means[cause].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, label=cause.removeprefix("missed_"))
        bottom += values
    ax.set_xticks(positions, [f"{v:g}" if isinstance(v, int | float) else v for v in means.index])
    ax.set_xlabel(axis_label(by))
    ax.set_ylabel("Missed risk, harms (count)")
    ax.set_title("Why risk is missed")
    ax.legend(title="cause", fontsize=8)
    fig.tight_layout()
    return fig


def fan_chart(
    timeseries: pd.DataFrame,
    columns: Sequence[str] = ("waiting", "caseload_mean", "strain_mean", "headcount"),
    bands: Sequence[float] = (0.5, 0.9),
) -> Figure:
    """Daily series over replications: the median and central bands (e.g. 50% and 90%)."""
    fig, axes = plt.subplots(len(columns), 1, figsize=(8, 2.4 * len(columns)), sharex=True)
    axes = np.atleast_1d(axes)
    by_day = timeseries.groupby("day")
    for ax, column in zip(axes, columns, strict=True):
        days = np.asarray(sorted(timeseries.day.unique()))
        for band in sorted(bands, reverse=True):
            low = by_day[column].quantile(0.5 - band / 2)
            high = by_day[column].quantile(0.5 + band / 2)
            ax.fill_between(days, low, high, alpha=0.25, color="C0", label=f"{band:.0%} band")
        ax.plot(days, by_day[column].median(), color="C0", label="median")
        ax.set_ylabel(column.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    axes[-1].set_xlabel("Day")
    fig.suptitle("Over replications: median and bands")
    fig.tight_layout()
    return fig


def strain_distribution(timeseries: pd.DataFrame, threshold: float = 1.0) -> Figure:
    """Histogram of the daily mean strain over all replications, the burnout threshold marked."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(timeseries.strain_mean.dropna(), bins=40, color="C1", alpha=0.8)
    ax.axvline(threshold, color="C3", linestyle="--", label="burnout threshold")
    ax.set_xlabel("Mean strain of caseworkers in post (1 = burnout threshold)")
    ax.set_ylabel("Days (all replications)")
    ax.set_title("How strained the office is, day by day")
    ax.legend()
    fig.tight_layout()
    return fig


def budget_curve(
    table: pd.DataFrame,
    budget: str,
    outcome: str = "missed_per_1000_referrals",
    standards: dict[str, float] | None = None,
    target: float | None = None,
) -> Figure:
    """``outcome`` against a budget factor with its 95% band; published standards marked.

    ``standards`` maps a name (e.g. ``"weighted caseload"``) to its FTE, drawn as
    vertical lines; ``target`` as a horizontal one.
    """
    curve = _per_group(table, budget, outcome)
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.fill_between(curve[budget], curve["low"], curve["high"], alpha=0.3, label="95% CI")
    ax.plot(curve[budget], curve["mean"], "-o", label="simulated mean")
    for i, (name, fte) in enumerate((standards or {}).items()):
        ax.axvline(fte, color=f"C{i + 2}", linestyle="--", label=f"{name} standard: {fte:.1f}")
    if target is not None:
        ax.axhline(target, color="C3", linestyle=":", label=f"target {target:g}")
    ax.set_xlabel(axis_label(budget))
    ax.set_ylabel(axis_label(outcome))
    ax.set_title("The simulated curve beside the static standards")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
