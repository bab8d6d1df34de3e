"""What a sweep says, in sentences a board can read: the headline answer and a one-line
reading of each figure of the report.

Every sentence is computed from the results table (one row per point and replication) and
names settings by every factor that varies, figures by their labels and money in the
scenario's currency (:mod:`sim.experiments.presentation`). The headline answers the
question a budget holder asks: *what is the least we can spend and still keep this figure
under that value?* It is the design point of least mean cost among those whose one-sided
95% upper confidence bound of the figure is under the value
(:func:`sim.analysis.statistics.least_cost_point`), with what that point costs and buys.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.summary import FIGURES
from ..experiments.intervals import confidence_interval, natural_range
from ..experiments.presentation import (
    CAUSES,
    HEADLINE_FIGURES,
    cause_label,
    estimate,
    figure_label,
    money,
    number,
    point_label,
    varying,
)
from .statistics import least_cost_point, pareto_frontier, points_meeting

__all__ = [
    "Sweep",
    "Target",
    "causes_reading",
    "frontier_reading",
    "headline",
    "settings_table",
    "workforce_reading",
]

COST = "total_cost"
RISK = "missed_per_1000_referrals"


@dataclass(frozen=True)
class Target:
    """Keep ``figure`` under ``value`` (with 95% confidence)."""

    figure: str
    value: float


@dataclass(frozen=True)
class Sweep:
    """A results table with what the sentences need to name its settings."""

    table: pd.DataFrame
    factors: list[str]
    """Every factor of the design."""
    currency: str = "USD"

    @classmethod
    def of(cls, table: pd.DataFrame, currency: str = "USD") -> Sweep:
        """A results table (:func:`sim.load_results`), its factors read from its columns."""
        known = {"point", "replication", "seed", "status", "error", *FIGURES}
        return cls(table, [c for c in table.columns if c not in known], currency)

    @property
    def ok(self) -> pd.DataFrame:
        return self.table[self.table.status == "ok"] if "status" in self.table else self.table

    @property
    def varying(self) -> list[str]:
        """The factors whose value differs between points (the ones that name a setting)."""
        first = self.table.groupby("point", sort=True).first()
        return varying(first.to_dict(orient="records"), self.factors)

    def name(self, point: int) -> str:
        """A setting by every factor that varies (``caseworkers 12, intake threshold 0.5``)."""
        rows = self.table[self.table.point == point]
        factors = self.varying
        if rows.empty or not factors:
            return f"point {point}"
        return point_label(rows.iloc[0].to_dict(), factors)

    def mean(self, point: int, figure: str) -> float:
        values = self.ok.loc[self.ok.point == point, figure]
        return float(values.mean()) if values.notna().any() else math.nan

    def text(self, point: int, figure: str) -> str:
        """A figure's mean at a point, as shown (``132.4``, ``4.3%``, ``$1,189,228``)."""
        return number(self.mean(point, figure), FIGURES[figure]["unit"], self.currency)

    @property
    def window_days(self) -> float:
        return float(self.ok["window_days"].mean()) if len(self.ok) else math.nan

    @property
    def has_costs(self) -> bool:
        return bool(len(self.ok)) and float(self.ok[COST].abs().max()) > 0


def _per_year(sweep: Sweep, amount: float) -> str:
    days = sweep.window_days
    if not math.isfinite(days) or days <= 0 or math.isclose(days, 365, rel_tol=0.02):
        return ""
    return f" (about {money(amount * 365 / days, sweep.currency, short=True)} a year)"


def _what(figure: str, sweep: Sweep) -> str:
    return figure_label(figure, sweep.currency, unit=False).lower()


def _buys(sweep: Sweep, point: int, skip: Sequence[str]) -> str:
    """The other headline figures at a point, as a list: what the setting buys."""
    parts = [
        f"{_what(f, sweep)} {sweep.text(point, f)}"
        for f in HEADLINE_FIGURES
        if f not in skip and f != COST
    ]
    return "; ".join(parts)


def headline(sweep: Sweep, target: Target | None) -> str:
    """The report's opening sentence: the answer to the target, or what the sweep spans."""
    if target is None:
        return _no_target(sweep)
    what = _what(target.figure, sweep)
    unit = FIGURES[target.figure]["unit"]
    limit = _limit(target.value, unit, sweep.currency)
    points = points_meeting(sweep.table, target.figure, target.value, COST)
    if points.empty:
        return f"No setting has the two successful runs needed to judge {what} under {limit}."
    best = least_cost_point(sweep.table, target.figure, target.value, COST)
    if best is None:
        lowest = points.sort_values(["upper", "point"]).iloc[0]
        point = int(lowest["point"])
        cost = (
            f", costing {money(lowest['cost'], sweep.currency, short=True)}"
            if sweep.has_costs
            else ""
        )
        return (
            f"No setting in this sweep keeps {what} under {limit} with 95% confidence. The "
            f"closest is {sweep.name(point)}, where it is "
            f"{number(lowest['mean'], unit, sweep.currency)} (95% upper bound "
            f"{number(lowest['upper'], unit, sweep.currency)}){cost}: meeting the target needs "
            "settings beyond those the sweep tried."
        )
    point = int(best["point"])
    reached = (
        f"{what} at {number(best['mean'], unit, sweep.currency)} (95% upper bound "
        f"{number(best['upper'], unit, sweep.currency)})"
    )
    others = _buys(sweep, point, [target.figure])
    if not sweep.has_costs:
        meeting = points[points.meets]
        return (
            f"{len(meeting)} of {len(points)} settings keep {what} under {limit} with 95% "
            f"confidence; the sweep has no costs (the scenario's budget gives none), so none is "
            f"cheapest. The first is {sweep.name(point)}: {reached}; {others}."
        )
    cost = money(best["cost"], sweep.currency, short=True)
    days = sweep.window_days
    sentence = (
        f"The least-cost setting that keeps {what} under {limit} with 95% confidence is "
        f"{sweep.name(point)}. It costs {cost} over the {days:,.0f}-day statistics window"
        f"{_per_year(sweep, best['cost'])} and buys {reached}; {others}."
    )
    cheapest = points.sort_values(["cost", "point"]).iloc[0]
    if int(cheapest["point"]) != point:
        extra = money(best["cost"] - cheapest["cost"], sweep.currency, short=True)
        sentence += (
            f" That is {extra} more than the cheapest setting ({sweep.name(int(cheapest['point']))}"
            f"), whose {what} is {number(cheapest['mean'], unit, sweep.currency)}."
        )
    return sentence


def _limit(value: float, unit: str, currency: str) -> str:
    """A target as the user gave it: ``150``, ``5%``, ``$2 million``."""
    if unit == "share":
        return f"{100 * value:g}%"
    if unit == "money":
        return money(value, currency, short=True)
    return f"{value:,.6g}"


def _no_target(sweep: Sweep) -> str:
    n = sweep.table.point.nunique()
    ask = (
        " Give a target (caseload report DIR --target FIGURE=VALUE, e.g. "
        f"--target {RISK}=150) to open with the least-cost setting that meets it."
    )
    if not sweep.has_costs:
        return f"This sweep tried {n} settings; it has no costs to weigh them against.{ask}"
    return frontier_reading(sweep) + ask


def frontier_reading(sweep: Sweep) -> str:
    """Which settings are on the frontier of cost against missed risk, and what moving along
    it buys."""
    means = sweep.ok.groupby("point", sort=True)[[COST, RISK]].mean().reset_index()
    if means.empty:
        return "No run of this sweep succeeded."
    if not sweep.has_costs:
        return "The sweep has no costs (the scenario's budget gives none): no frontier to draw."
    best = pareto_frontier(means, [COST, RISK])
    cheap, safe = best.iloc[0], best.iloc[-1]
    first = (
        f"{len(best)} of {len(means)} settings are on the frontier, where no other setting "
        "is both cheaper and safer"
    )
    if len(best) == 1:
        return (
            f"{first}: {sweep.name(int(cheap['point']))} is the cheapest and has the least "
            f"missed risk ({number(cheap[RISK], 'per 1,000')} per 1,000 referrals)."
        )
    extra = money(safe[COST] - cheap[COST], sweep.currency, short=True)
    return (
        f"{first}. Along it, going from {sweep.name(int(cheap['point']))} "
        f"({money(cheap[COST], sweep.currency, short=True)}) to "
        f"{sweep.name(int(safe['point']))} ({money(safe[COST], sweep.currency, short=True)}) "
        f"costs {extra} more and takes missed risk from {number(cheap[RISK], 'per 1,000')} to "
        f"{number(safe[RISK], 'per 1,000')} per 1,000 referrals."
    )


def causes_reading(sweep: Sweep) -> str:
    """The largest cause of missed risk where missed risk is highest and where it is lowest."""
    totals = sweep.ok.groupby("point", sort=True)[CAUSES].mean()
    if totals.empty:
        return "No run of this sweep succeeded."
    missed = totals.sum(axis=1)
    worst, best = int(missed.idxmax()), int(missed.idxmin())

    def largest(point: int) -> str:
        row = totals.loc[point]
        cause = str(row.idxmax())
        share = row[cause] / row.sum() if row.sum() > 0 else math.nan
        return f"“{cause_label(cause)}” ({number(share, 'share')} of the harms)"

    if worst == best:
        return f"The largest cause of missed risk is {largest(worst)}."
    return (
        f"Where the most risk is missed ({sweep.name(worst)}), the largest cause is "
        f"{largest(worst)}; where the least is missed ({sweep.name(best)}), it is "
        f"{largest(best)}."
    )


def workforce_reading(sweep: Sweep) -> str:
    """The range of turnover and burnout over the settings, and where each is worst."""
    parts = []
    for figure in ("turnover_rate", "burned_out_share"):
        means = sweep.ok.groupby("point", sort=True)[figure].mean().dropna()
        if means.empty:
            continue
        low, high = int(means.idxmin()), int(means.idxmax())
        parts.append(
            f"{_what(figure, sweep)} runs from {sweep.text(low, figure)} "
            f"({sweep.name(low)}) to {sweep.text(high, figure)} ({sweep.name(high)})"
        )
    if not parts:
        return "No run of this sweep succeeded."
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def settings_table(
    sweep: Sweep, figures: Sequence[str] = HEADLINE_FIGURES, level: float = 0.95
) -> pd.DataFrame:
    """One row per setting (named by the factors that vary), one column per figure: the mean
    and its interval as shown, and how many runs failed."""
    rows: list[dict[str, Any]] = []
    for point, runs in sweep.table.groupby("point", sort=True):
        ok = runs[runs.status == "ok"] if "status" in runs else runs
        row: dict[str, Any] = {"setting": sweep.name(int(point))}
        for figure in figures:
            unit = FIGURES[figure]["unit"]
            mean, low, high = confidence_interval(ok[figure].tolist(), level, natural_range(figure))
            shown, interval = estimate(mean, low, high, unit, sweep.currency)
            row[figure_label(figure, sweep.currency)] = (
                shown if interval == "-" else f"{shown} {interval}"
            )
        failed = int((runs.status != "ok").sum()) if "status" in runs else 0
        row["runs"] = f"{len(ok)}" + (f" ({failed} failed)" if failed else "")
        rows.append(row)
    return pd.DataFrame(rows).set_index("setting")
