"""A simulated history in the shape of an agency's export: the tables ``caseload fit`` reads.

A replication run with ``records=True`` gives one row per referral and one per caseworker
(:mod:`sim.core.records`); :func:`history_tables` turns them into the referrals and staff
tables of docs/fit.md, with dates counted from a chosen first day. The back-test reads the
simulated months through the same tables as the observed ones, and the tests fit a history
the simulator made from a scenario whose figures are known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["history_tables"]


def _dates(start: pd.Timestamp, days: pd.Series) -> pd.Series:
    """Day numbers as calendar dates (the day a moment falls on); NaT for NaN."""
    return start + pd.to_timedelta(np.floor(days.to_numpy(dtype=float)), unit="D")


def history_tables(
    records: pd.DataFrame,
    tiers: list[str],
    start: str | pd.Timestamp,
    *,
    day0: float = 0.0,
    staff: pd.DataFrame | None = None,
    levels_when_screened_out: bool = True,
    keep_earlier: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The referrals (and staff) tables of a simulated history, as an agency would export them.

    Parameters
    ----------
    records
        One replication's records (``run_replication(..., records=True).records``).
    tiers
        The scenario's tier names, low to high (``[t.name for t in scenario.risk.tiers]``).
    start
        The calendar date of simulation day ``day0``.
    day0
        The simulation day the history starts on: referrals received before it are kept only
        if their case was still open or waiting at it (an export's "cases open at the start").
    staff
        The run's staff table (``run_replication(..., records=True).staff``).
    levels_when_screened_out
        Give the assessed risk level of screened-out referrals too (a screening tool scores
        every referral); otherwise only opened cases carry one.
    keep_earlier
        Keep every referral received before ``day0`` (an export that looks back before the
        history, so that re-referrals of subjects first referred earlier are recognised).

    Returns
    -------
    referrals, staff
        Tables with the columns of docs/fit.md; dates are whole days.
    """
    start = pd.Timestamp(start)
    r = records
    screened_out = r["state"] == "screened_out"
    before = r["arrival"] < day0
    open_at_start = (r["closed_at"].isna() | (r["closed_at"] >= day0)) & ~screened_out
    keep = ~before | open_at_start | keep_earlier
    r = r[keep]
    screened_out = screened_out[keep]
    # A case of the initial state was received before the run began, even one put on the
    # waiting list at day 0.
    arrival = r["arrival"].where(~r["initial"], np.minimum(r["arrival"], day0 - 1.0))
    names = np.asarray(tiers, dtype=object)
    levels = pd.Series(names[r["assessed_tier"].to_numpy()], index=r.index, dtype=object)
    if not levels_when_screened_out:
        levels[screened_out] = None
    referrals = pd.DataFrame(
        {
            "id": r["id"].astype(str),
            "received": _dates(start, arrival - day0),
            "case_type": r["case_type"],
            "screening": np.where(screened_out, "out", "in"),
            "assigned": _dates(start, r["assigned_at"] - day0),
            "closed": _dates(start, r["closed_at"] - day0),
            "risk_level": levels,
            "worker": r["worker"].map(lambda w: None if w < 0 else str(w)),
            "subject": r["subject"].astype(str),
        }
    ).reset_index(drop=True)
    if staff is None:
        return referrals, None
    spells = pd.DataFrame(
        {
            "worker": staff["worker"].astype(str),
            "role": np.where(staff["agency"], "agency", "caseworker"),
            # An agency worker's hired_at is set back by the experience it arrives with.
            "start": _dates(
                start, staff["ready_at"].where(staff["agency"], staff["hired_at"]) - day0
            ),
            "leave": _dates(start, staff["left_at"] - day0),
            "position": staff["position"].astype(str),
        }
    )
    return referrals, spells
