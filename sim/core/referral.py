"""The people at risk and the referrals about them.

A :class:`Subject` is the child, defendant or person on probation: a latent risk
tier and the risk signals it will produce. A :class:`Referral` is one report
about a subject to the agency; it is screened out, or opened as a case that
waits, is held open by a worker, is closed, or is sent to an external provider.
A subject usually has one referral; a re-report after screen-out or closure
adds another, and the subject's signals follow it to the newest one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .casetypes import CaseProfile
    from .risk import Signal
    from .workforce import Worker

__all__ = ["Referral", "ReferralState", "Subject"]


class ReferralState(StrEnum):
    """Where a referral is. Every referral is in exactly one state at any time."""

    SCREENED_OUT = "screened_out"
    WAITING = "waiting"
    OPEN = "open"
    CLOSED = "closed"
    SENT_OUT = "sent_out"

    __hash__ = str.__hash__  # Enum's own hash is a Python call; states are counted per event


class Subject:
    """A person at risk: latent tier, signals (sorted by time) and their referrals.

    The subject reaches its referrals only while one of its signals is still to
    play out (``pending``): a signal is the only thing that ever looks a subject's
    referrals up again. Once none is left, :meth:`signal_ended` lets go of them,
    so that a referral and its subject are freed as soon as nothing else holds
    them instead of waiting, as a reference cycle, for Python's cyclic collector.
    """

    __slots__ = (
        "exit_kind",
        "exit_time",
        "exit_type",
        "id",
        "opened",
        "origin_day",
        "origin_type",
        "pending",
        "referrals",
        "signals",
        "tier",
    )

    def __init__(self, id: int, tier: int, origin_type: int = -1, origin_day: int = 0) -> None:
        self.id = id
        self.tier = tier
        self.signals: list[Signal] = []
        self.referrals: list[Referral] = []
        self.pending = 0
        """Signals that have not yet ended (been prevented, caught, or become harm)."""
        self.opened = 0
        """Referrals and follow-on cases about this subject so far."""
        self.origin_type = origin_type
        """The case type of the subject's first referral (-1: an initial case, not counted)."""
        self.origin_day = origin_day
        """The day of the subject's first referral."""
        self.exit_kind = 0
        """How the subject last left the agency (:mod:`sim.core.recurrence`; 0: it has not)."""
        self.exit_time = 0.0
        self.exit_type = 0

    def signals_set(self) -> None:
        """All the subject's signals are in ``signals``: keep the referrals only if needed."""
        self.pending = len(self.signals)
        if not self.pending:
            self.referrals = []

    def signal_ended(self) -> None:
        """One signal was caught or became harm; after the last, let go of the referrals."""
        self.pending -= 1
        if not self.pending:
            self.signals = []
            self.referrals = []

    def referred_again(self) -> None:
        """A new referral or case was just added: keep it only while a signal is pending
        (one opened after the last signal needs no link back from its subject)."""
        if not self.pending:
            self.referrals = []

    @property
    def current(self) -> Referral:
        """The newest referral about this subject (while one of its signals is pending)."""
        return self.referrals[-1]


class Referral:
    """One referral and, once screened in, the case opened from it.

    Times are in days from the start of the run; case work in hours. ``history``
    records every change of state as ``(time, state)``, which is what the cause
    of a harm is read from.
    """

    __slots__ = (
        "arrival",
        "assigned_at",
        "closed_at",
        "closing",
        "complexity",
        "contact_due",
        "contact_eligible",
        "contact_first",
        "contacts_due",
        "contacts_on_time",
        "dose_at_close",
        "duration",
        "escalations",
        "first_contact_at",
        "first_contact_due",
        "follow_on",
        "handoffs",
        "harms",
        "history",
        "id",
        "initial",
        "pathway_draw",
        "planned_close",
        "profile",
        "provider_until",
        "queue_version",
        "raw_score",
        "rereferral",
        "score",
        "signals_caught",
        "state",
        "subject",
        "surge",
        "tier",
        "transferred_at",
        "weight",
        "work_done",
        "work_total",
        "worker",
        "worker_id",
    )

    def __init__(
        self,
        id: int,
        subject: Subject,
        profile: CaseProfile,
        arrival: float,
        complexity: int,
        raw_score: float,
        score: float,
        tier: int,
        duration: float,
        *,
        rereferral: bool = False,
        initial: bool = False,
        surge: bool = False,
    ) -> None:
        self.id = id
        self.subject = subject
        self.profile = profile
        self.arrival = arrival
        self.complexity = complexity
        self.raw_score = raw_score
        self.score = score
        self.tier = tier
        """The assessed tier (from the score); the latent tier is ``subject.tier``."""
        self.duration = duration
        self.rereferral = rereferral
        self.initial = initial
        self.surge = surge
        """An extra referral of a scandal's surge (beyond the scenario's arrivals)."""
        self.weight = profile.case_weights[tier][complexity]
        self.work_total = profile.case_work_hours[complexity]
        self.work_done = 0.0
        self.state: ReferralState | None = None
        self.history: list[tuple[float, ReferralState]] = []
        self.worker: Worker | None = None
        self.worker_id = -1
        """The id of the worker who holds the case, or last held it (-1: never assigned)."""
        self.assigned_at: float | None = None
        self.planned_close: float | None = None
        self.closed_at: float | None = None
        self.closing = False
        self.provider_until: float | None = None
        self.first_contact_due: float | None = None
        self.first_contact_at: float | None = None
        self.contact_due: float | None = None
        self.contact_eligible = 0.0
        self.contact_first = False
        self.queue_version = 0
        self.transferred_at: float | None = None
        """When the case last changed worker (continuity is lost for a while)."""
        self.escalations = 0
        """Re-reports while waiting, each of which raised ``raw_score``."""
        self.contacts_due = 0
        """Contacts (first and recurring) that fell due so far: made, missed, or late."""
        self.contacts_on_time = 0
        """Of those, made on time."""
        self.handoffs = 0
        """Changes of worker (a leaver's case transferred)."""
        self.signals_caught = 0
        """Signals of the subject caught by a contact on this case."""
        self.harms = 0
        """Harms to the subject while this case was open with a worker."""
        self.dose_at_close = 0.0
        """The service dose delivered, read at closure (:mod:`sim.core.service`)."""
        self.pathway_draw = 1.0
        """A uniform drawn with the referral, deciding a follow-on case at closure."""
        self.follow_on = False
        """Opened by a pathway from another case of the subject, not by a referral."""
        subject.referrals.append(self)
        subject.opened += 1

    def move(self, state: ReferralState, time: float) -> None:
        """Change state, recording the change."""
        self.state = state
        self.history.append((time, state))

    @property
    def work_left(self) -> float:
        return self.work_total - self.work_done

    def __repr__(self) -> str:
        return (
            f"Referral(id={self.id}, {self.profile.name}, state={self.state}, t={self.arrival:.2f})"
        )
