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

The summary's figures, with their units and meanings, are listed in :mod:`.summary`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .accumulators import LogHistogram, TimeWeighted
from .lever_metrics import LeverMetrics
from .outcome_metrics import OutcomeMetrics
from .risk import HarmCause
from .summary import ReplicationSummary

__all__ = ["Metrics"]


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


class Metrics:
    """Counters for one replication; the model calls one method per happening."""

    DAILY_COLUMNS = (
        "referrals",
        "screened_out",
        "assigned",
        "closed",
        "caught",
        "missed",
        "prevented",
        "quits",
        "hires",
        "scandals",
    )

    def __init__(
        self,
        warmup: float,
        case_types: Sequence[str] = ("all",),
        harm_follow_ups: Sequence[float] | None = None,
        horizon: float = 0.0,
    ) -> None:
        self.warmup = warmup
        self.outcomes = OutcomeMetrics(warmup, case_types, harm_follow_ups, horizon)
        """Service, pathways, reassessment, recurrence, and counters by case type."""
        self.levers = LeverMetrics(warmup)
        """What the levers cost and did, and the cases shared with other offices."""
        by_type = self.outcomes.by_type
        self._referrals_by_type, self._screened_out_by_type = (
            by_type["referrals"],
            by_type["screened_out"],
        )
        self._caught_by_type, self._missed_by_type = by_type["caught"], by_type["missed"]
        self._closed_by_type = by_type["cases_closed"]
        self.referrals = 0
        self.rereferrals = 0
        self.screened_in = 0
        self.screened_out = 0
        self.sent_out = 0
        self.assigned = 0
        self.waits = LogHistogram()
        self.first_contact_times = LogHistogram()
        self.first_contacts_in_time = 0
        self.first_contacts_late = 0
        self.contacts_done = 0
        self.contacts_on_time = 0
        self.contacts_late = 0
        self.contacts_missed = 0
        self.cases_closed = 0
        self.case_durations = 0.0
        self.cases_closed_late = 0
        self.cases_closed_work_undone = 0
        self.casework_undone_hours = 0.0
        self.caseloads: dict[int, int] = {}
        """Worker-days by end-of-day caseload."""
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
        self.salary_cost = 0.0
        self.overtime_cost = 0.0
        self.hiring_cost = 0.0
        self.agency_cost = 0.0
        self.agency_days = 0
        self.quits = 0
        self.scandals = 0
        self.hires = 0
        self.vacancy_days_total = 0.0
        self.absence_days = 0
        self.overtime_hours = 0.0
        self.transfers = 0
        self.returned_to_waiting = 0
        self.strain_sum = 0.0
        self.burned_out_days = 0
        self.tenure_sum = 0.0
        self.staff_days = 0
        self.position_days = 0
        self.vacant_days = 0
        self.waiting = TimeWeighted(warmup)
        self.threshold = TimeWeighted(warmup)
        self.open_cases = TimeWeighted(warmup)
        self.non_case_hours = 0.0
        self.technology_cost = 0.0
        self.today = dict.fromkeys(self.DAILY_COLUMNS, 0)

    # ---- happenings ---------------------------------------------------------------------

    def referral(
        self, time: float, *, rereferral: bool, screened_in: bool, case_type: int = 0
    ) -> None:
        self.today["referrals"] += 1
        if not screened_in:
            self.today["screened_out"] += 1
        if time < self.warmup:
            return
        if rereferral:
            self.rereferrals += 1
        else:
            self.referrals += 1
            self._referrals_by_type[case_type] += 1
        if screened_in:
            self.screened_in += 1
        else:
            self.screened_out += 1
            self._screened_out_by_type[case_type] += 1

    def sent(self, time: float, cost: float) -> None:
        """A case sent to an external provider at ``cost``."""
        if time >= self.warmup:
            self.sent_out += 1
            self.external_cost += cost

    def assignment(self, time: float, arrival: float, *, over_cap: bool) -> None:
        self.today["assigned"] += 1
        if time >= self.warmup:
            self.assigned += 1
            self.cap_breaches += over_cap
            self.waits.add(time - arrival)

    def first_contact(self, time: float, arrival: float, due: float) -> None:
        if time >= self.warmup:
            self.first_contact_times.add(time - arrival)
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

    def closure(
        self,
        time: float,
        assigned_at: float,
        planned_close: float,
        work_left: float = 0.0,
        case_type: int = 0,
    ) -> None:
        """A case closed; ``work_left`` is case work never done (closed on schedule)."""
        self.today["closed"] += 1
        if time >= self.warmup:
            self.cases_closed += 1
            self._closed_by_type[case_type] += 1
            self.case_durations += time - assigned_at
            self.cases_closed_late += time > planned_close + 1e-9
            if work_left > 1e-9:
                self.cases_closed_work_undone += 1
                self.casework_undone_hours += work_left

    def catch(self, time: float, case_type: int = 0) -> None:
        self.today["caught"] += 1
        if time >= self.warmup:
            self.caught += 1
            self._caught_by_type[case_type] += 1

    def harm(self, time: float, cause: HarmCause, case_type: int = 0) -> None:
        self.today["missed"] += 1
        if time >= self.warmup:
            self.missed[cause] += 1
            self._missed_by_type[case_type] += 1

    def non_case(self, time: float, hours: float) -> None:
        """Hours a caseworker spent on administration rather than cases."""
        if time >= self.warmup:
            self.non_case_hours += hours

    def caseload_readings(self, time: float, caseloads: list[int], over_cap: int) -> None:
        """End-of-day caseloads of the workers taking cases, ``over_cap`` of them over a cap."""
        if time > self.warmup:  # the day read ended inside the window
            counts = self.caseloads
            for caseload in caseloads:
                counts[caseload] = counts.get(caseload, 0) + 1
            self.worker_days_over_cap += over_cap

    def staff_readings(
        self, time: float, staff: int, strain: float, burned_out: int, tenure: float
    ) -> None:
        """End-of-day readings of the ``staff`` caseworkers in post (trainees included):
        their strain, how many are burned out, and their tenure in days, each summed."""
        if time > self.warmup:  # the day read ended inside the window
            self.staff_days += staff
            self.strain_sum += strain
            self.burned_out_days += burned_out
            self.tenure_sum += tenure

    def agency_day(self, time: float, cost: float) -> None:
        """End-of-day reading of an agency worker covering a vacancy, and its day's cost."""
        if time > self.warmup:
            self.agency_days += 1
            self.agency_cost += cost

    def positions_day(
        self, time: float, positions: int, vacant: int, salaries: float, technology: float = 0.0
    ) -> None:
        """End-of-day reading of the positions, and the day's salaries and technology."""
        if time > self.warmup:  # the day read ended inside the window
            self.position_days += positions
            self.vacant_days += vacant
            self.salary_cost += salaries
            self.technology_cost += technology

    def scandal(self, time: float) -> None:
        self.today["scandals"] += 1
        if time >= self.warmup:
            self.scandals += 1

    def absence(self, time: float) -> None:
        if time >= self.warmup:
            self.absence_days += 1

    def overtime(self, time: float, hours: float, cost_per_hour: float) -> None:
        if time >= self.warmup:
            self.overtime_hours += hours
            self.overtime_cost += hours * cost_per_hour

    def quit(self, time: float) -> None:
        self.today["quits"] += 1
        if time >= self.warmup:
            self.quits += 1

    def hire(self, time: float, vacancy_days: float, cost: float) -> None:
        self.today["hires"] += 1
        if time >= self.warmup:
            self.hires += 1
            self.vacancy_days_total += vacancy_days
            self.hiring_cost += cost

    def transfer(self, time: float) -> None:
        if time >= self.warmup:
            self.transfers += 1

    def back_to_waiting(self, time: float) -> None:
        if time >= self.warmup:
            self.returned_to_waiting += 1

    def hours_asked(self, time: float, available: float, new: float, backlog: float) -> None:
        """A worker's day begins: hours available, new work due, overdue work carried in."""
        if time >= self.warmup:
            self.hours_available += available
            self.hours_demanded += new
            self.backlog_hours += backlog
            self.worker_days_worked += 1

    def hours_idle(self, time: float, available: float, workers: int) -> None:
        """A working day with nothing to do: ``workers`` worked days of ``available`` hours."""
        if time >= self.warmup:
            self.hours_available += available
            self.worker_days_worked += workers

    def hours_worked_today(self, time: float, worked: float) -> None:
        """Hours a worker spent in the day, on any work."""
        if time >= self.warmup:
            self.hours_worked += worked

    def end_of_day(self) -> dict[str, int]:
        """The day's flows (for the time series), resetting them."""
        flows, self.today = self.today, dict.fromkeys(self.DAILY_COLUMNS, 0)
        flows["prevented"], self.outcomes.prevented_today = self.outcomes.prevented_today, 0
        return flows

    # ---- summary ------------------------------------------------------------------------

    def summary(
        self, end: float, *, waiting_at_end: int, contacts_overdue_at_end: int
    ) -> ReplicationSummary:
        """The replication's figures over ``[warmup, end]``."""
        window = end - self.warmup
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
        total_cost = (
            self.salary_cost
            + self.overtime_cost
            + self.hiring_cost
            + self.agency_cost
            + self.external_cost
            + self.technology_cost
            + self.levers.total_cost
        )
        days = window if window > 0 else math.nan
        return ReplicationSummary(
            window_days=window,
            referrals=self.referrals,
            rereferrals=self.rereferrals,
            screened_in=self.screened_in,
            screened_out=self.screened_out,
            screened_out_share=_share(self.screened_out, self.screened_in + self.screened_out),
            sent_out=self.sent_out,
            threshold_mean=self.threshold.mean(end),
            scandals=self.scandals,
            assigned=self.assigned,
            wait_mean_days=self.waits.mean(),
            wait_p90_days=self.waits.quantile(0.9),
            waiting_mean=self.waiting.mean(end),
            waiting_at_end=waiting_at_end,
            first_contact_mean_days=self.first_contact_times.mean(),
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
            cases_closed_work_undone_share=_share(self.cases_closed_work_undone, self.cases_closed),
            casework_undone_hours=self.casework_undone_hours,
            open_cases_mean=self.open_cases.mean(end),
            caseload_mean=_share(float(loads @ weights), worker_days) if worker_days else math.nan,
            caseload_p90=_weighted_percentile(loads, weights, 0.9),
            caseload_max=float(loads.max()) if loads.size else math.nan,
            worker_days_over_cap_share=_share(self.worker_days_over_cap, worker_days),
            cap_breaches=self.cap_breaches,
            headcount_mean=self.staff_days / days,
            vacancy_rate=_share(self.vacant_days, self.position_days),
            quits=self.quits,
            turnover_rate=_share(self.quits * 365.0, self.staff_days),
            hires=self.hires,
            vacancy_days_mean=_share(self.vacancy_days_total, self.hires),
            tenure_mean_days=_share(self.tenure_sum, self.staff_days),
            strain_mean=_share(self.strain_sum, self.staff_days),
            burned_out_share=_share(self.burned_out_days, self.staff_days),
            absence_days=self.absence_days,
            absence_share=_share(self.absence_days, self.absence_days + self.worker_days_worked),
            overtime_hours=self.overtime_hours,
            agency_share=_share(self.agency_days, self.staff_days + self.agency_days),
            vacancies_covered_share=_share(self.agency_days, self.vacant_days),
            transfers=self.transfers,
            returned_to_waiting=self.returned_to_waiting,
            hours_available=self.hours_available,
            hours_demanded=self.hours_demanded,
            hours_worked=self.hours_worked,
            # worked never exceeds the hours at work, but summed in another order the two can
            # differ by a rounding error
            utilisation=min(
                _share(self.hours_worked, self.hours_available + self.overtime_hours), 1.0
            ),
            demand_ratio=_share(self.hours_demanded, self.hours_available),
            backlog_hours_mean=_share(self.backlog_hours, self.worker_days_worked),
            non_case_hours=self.non_case_hours,
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
            **self.outcomes.figures(end, self.caught, missed),
            salary_cost=self.salary_cost,
            overtime_cost=self.overtime_cost,
            hiring_cost=self.hiring_cost,
            agency_cost=self.agency_cost,
            external_cost=self.external_cost,
            technology_cost=self.technology_cost,
            **self.levers.figures(),
            total_cost=total_cost,
            cost_per_referral=_share(total_cost, self.referrals),
            cost_per_harm_prevented=_share(total_cost, self.caught),
        )


def _weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value with at least ``q`` of the weight at or below it."""
    if not values.size:
        return math.nan
    cumulative = np.cumsum(weights) / weights.sum()
    return float(values[np.searchsorted(cumulative, q - 1e-12)])
