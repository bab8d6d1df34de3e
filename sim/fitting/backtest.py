"""The back-test: does the fitted scenario, run over the history, look like the history?

The fitted scenario starts on the history's first day from its open caseload and runs to its
end, ``replications`` times. Each replication's records are turned into the referrals table
of an export (:func:`.export.history_tables`) and read into the same monthly series as the
observed table: **referrals** received in each month (first reports, re-referrals and those
screened out), **open** cases (assigned and not closed) at each month's end, and
**closures** in each month. For each month and series the band runs from the ``k``-th smallest
to the ``k``-th largest of the ``R`` replications, ``k = round(0.05 (R + 1))``: if the history
were one more replication of the scenario, it would fall inside with probability
``(R + 1 - 2k) / (R + 1)`` (the band's level: 90% with 19 or 39 replications; at least that
for counts, which tie). The back-test reports the share of observed months inside the band,
per series. About the band's level is what a scenario that fits gives; far less says which
series the scenario misses (and the table, which months).

Only whole calendar months inside the history are compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..experiments.runner import run_replication
from .export import history_tables

if TYPE_CHECKING:
    from ..scenario import Scenario
    from .fit import FitResult
    from .tables import History

__all__ = ["SERIES", "BackTest", "backtest", "monthly_series", "whole_months"]

SERIES = ("referrals", "open", "closures")


def band_rank(replications: int) -> int:
    """``k``: the band runs from the k-th smallest to the k-th largest replication."""
    return max(1, round(0.05 * (replications + 1)))


def band_level(replications: int) -> float:
    """The chance that one more replication falls inside the band."""
    return (replications + 1 - 2 * band_rank(replications)) / (replications + 1)


def whole_months(history: History) -> pd.PeriodIndex:
    """The calendar months wholly inside the history."""
    months = pd.period_range(history.start, history.end - pd.Timedelta(days=1), freq="M")
    first, after = months.to_timestamp(how="start"), (months + 1).to_timestamp(how="start")
    return months[(first >= history.start) & (after <= history.end)]


def monthly_series(referrals: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Referrals received, cases open at the month's end and closures, by month.

    ``referrals`` has datetime columns ``received``, ``assigned`` and ``closed`` (NaT where
    none); a case is open at the end of a day if it was assigned on or before it and not
    closed on or before it.
    """
    received = referrals["received"].dt.to_period("M").value_counts()
    closed = referrals["closed"].dt.to_period("M").value_counts()
    assigned = np.sort(referrals["assigned"].dropna().to_numpy())
    closes = np.sort(referrals["closed"].dropna().to_numpy())
    last = ((months + 1).to_timestamp(how="start") - pd.Timedelta(days=1)).to_numpy()
    open_ = np.searchsorted(assigned, last, side="right") - np.searchsorted(
        closes, last, side="right"
    )
    return pd.DataFrame(
        {
            "month": months,
            "referrals": [int(received.get(m, 0)) for m in months],
            "open": open_,
            "closures": [int(closed.get(m, 0)) for m in months],
        }
    )


@dataclass(frozen=True)
class BackTest:
    """Observed months against the simulated band.

    Attributes
    ----------
    months
        One row per series and month: ``series``, ``month``, ``observed``, ``low``,
        ``median``, ``high`` (the simulated band and median), ``inside``.
    replications, seed
        How the band was simulated.
    """

    months: pd.DataFrame
    replications: int
    seed: int

    @property
    def level(self) -> float:
        """The band's level (0.9 with 19 or 39 replications)."""
        return band_level(self.replications)

    @property
    def coverage(self) -> dict[str, float]:
        """The share of observed months inside the simulated 90% band, per series."""
        return {s: float(self.months[self.months["series"] == s]["inside"].mean()) for s in SERIES}

    def describe(self) -> str:
        n = self.months["month"].nunique()
        shares = ", ".join(f"{s} {v:.0%}" for s, v in self.coverage.items())
        return (
            f"back-test: observed months inside the simulated {self.level:.0%} band "
            f"({self.replications} replications, {n} months): {shares}"
        )


def backtest(
    fitted: FitResult,
    *,
    replications: int = 19,
    seed: int | None = None,
    scenario: Scenario | None = None,
) -> BackTest:
    """Run the fitted scenario over the history and compare its monthly series with the data.

    Parameters
    ----------
    fitted
        The result of :func:`sim.fit`.
    replications
        Replications that make the band (19 or 39 give a 90% band).
    seed
        The seed (default: the scenario's).
    scenario
        Another scenario to run instead of the fitted one (say, the fitted one changed).
    """
    if replications < 2:
        raise ValueError(f"replications: expected at least 2, got {replications}")
    history = fitted.history
    scenario = scenario or fitted.scenario
    seed = scenario.seed if seed is None else seed
    months = whole_months(history)
    observed = monthly_series(
        history.referrals[history.referrals["received"] < history.end], months
    )
    tiers = [t.name for t in scenario.risk.tiers]
    runs = []
    for replication in range(replications):
        output = run_replication(scenario, replication, seed, records=True)
        table, _ = history_tables(output.records, tiers, history.start)
        runs.append(monthly_series(table, months))
    rows = []
    k = band_rank(replications)
    for series in SERIES:
        simulated = np.sort(np.column_stack([run[series].to_numpy(float) for run in runs]), axis=1)
        low, high = simulated[:, k - 1], simulated[:, replications - k]
        median = np.median(simulated, axis=1)
        values = observed[series].to_numpy(float)
        rows.append(
            pd.DataFrame(
                {
                    "series": series,
                    "month": months,
                    "observed": values,
                    "low": low,
                    "median": median,
                    "high": high,
                    "inside": (values >= low) & (values <= high),
                }
            )
        )
    return BackTest(pd.concat(rows, ignore_index=True), replications, seed)
