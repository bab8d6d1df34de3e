"""A worker's working day: which contacts and case work get done, in triage order.

Every working day a worker has ``hours_per_day`` hours, starting at
:data:`WORKDAY_START` (09:00). The day's demand is

* contacts that are due or overdue (the first contact, due within the response
  deadline of the referral; recurring contacts, due every ``k`` days by
  assessed tier), each taking its hours in one piece;
* case work accrued so far: a case's ``work_hours`` are spread evenly over its
  minimum duration, so by day ``d`` the share ``d / duration`` is due.

Tasks are done from the start of the day in the order the triage rule gives
until the hours run out; a contact that no longer fits is skipped for a smaller
task (a contact longer than a whole working day is done on a day that starts
with it, and takes that day). A case assigned later in the working day gets
its first contact at once if the worker still has the hours (a same-day
response). Hours still left at the end of the day go to case work ahead of
schedule, earliest planned closure first. A contact's time is the moment it begins. What is not
done carries over: contacts stay overdue (a recurring contact not done within
one further period counts as missed and the next falls due), case work runs
late, and the case closes late.

A recurring contact may be done any day of its period (``k`` days up to its due
day); one done on time keeps the calendar, a late one restarts it.

The loops here visit every open case every working day, so clamps in them are
written as conditional expressions (``0.0 if x < 0.0 else x``, which is exactly
``max(x, 0.0)``) rather than calls of the builtin ``max``: the calls were a fifth
of the instructions of a scenario whose workers hold a hundred cases each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .referral import Referral
    from .workforce import Worker

__all__ = [
    "CASEWORK",
    "CONTACT",
    "TRIAGE_RULES",
    "WORKDAY_START",
    "DayWork",
    "TriageRule",
    "WorkContext",
    "respond_now",
    "roll_missed_contacts",
    "schedule_next_contact",
    "work_ahead",
    "work_day",
]

WORKDAY_START = 9.0 / 24.0
"""The working day starts at 09:00 (earlier if it is too long to end by midnight)."""
HOURS_PER_DAY = 24.0
CONTACT, CASEWORK = 0, 1
_EPS = 1e-9

TriageRule = Callable[["Referral", int, float], tuple]
"""Sort key of a task: ``rule(case, kind, due)``, smaller first."""


def risk_first(case: Referral, kind: int, due: float) -> tuple:
    """Highest assessed risk first (then highest score), contacts before case work."""
    return (-case.tier, -case.score, kind, due, case.id)


def deadline_first(case: Referral, kind: int, due: float) -> tuple:
    """Earliest deadline first: a contact's due time, case work's planned closure."""
    return (due, kind, case.id)


def new_cases_first(case: Referral, kind: int, due: float) -> tuple:
    """First contacts of new cases first (earliest deadline first), then the rest by deadline."""
    return (not (kind == CONTACT and case.contact_first), due, kind, case.id)


def fifo(case: Referral, kind: int, due: float) -> tuple:
    """First come, first served, by the referral's arrival."""
    return (case.arrival, kind, case.id)


TRIAGE_RULES: dict[str, TriageRule] = {
    "risk_first": risk_first,
    "deadline_first": deadline_first,
    "new_cases_first": new_cases_first,
    "fifo": fifo,
}


class WorkContext(Protocol):
    """What the work of a day reports back to the model."""

    def on_contact(self, case: Referral, time: float) -> None: ...

    def on_missed_contacts(self, case: Referral, count: int) -> None: ...

    def on_casework_done(self, case: Referral, time: float) -> None: ...


@dataclass(frozen=True, slots=True)
class DayWork:
    """The work asked of a worker on one day, in hours.

    ``new`` is the load offered since the start of the worker's previous working
    day (see :func:`offered_load`), by the cases held and those closed since;
    ``backlog`` is work already overdue when the day began; ``casework`` the case work
    due (accrued, not done); ``overtime`` the hours worked beyond ``available``.
    """

    available: float
    new: float
    backlog: float
    casework: float = 0.0
    overtime: float = 0.0


def contact_hours(case: Referral) -> float:
    profile = case.profile
    return profile.first_contact_hours if case.contact_first else profile.contact_hours[case.tier]


def schedule_next_contact(case: Referral, time: float | None) -> None:
    """Set the next contact obligation after a contact at ``time`` (``None``: on assignment)."""
    every = case.profile.contact_every
    if every is None:
        case.contact_first = False
        case.contact_due = None
        return
    k = every[case.tier]
    if time is None:  # recurring contacts only, starting from assignment
        start = math.floor(case.assigned_at)
        case.contact_due, case.contact_eligible = start + k + 1.0, start + 1.0
        return
    day = math.floor(time)
    on_time = case.contact_due is not None and time <= case.contact_due
    due = day + k + 1.0 if case.contact_first or not on_time else case.contact_due + k
    case.contact_first = False
    case.contact_due = due
    case.contact_eligible = max(day + 1.0, due - k)


def roll_missed_contacts(case: Referral, now: float) -> int:
    """Count recurring contacts whose period passed with no contact, advancing the due date."""
    if case.contact_first or case.contact_due is None:
        return 0
    k = case.profile.contact_every[case.tier]
    missed = 0
    while case.contact_due + k <= now:
        case.contact_due += k
        missed += 1
    return missed


def casework_accrued(case: Referral, until: float) -> float:
    """Case work due by ``until``: the case's hours spread evenly over its minimum duration."""
    elapsed = until - case.assigned_at
    if case.duration <= 0 or elapsed >= case.duration:
        return case.work_total
    return case.work_total * (0.0 if elapsed < 0.0 else elapsed) / case.duration


def workday_start(day: int, hours: float) -> float:
    """When a working day of ``hours`` hours on day ``day`` begins."""
    return day + min(WORKDAY_START, 1.0 - hours / HOURS_PER_DAY)


def offered_load(case: Referral, since: float, until: float) -> float:
    """Hours of work a case brings between ``since`` and ``until``, done or not.

    Recurring contacts bring their hours every ``k`` days, case work its hours
    evenly over the minimum duration, and a case assigned in the interval its
    first contact. This is the load offered to the worker (the queueing
    ``rho`` is its ratio to the hours available), not the work that was done.
    """
    profile = case.profile
    begin = case.assigned_at if case.assigned_at > since else since
    if until <= begin:
        return 0.0
    load = casework_accrued(case, until) - casework_accrued(case, begin)
    if profile.contact_every is not None:
        load += (
            profile.contact_hours[case.tier] * (until - begin) / profile.contact_every[case.tier]
        )
    if case.assigned_at >= since and profile.first_contact_deadline is not None:
        load += profile.first_contact_hours
    return load


def work_day(
    worker: Worker,
    day: int,
    triage: TriageRule,
    context: WorkContext,
    *,
    hours: float | None = None,
    overtime: float = 0.0,
    casework_rate: float = 1.0,
) -> DayWork:
    """Start the working day ``day`` of ``worker``: do the due and overdue work in triage order.

    Parameters
    ----------
    hours
        Hours available today (default: the worker's contracted hours).
    overtime
        Extra hours the worker may add for due and overdue work (never for work ahead).
    casework_rate
        Case work done per hour of the worker's (above 1 when support staff take a share).

    Leaves ``worker.hours_left`` and ``worker.free_from`` for same-day responses to
    new cases (:func:`respond_now`) and for case work ahead (:func:`work_ahead`)
    at the end of the day.
    """
    available = worker.hours_per_day if hours is None else hours
    start = workday_start(day, available + overtime)
    day_end = day + 1.0
    since = worker.last_day_start
    tasks = []
    new, worker.closed_load = worker.closed_load, 0.0
    backlog = casework = 0.0
    for case in worker.cases.values():
        new += offered_load(case, since, start)
        if case.contact_due is not None:
            missed = roll_missed_contacts(case, start)
            if missed:
                context.on_missed_contacts(case, missed)
            if case.contact_eligible < day_end:
                hours_needed = contact_hours(case)
                tasks.append((triage(case, CONTACT, case.contact_due), CONTACT, case, hours_needed))
                if case.contact_due <= day:
                    backlog += hours_needed
        if case.work_total - case.work_done > _EPS:
            due = casework_accrued(case, day_end) - case.work_done
            if due > _EPS:
                tasks.append((triage(case, CASEWORK, case.planned_close), CASEWORK, case, due))
                overdue = casework_accrued(case, day) - case.work_done
                backlog += (0.0 if overdue < 0.0 else overdue) / casework_rate
                casework += due
    tasks.sort(key=itemgetter(0))

    capacity = available + overtime
    worker.day_end = start + available / HOURS_PER_DAY
    left = capacity
    for _, kind, case, amount in tasks:
        if case.worker is not worker:
            continue  # closed earlier today
        if kind == CONTACT:
            fresh_day = left >= capacity - _EPS
            if amount > left + _EPS and not (fresh_day and amount > capacity):
                continue
            context.on_contact(case, start + (capacity - left) / HOURS_PER_DAY)
            left -= amount
            left = 0.0 if left < 0.0 else left
        else:
            progress = min(amount, case.work_total - case.work_done, left * casework_rate)
            if progress <= _EPS:
                continue
            left -= progress / casework_rate
            _do_casework(case, progress, start + (capacity - left) / HOURS_PER_DAY, context)
        if left <= _EPS:
            break
    used = capacity - max(left, 0.0)
    worker.hours_left = max(available - used, 0.0)
    worker.free_from = start + used / HOURS_PER_DAY
    worker.last_day_start = start
    worker.casework_rate = casework_rate
    return DayWork(
        available=available,
        new=new,
        backlog=backlog,
        casework=casework,
        overtime=max(used - available, 0.0),
    )


def respond_now(worker: Worker, case: Referral, now: float, context: WorkContext) -> bool:
    """Make a just-assigned case's first contact today, if the worker's hours allow."""
    if not case.contact_first:
        return False
    hours = contact_hours(case)
    begin = max(now, worker.free_from)
    if hours > worker.hours_left + _EPS or begin + hours / HOURS_PER_DAY > worker.day_end + _EPS:
        return False
    context.on_contact(case, begin)
    worker.hours_left -= hours
    worker.free_from = begin + hours / HOURS_PER_DAY
    return True


def work_ahead(worker: Worker, context: WorkContext) -> None:
    """Spend the hours left at the end of the day on case work ahead of schedule.

    ``worker.hours_left`` is left holding the hours that found no work at all.
    """
    if worker.hours_left <= _EPS:
        return
    rate = worker.casework_rate
    ahead = sorted(
        (c for c in worker.cases.values() if c.work_total - c.work_done > _EPS),
        key=lambda c: (c.planned_close, c.id),
    )
    time = worker.free_from
    for case in ahead:
        progress = min(worker.hours_left * rate, case.work_total - case.work_done)
        worker.hours_left -= progress / rate
        time += progress / rate / HOURS_PER_DAY
        _do_casework(case, progress, time, context)
        if worker.hours_left <= _EPS:
            break


def _do_casework(case: Referral, hours: float, time: float, context: WorkContext) -> None:
    case.work_done += hours
    if case.work_total - case.work_done <= _EPS:
        case.work_done = case.work_total
        context.on_casework_done(case, time)
