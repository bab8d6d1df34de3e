"""How figures are shown to people: labels with their unit, numbers, money, factors.

One place for what every table and picture prints, so that the command line, the report,
the plots and a notebook's ``RunResult`` say the same thing the same way:

- a figure's label from :data:`sim.FIGURES` with its unit once, and only where the label
  does not already say it ("Annual turnover (leavers per worker-year)", not "... (per year)");
- shares as percentages, thousands separators, money in the scenario's currency
  (``budget.currency``, an ISO 4217 code: ``$1,832,750``, ``£24,000``, ``1,200 CHF``);
- a mean and its interval with the same decimals (three significant figures of the mean);
- a factor's dotted path as words (``intake.threshold`` -> "intake threshold") and a design
  point by every factor that varies.

Nothing here names a figure: labels and units come from :data:`sim.FIGURES`, so a figure
added there is shown without a change here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.risk import HarmCause
from ..core.summary import FIGURES

__all__ = [
    "CAUSES",
    "CURRENCY_SYMBOLS",
    "HEADLINE_FIGURES",
    "cause_label",
    "display_summary",
    "estimate",
    "estimate_text",
    "factor_label",
    "factor_value",
    "figure_label",
    "money",
    "money_tick",
    "number",
    "point_label",
    "unit_column",
    "unit_text",
    "varying",
]

HEADLINE_FIGURES = (
    "missed_per_1000_referrals",
    "caseload_mean",
    "burned_out_share",
    "turnover_rate",
    "total_cost",
)
"""The outcomes a sweep's table, the report and ``caseload compare`` show unless asked."""

CURRENCY_SYMBOLS = {
    "USD": "$",
    "GBP": "£",
    "EUR": "€",
    "JPY": "¥",
    "AUD": "A$",
    "CAD": "C$",
    "NZD": "NZ$",
}
"""Codes printed as a symbol before the amount; any other code follows it (``1,200 CHF``)."""

CAUSES = [f"missed_{cause.value}" for cause in HarmCause]
"""The figures that count missed risk by its cause, in the order of :class:`HarmCause`."""

_SILENT_UNITS = {"count", "ratio"}
"""Units the label does not repeat: a count or a ratio is plain from the label."""


def unit_text(unit: str, currency: str = "USD") -> str:
    """What a unit reads as in a label or a unit column: ``%`` for a share, the currency
    code for money, nothing for a count or a ratio, the unit itself otherwise."""
    if unit == "share":
        return "%"
    if unit == "money":
        return currency
    return "" if unit in _SILENT_UNITS else unit


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d[\d,]*", text.lower())


def _says(label: str, unit: str) -> bool:
    """Whether ``label`` already says ``unit`` (each of its words inside a word of the label:
    "per year" in "leavers per worker-year", "workers" in "Caseworkers in post")."""
    words = _words(label)
    return all(any(part in word for word in words) for part in _words(unit))


def figure_label(name: str, currency: str = "USD", *, unit: bool = True) -> str:
    """A figure's label, with its unit in brackets unless the label already says it.

    A name that is not a summary figure (a factor's dotted path) gets :func:`factor_label`.
    """
    meta = FIGURES.get(name)
    if meta is None:
        return factor_label(name)
    label = meta["label"].strip()
    shown = unit_text(meta["unit"], currency) if unit else ""
    if not shown or (meta["unit"] not in ("share", "money") and _says(label, meta["unit"])):
        return label
    return f"{label} ({shown})"


def cause_label(cause: str) -> str:
    """A cause of missed risk in words (``missed_waitlist`` -> "on the waiting list")."""
    return FIGURES[cause]["label"].strip().removeprefix("missed: ")


def factor_label(path: str) -> str:
    """A factor's dotted path as words: its field, after its section unless the field is a
    plural that stands alone (``workforce.caseworkers`` -> "caseworkers", ``intake.threshold``
    -> "intake threshold", ``case_types.0.arrivals.rate_per_year`` -> "arrivals rate per
    year")."""
    parts = [part for part in path.split(".") if not part.isdigit()]
    if not parts:
        return path
    field = parts[-1].replace("_", " ")
    if len(parts) == 1 or (field.endswith("s") and not field.endswith("ss")):
        return field
    return f"{parts[-2].replace('_', ' ')} {field}"


def decimals(value: float, unit: str) -> int:
    """Decimals that give ``value`` three significant figures (none past the thousands;
    a share as a percentage with one decimal, two below 1%; money in whole units from 100)."""
    if value is None or not math.isfinite(value) or value == 0:
        return 0 if unit != "share" else 1
    if unit == "share":
        return 1 if abs(100 * value) >= 1 else 2
    if unit == "money":
        return 0 if abs(value) >= 100 else 2
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 3:
        return 0
    return min(6, max(1 if magnitude == 2 else 0, 2 - magnitude))


def number(value: float, unit: str, currency: str = "USD", places: int | None = None) -> str:
    """One value as it is shown: ``47.1%``, ``1,832,750`` (money with its symbol or code),
    ``0.211``, ``229.4``; ``-`` for a missing value. ``places`` fixes the decimals (so that
    an interval's bounds match its mean)."""
    if _missing(value):
        return "-"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    places = decimals(value, unit) if places is None else places
    if unit == "share":
        return f"{100 * value:,.{places}f}%"
    if unit == "money":
        return money(value, currency, places=places)
    return f"{value:,.{places}f}"


def money(value: float, currency: str = "USD", *, places: int = 0, short: bool = False) -> str:
    """An amount in ``currency``: ``$1,832,750``, ``-£2,400``, ``1,200 CHF``; with ``short``,
    in words for a sentence (``$1.83 million``, ``$950,000``)."""
    if _missing(value):
        return "-"
    sign = "-" if value < 0 else ""
    size = abs(value)
    if short and size >= 1e6:
        scale, word = (1e9, "billion") if size >= 1e9 else (1e6, "million")
        amount = f"{size / scale:.3g} {word}"
    elif short:
        amount = f"{float(f'{size:.3g}'):,.0f}" if size >= 1000 else f"{size:,.{places}f}"
    else:
        amount = f"{size:,.{places}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def money_tick(value: float, currency: str = "USD") -> str:
    """An amount on an axis, short: ``$1.25M``, ``$950k``, ``$500`` (no ``1e6`` offset)."""
    size = abs(value)
    if size >= 1e6:
        amount = f"{size / 1e6:.3g}M"
    elif size >= 1e3:
        amount = f"{size / 1e3:.3g}k"
    else:
        amount = f"{size:.3g}"
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def estimate(
    mean: float, low: float, high: float, unit: str, currency: str = "USD"
) -> tuple[str, str]:
    """A mean and its interval as text with the same decimals: ``("229.4", "[214.8, 244.0]")``;
    the interval is ``-`` when it is undefined (fewer than two values)."""
    places = decimals(mean, unit)
    if _missing(low) or _missing(high):
        interval = "-"
    else:
        interval = (
            f"[{number(low, unit, currency, places)}, {number(high, unit, currency, places)}]"
        )
    return number(mean, unit, currency, places), interval


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def factor_value(value: Any) -> str:
    """A factor's value in words: ``9``, ``0.3``, ``on``/``off``, ``none``, a duration as
    ``gamma (mean 20, sd 7)``."""
    if _missing(value):
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        kind = value.get("distribution")
        inner = ", ".join(
            f"{k.replace('_', ' ')} {factor_value(v)}"
            for k, v in value.items()
            if not (kind is not None and k == "distribution")
        )
        return inner if kind is None else (f"{kind} ({inner})" if inner else str(kind))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(factor_value(v) for v in value) + "]"
    if hasattr(value, "item"):  # a numpy scalar
        return factor_value(value.item())
    return str(value)


def varying(design: Iterable[Mapping[str, Any]], factors: Sequence[str]) -> list[str]:
    """The factors whose value differs between the rows of ``design``."""
    rows = list(design)
    return [f for f in factors if len({repr(row.get(f)) for row in rows}) > 1]


def point_label(row: Mapping[str, Any], factors: Sequence[str]) -> str:
    """A design point by the factors given: ``caseworkers 9, intake threshold 0.3``."""
    return ", ".join(f"{factor_label(f)} {factor_value(row.get(f))}" for f in factors)


def estimate_text(figure: str, row: Mapping[str, Any], currency: str = "USD") -> str:
    """``229.4 [214.8, 244.0]``: a summary row's mean and interval (the interval left out when
    it is undefined)."""
    mean, interval = estimate(row["mean"], row["ci_low"], row["ci_high"], _unit(figure), currency)
    return mean if interval == "-" else f"{mean} {interval}"


def _unit(figure: str) -> str:
    meta = FIGURES.get(figure)
    return "" if meta is None else meta["unit"]


def unit_column(figure: str, currency: str = "USD") -> str:
    """What a table's unit column says beside a figure's label: nothing where the value
    carries its unit (``47.1%``, ``$1,832,750``) or the label already says it."""
    meta = FIGURES[figure]
    unit = meta["unit"]
    if unit in ("share", "money") or _says(meta["label"], unit):
        return ""
    return unit_text(unit, currency)


def display_summary(summary: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """A run's summary (``RunResult.summary()``) as text to show: section, figure, mean,
    95% CI and unit, one row per figure (the statistics window is in the caption)."""
    rows = []
    for figure, row in summary.iterrows():
        if figure == "window_days":
            continue
        mean, interval = estimate(row["mean"], row["ci_low"], row["ci_high"], row["unit"], currency)
        label = FIGURES[str(figure)]["label"]
        indent = label[: len(label) - len(label.lstrip())]  # a part of the figure above
        rows.append(
            {
                "section": row["section"],
                "figure": indent + figure_label(str(figure), currency, unit=False),
                "mean": mean,
                "95% CI": interval,
                "unit": unit_column(str(figure), currency),
            }
        )
    return pd.DataFrame(rows, columns=["section", "figure", "mean", "95% CI", "unit"])
