"""Two scenarios on the same random numbers: what differs, and is it more than chance?

:func:`compare` runs scenario A and scenario B with the same replications of the same seed.
Replication ``r`` of each draws from the random streams of ``(seed, r)``: the same referrals,
risks and working lives wherever the two scenarios agree (common random numbers). For each
figure the difference ``B - A`` is taken replication by replication, and its mean has the
Student-t interval of those paired differences (usually much narrower than the two intervals
apart, since the noise the two share cancels). A difference is *significant* when its 95%
interval excludes zero, which is the same as a two-sided paired t-test with p < 0.05; the
p-value is given beside it. A figure that is identical in every replication (say referrals,
when only the staffing differs) has a zero difference and no p-value.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..core.summary import FIGURES
from ..experiments.intervals import confidence_interval, natural_range
from ..experiments.presentation import HEADLINE_FIGURES, estimate, figure_label, number
from ..experiments.runner import RunResult, run
from ..scenario import Scenario, load_scenario

__all__ = ["Comparison", "compare"]


@dataclass(frozen=True)
class Comparison:
    """Scenario B against scenario A on the same seeds.

    Attributes
    ----------
    a, b
        The two runs (the same replications of the same seed).
    level
        The confidence level of the intervals.
    table
        One row per figure: ``label``, ``unit``, ``a_mean``, ``b_mean``, ``difference``
        (mean of ``B - A`` over replications), ``ci_low``, ``ci_high`` (its interval),
        ``p_value`` (paired t-test), ``significant`` (the interval excludes zero) and ``n``
        (the replications in which both have the figure).
    """

    a: RunResult
    b: RunResult
    level: float
    table: pd.DataFrame

    @property
    def significant(self) -> list[str]:
        """The figures whose difference is significant."""
        return [str(f) for f in self.table.index[self.table.significant]]

    def __repr__(self) -> str:
        return (
            f"<Comparison {self.a.scenario.name!r} -> {self.b.scenario.name!r}: "
            f"{len(self.a.replications)} paired replications, seed {self.a.seed}; "
            f"{len(self.significant)} of {len(self.table)} figures differ significantly>"
        )

    def _repr_html_(self) -> str:
        rows = display_comparison(self)
        cell = html.escape
        head = "".join(f"<th>{cell(c)}</th>" for c in rows.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell(str(v))}</td>" for v in row) + "</tr>"
            for row in rows.itertuples(index=False)
        )
        caption = cell(describe(self))
        return (
            f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    figures: Sequence[str] | None = None,
    level: float = 0.95,
    progress: bool | None = None,
) -> Comparison:
    """Run ``a`` and ``b`` on the same seeds and compare their figures, paired.

    Parameters
    ----------
    a, b
        Scenarios (or scenario files): B is compared with A (differences are ``B - A``).
    replications, seed
        The same for both; by default A's.
    figures
        The figures to compare (default: the headline ones,
        :data:`sim.experiments.presentation.HEADLINE_FIGURES`); ``list(sim.FIGURES)`` for all.
    level
        Confidence level of the intervals.
    progress
        Progress bars of the two runs (default: in a notebook or a terminal).
    """
    first, second = _as_scenario(a), _as_scenario(b)
    count = first.replications if replications is None else replications
    seed = first.seed if seed is None else seed
    chosen = list(HEADLINE_FIGURES if figures is None else figures)
    unknown = [f for f in chosen if f not in FIGURES]
    if unknown:
        raise ValueError(f"figures: expected summary figures (sim.FIGURES), got {unknown}")
    run_a = run(first, replications=count, seed=seed, progress=progress)
    run_b = run(second, replications=count, seed=seed, progress=progress)
    table = paired_table(run_a, run_b, chosen, level)
    if first.budget.currency != second.budget.currency:  # amounts in two currencies
        money = table.unit == "money"
        table.loc[money, ["difference", "ci_low", "ci_high", "p_value"]] = math.nan
        table.loc[money, "significant"] = False
    return Comparison(run_a, run_b, level, table)


def paired_table(a: RunResult, b: RunResult, figures: Sequence[str], level: float) -> pd.DataFrame:
    """The paired differences ``b - a`` of ``figures``, replication by replication."""
    left = a.replications.set_index("replication")
    right = b.replications.set_index("replication")
    both = left.index.intersection(right.index)
    rows = {}
    for figure in figures:
        differences = (right.loc[both, figure] - left.loc[both, figure]).dropna()
        low_bound, high_bound = natural_range(figure)
        bounds = (low_bound - high_bound, high_bound - low_bound)
        mean, low, high = confidence_interval(differences.tolist(), level, bounds)
        spread = float(differences.std(ddof=1)) if len(differences) > 1 else math.nan
        if len(differences) > 1 and spread > 0:
            p_value = float(stats.ttest_1samp(differences.to_numpy(float), 0.0).pvalue)
        else:
            p_value = math.nan
        rows[figure] = {
            "label": FIGURES[figure]["label"].strip(),
            "unit": FIGURES[figure]["unit"],
            "a_mean": float(left.loc[both, figure].mean()),
            "b_mean": float(right.loc[both, figure].mean()),
            "difference": mean,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_value,
            "significant": bool(np.isfinite(low) and (low > 0 or high < 0)),
            "n": len(differences),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "figure"
    return table


def describe(comparison: Comparison) -> str:
    """What was compared, in a sentence."""
    a, b = comparison.a, comparison.b
    n = len(a.replications)
    return (
        f"B {b.scenario.name!r} against A {a.scenario.name!r}: {n} replication"
        f"{'s' if n != 1 else ''} each, seed {a.seed}; replication r of both draws from the "
        f"same random streams, so each difference B - A is paired, with its "
        f"{comparison.level:.0%} confidence interval"
    )


def display_comparison(comparison: Comparison) -> pd.DataFrame:
    """The comparison as text to show: figure, A, B, B - A, its interval, significance."""
    currency_a = comparison.a.scenario.budget.currency
    currency_b = comparison.b.scenario.budget.currency
    same = currency_a == currency_b
    rows = []
    for figure, row in comparison.table.iterrows():
        unit = row["unit"]
        change, interval = estimate(
            row["difference"], row["ci_low"], row["ci_high"], unit, currency_a
        )
        if row["difference"] > 0:
            change = "+" + change
        label = figure_label(str(figure), currency_a if same else f"{currency_a}, {currency_b}")
        rows.append(
            {
                "figure": label,
                "A": number(row["a_mean"], unit, currency_a),
                "B": number(row["b_mean"], unit, currency_b),
                "B - A": change,
                f"{comparison.level:.0%} CI": interval,
                "significant": _verdict(row, same),
            }
        )
    return pd.DataFrame(rows)


def _verdict(row: pd.Series, same_currency: bool = True) -> str:
    if row["unit"] == "money" and not same_currency:
        return "n/a (two currencies)"
    if row["significant"]:
        p = row["p_value"]
        return "yes" + (f" (p {'< 0.001' if p < 0.001 else f'= {p:.3f}'})" if p == p else "")
    if row["ci_low"] == row["ci_high"] == 0:
        return "no (identical)"
    return "no"
