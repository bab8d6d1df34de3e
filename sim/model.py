"""The discrete-event model of one replication, on SimPy.

Events, not polling: each case type has one arrival process; each case's
planned closure, each risk signal (and its harm check), each hire and each end
of training is a single SimPy timeout with a callback; what runs every day is
the working day of each worker (:func:`sim.work.work_day`) and one end-of-day
pass over the workers (strain, quit hazard, graduated caps, readings).

Flow of one referral: arrival -> screening (score percentile against the
threshold) -> screened out, or opened -> assigned to the least-loaded worker
with room, or handled by the overflow policy (wait, over_cap, external) ->
contacts and case work -> closed when its work is done and its minimum
duration has passed. Signals play out whatever happens to the referral.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import simpy

from . import guards
from .arrivals import ArrivalProcess, AttributeSampler, ReferralDraws
from .casetypes import CaseProfile, build_profiles
from .costs import CostRates
from .errors import ScenarioError
from .intake import WaitingList
from .metrics import Metrics, ReplicationSummary
from .policies import IntakePolicy
from .randomness import Purpose, RandomStreams
from .referral import Referral, ReferralState, Subject
from .risk import Signal, harm_cause
from .scenario import Scenario
from .staffing import Careers
from .strain import strain_model
from .work import (
    TRIAGE_RULES,
    TriageRule,
    offered_load,
    respond_now,
    roll_missed_contacts,
    schedule_next_contact,
    work_ahead,
    work_day,
    workday_start,
)
from .workforce import Roster, Worker

__all__ = ["CaseloadModel", "ReferralRecord", "ReplicationOutput"]

_EPS = 1e-9
# The states as module constants: reading an Enum member off its class is a Python-level
# descriptor call in Python 3.11, and the hot paths test states on every event.
SCREENED_OUT, WAITING, OPEN = ReferralState.SCREENED_OUT, ReferralState.WAITING, ReferralState.OPEN
CLOSED, SENT_OUT = ReferralState.CLOSED, ReferralState.SENT_OUT
_MAX_INITIAL_DRAWS = 20_000_000
"""Referrals drawn, at most, to find an initial caseload that the screen would open."""


class ReferralRecord(NamedTuple):
    """One referral as it stood at the end of a run (``records=True``)."""

    id: int
    subject: int
    case_type: str
    arrival: float
    rereferral: bool
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


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication produced."""

    summary: ReplicationSummary
    state_counts: dict[str, int]
    """Referrals (all, including re-referrals and any initial caseload) by final state."""
    timeseries: pd.DataFrame | None = None
    records: pd.DataFrame | None = None


class CaseloadModel:
    """One replication of a scenario.

    Parameters
    ----------
    scenario
        The validated scenario.
    replication
        Which replication: selects the random streams, together with ``seed``.
    seed
        Overrides ``scenario.seed``.
    timeseries
        Record a daily time series.
    records
        Keep every referral, for a per-referral table (memory grows with the run).
    triage
        A custom triage rule (a sort key, see :mod:`sim.work`) instead of the
        scenario's named one.
    max_in_system
        Stop with :class:`~sim.guards.RunawayError`, reporting the growth, once more
        cases than this are waiting or open at the end of a day (an unstable queue
        would otherwise grow until memory runs out); ``None``: no limit.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        replication: int = 0,
        seed: int | None = None,
        timeseries: bool = False,
        records: bool = False,
        triage: TriageRule | None = None,
        max_in_system: int | None = guards.MAX_IN_SYSTEM,
    ) -> None:
        self.scenario = scenario
        self.streams = RandomStreams(scenario.seed if seed is None else seed, replication)
        self.env = simpy.Environment()
        self.profiles: list[CaseProfile] = build_profiles(scenario)
        self.metrics = Metrics(scenario.warmup_days)
        self.policy = IntakePolicy(scenario, self.streams)
        self.thresholds = self.policy.thresholds(0.0)
        self.metrics.threshold.set(0.0, float(np.mean(self.thresholds)))
        self.careers = Careers(scenario, self.streams)
        staffing = scenario.staffing
        self.roster = Roster(
            [self.careers.initial_worker(p) for p in range(staffing.caseworkers)],
            weighted=scenario.caps.weighted is not None,
        )
        self.strain = strain_model(scenario.strain)
        self.costs = CostRates.from_scenario(scenario)
        self.waiting = WaitingList()
        self.triage = triage or TRIAGE_RULES[scenario.triage]
        self.state_counts: dict[ReferralState, int] = dict.fromkeys(ReferralState, 0)
        self.referrals: list[Referral] | None = [] if records else None
        self.timeseries: list[dict[str, Any]] | None = [] if timeseries else None

        risk, caps = scenario.risk, scenario.caps
        self._horizon = scenario.horizon_days
        self._detection_window = risk.detection_window_days
        self._detection_probability = risk.detection_probability
        self._rereport_probability = risk.rereport_probability
        self._rereport_boost = risk.rereport_score_boost
        self._overflow = caps.overflow
        self._external_cost = caps.external_cost_per_case
        self._external_detection = caps.external_detection_probability
        self._detect_rng = self.streams.generator(Purpose.DETECTION)
        staff = scenario.workforce
        self._overtime = staff.overtime_hours_per_day
        supervision = scenario.supervision
        self._supervision = supervision
        self._supervisors = staffing.supervisors
        support_hours = staff.support_hours_per_day or staff.hours_per_day
        self._support_hours = staffing.support_staff * support_hours
        self._delegable = scenario.support.delegable_share if staffing.support_staff else 0.0
        self._casework_due = 0.0
        """Case work due across the office at the last working day (for support staff)."""
        self._transfer_hours = scenario.turnover.transfer_hours
        self._continuity_days = scenario.turnover.continuity_days
        self._continuity_detection = scenario.turnover.continuity_detection
        self._vacated: dict[int, float] = {}
        self._arrival_processes = [
            ArrivalProcess(profile, self.streams, self._horizon) for profile in self.profiles
        ]
        self._surge_draws: dict[int, tuple[np.random.Generator, AttributeSampler]] = {}
        self._surging: set[int] = set()
        self._referral_ids = itertools.count()
        self._subject_ids = itertools.count()
        self._days_done = 0
        self._max_in_system = max_in_system
        self._in_system: deque[int] = deque(maxlen=guards.GROWTH_WINDOW_DAYS + 1)
        """Cases waiting or open at the end of each recent day."""
        self._finished = False
        self._nothing_to_do = not self.strain.enabled and not any(
            p.first_contact_deadline is not None or p.contact_every is not None or p.work_hours > 0
            for p in self.profiles
        )
        """No case needs work and nobody tires: working days only count hours."""
        self._steady_staff = (
            not self.strain.enabled
            and self.careers.base_hazard == 0
            and self.policy.gatekeeping is None
            and self.timeseries is None
        )
        """Nobody tires, leaves or is hired and intake never moves with caseloads."""
        self._idle_day: tuple[float, float, int] | None = None
        """A steady, fully experienced staff's work-free day: when it starts (after
        midnight), its hours and its headcount."""

        for process in self._arrival_processes:
            self.env.process(self._arrivals(process))
        self.env.process(self._days())
        if scenario.initial_state is not None:
            self._start_with_caseload()

    # ------------------------------------------------------------------ running

    def run(self, until: float | None = None) -> ReplicationOutput:
        """Run to ``until`` (default: the horizon) and summarise. A model runs once."""
        if self._finished:
            raise RuntimeError("this model has already run; create a new CaseloadModel")
        self._finished = True
        end = self._horizon if until is None else min(until, self._horizon)
        if end > self.env.now:
            self.env.run(until=end)
        if self._days_done < int(end) == end:  # the reading due exactly at the stop time
            self._end_of_day(self._days_done)
        overdue = self._close_books(end)
        summary = self.metrics.summary(
            end,
            waiting_at_end=len(self.waiting),
            contacts_overdue_at_end=overdue,
        )
        return ReplicationOutput(
            summary=summary,
            state_counts={state.value: self.state_counts[state] for state in ReferralState},
            timeseries=pd.DataFrame(self.timeseries) if self.timeseries is not None else None,
            records=self._records() if self.referrals is not None else None,
        )

    def _close_books(self, end: float) -> int:
        """Count first contacts never made and recurring contacts overdue at ``end``."""
        metrics = self.metrics
        overdue = 0
        for case in self.waiting:
            if case.contact_first:
                metrics.first_contact_never(case.arrival, case.first_contact_due, end)
        for worker in self.roster:
            for case in worker.cases.values():
                if case.contact_first:
                    metrics.first_contact_never(case.arrival, case.first_contact_due, end)
                elif case.contact_due is not None:
                    metrics.contacts_missed_now(end, roll_missed_contacts(case, end))
                    overdue += case.contact_due < end and end >= metrics.warmup
        return overdue

    def _records(self) -> pd.DataFrame:
        nan = math.nan
        rows = [
            ReferralRecord(
                id=r.id,
                subject=r.subject.id,
                case_type=r.profile.name,
                arrival=r.arrival,
                rereferral=r.rereferral,
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
            )
            for r in self.referrals or []
        ]
        return pd.DataFrame(rows, columns=ReferralRecord._fields)

    def _at(self, time: float, callback: Any, value: Any) -> None:
        """Call ``callback(event)`` at ``time``, with ``event.value`` = ``value``."""
        event = self.env.timeout(max(time - self.env.now, 0.0), value)
        event.callbacks.append(callback)

    # ------------------------------------------------------------------ referrals

    def _arrivals(self, process: ArrivalProcess):
        env, profile = self.env, process.profile
        for draws in process.batches():
            batch = _Batch(draws)
            for i, time in enumerate(batch.times):
                yield env.timeout(time - env.now)
                self._receive(self._new_referral(profile, batch, i))

    def _new_referral(
        self,
        profile: CaseProfile,
        batch: _Batch,
        i: int,
        shift: float = 0.0,
        *,
        initial: bool = False,
        surge: bool = False,
    ) -> Referral:
        """Create the subject and referral of row ``i`` of ``batch``, with its signals."""
        subject = Subject(next(self._subject_ids), batch.tiers[i])
        # Arguments by position: keywords to a class call cost a dict per referral.
        referral = Referral(
            next(self._referral_ids),
            subject,
            profile,
            self.env.now + shift,  # arrival: the clock, not the drawn time (never an ulp apart)
            batch.complexity[i],
            batch.raw_scores[i],
            batch.scores[i],
            batch.assessed[i],  # the assessed tier
            batch.durations[i],
        )
        if initial or surge:
            referral.initial, referral.surge = initial, surge
        if count := batch.signal_counts[i]:
            first = batch.signal_starts[i]
            now, horizon = self.env.now, self._horizon
            for j in range(first, first + count):
                time = batch.signal_times[j] + shift
                if now <= time < horizon:
                    signal = Signal(subject, time, batch.detect_draws[j], batch.rereport_draws[j])
                    subject.signals.append(signal)
                    self._at(time, self._on_signal, signal)
            subject.signals.sort(key=_signal_time)
        subject.signals_set()
        return referral

    def _receive(self, referral: Referral) -> None:
        """Screen a referral that has just arrived, and place it if it is screened in."""
        now = self.env.now
        profile = referral.profile
        if self.referrals is not None:
            self.referrals.append(referral)
        screened_in = referral.score >= self.thresholds[profile.index]
        if not referral.initial:
            self.metrics.referral(now, rereferral=referral.rereferral, screened_in=screened_in)
        if not screened_in:
            self._move(referral, SCREENED_OUT)
            return
        if profile.first_contact_deadline is not None:
            due = referral.arrival + profile.first_contact_deadline[referral.tier]
            referral.first_contact_due = referral.contact_due = due
            referral.contact_first = True
        self._place(referral)

    def _place(self, referral: Referral) -> None:
        """Give an opened case to a worker, or apply the overflow policy."""
        if self._overflow == "wait":
            if not self.waiting:
                worker = self.roster.least_loaded_with_room(referral.weight)
                if worker is not None:
                    self._assign(referral, worker)
                    return
            self._move(referral, WAITING)
            self.waiting.push(referral)
            return
        worker = self.roster.least_loaded_with_room(referral.weight)
        if worker is not None:
            self._assign(referral, worker)
        elif self._overflow == "external":
            self._send_out(referral)
        elif (worker := self.roster.least_loaded()) is not None:
            self._assign(referral, worker, over_cap=True)
        else:  # over_cap, but nobody in post is taking cases
            self._move(referral, WAITING)
            self.waiting.push(referral)

    def _assign(self, referral: Referral, worker: Worker, *, over_cap: bool = False) -> None:
        now = self.env.now
        worker.take(referral)
        self._move(referral, OPEN)
        referral.assigned_at = now
        referral.planned_close = now + referral.duration
        self.metrics.assignment(now, referral.arrival, over_cap=over_cap)
        if referral.contact_first:
            referral.contact_eligible = now
            respond_now(worker, referral, now, self)
        else:
            schedule_next_contact(referral, None)
        self._at(referral.planned_close, self._on_planned_close, referral)

    def _assign_waiting(self) -> None:
        """Assign waiting cases, highest priority first, while a worker has room."""
        waiting, roster = self.waiting, self.roster
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

    def _transfer(self, case: Referral, worker: Worker, *, over_cap: bool = False) -> None:
        """Give a case that had a worker to another one: transfer hours, continuity lost."""
        now = self.env.now
        worker.take(case)
        if case.state is not OPEN:
            self._move(case, OPEN)
        case.work_total += self._transfer_hours
        case.transferred_at = now
        self.metrics.transfer(now)
        self.metrics.cap_breaches += over_cap and now >= self.metrics.warmup

    def _rehome(self, case: Referral) -> None:
        """Place a leaver's case: with a colleague with room, over the cap, or back to wait."""
        worker = self.roster.least_loaded_with_room(case.weight)
        if worker is not None:
            self._transfer(case, worker)
        elif self._overflow == "over_cap" and (worker := self.roster.least_loaded()) is not None:
            self._transfer(case, worker, over_cap=True)
        else:
            self._move(case, WAITING)
            self.waiting.push(case)
            self.metrics.back_to_waiting(self.env.now)

    def _send_out(self, referral: Referral) -> None:
        now = self.env.now
        referral.provider_until = now + referral.duration
        self._move(referral, SENT_OUT)
        self.metrics.sent(now, self.costs.per_external_case)

    def _move(self, referral: Referral, state: ReferralState) -> None:
        """Change a referral's state, keeping the state counts and time averages."""
        now = self.env.now
        old = referral.state
        counts = self.state_counts
        if old is not None:
            counts[old] -= 1
        counts[state] += 1
        referral.move(state, now)
        if old is WAITING or state is WAITING:
            self.metrics.waiting.set(now, counts[WAITING])
        if old is OPEN or state is OPEN:
            self.metrics.open_cases.set(now, counts[OPEN])

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

    def _close_event(self, event: simpy.Event) -> None:
        if event.value.state is OPEN:
            self._close(event.value)

    def _close(self, case: Referral) -> None:
        now = self.env.now
        metrics = self.metrics
        if case.contact_first:
            metrics.first_contact_never(case.arrival, case.first_contact_due, now)
        elif case.contact_due is not None:
            missed = roll_missed_contacts(case, now) + (case.contact_due < now)
            metrics.contacts_missed_now(now, missed)
        case.contact_due = None
        worker = case.worker
        worker.closed_load += offered_load(case, worker.last_day_start, now)
        worker.release(case)
        case.closed_at = now
        self._move(case, CLOSED)
        metrics.closure(now, case.assigned_at, case.planned_close, case.work_total - case.work_done)
        self._assign_waiting()

    # ------------------------------------------------------------------ working days

    def _days(self):
        env = self.env
        working_days = self.scenario.workforce.working_days_per_week
        day = 0
        while day < self._horizon:
            if day % 7 < working_days and self.roster.workers and self._nothing_to_do:
                self._idle_working_day(day)
            elif day % 7 < working_days and self.roster.workers:
                yield env.timeout(self._workday_start(day) - env.now)
                began = env.now
                self._work(day)
                yield env.timeout(max(max(w.day_end for w in self.roster), env.now) - env.now)
                self._finish_work(began)
            yield env.timeout(day + 1 - env.now)
            self._end_of_day(day)
            if self._max_in_system is not None:
                self._check_growth(day)
            day += 1

    def _workday_start(self, day: int) -> float:
        """When day ``day``'s working day begins: early enough for the longest day to end."""
        longest = max(w.hours_per_day for w in self.roster) + self._overtime
        return workday_start(day, longest)

    def _check_growth(self, day: int) -> None:
        """Stop an unstable queue before it exhausts memory, reporting how fast it grows."""
        counts = self.state_counts
        in_system = counts[WAITING] + counts[OPEN]
        recent = self._in_system
        recent.append(in_system)
        if in_system > self._max_in_system:
            days = len(recent) - 1
            raise guards.RunawayError(
                self.scenario.name,
                day + 1,
                self._horizon,
                in_system,
                self._max_in_system,
                (in_system - recent[0]) / days if days else math.nan,
                days,
            )

    def _idle_working_day(self, day: int) -> None:
        """A working day in a model whose cases need no work and whose workers do not tire:
        only the hours available are counted, read when the working day starts, as on a day
        with work (the same every day once a steady staff is fully experienced)."""
        if self._idle_day is not None:
            offset, hours, taking = self._idle_day
            self.metrics.hours_idle(day + offset, hours, taking)
            return
        careers = self.careers
        start = self._workday_start(day)
        workers = [worker for worker in self.roster if worker.accepting]
        hours = sum(w.hours_per_day * careers.productivity(w, start) for w in workers)
        self.metrics.hours_idle(start, hours, len(workers))
        if self._steady_staff and all(careers.experience(w, start) >= 1.0 for w in workers):
            self._idle_day = (start - day, hours, len(workers))

    def supervision_coverage(self) -> float:
        """Share of caseworkers in post that the supervisors can cover (1 without a block)."""
        if self._supervision is None or not self.roster.workers:
            return 1.0
        return min(1.0, self._supervisors * self._supervision.span / len(self.roster))

    def _casework_rate(self) -> float:
        """Case work done per caseworker hour today, given the support staff's hours."""
        if self._delegable <= 0:
            return 1.0
        wanted = self._delegable * self._casework_due
        share = (
            self._delegable
            if wanted <= self._support_hours
            else self._support_hours / max(self._casework_due, _EPS)
        )
        return 1.0 / (1.0 - share)

    def _work(self, day: int) -> None:
        now, metrics, triage = self.env.now, self.metrics, self.triage
        careers, strain = self.careers, self.strain
        shortfall = 1.0 - self.supervision_coverage()
        strain_factor = 1.0 + (self._supervision.strain_penalty * shortfall if shortfall else 0.0)
        rate = self._casework_rate()
        casework = 0.0
        for worker in self.roster:
            worker.hours_today = 0.0
            if not worker.accepting:
                continue  # in training
            if careers.absent_today(worker, strain.absence_probability(worker.strain)):
                worker.absent = True
                worker.hours_left = 0.0
                metrics.absence(now)
                continue
            hours = (
                worker.hours_per_day
                * strain.hours_factor(worker.strain)
                * careers.productivity(worker, now)
            )
            if hours <= _EPS:  # strain has taken every hour: a lost day
                worker.hours_left = 0.0
                continue
            since = worker.last_day_start
            asked = work_day(
                worker, day, triage, self, hours=hours, overtime=self._overtime, casework_rate=rate
            )
            worker.hours_today = hours + asked.overtime
            elapsed = max(worker.last_day_start - since, 1.0)
            per_day = asked.new / elapsed * 7.0 / self.scenario.workforce.working_days_per_week
            pressure = strain.pressure(per_day, asked.backlog, hours)
            worker.strain = strain.after_working_day(worker.strain, pressure, strain_factor)
            metrics.hours_asked(now, hours, asked.new, asked.backlog)
            if asked.overtime > 0:
                metrics.overtime(now, asked.overtime, self.costs.overtime_per_hour)
            casework += asked.casework
        self._casework_due = casework

    def _finish_work(self, began: float) -> None:
        """End the working day that ``began``: work ahead, and count the hours worked (at
        the day's start, like its hours available, so a day is counted whole or not at all)."""
        metrics = self.metrics
        for worker in self.roster:
            if worker.hours_today > 0:
                work_ahead(worker, self)
                metrics.hours_worked_today(began, worker.hours_today - worker.hours_left)
            worker.hours_left = 0.0

    def _end_of_day(self, day: int) -> None:
        if self._steady_staff:
            self._steady_end_of_day(day)
            return
        now, metrics, careers, strain = self.env.now, self.metrics, self.careers, self.strain
        self._days_done = day + 1
        worked = day % 7 < self.scenario.workforce.working_days_per_week
        caseloads, quitters = [], []
        over = burned = absent = training = agency = staff = staff_burned = 0
        strain_total = staff_strain = tenure = 0.0
        for worker in self.roster:
            if not worked or worker.absent or not worker.accepting:
                worker.strain = strain.after_day_off(worker.strain)
            absent += worker.absent
            worker.absent = False
            burned_out = strain.burned_out(worker.strain) if strain.enabled else False
            burned += burned_out
            strain_total += worker.strain
            if worker.agency:
                agency += 1
                metrics.agency_day(now, self.costs.agency_per_day)
            else:
                staff += 1
                staff_strain += worker.strain
                staff_burned += burned_out
                tenure += now - worker.hired_at
            if worker.accepting:
                if now < worker.ready_at + careers.hiring.ramp_days + 1.0:
                    worker.set_cap_share(careers.cap_share(worker, now))
                caseloads.append(len(worker.cases))
                over += worker.over_cap()
            else:
                training += 1
            worker.hazard += careers.base_hazard * strain.quit_multiplier(worker.strain)
            if worker.hazard >= worker.lifetime:
                quitters.append(worker)
        metrics.staff_readings(now, staff, staff_strain, staff_burned, tenure)
        metrics.caseload_readings(now, caseloads, over)
        in_post = len(self.roster) - agency  # on the payroll; agency workers cover vacancies
        vacancies = self.roster.vacancies + agency
        metrics.positions_day(
            now,
            len(self.roster.positions),
            vacancies,
            self.costs.caseworker_per_day * in_post + self.costs.other_staff_per_day,
        )
        mean_caseload = sum(caseloads) / len(caseloads) if caseloads else math.nan
        if self.policy.observe_caseload(mean_caseload):
            self._update_thresholds()
        flows = metrics.end_of_day()
        if self.timeseries is not None:
            self.timeseries.append(
                {
                    "day": day,
                    "in_warmup": now <= metrics.warmup,
                    "waiting": len(self.waiting),
                    "open_cases": self.state_counts[OPEN],
                    "headcount": in_post,
                    "vacancies": vacancies,
                    "agency": agency,
                    "in_training": training,
                    "caseload_mean": mean_caseload,
                    "caseload_max": max(caseloads, default=0),
                    "workers_over_cap": over,
                    "strain_mean": strain_total / len(self.roster)
                    if self.roster.workers
                    else math.nan,
                    "burned_out": burned,
                    "absent": absent,
                    "threshold": float(np.mean(self.thresholds)),
                    **flows,
                }
            )
        for worker in quitters:
            self._quit(worker)

    def _steady_end_of_day(self, day: int) -> None:
        """:meth:`_end_of_day` for a staff that never changes (no strain, no turnover, no
        gatekeeping, no daily series): the same readings, without the per-worker dynamics."""
        now, metrics, roster = self.env.now, self.metrics, self.roster
        self._days_done = day + 1
        caseloads, over, tenure = [], 0, 0.0
        for worker in roster:
            caseloads.append(len(worker.cases))
            over += worker.over_cap()
            tenure += now - worker.hired_at
        metrics.staff_readings(now, len(roster), 0.0, 0, tenure)
        metrics.caseload_readings(now, caseloads, over)
        salaries = self.costs.caseworker_per_day * len(roster) + self.costs.other_staff_per_day
        metrics.positions_day(now, len(roster.positions), 0, salaries)
        # The day's flows (metrics.today) feed only the daily series, which a steady run
        # does not keep: they are not read, so not reset either.

    # ------------------------------------------------------------------ turnover and hiring

    def _quit(self, worker: Worker) -> None:
        """A caseworker leaves: the position falls vacant and the cases are placed again."""
        now = self.env.now
        self._leave(worker)
        self.metrics.quit(now)
        self._vacated[worker.position] = now
        start = self.careers.hire_time(worker.position, now)
        if start is not None and start < self._horizon:
            self._at(start, self._on_hire, worker.position)
        cover = self.careers.agency_start(worker.position, now)
        if cover is not None and cover < min(start or math.inf, self._horizon):
            self._at(cover, self._on_agency_start, worker.position)

    def _leave(self, worker: Worker) -> None:
        """Take a worker out of post and place their cases again, highest score first."""
        self.roster.remove(worker)
        for case in sorted(worker.cases.values(), key=lambda c: (-c.score, c.arrival, c.id)):
            worker.release(case)
            self._rehome(case)

    def _on_agency_start(self, event: simpy.Event) -> None:
        """An agency worker covers a vacancy until the permanent hire starts."""
        self.roster.add(self.careers.agency_worker(event.value, self.env.now))
        self._assign_waiting()

    def _on_hire(self, event: simpy.Event) -> None:
        now, position = self.env.now, event.value
        cover = self.roster.positions[position]
        if cover is not None and cover.agency:  # the agency worker hands over and leaves
            self._leave(cover)
        worker = self.careers.new_hire(position, now)
        worker.last_day_start = worker.ready_at
        self.roster.add(worker)
        self.metrics.hire(now, now - self._vacated.pop(position), self.costs.per_hire)
        if worker.ready_at <= now:
            self._start_taking_cases(worker)
        else:
            self._at(worker.ready_at, self._on_ready, worker)

    def _on_ready(self, event: simpy.Event) -> None:
        worker: Worker = event.value
        if self.roster.positions[worker.position] is worker:  # still in post
            self._start_taking_cases(worker)

    def _start_taking_cases(self, worker: Worker) -> None:
        worker.accepting = True
        worker.set_cap_share(self.careers.cap_share(worker, self.env.now))
        self._assign_waiting()

    # ------------------------------------------------------------------ intake policy

    def _update_thresholds(self, event: simpy.Event | None = None) -> None:
        now = self.env.now
        self.thresholds = self.policy.thresholds(now)
        self.metrics.threshold.set(now, float(np.mean(self.thresholds)))

    def _scandal(self) -> None:
        """A harm became public: intake loosens and referrals surge for a while."""
        self.metrics.scandal(self.env.now)
        self._update_thresholds()
        self._at(self.policy.scandal_until, self._update_thresholds, None)
        for index in range(len(self.profiles)):
            if index not in self._surging:
                self._surging.add(index)
                self.env.process(self._surge(index))

    def _surge(self, index: int):
        """Extra referrals of one case type while a scandal lasts, from their own streams.

        The surge adds a Poisson stream at ``(multiplier - 1)`` times the type's rate,
        so the ordinary referrals stay exactly those of the scenario without it.
        """
        env, policy, profile = self.env, self.policy, self.profiles[index]
        process = self._arrival_processes[index]
        if index not in self._surge_draws:
            self._surge_draws[index] = (
                self.streams.generator(Purpose.POLICY, profile.key, 20),
                AttributeSampler(profile, self.streams, Purpose.POLICY),
            )
        counts, sampler = self._surge_draws[index]
        while policy.in_scandal(env.now) and env.now < self._horizon:
            start = env.now
            end = min(math.floor(start) + 1.0, self._horizon)
            rate = (policy.surge_multiplier(start) - 1.0) * process.rate_per_day(start)
            times = np.sort(counts.uniform(start, end, counts.poisson(rate * (end - start))))
            if len(times):
                batch = _Batch(sampler.draw(times))
                for i, time in enumerate(batch.times):
                    yield env.timeout(time - env.now)
                    self._receive(self._new_referral(profile, batch, i, surge=True))
            yield env.timeout(end - env.now)
        self._surging.discard(index)

    # WorkContext: what a working day reports back.

    def on_contact(self, case: Referral, time: float) -> None:
        metrics = self.metrics
        if case.contact_first:
            case.first_contact_at = time
            metrics.first_contact(time, case.arrival, case.first_contact_due)
            metrics.contact(time, on_time=None)
        else:
            metrics.contact(time, on_time=time <= case.contact_due)
        schedule_next_contact(case, time)
        self._look_for_signals(case, time)

    def on_missed_contacts(self, case: Referral, count: int) -> None:
        self.metrics.contacts_missed_now(self.env.now, count)

    def on_casework_done(self, case: Referral, time: float) -> None:
        if case.closing:
            self._at(time, self._close_event, case)

    # ------------------------------------------------------------------ risk

    def detection_probability(self, case: Referral, time: float) -> float:
        """Chance that a contact at ``time`` detects a signal: strain, experience,
        supervision and (after a transfer) continuity lower the base probability."""
        worker = case.worker
        probability = (
            self._detection_probability
            * self.strain.detection_factor(worker.strain)
            * self.careers.detection(worker, time)
        )
        if self._supervision is not None:
            shortfall = 1.0 - self.supervision_coverage()
            probability *= 1.0 - self._supervision.detection_penalty * shortfall
        if case.transferred_at is not None and time - case.transferred_at < self._continuity_days:
            probability *= self._continuity_detection
        return probability

    def _look_for_signals(self, case: Referral, time: float) -> None:
        """A contact at ``time``: try to detect every live signal of the subject."""
        window = self._detection_window
        probability = None
        for signal in case.subject.signals:
            if signal.time >= time:
                break
            if signal.caught_at is not None or time > signal.time + window:
                continue
            if probability is None:
                probability = self.detection_probability(case, time)
            draw = signal.detect_draw if signal.attempts == 0 else self._detect_rng.random()
            signal.attempts += 1
            if draw < probability:
                signal.caught_at = time
                self.metrics.catch(time)

    def _on_signal(self, event: simpy.Event) -> None:
        signal: Signal = event.value
        if signal.caught_at is not None:
            signal.subject.signal_ended()
            return
        now = self.env.now
        current = signal.subject.current
        state = current.state
        with_provider = state is SENT_OUT and now < current.provider_until
        if with_provider and signal.detect_draw < self._external_detection:
            signal.caught_at = now
            self.metrics.catch(now)
            signal.subject.signal_ended()
            return
        if signal.rereport_draw < self._rereport_probability:
            if state is WAITING:
                self._escalate(current)
            elif state in (SCREENED_OUT, CLOSED) or (state is SENT_OUT and not with_provider):
                self._rerefer(current)
        self._at(now + self._detection_window, self._on_harm_due, signal)

    def _on_harm_due(self, event: simpy.Event) -> None:
        signal: Signal = event.value
        subject = signal.subject
        if signal.caught_at is None:
            now = self.env.now
            self.metrics.harm(now, harm_cause(signal, now))
            current = subject.current
            if current.state is OPEN:  # secondary trauma for the worker
                current.worker.strain = self.strain.after_harm(current.worker.strain)
            if self.policy.harm(subject.tier, now):
                self._scandal()
        subject.signal_ended()

    def _escalate(self, referral: Referral) -> None:
        """A re-report on a waiting case raises its score, and so its place in the queue."""
        screening = referral.profile.screening
        referral.raw_score += self._rereport_boost
        referral.escalations += 1
        referral.score = screening.percentile(referral.raw_score)
        referral.tier = max(referral.tier, screening.assessed_tier(referral.score))
        referral.weight = referral.profile.case_weights[referral.tier][referral.complexity]
        self.waiting.reprioritise(referral)

    def _rerefer(self, previous: Referral) -> None:
        """A re-report after screen-out or closure: a new referral about the same subject."""
        screening = previous.profile.screening
        raw = previous.raw_score + self._rereport_boost
        score = screening.percentile(raw)
        referral = Referral(
            next(self._referral_ids),
            previous.subject,
            previous.profile,
            arrival=self.env.now,
            complexity=previous.complexity,
            raw_score=raw,
            score=score,
            tier=screening.assessed_tier(score),
            duration=previous.duration,
            rereferral=True,
        )
        self._receive(referral)

    # ------------------------------------------------------------------ initial caseload

    def _start_with_caseload(self) -> None:
        """Open cases on every worker and a waiting list at time 0 (``initial_state``)."""
        initial = self.scenario.initial_state
        rng = self.streams.generator(Purpose.INITIAL_STATE)
        rates = np.array([profile.rate_per_year for profile in self.profiles])
        per_worker = initial.open_cases_per_worker
        wanted = len(self.roster) * per_worker + initial.waiting
        types = rng.choice(len(self.profiles), size=wanted, p=rates / rates.sum())
        pools = {
            index: self._screened_in_draws(self.profiles[index], int(np.sum(types == index)))
            for index in np.unique(types)
        }
        taken = Counter()
        opened = 0
        for n, index in enumerate(types):
            profile, (batch, rows) = self.profiles[index], pools[index]
            i = rows[taken[index]]
            taken[index] += 1
            if n < len(self.roster) * per_worker:
                worker = self.roster.workers[opened % len(self.roster)]
                opened += 1
                elapsed = float(rng.uniform()) * batch.durations[i]
                self._open_initial_case(profile, batch, i, worker, elapsed, float(rng.uniform()))
            else:
                self._receive(self._new_referral(profile, batch, i, initial=True))

    def _screened_in_draws(self, profile: CaseProfile, count: int) -> tuple[_Batch, list[int]]:
        """Referral attributes for ``count`` cases that the intake screen would open.

        The score is a percentile, so about ``1 - threshold`` of the draws are screened
        in; a caseload that would take more than ``_MAX_INITIAL_DRAWS`` draws is refused.
        """
        sampler = AttributeSampler(profile, self.streams, Purpose.INITIAL_STATE)
        threshold = self.thresholds[profile.index]
        share = max(1.0 - threshold, 0.0)
        size = 2 * count / share + 16 if share > 0 else math.inf
        while size <= _MAX_INITIAL_DRAWS:
            batch = _Batch(sampler.draw(np.zeros(int(size))))
            rows = [i for i, s in enumerate(batch.scores) if s >= threshold]
            if len(rows) >= count:
                return batch, rows[:count]
            size *= 2
        raise ScenarioError(
            self.scenario.name,
            "initial_state",
            f"case type {profile.name!r} screens in about {share:.3%} of referrals (threshold "
            f"{threshold:g}): expected a threshold that lets the initial caseload of {count:,} "
            "be drawn",
        )

    def _open_initial_case(
        self,
        profile: CaseProfile,
        batch: _Batch,
        i: int,
        worker: Worker,
        elapsed: float,
        phase: float,
    ) -> None:
        """An open case that was assigned ``elapsed`` days before the run began."""
        case = self._new_referral(profile, batch, i, shift=-elapsed, initial=True)
        if self.referrals is not None:
            self.referrals.append(case)
        case.history.append((case.arrival, OPEN))
        case.state = OPEN
        self.state_counts[OPEN] += 1
        worker.take(case)
        case.assigned_at = case.arrival
        case.planned_close = case.arrival + case.duration
        case.work_done = case.work_total * elapsed / case.duration if case.duration > 0 else 0.0
        if profile.contact_every is not None:
            k = profile.contact_every[case.tier]
            case.contact_due = math.floor(phase * k) + 1.0
            case.contact_eligible = case.contact_due - k
        self.metrics.open_cases.set(0.0, self.state_counts[OPEN])
        self._at(case.planned_close, self._on_planned_close, case)


class _Batch:
    """A :class:`ReferralDraws` as Python lists (fast to index one referral at a time)."""

    __slots__ = (
        "assessed",
        "complexity",
        "detect_draws",
        "durations",
        "raw_scores",
        "rereport_draws",
        "scores",
        "signal_counts",
        "signal_starts",
        "signal_times",
        "tiers",
        "times",
    )

    def __init__(self, draws: ReferralDraws) -> None:
        self.times = draws.times.tolist()
        self.complexity = draws.complexity.tolist()
        self.tiers = draws.tiers.tolist()
        self.raw_scores = draws.raw_scores.tolist()
        self.scores = draws.scores.tolist()
        self.assessed = draws.assessed.tolist()
        self.durations = draws.durations.tolist()
        self.signal_counts = draws.signal_counts.tolist()
        self.signal_starts = (np.cumsum(draws.signal_counts) - draws.signal_counts).tolist()
        self.signal_times = draws.signal_times.tolist()
        self.detect_draws = draws.detect_draws.tolist()
        self.rereport_draws = draws.rereport_draws.tolist()


def _signal_time(signal: Signal) -> float:
    return signal.time
