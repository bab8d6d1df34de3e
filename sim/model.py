"""The discrete-event model of one replication, on SimPy.

Events, not polling: each case type has one arrival process; each case's
planned closure and each risk signal (and its harm check) is a single SimPy
timeout with a callback; the only thing that runs every day is the working day
of each worker (:func:`sim.work.work_day`) and a daily reading of caseloads.

Flow of one referral: arrival -> screening (score percentile against the
threshold) -> screened out, or opened -> assigned to the least-loaded worker
with room, or handled by the overflow policy (wait, over_cap, external) ->
contacts and case work -> closed when its work is done and its minimum
duration has passed. Signals play out whatever happens to the referral.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import simpy

from .arrivals import ArrivalProcess, AttributeSampler, ReferralDraws
from .casetypes import CaseProfile, build_profiles
from .intake import WaitingList
from .metrics import Metrics, ReplicationSummary
from .randomness import Purpose, RandomStreams
from .referral import Referral, ReferralState, Subject
from .risk import Signal, harm_cause
from .scenario import Scenario
from .work import (
    TRIAGE_RULES,
    TriageRule,
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


class ReferralRecord(NamedTuple):
    """One referral as it stood at the end of a run (``records=True``)."""

    id: int
    subject: int
    case_type: str
    arrival: float
    rereferral: bool
    initial: bool
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
    ) -> None:
        self.scenario = scenario
        self.streams = RandomStreams(scenario.seed if seed is None else seed, replication)
        self.env = simpy.Environment()
        self.profiles: list[CaseProfile] = build_profiles(scenario)
        self.thresholds = [profile.threshold for profile in self.profiles]
        self.roster = Roster.from_scenario(scenario)
        self.waiting = WaitingList()
        self.metrics = Metrics(scenario.warmup_days)
        self.triage = triage or TRIAGE_RULES[scenario.triage]
        self.state_counts: Counter[ReferralState] = Counter()
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
        self._referral_ids = itertools.count()
        self._subject_ids = itertools.count()
        self._days_done = 0
        self._finished = False

        for profile in self.profiles:
            self.env.process(self._arrivals(ArrivalProcess(profile, self.streams, self._horizon)))
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
            end, waiting_at_end=len(self.waiting), contacts_overdue_at_end=overdue
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
        self, profile: CaseProfile, batch: _Batch, i: int, shift: float = 0.0, initial: bool = False
    ) -> Referral:
        """Create the subject and referral of row ``i`` of ``batch``, with its signals."""
        subject = Subject(next(self._subject_ids), batch.tiers[i])
        referral = Referral(
            next(self._referral_ids),
            subject,
            profile,
            arrival=batch.times[i] + shift,
            complexity=batch.complexity[i],
            raw_score=batch.raw_scores[i],
            score=batch.scores[i],
            tier=batch.assessed[i],
            duration=batch.durations[i],
            initial=initial,
        )
        first = batch.signal_starts[i]
        now, horizon = self.env.now, self._horizon
        for j in range(first, first + batch.signal_counts[i]):
            time = batch.signal_times[j] + shift
            if now <= time < horizon:
                signal = Signal(subject, time, batch.detect_draws[j], batch.rereport_draws[j])
                subject.signals.append(signal)
                self._at(time, self._on_signal, signal)
        subject.signals.sort(key=_signal_time)
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
            self._move(referral, ReferralState.SCREENED_OUT)
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
            self._move(referral, ReferralState.WAITING)
            self.waiting.push(referral)
            return
        worker = self.roster.least_loaded_with_room(referral.weight)
        if worker is not None:
            self._assign(referral, worker)
        elif self._overflow == "over_cap":
            self._assign(referral, self.roster.least_loaded(), over_cap=True)
        else:
            self._send_out(referral)

    def _assign(self, referral: Referral, worker: Worker, *, over_cap: bool = False) -> None:
        now = self.env.now
        worker.take(referral)
        self._move(referral, ReferralState.OPEN)
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
            self._assign(referral, worker)

    def _send_out(self, referral: Referral) -> None:
        now = self.env.now
        referral.provider_until = now + referral.duration
        self._move(referral, ReferralState.SENT_OUT)
        self.metrics.sent(now, self._external_cost)

    def _move(self, referral: Referral, state: ReferralState) -> None:
        """Change a referral's state, keeping the state counts and time averages."""
        now = self.env.now
        old = referral.state
        counts = self.state_counts
        if old is not None:
            counts[old] -= 1
        counts[state] += 1
        referral.move(state, now)
        if ReferralState.WAITING in (old, state):
            self.metrics.waiting.set(now, counts[ReferralState.WAITING])
        if ReferralState.OPEN in (old, state):
            self.metrics.open_cases.set(now, counts[ReferralState.OPEN])

    # ------------------------------------------------------------------ closure

    def _on_planned_close(self, event: simpy.Event) -> None:
        case: Referral = event.value
        if case.state is not ReferralState.OPEN:
            return
        if case.work_total - case.work_done <= _EPS:
            self._close(case)
        else:
            case.closing = True

    def _close_event(self, event: simpy.Event) -> None:
        if event.value.state is ReferralState.OPEN:
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
        case.worker.release(case)
        case.closed_at = now
        self._move(case, ReferralState.CLOSED)
        metrics.closure(now, case.assigned_at, case.planned_close)
        self._assign_waiting()

    # ------------------------------------------------------------------ working days

    def _days(self):
        env = self.env
        working_days = self.scenario.workforce.working_days_per_week
        day = 0
        while day < self._horizon:
            if day % 7 < working_days:
                longest = max(worker.hours_per_day for worker in self.roster)
                yield env.timeout(workday_start(day, longest) - env.now)
                self._work(day)
                yield env.timeout(max(w.day_end for w in self.roster) - env.now)
                self._finish_work()
            yield env.timeout(day + 1 - env.now)
            self._end_of_day(day)
            day += 1

    def _work(self, day: int) -> None:
        now, metrics, triage = self.env.now, self.metrics, self.triage
        for worker in self.roster:
            asked = work_day(worker, day, triage, self)
            metrics.hours_asked(now, asked.available, asked.new, asked.backlog)

    def _finish_work(self) -> None:
        now, metrics = self.env.now, self.metrics
        for worker in self.roster:
            work_ahead(worker, self)
            metrics.hours_worked_today(now, worker.hours_per_day - worker.hours_left)
            worker.hours_left = 0.0

    def _end_of_day(self, day: int) -> None:
        now, metrics = self.env.now, self.metrics
        self._days_done = day + 1
        caseloads = []
        over = 0
        for worker in self.roster:
            caseload, over_cap = len(worker.cases), worker.over_cap()
            metrics.worker_day(now, caseload, over_cap)
            caseloads.append(caseload)
            over += over_cap
        flows = metrics.end_of_day()
        if self.timeseries is not None:
            self.timeseries.append(
                {
                    "day": day,
                    "in_warmup": now <= metrics.warmup,
                    "waiting": len(self.waiting),
                    "open_cases": self.state_counts[ReferralState.OPEN],
                    "workers": len(caseloads),
                    "caseload_mean": float(np.mean(caseloads)) if caseloads else math.nan,
                    "caseload_max": max(caseloads, default=0),
                    "workers_over_cap": over,
                    **flows,
                }
            )

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

    def _look_for_signals(self, case: Referral, time: float) -> None:
        """A contact at ``time``: try to detect every live signal of the subject."""
        window = self._detection_window
        for signal in case.subject.signals:
            if signal.time >= time:
                break
            if signal.caught_at is not None or time > signal.time + window:
                continue
            draw = signal.detect_draw if signal.attempts == 0 else self._detect_rng.random()
            signal.attempts += 1
            if draw < self._detection_probability:
                signal.caught_at = time
                self.metrics.catch(time)

    def _on_signal(self, event: simpy.Event) -> None:
        signal: Signal = event.value
        if signal.caught_at is not None:
            return
        now = self.env.now
        current = signal.subject.current
        state = current.state
        with_provider = state is ReferralState.SENT_OUT and now < current.provider_until
        if with_provider and signal.detect_draw < self._external_detection:
            signal.caught_at = now
            self.metrics.catch(now)
            return
        if signal.rereport_draw < self._rereport_probability:
            if state is ReferralState.WAITING:
                self._escalate(current)
            elif state in (ReferralState.SCREENED_OUT, ReferralState.CLOSED) or (
                state is ReferralState.SENT_OUT and not with_provider
            ):
                self._rerefer(current)
        self._at(now + self._detection_window, self._on_harm_due, signal)

    def _on_harm_due(self, event: simpy.Event) -> None:
        signal: Signal = event.value
        if signal.caught_at is None:
            self.metrics.harm(self.env.now, harm_cause(signal, self.env.now))

    def _escalate(self, referral: Referral) -> None:
        """A re-report on a waiting case raises its score, and so its place in the queue."""
        screening = referral.profile.screening
        referral.raw_score += self._rereport_boost
        referral.escalations += 1
        referral.score = screening.percentile(referral.raw_score)
        referral.tier = max(referral.tier, screening.assessed_tier(referral.score))
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
        """Referral attributes for ``count`` cases that the intake screen would open."""
        sampler = AttributeSampler(profile, self.streams, Purpose.INITIAL_STATE)
        size = max(4 * count, 16)
        for _ in range(60):
            batch = _Batch(sampler.draw(np.zeros(size)))
            rows = [i for i, s in enumerate(batch.scores) if s >= self.thresholds[profile.index]]
            if len(rows) >= count:
                return batch, rows[:count]
            size *= 4
        raise ValueError(
            f"initial_state: case type {profile.name!r} screens out nearly every referral"
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
        case.history.append((case.arrival, ReferralState.OPEN))
        case.state = ReferralState.OPEN
        self.state_counts[ReferralState.OPEN] += 1
        worker.take(case)
        case.assigned_at = case.arrival
        case.planned_close = case.arrival + case.duration
        case.work_done = case.work_total * elapsed / case.duration if case.duration > 0 else 0.0
        if profile.contact_every is not None:
            k = profile.contact_every[case.tier]
            case.contact_due = math.floor(phase * k) + 1.0
            case.contact_eligible = case.contact_due - k
        self.metrics.open_cases.set(0.0, self.state_counts[ReferralState.OPEN])
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
