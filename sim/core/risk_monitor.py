"""The risk monitor: every risk signal, from the moment it happens to caught or harm.

A referral's signals are drawn when it is born (their times, a detection uniform and a
re-report uniform each: common random numbers) and handed here. At its time a signal
may be reported again (escalating a waiting case, or re-referring a subject screened
out or closed); an external provider holding the case may catch it; otherwise it becomes
harm a detection window later unless a contact inside the window detects it. A contact
tries every live signal of its subject: the first attempt on a signal reads the signal's
own uniform, later attempts fresh draws from the detection stream, each against the
detection probability in force (lowered by strain, inexperience, thin supervision and,
after a transfer, lost continuity). A harm on an open case adds to its worker's strain
(secondary trauma) and may become public (a scandal, :mod:`sim.core.intake_desk`).
The cause of each harm is read from the subject's referrals (:mod:`sim.core.risk`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ..scenario import Scenario
from .arrivals import ReferralBatch
from .careers import Careers
from .clock import call_at
from .metrics import Metrics
from .randomness import Purpose, RandomStreams
from .referral import Referral, ReferralState, Subject
from .risk import Signal, harm_cause
from .service import Service
from .strain import StrainModel

if TYPE_CHECKING:
    from .intake_desk import IntakeDesk
    from .working_days import WorkingDays

__all__ = ["RiskMonitor"]

SCREENED_OUT, WAITING, OPEN = ReferralState.SCREENED_OUT, ReferralState.WAITING, ReferralState.OPEN
CLOSED, SENT_OUT = ReferralState.CLOSED, ReferralState.SENT_OUT


class RiskMonitor:
    """Signals, their detection by contacts, and harm with its cause.

    Parameters
    ----------
    scenario
        Read once: the risk block (windows, probabilities), the external providers'
        detection, the continuity loss after a transfer and the supervision block.
    env, streams, metrics
        The clock, the random streams (detection) and the counters.
    strain, careers
        How strain and experience lower detection; strain also rises with a harm.
    """

    def __init__(
        self,
        scenario: Scenario,
        env: simpy.Environment,
        streams: RandomStreams,
        metrics: Metrics,
        strain: StrainModel,
        careers: Careers,
        service: Service,
    ) -> None:
        self._env = env
        self._metrics = metrics
        self._strain = strain
        self._careers = careers
        self._service = service if service.enabled else None
        self._horizon = scenario.horizon_days
        risk = scenario.risk
        self._detection_window = risk.detection_window_days
        self._detection_probability = risk.detection_probability
        self._rereport_probability = risk.rereport_probability
        self._external_detection = scenario.caps.external_detection_probability
        self._continuity_days = scenario.turnover.continuity_days
        self._continuity_detection = scenario.turnover.continuity_detection
        self._supervision = scenario.supervision
        self._detect_rng = streams.generator(Purpose.DETECTION)
        self._intake: IntakeDesk | None = None
        self._days: WorkingDays | None = None

    def connect(self, intake: IntakeDesk, days: WorkingDays) -> None:
        """The desk that hears re-reports and scandals, and the days that know the
        supervision in force."""
        self._intake = intake
        self._days = days

    def watch(self, subject: Subject, batch: ReferralBatch, i: int, shift: float) -> None:
        """Schedule the signals of row ``i`` of ``batch`` that fall inside the run."""
        first = batch.signal_starts[i]
        now, horizon = self._env.now, self._horizon
        prevent = batch.prevent_draws
        for j in range(first, first + batch.signal_counts[i]):
            time = batch.signal_times[j] + shift
            if now <= time < horizon:
                signal = Signal(subject, time, batch.detect_draws[j], batch.rereport_draws[j])
                if prevent is not None:
                    signal.prevent_draw = prevent[j]
                subject.signals.append(signal)
                call_at(self._env, time, self._on_signal, signal)
        subject.signals.sort(key=_signal_time)

    def detection_probability(self, case: Referral, time: float) -> float:
        """Chance that a contact at ``time`` detects a signal: strain, experience,
        supervision and (after a transfer) continuity lower the base probability."""
        worker = case.worker
        probability = (
            self._detection_probability
            * self._strain.detection_factor(worker.strain)
            * self._careers.detection(worker, time)
        )
        if self._supervision is not None:
            shortfall = 1.0 - self._days.supervision_coverage()
            probability *= 1.0 - self._supervision.detection_penalty * shortfall
        if case.transferred_at is not None and time - case.transferred_at < self._continuity_days:
            probability *= self._continuity_detection
        return probability

    def look_for_signals(self, case: Referral, time: float) -> None:
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
                case.signals_caught += 1
                self._metrics.catch(time, case.profile.index)

    def _on_signal(self, event: simpy.Event) -> None:
        signal: Signal = event.value
        if signal.caught_at is not None:
            signal.subject.signal_ended()
            return
        now, subject = self._env.now, signal.subject
        if self._service is not None and self._service.prevents(subject, signal.prevent_draw, now):
            subject.signals.remove(signal)  # prevented: it never happens, no contact can see it
            subject.signal_ended()
            return
        current = subject.current
        state = current.state
        with_provider = state is SENT_OUT and now < current.provider_until
        if with_provider and signal.detect_draw < self._external_detection:
            signal.caught_at = now
            self._metrics.catch(now, current.profile.index)
            subject.signal_ended()
            return
        if signal.rereport_draw < self._rereport_probability:
            if state is WAITING:
                self._intake.escalate(current)
            elif state in (SCREENED_OUT, CLOSED) or (state is SENT_OUT and not with_provider):
                self._intake.rerefer(current)
        call_at(self._env, now + self._detection_window, self._on_harm_due, signal)

    def _on_harm_due(self, event: simpy.Event) -> None:
        signal: Signal = event.value
        subject = signal.subject
        if signal.caught_at is None:
            now = self._env.now
            current = subject.current
            self._metrics.harm(now, harm_cause(signal, now), current.profile.index)
            self._metrics.outcomes.recurrence.harm(subject)
            if current.state is OPEN:  # secondary trauma for the worker
                current.harms += 1
                current.worker.strain = self._strain.after_harm(current.worker.strain)
            self._intake.harm(subject.tier)
        subject.signal_ended()


def _signal_time(signal: Signal) -> float:
    return signal.time
