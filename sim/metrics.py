"""What a replication reports: counters fed by the model, and the summary they make.

The model calls :class:`Metrics` as things happen; statistics cover the window
from the end of the warm-up to the stop time. Everything is counted when it
happens inside the window: referrals on arrival, waits on assignment, times to
first contact on the contact (or, for one never made, when the case closes or
the run ends), case durations on closure, harms when they happen. Measuring
waits and durations on departure makes them obey Little's law with the time
averages in steady state (the cases already waiting when the window opens
balance those still waiting when it closes). Time averages (people waiting,
cases open) integrate over the window; caseload figures are taken over
worker-days (one reading per worker per day).

:class:`ReplicationSummary` lists every figure with its unit and meaning.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .risk import HarmCause

__all__ = ["FIGURES", "Metrics", "ReplicationSummary", "TimeWeighted"]


def _figure(label: str, unit: str = "", section: str = "") -> Any:
    return field(metadata={"label": label, "unit": unit, "section": section})


@dataclass(frozen=True)
class ReplicationSummary:
    """The figures of one replication, over the statistics window (after warm-up)."""

    window_days: float = _figure("Statistics window", "days", "Run")
    referrals: int = _figure("Referrals (first reports)", "count", "Intake")
    rereferrals: int = _figure("Re-referrals (reported again)", "count", "Intake")
    screened_in: int = _figure("Screened in (cases opened)", "count", "Intake")
    screened_out: int = _figure("Screened out", "count", "Intake")
    screened_out_share: float = _figure("Share screened out", "share", "Intake")
    sent_out: int = _figure("Sent to external providers", "count", "Intake")
    assigned: int = _figure("Cases assigned to a worker", "count", "Waiting")
    wait_mean_days: float = _figure("Time to assignment, mean", "days", "Waiting")
    wait_p90_days: float = _figure("Time to assignment, 90th percentile", "days", "Waiting")
    waiting_mean: float = _figure("Cases waiting, time average", "cases", "Waiting")
    waiting_at_end: int = _figure("Cases waiting at the end", "cases", "Waiting")
    first_contact_mean_days: float = _figure("Time to first contact, mean", "days", "Contacts")
    first_contact_within_deadline_share: float = _figure(
        "First contact within its deadline", "share", "Contacts"
    )
    contacts_done: int = _figure("Contacts made (all)", "count", "Contacts")
    contacts_due: int = _figure("Recurring contacts due", "count", "Contacts")
    contacts_on_time: int = _figure("Recurring contacts on time", "count", "Contacts")
    contacts_late: int = _figure("Recurring contacts late", "count", "Contacts")
    contacts_missed: int = _figure("Recurring contacts missed (period passed)", "count", "Contacts")
    contacts_overdue_at_end: int = _figure(
        "Recurring contacts overdue at the end", "count", "Contacts"
    )
    contacts_on_time_share: float = _figure("Recurring contacts on time", "share", "Contacts")
    cases_closed: int = _figure("Cases closed", "count", "Cases")
    case_duration_mean_days: float = _figure(
        "Case duration (assignment to closure), mean", "days", "Cases"
    )
    cases_closed_late_share: float = _figure(
        "Cases closed after their planned date", "share", "Cases"
    )
    open_cases_mean: float = _figure("Open cases held by workers, time average", "cases", "Cases")
    caseload_mean: float = _figure("Caseload per worker, mean", "cases", "Caseload")
    caseload_p90: float = _figure("Caseload per worker, 90th percentile", "cases", "Caseload")
    caseload_max: float = _figure("Caseload per worker, maximum", "cases", "Caseload")
    worker_days_over_cap_share: float = _figure("Worker-days over a cap", "share", "Caseload")
    cap_breaches: int = _figure("Assignments over the cap", "count", "Caseload")
    hours_available: float = _figure("Working hours available", "hours", "Hours")
    hours_demanded: float = _figure("Work falling due (offered load)", "hours", "Hours")
    hours_worked: float = _figure("Hours worked (including work ahead)", "hours", "Hours")
    utilisation: float = _figure("Hours worked / available", "share", "Hours")
    demand_ratio: float = _figure("Work falling due / hours available", "ratio", "Hours")
    backlog_hours_mean: float = _figure("Overdue work per worker-day", "hours", "Hours")
    signals: int = _figure("Risk signals resolved (caught + missed)", "count", "Risk")
    caught: int = _figure("Signals caught (harm prevented)", "count", "Risk")
    missed: int = _figure("Missed risk (harms)", "count", "Risk")
    missed_screened_out: int = _figure("  missed: screened out", "count", "Risk")
    missed_waitlist: int = _figure("  missed: on the waiting list", "count", "Risk")
    missed_no_contact: int = _figure("  missed: no contact in the window", "count", "Risk")
    missed_not_detected: int = _figure("  missed: contacted, not detected", "count", "Risk")
    missed_sent_out: int = _figure("  missed: with an external provider", "count", "Risk")
    missed_after_closure: int = _figure("  missed: after the case closed", "count", "Risk")
    missed_per_1000_referrals: float = _figure(
        "Missed risk per 1,000 referrals", "per 1,000", "Risk"
    )
    caught_share: float = _figure("Caught / (caught + missed)", "share", "Risk")
    external_cost: float = _figure("External provider cost", "money", "Costs")

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


FIGURES: dict[str, dict[str, str]] = {f.name: dict(f.metadata) for f in fields(ReplicationSummary)}
"""Label, unit and section of every summary figure, in report order."""


class TimeWeighted:
    """The time integral of a step function from ``start`` on (for time averages)."""

    __slots__ = ("_last", "_value", "area", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.area = 0.0
        self._last = start
        self._value = 0.0

    def set(self, time: float, value: float) -> None:
        if time > self._last:
            self.area += self._value * (time - self._last)
            self._last = time
        self._value = value

    def mean(self, end: float) -> float:
        self.set(end, self._value)
        span = end - self.start
        return self.area / span if span > 0 else math.nan


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


class Metrics:
    """Counters for one replication; the model calls one method per happening."""

    DAILY_COLUMNS = ("referrals", "screened_out", "assigned", "closed", "caught", "missed")

    def __init__(self, warmup: float) -> None:
        self.warmup = warmup
        self.referrals = 0
        self.rereferrals = 0
        self.screened_in = 0
        self.screened_out = 0
        self.sent_out = 0
        self.assigned = 0
        self.waits: list[float] = []
        self.first_contact_times: list[float] = []
        self.first_contacts_in_time = 0
        self.first_contacts_late = 0
        self.contacts_done = 0
        self.contacts_on_time = 0
        self.contacts_late = 0
        self.contacts_missed = 0
        self.cases_closed = 0
        self.case_durations = 0.0
        self.cases_closed_late = 0
        self.caseloads: Counter[int] = Counter()
        self.worker_days_over_cap = 0
        self.cap_breaches = 0
        self.hours_available = 0.0
        self.hours_demanded = 0.0
        self.hours_worked = 0.0
        self.backlog_hours = 0.0
        self.worker_days_worked = 0
        self.caught = 0
        self.missed: Counter[HarmCause] = Counter()
        self.external_cost = 0.0
        self.waiting = TimeWeighted(warmup)
        self.open_cases = TimeWeighted(warmup)
        self.today = dict.fromkeys(self.DAILY_COLUMNS, 0)

    # ---- happenings ---------------------------------------------------------------------

    def referral(self, time: float, *, rereferral: bool, screened_in: bool) -> None:
        self.today["referrals"] += 1
        if not screened_in:
            self.today["screened_out"] += 1
        if time < self.warmup:
            return
        if rereferral:
            self.rereferrals += 1
        else:
            self.referrals += 1
        if screened_in:
            self.screened_in += 1
        else:
            self.screened_out += 1

    def sent(self, time: float, cost: float) -> None:
        if time >= self.warmup:
            self.sent_out += 1
            self.external_cost += cost

    def assignment(self, time: float, arrival: float, *, over_cap: bool) -> None:
        self.today["assigned"] += 1
        if time >= self.warmup:
            self.assigned += 1
            self.cap_breaches += over_cap
            self.waits.append(time - arrival)

    def first_contact(self, time: float, arrival: float, due: float) -> None:
        if time >= self.warmup:
            self.first_contact_times.append(time - arrival)
            if time <= due:
                self.first_contacts_in_time += 1
            else:
                self.first_contacts_late += 1

    def first_contact_never(self, arrival: float, due: float, now: float) -> None:
        """A first contact not made by ``now`` (case closed, or the run ended)."""
        if now >= self.warmup and due <= now:
            self.first_contacts_late += 1

    def contact(self, time: float, *, on_time: bool | None) -> None:
        """A contact made; ``on_time`` is ``None`` for a first contact."""
        if time < self.warmup:
            return
        self.contacts_done += 1
        if on_time is True:
            self.contacts_on_time += 1
        elif on_time is False:
            self.contacts_late += 1

    def contacts_missed_now(self, time: float, count: int) -> None:
        if time >= self.warmup:
            self.contacts_missed += count

    def closure(self, time: float, assigned_at: float, planned_close: float) -> None:
        self.today["closed"] += 1
        if time >= self.warmup:
            self.cases_closed += 1
            self.case_durations += time - assigned_at
            self.cases_closed_late += time > planned_close + 1e-9

    def catch(self, time: float) -> None:
        self.today["caught"] += 1
        if time >= self.warmup:
            self.caught += 1

    def harm(self, time: float, cause: HarmCause) -> None:
        self.today["missed"] += 1
        if time >= self.warmup:
            self.missed[cause] += 1

    def worker_day(self, time: float, caseload: int, over_cap: bool) -> None:
        if time >= self.warmup:
            self.caseloads[caseload] += 1
            self.worker_days_over_cap += over_cap

    def hours_asked(self, time: float, available: float, new: float, backlog: float) -> None:
        """A worker's day begins: hours available, new work due, overdue work carried in."""
        if time >= self.warmup:
            self.hours_available += available
            self.hours_demanded += new
            self.backlog_hours += backlog
            self.worker_days_worked += 1

    def hours_worked_today(self, time: float, worked: float) -> None:
        """Hours a worker spent in the day, on any work."""
        if time >= self.warmup:
            self.hours_worked += worked

    def end_of_day(self) -> dict[str, int]:
        """The day's flows (for the time series), resetting them."""
        flows, self.today = self.today, dict.fromkeys(self.DAILY_COLUMNS, 0)
        return flows

    # ---- summary ------------------------------------------------------------------------

    def summary(
        self, end: float, *, waiting_at_end: int, contacts_overdue_at_end: int
    ) -> ReplicationSummary:
        """The replication's figures over ``[warmup, end]``."""
        window = end - self.warmup
        waits = np.asarray(self.waits)
        first = np.asarray(self.first_contact_times)
        worker_days = sum(self.caseloads.values())
        loads = np.array(sorted(self.caseloads))
        weights = np.array([self.caseloads[load] for load in loads])
        missed = sum(self.missed.values())
        due = (
            self.contacts_on_time
            + self.contacts_late
            + self.contacts_missed
            + contacts_overdue_at_end
        )
        first_total = self.first_contacts_in_time + self.first_contacts_late
        return ReplicationSummary(
            window_days=window,
            referrals=self.referrals,
            rereferrals=self.rereferrals,
            screened_in=self.screened_in,
            screened_out=self.screened_out,
            screened_out_share=_share(self.screened_out, self.screened_in + self.screened_out),
            sent_out=self.sent_out,
            assigned=self.assigned,
            wait_mean_days=float(waits.mean()) if waits.size else math.nan,
            wait_p90_days=float(np.percentile(waits, 90)) if waits.size else math.nan,
            waiting_mean=self.waiting.mean(end),
            waiting_at_end=waiting_at_end,
            first_contact_mean_days=float(first.mean()) if first.size else math.nan,
            first_contact_within_deadline_share=_share(self.first_contacts_in_time, first_total),
            contacts_done=self.contacts_done,
            contacts_due=due,
            contacts_on_time=self.contacts_on_time,
            contacts_late=self.contacts_late,
            contacts_missed=self.contacts_missed,
            contacts_overdue_at_end=contacts_overdue_at_end,
            contacts_on_time_share=_share(self.contacts_on_time, due),
            cases_closed=self.cases_closed,
            case_duration_mean_days=_share(self.case_durations, self.cases_closed),
            cases_closed_late_share=_share(self.cases_closed_late, self.cases_closed),
            open_cases_mean=self.open_cases.mean(end),
            caseload_mean=_share(float(loads @ weights), worker_days) if worker_days else math.nan,
            caseload_p90=_weighted_percentile(loads, weights, 0.9),
            caseload_max=float(loads.max()) if loads.size else math.nan,
            worker_days_over_cap_share=_share(self.worker_days_over_cap, worker_days),
            cap_breaches=self.cap_breaches,
            hours_available=self.hours_available,
            hours_demanded=self.hours_demanded,
            hours_worked=self.hours_worked,
            utilisation=_share(self.hours_worked, self.hours_available),
            demand_ratio=_share(self.hours_demanded, self.hours_available),
            backlog_hours_mean=_share(self.backlog_hours, self.worker_days_worked),
            signals=self.caught + missed,
            caught=self.caught,
            missed=missed,
            missed_screened_out=self.missed[HarmCause.SCREENED_OUT],
            missed_waitlist=self.missed[HarmCause.WAITLIST],
            missed_no_contact=self.missed[HarmCause.NO_CONTACT],
            missed_not_detected=self.missed[HarmCause.NOT_DETECTED],
            missed_sent_out=self.missed[HarmCause.SENT_OUT],
            missed_after_closure=self.missed[HarmCause.AFTER_CLOSURE],
            missed_per_1000_referrals=_share(1000.0 * missed, self.referrals),
            caught_share=_share(self.caught, self.caught + missed),
            external_cost=self.external_cost,
        )


def _weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value with at least ``q`` of the weight at or below it."""
    if not values.size:
        return math.nan
    cumulative = np.cumsum(weights) / weights.sum()
    return float(values[np.searchsorted(cumulative, q - 1e-12)])
