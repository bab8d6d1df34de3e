"""Per-referral records: one row per referral, as it stood at the end of a run; and the staff.

Asked for with ``records=True`` (:func:`sim.run_replication`, :func:`sim.run`); the model
then keeps every referral, so memory grows with the run. Times are days from the start
of the run (NaN where a referral never reached that point). The staff table has one row per
caseworker who held a position during the run: the shape of an agency's staff export.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from .referral import Referral
from .workforce import Worker

__all__ = ["ReferralRecord", "StaffRecord", "records_table", "staff_table"]


class ReferralRecord(NamedTuple):
    """One referral as it stood at the end of a run (``records=True``)."""

    id: int
    subject: int
    case_type: str
    arrival: float
    rereferral: bool
    follow_on: bool
    initial: bool
    surge: bool
    latent_tier: int
    assessed_tier: int
    score: float
    escalations: int
    state: str
    assigned_at: float
    first_contact_at: float
    closed_at: float
    handoffs: int
    worker: int
    harms: int
    contacts_due: int
    contacts_on_time: int
    dose_at_close: float


def records_table(referrals: Iterable[Referral]) -> pd.DataFrame:
    """The records of ``referrals`` as a table (columns: :class:`ReferralRecord`'s fields)."""
    nan = math.nan
    rows = [
        ReferralRecord(
            id=r.id,
            subject=r.subject.id,
            case_type=r.profile.name,
            arrival=r.arrival,
            rereferral=r.rereferral,
            follow_on=r.follow_on,
            initial=r.initial,
            surge=r.surge,
            latent_tier=r.subject.tier,
            assessed_tier=r.tier,
            score=r.score,
            escalations=r.escalations,
            state=r.state.value,
            assigned_at=nan if r.assigned_at is None else r.assigned_at,
            first_contact_at=nan if r.first_contact_at is None else r.first_contact_at,
            closed_at=nan if r.closed_at is None else r.closed_at,
            handoffs=r.handoffs,
            worker=r.worker_id,
            harms=r.harms,
            contacts_due=r.contacts_due,
            contacts_on_time=r.contacts_on_time,
            dose_at_close=r.dose_at_close,
        )
        for r in referrals
    ]
    return pd.DataFrame(rows, columns=ReferralRecord._fields)


class StaffRecord(NamedTuple):
    """One caseworker who held a position during a run (``records=True``)."""

    worker: int
    position: int
    agency: bool
    hired_at: float
    ready_at: float
    left_at: float


def staff_table(workers: Iterable[Worker]) -> pd.DataFrame:
    """The caseworkers of a run as a table (columns: :class:`StaffRecord`'s fields); ``left_at``
    is NaN for a worker still in post, ``ready_at`` NaN for one taking cases from the start."""
    rows = [
        StaffRecord(
            worker=w.id,
            position=w.position,
            agency=w.agency,
            hired_at=w.hired_at,
            ready_at=w.ready_at if math.isfinite(w.ready_at) else math.nan,
            left_at=w.left_at if math.isfinite(w.left_at) else math.nan,
        )
        for w in workers
    ]
    return pd.DataFrame(rows, columns=StaffRecord._fields)
