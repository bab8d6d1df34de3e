"""Figures for reports and notebooks: frontiers, heatmaps, causes, workforce, fan charts.

Every function takes the tables of :mod:`sim.experiments.results` or :func:`sim.run` and
returns a matplotlib ``Figure`` with axes labelled in words and units (the figures' labels,
:mod:`sim.experiments.presentation`), money in the scenario's currency without a ``1e6``
offset, shares as percentages, and 95% confidence intervals (within each figure's natural
range) where there are replications. Design points are labelled by every factor that
varies. Nothing is shown or saved: the caller decides (``fig.savefig(...)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..core.summary import FIGURES
from ..experiments.intervals import natural_range
from ..experiments.presentation import (
    CAUSES,
    cause_label,
    factor_label,
    factor_value,
    figure_label,
    money_tick,
    point_label,
    varying,
)
from .statistics import confidence_interval, pareto_frontier

__all__ = [
    "budget_curve",
    "fan_chart",
    "frontier",
    "heatmap",
    "missed_by_cause",
    "strain_distribution",
    "workforce",
]


def axis_label(name: str, currency: str = "USD") -> str:
    """A figure's label with its unit, or a factor's dotted path in words."""
    return figure_label(name, currency)


def _unit(name: str) -> str:
    meta = FIGURES.get(name)
    return "" if meta is None else meta["unit"]


def _format_axis(axis: Axis, name: str, currency: str) -> None:
    """Money as ``$1.2M`` (no offset), shares as percentages, counts with separators."""
    unit = _unit(name)
    if unit == "money":
        axis.set_major_formatter(FuncFormatter(lambda v, _: money_tick(v, currency)))
    elif unit == "share":
        axis.set_major_formatter(PercentFormatter(1.0))
    elif unit:
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    return table[table.status == "ok"] if "status" in table else table


def _factors(table: pd.DataFrame, factors: Sequence[str] | None) -> list[str]:
    """The factors to label points by: those given, or the table's columns that vary by point."""
    if factors is not None:
        return list(factors)
    known = {"point", "replication", "seed", "status", "error", *FIGURES}
    columns = [c for c in table.columns if c not in known]
    first = table.groupby("point", sort=True).first() if "point" in table else table
    return varying(first.to_dict(orient="records"), columns)


def _point_labels(table: pd.DataFrame, factors: Sequence[str]) -> dict[int, str]:
    first = table.groupby("point", sort=True).first()
    return {int(point): point_label(row, factors) for point, row in first.iterrows()}


def _interval(values: Sequence[float], name: str) -> tuple[float, float, float]:
    return confidence_interval(values, 0.95, natural_range(name))


def _per_group(table: pd.DataFrame, by: str, outcome: str) -> pd.DataFrame:
    """Mean and 95% interval of ``outcome`` for each value of ``by`` (successful runs)."""
    rows = []
    for value, runs in _ok(table).groupby(by, sort=True):
        mean, low, high = _interval(runs[outcome].tolist(), outcome)
        rows.append({by: value, "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def _per_point(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    rows = []
    for point, runs in _ok(table).groupby("point", sort=True):
        mean, low, high = _interval(runs[outcome].tolist(), outcome)
        rows.append({"point": int(point), "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["point", "mean", "low", "high"])


def _errors(frame: pd.DataFrame) -> np.ndarray:
    """Asymmetric error bars (an interval clipped to a range is not symmetric)."""
    below = (frame["mean"] - frame["low"]).fillna(0).clip(lower=0)
    above = (frame["high"] - frame["mean"]).fillna(0).clip(lower=0)
    return np.vstack([below.to_numpy(float), above.to_numpy(float)])


def frontier(
    table: pd.DataFrame,
    cost: str = "total_cost",
    risk: str = "missed_per_1000_referrals",
    label: str | None = None,
    *,
    factors: Sequence[str] | None = None,
    currency: str = "USD",
) -> Figure:
    """Cost against missed risk per sweep point, with 95% intervals; the Pareto frontier joined.

    Each point is annotated with ``label`` (one column) if given, else with every factor
    that varies between points (or those in ``factors``).
    """
    costs = _per_point(table, cost).set_index("point")
    risks = _per_point(table, risk).set_index("point")
    common = costs.index.intersection(risks.index)
    costs, risks = costs.loc[common], risks.loc[common]
    points = pd.DataFrame({"point": common, cost: costs["mean"], risk: risks["mean"]})
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ax.errorbar(
        points[cost],
        points[risk],
        xerr=_errors(costs),
        yerr=_errors(risks),
        fmt="o",
        color="0.55",
        ecolor="0.8",
        label="design points (95% CI)",
    )
    best = pareto_frontier(points, [cost, risk])
    ax.plot(best[cost], best[risk], "-o", color="C3", label="Pareto frontier")
    if label is not None:
        first = table.groupby("point", sort=True)[label].first()
        names = {int(p): factor_value(v) for p, v in first.items()}
    else:
        names = _point_labels(table, _factors(table, factors))
    _label_points(ax, points[cost], points[risk], [names.get(int(p), "") for p in points.point])
    ax.set_xlabel(axis_label(cost, currency))
    ax.set_ylabel(axis_label(risk, currency))
    _format_axis(ax.xaxis, cost, currency)
    _format_axis(ax.yaxis, risk, currency)
    ax.set_title("What each setting buys: cost against missed risk")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _label_points(ax: plt.Axes, xs: pd.Series, ys: pd.Series, texts: Sequence[str]) -> None:
    """Annotate points to their right, moving labels of nearby points apart vertically (at
    least a line apart, with a thin leader) so that points at one cost stay readable, and
    widening the axes to the right until every label fits inside them."""
    ax.figure.canvas.draw()  # the axes' limits and transform as they will be drawn
    to_screen = ax.transData.transform
    box = ax.get_window_extent()
    placed: list[tuple[float, float]] = []
    line = 10.0 * ax.figure.dpi / 72  # a label's height in pixels
    labels = []
    for i in np.argsort(-np.asarray(ys, dtype=float), kind="stable"):
        if not texts[i]:
            continue
        x, y = to_screen((float(xs.iloc[i]), float(ys.iloc[i])))
        target = y
        for px, py in placed:
            if abs(px - x) < 0.25 * box.width and target > py - 1.4 * line:
                target = py - 1.4 * line
        placed.append((x, target))
        labels.append(
            ax.annotate(
                texts[i],
                (float(xs.iloc[i]), float(ys.iloc[i])),
                xytext=(6, (target - y) * 72 / ax.figure.dpi + 3),
                textcoords="offset points",
                fontsize=7,
                arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5} if target != y else None,
            )
        )
    for _ in range(3):  # widening moves the points, and so the labels: settle in a few steps
        ax.figure.canvas.draw()
        box = ax.get_window_extent()
        over = max((label.get_window_extent().x1 for label in labels), default=0) - box.x1
        if over <= 0:
            break
        low, high = ax.get_xlim()
        ax.set_xlim(low, high + (over + 4) * (high - low) / box.width)


def heatmap(table: pd.DataFrame, x: str, y: str, outcome: str, currency: str = "USD") -> Figure:
    """The mean of ``outcome`` over two factors, each cell annotated."""
    grid = _ok(table).pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
    grid = grid.sort_index(ascending=False)
    fig, ax = plt.subplots(figsize=(7, 5))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(grid.columns)), [factor_value(v) for v in grid.columns])
    ax.set_yticks(range(len(grid.index)), [factor_value(v) for v in grid.index])
    share = _unit(outcome) == "share"
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        text = f"{100 * value:.1f}%" if share else f"{value:,.3g}"
        red, green, blue, _ = image.cmap(image.norm(value))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.55  # text that stands out
        ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black")
    ax.set_xlabel(axis_label(x, currency))
    ax.set_ylabel(axis_label(y, currency))
    ax.set_title(f"{figure_label(outcome, currency, unit=False)}: mean over replications")
    bar = fig.colorbar(image, ax=ax, label=axis_label(outcome, currency))
    _format_axis(bar.ax.yaxis, outcome, currency)
    fig.tight_layout()
    return fig


def missed_by_cause(
    table: pd.DataFrame, by: str | None = None, *, factors: Sequence[str] | None = None
) -> Figure:
    """Missed risk stacked by cause, for each value of ``by`` or, without ``by``, for each
    design point (labelled by every factor that varies); means over replications.

    When ``by`` is one factor of several that vary, its bars average over the others,
    and the figure says so.
    """
    ok = _ok(table)
    if by is None:
        names = _point_labels(table, _factors(table, factors))
        means = ok.groupby("point", sort=True)[CAUSES].mean()
        fig, ax = plt.subplots(figsize=(9, 0.42 * len(means) + 1.8))
        left = np.zeros(len(means))
        positions = np.arange(len(means))[::-1]  # the first setting at the top
        for cause in CAUSES:
            values = means[cause].to_numpy(dtype=float)
            ax.barh(positions, values, left=left, label=cause_label(cause))
            left += values
        ax.set_yticks(positions, [names.get(int(p), str(p)) for p in means.index], fontsize=8)
        ax.set_xlabel("Missed risk, harms in the statistics window (mean over replications)")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
        ax.set_title("Why risk is missed")
        ax.legend(title="missed because", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.tight_layout()
        return fig
    note = ""
    means = ok.groupby(by, sort=True)[CAUSES].mean()
    groups = table.groupby(by, sort=True)
    others = [  # the factors that vary within a bar: its mean is over them
        f
        for f in _factors(table, factors)
        if f != by and groups[f].agg(lambda values: len(set(map(repr, values)))).gt(1).any()
    ]
    if others:
        note = f"\n(mean over replications and over {', '.join(map(factor_label, others))})"
    fig, ax = plt.subplots(figsize=(max(7.0, 0.9 * len(means) + 3), 5))
    bottom = np.zeros(len(means))
    positions = np.arange(len(means))
    for cause in CAUSES:
        values = means[cause].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, label=cause_label(cause))
        bottom += values
    ax.set_xticks(positions, [factor_value(v) for v in means.index])
    ax.set_xlabel(axis_label(by))
    ax.set_ylabel("Missed risk, harms in the statistics window")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
    ax.set_title("Why risk is missed" + note, fontsize=11 if note else None)
    ax.legend(title="missed because", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def workforce(
    table: pd.DataFrame,
    outcomes: Sequence[str] = ("turnover_rate", "burned_out_share"),
    *,
    factors: Sequence[str] | None = None,
    currency: str = "USD",
) -> Figure:
    """Workforce outcomes per design point (one bar a setting, named by every factor that
    varies), each with its 95% interval: by default annual turnover and the share of
    worker-days burned out."""
    names = _point_labels(table, _factors(table, factors))
    frames = [_per_point(table, outcome) for outcome in outcomes]
    count = len(frames[0])
    fig, axes = plt.subplots(
        1,
        len(outcomes),
        figsize=(4.2 * len(outcomes) + 2.5, 0.42 * count + 1.6),
        squeeze=False,
        sharey=True,
    )
    for ax, outcome, frame in zip(axes[0], outcomes, frames, strict=True):
        positions = np.arange(len(frame))[::-1]  # the first setting at the top
        ax.barh(positions, frame["mean"], color="C0", alpha=0.8)
        ax.errorbar(frame["mean"], positions, xerr=_errors(frame), fmt="none", ecolor="0.3", lw=1)
        ax.set_yticks(positions, [names.get(p, str(p)) for p in frame["point"]], fontsize=8)
        ax.set_xlabel(axis_label(outcome, currency))
        _format_axis(ax.xaxis, outcome, currency)
        ax.set_title(figure_label(outcome, currency, unit=False), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("The workforce at each setting (mean and 95% interval)")
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
    currency: str = "USD",
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
    ax.set_xlabel(axis_label(budget, currency))
    ax.set_ylabel(axis_label(outcome, currency))
    _format_axis(ax.yaxis, outcome, currency)
    ax.set_title("The simulated curve beside the static standards")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
