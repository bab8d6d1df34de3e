"""The caseload: opening cases, assigning them under the caps, transfers and closures.

A screened-in referral becomes a case with its first-contact deadline and goes to the
least-loaded worker with room under the count and weighted caps (:class:`~sim.core.
workforce.Roster`). When nobody has room the overflow policy applies: ``wait`` (the
waiting list, highest score first), ``over_cap`` (the least-loaded worker anyway, the
breach counted) or ``external`` (an external provider, at a cost per case, for the
case's duration). A case closes at its planned date if its case work is done (or if
its type closes on schedule, like a court disposition), and otherwise when the work is
done; each closure frees a slot for the next waiting case. A leaver's cases go to
colleagues with room (transfer hours, continuity lost for a while), over the cap, or
back to wait.
"""

from __future__ import annotations

import math

import simpy

from ..scenario import Scenario
from .clock import call_at
from .costs import CostRates
from .metrics import Metrics
from .pathways import Pathways
from .reassessment import Reassessment
from .referral import Referral, ReferralState
from .register import ReferralRegister
from .service import Service
from .sharing import CaseSharing
from .waiting_list import WaitingList
from .work import (
    WorkContext,
    offered_load,
    respond_now,
    roll_missed_contacts,
    schedule_next_contact,
)
from .workforce import Roster, Worker

__all__ = ["Caseload"]

_EPS = 1e-9
WAITING, OPEN = ReferralState.WAITING, ReferralState.OPEN
CLOSED, SENT_OUT = ReferralState.CLOSED, ReferralState.SENT_OUT


class Caseload:
    """Who holds which case: assignment under the caps, overflow, transfers and closures.

    Parameters
    ----------
    scenario
        Read once: the overflow policy and the transfer hours of a leaver's case.
    env, metrics, register
        The clock, the counters and the register of referrals.
    roster, waiting
        The caseworker positions and the waiting list.
    costs
        The cost of a case sent to an external provider.
    """

    def __init__(
        self,
        scenario: Scenario,
        env: simpy.Environment,
        metrics: Metrics,
        register: ReferralRegister,
        roster: Roster,
        waiting: WaitingList,
        costs: CostRates,
    ) -> None:
        self._env = env
        self._metrics = metrics
        self._register = register
        self._roster = roster
        self._waiting = waiting
        self._external_cost = costs.per_external_case
        self._overflow = scenario.caps.overflow
        self._transfer_hours = scenario.turnover.transfer_hours
        self._work: WorkContext | None = None
        self._service: Service | None = None
        self._pathways: Pathways | None = None
        self._reassessment: Reassessment | None = None
        self._sharing: CaseSharing | None = None
        self.office = 0

    def connect(
        self,
        work: WorkContext,
        service: Service,
        pathways: Pathways,
        reassessment: Reassessment,
        sharing: CaseSharing | None = None,
        office: int = 0,
    ) -> None:
        """The working days (told of a same-day first contact on assignment), and the
        outcome parts told of each case opened and closed: the service (its dose at
        closure), the pathways (a follow-on case, or the subject's exit) and the
        reassessment calendar; in a region, the case-sharing rule and this office's index."""
        self._work = work
        self._service = service
        self._pathways = pathways
        self._reassessment = reassessment
        self._sharing = sharing
        self.office = office

    # ------------------------------------------------------------------ opening and assigning

    def open(self, referral: Referral) -> None:
        """Open a case for a screened-in referral: its first-contact deadline, then a worker."""
        profile = referral.profile
        if profile.first_contact_deadline is not None:
            due = referral.arrival + profile.first_contact_deadline[referral.tier]
            referral.first_contact_due = referral.contact_due = due
            referral.contact_first = True
        self._place(referral)

    def _place(self, referral: Referral) -> None:
        """Give an opened case to a worker, or (in a region) to another office with room,
        or apply the overflow policy."""
        if self._overflow == "wait":
            if not self._waiting or self._sharing is not None:
                worker = self._roster.least_loaded_with_room(referral.weight)
                if worker is not None and not self._waiting:
                    self._assign(referral, worker)
                    return
                if worker is None and self._shared(referral):
                    return
            self._wait(referral)
            return
        worker = self._roster.least_loaded_with_room(referral.weight)
        if worker is not None:
            self._assign(referral, worker)
        elif self._shared(referral):
            return
        elif self._overflow == "external":
            self._send_out(referral)
        elif (worker := self._roster.least_loaded()) is not None:
            self._assign(referral, worker, over_cap=True)
        else:  # over_cap, but nobody in post is taking cases
            self._wait(referral)

    def _shared(self, referral: Referral) -> bool:
        """Whether another office of the region took a case this office has no room for."""
        return self._sharing is not None and self._sharing.place(referral, self.office)

    def room_for(self, referral: Referral) -> Worker | None:
        """The worker who would take ``referral`` now, without anyone waiting longer (under
        ``wait``, only while nobody waits): another office asks before sharing a case."""
        if self._overflow == "wait" and self._waiting:
            return None
        return self._roster.least_loaded_with_room(referral.weight)

    def take_shared(self, referral: Referral, worker: Worker, transfer_hours: float) -> None:
        """A case another office had no room for, given to ``worker``: a change of worker
        (the handoff from the other office) with its travel and handover hours."""
        referral.handoffs += 1
        referral.work_total += transfer_hours
        self._metrics.levers.shared(self._env.now, out=False)
        self._assign(referral, worker)

    def _wait(self, referral: Referral) -> None:
        self._register.move(referral, WAITING)
        self._waiting.push(referral)

    def _assign(self, referral: Referral, worker: Worker, *, over_cap: bool = False) -> None:
        now = self._env.now
        worker.take(referral)
        self._register.move(referral, OPEN)
        referral.assigned_at = now
        referral.planned_close = now + referral.duration
        self._metrics.assignment(now, referral.arrival, over_cap=over_cap)
        if referral.contact_first:
            referral.contact_eligible = now
            respond_now(worker, referral, now, self._work)
        else:
            schedule_next_contact(referral, None)
        call_at(self._env, referral.planned_close, self._on_planned_close, referral)
        if self._reassessment.enabled:
            self._reassessment.start(referral)

    def assign_waiting(self) -> None:
        """Assign waiting cases, highest priority first, while a worker has room."""
        waiting, roster = self._waiting, self._roster
        while waiting:
            referral = waiting.peek()
            worker = roster.least_loaded_with_room(referral.weight)
            if worker is None:
                return
            waiting.pop()
            if referral.assigned_at is None:
                self._assign(referral, worker)
            else:  # a leaver's case, back from the waiting list
                self._transfer(referral, worker)

    def _send_out(self, referral: Referral) -> None:
        now = self._env.now
        referral.provider_until = now + referral.duration
        self._register.move(referral, SENT_OUT)
        self._metrics.sent(now, self._external_cost)

    def open_from_the_start(
        self, case: Referral, worker: Worker, elapsed: float, phase: float
    ) -> None:
        """A case that ``worker`` was given ``elapsed`` days before the run began.

        Its case work is done in proportion to the time elapsed; ``phase`` (a uniform
        draw) places its next recurring contact within the contact period.
        """
        self._register.keep(case)
        self._register.open_from_the_start(case)
        worker.take(case)
        case.assigned_at = case.arrival
        case.planned_close = case.arrival + case.duration
        case.work_done = case.work_total * elapsed / case.duration if case.duration > 0 else 0.0
        every = case.profile.contact_every
        if every is not None:
            k = every[case.tier]
            case.contact_due = math.floor(phase * k) + 1.0
            case.contact_eligible = case.contact_due - k
        call_at(self._env, case.planned_close, self._on_planned_close, case)
        if self._reassessment.enabled:
            self._reassessment.start(case)

    # ------------------------------------------------------------------ leavers' cases

    def _transfer(self, case: Referral, worker: Worker, *, over_cap: bool = False) -> None:
        """Give a case that had a worker to another one: transfer hours, continuity lost."""
        now = self._env.now
        worker.take(case)
        if case.state is not OPEN:
            self._register.move(case, OPEN)
        case.work_total += self._transfer_hours
        case.transferred_at = now
        case.handoffs += 1
        self._metrics.transfer(now)
        self._metrics.cap_breaches += over_cap and now >= self._metrics.warmup

    def move(self, case: Referral, worker: Worker, transfer_hours: float) -> None:
        """Move an open case from its worker to ``worker`` (a rebalancing audit): a change
        of worker, with its transfer hours and lost continuity."""
        case.worker.release(case)
        worker.take(case)
        case.work_total += transfer_hours
        case.transferred_at = self._env.now
        case.handoffs += 1

    def rehome(self, case: Referral) -> None:
        """Place a leaver's case: with a colleague with room, over the cap, or back to wait."""
        worker = self._roster.least_loaded_with_room(case.weight)
        if worker is not None:
            self._transfer(case, worker)
        elif self._overflow == "over_cap" and (worker := self._roster.least_loaded()) is not None:
            self._transfer(case, worker, over_cap=True)
        else:
            self._wait(case)
            self._metrics.back_to_waiting(self._env.now)

    # ------------------------------------------------------------------ closure

    def _on_planned_close(self, event: simpy.Event) -> None:
        case: Referral = event.value
        if case.state is WAITING:  # a leaver's case, waiting for a new worker
            case.closing = True
            return
        if case.state is not OPEN:
            return
        if case.work_total - case.work_done <= _EPS or case.profile.closes_on_schedule:
            self._close(case)
        else:
            case.closing = True

    def close_when_done(self, case: Referral, time: float) -> None:
        """A case's case work was finished at ``time``: it closes then if it is due to."""
        if case.closing:
            call_at(self._env, time, self._close_event, case)

    def _close_event(self, event: simpy.Event) -> None:
        if event.value.state is OPEN:
            self._close(event.value)

    def _close(self, case: Referral) -> None:
        now = self._env.now
        metrics = self._metrics
        if case.contact_first:
            metrics.first_contact_never(case.arrival, case.first_contact_due, now)
            case.contacts_due += case.first_contact_due <= now
        elif case.contact_due is not None:
            missed = roll_missed_contacts(case, now) + (case.contact_due < now)
            metrics.contacts_missed_now(now, missed)
            case.contacts_due += missed
        case.contact_due = None
        profile = case.profile
        if profile.provides_services:
            self._service.closing(case, now)
        worker = case.worker
        worker.closed_load += offered_load(case, worker.last_day_start, now)
        worker.release(case)
        case.closed_at = now
        self._register.move(case, CLOSED)
        metrics.closure(
            now,
            case.assigned_at,
            case.planned_close,
            case.work_total - case.work_done,
            profile.index,
        )
        self._pathways.closed(case, now)
        self.assign_waiting()

    def close_books(self, end: float) -> int:
        """Count first contacts never made and recurring contacts overdue at ``end``;
        returns the recurring contacts overdue."""
        metrics = self._metrics
        overdue = 0
        for case in self._waiting:
            if case.contact_first:
                metrics.first_contact_never(case.arrival, case.first_contact_due, end)
        for worker in self._roster:
            for case in worker.cases.values():
                # A case's record counts its contacts that fell due, as at a closure.
                if case.contact_first:
                    metrics.first_contact_never(case.arrival, case.first_contact_due, end)
                    case.contacts_due += case.first_contact_due <= end
                elif case.contact_due is not None:
                    missed = roll_missed_contacts(case, end)
                    metrics.contacts_missed_now(end, missed)
                    case.contacts_due += missed
                    overdue += case.contact_due < end and end >= metrics.warmup
        return overdue
