"""The intake desk: referrals arrive, are screened, and come back when risk is reported again.

Each case type has one arrival process (:mod:`sim.core.arrivals`). A referral is born
with its subject, its latent and assessed tier, its score and its risk signals (handed
to the risk monitor), then screened: a score below the threshold in force screens it
out, and otherwise the caseload opens a case. The thresholds in force are the intake
policy's (:mod:`sim.core.policies`): adaptive gatekeeping raises them while caseloads
stay high, and a scandal lowers them and brings a surge of extra referrals from streams
of their own, so that the ordinary referrals stay exactly those of the scenario without
it.

A signal that is reported again reaches the desk in one of two ways: on a waiting case
it raises the score, and so the place in the queue and possibly the assessed tier (an
escalation); on a referral screened out or closed it is a new referral about the same
subject (a re-referral), screened again with the higher score.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from ..scenario import Scenario
from .arrivals import ArrivalProcess, AttributeSampler, ReferralBatch
from .casetypes import CaseProfile
from .clock import call_at
from .metrics import Metrics
from .policies import IntakePolicy
from .randomness import Purpose, RandomStreams
from .recurrence import SCREENED_OUT as LEFT_SCREENED_OUT
from .referral import Referral, ReferralState, Subject
from .register import ReferralRegister
from .waiting_list import WaitingList

if TYPE_CHECKING:
    from .caseload import Caseload
    from .risk_monitor import RiskMonitor

__all__ = ["IntakeDesk"]

SCREENED_OUT = ReferralState.SCREENED_OUT


class IntakeDesk:
    """Arrivals, screening, escalation, re-referral, and the thresholds in force.

    Parameters
    ----------
    scenario
        Read once: the horizon, the re-report score boost and the intake policies.
    env, streams, metrics, register
        The clock, the random streams, the counters and the register of referrals.
    profiles
        The compiled case types.
    waiting
        The waiting list (re-ranked by an escalation).
    """

    def __init__(
        self,
        scenario: Scenario,
        env: simpy.Environment,
        streams: RandomStreams,
        metrics: Metrics,
        register: ReferralRegister,
        profiles: list[CaseProfile],
        waiting: WaitingList,
    ) -> None:
        self._env = env
        self._streams = streams
        self._metrics = metrics
        self._register = register
        self._waiting = waiting
        self._recurrence = metrics.outcomes.recurrence
        self.profiles = profiles
        self._horizon = scenario.horizon_days
        self._rereport_boost = scenario.risk.rereport_score_boost
        self.policy = IntakePolicy(scenario, streams)
        self.thresholds = self.policy.thresholds(0.0)
        """The screening threshold of each case type in force now."""
        metrics.threshold.set(0.0, float(np.mean(self.thresholds)))
        self._arrival_processes = [
            ArrivalProcess(profile, streams, self._horizon) for profile in profiles
        ]
        self._surge_draws: dict[int, tuple[np.random.Generator, AttributeSampler]] = {}
        self._surging: set[int] = set()
        self._caseload: Caseload | None = None
        self._risk: RiskMonitor | None = None

    def connect(self, caseload: Caseload, risk: RiskMonitor) -> None:
        """The parts the desk hands on to: screened-in cases, and every referral's signals."""
        self._caseload = caseload
        self._risk = risk

    def start(self) -> None:
        """Start every case type's arrivals."""
        for process in self._arrival_processes:
            self._env.process(self._arrivals(process))

    # ------------------------------------------------------------------ referrals

    def _arrivals(self, process: ArrivalProcess) -> Iterator[simpy.Event]:
        env, profile = self._env, process.profile
        for draws in process.batches():
            batch = ReferralBatch(draws)
            for i, time in enumerate(batch.times):
                yield env.timeout(time - env.now)
                self.receive(self.new_referral(profile, batch, i))

    def new_referral(
        self,
        profile: CaseProfile,
        batch: ReferralBatch,
        i: int,
        shift: float = 0.0,
        *,
        initial: bool = False,
        surge: bool = False,
    ) -> Referral:
        """Create the subject and referral of row ``i`` of ``batch``, with its signals.

        ``shift`` moves the referral's arrival and signals in time (an initial case,
        opened before the run began).
        """
        register = self._register
        now = self._env.now
        subject = Subject(
            next(register.subject_ids),
            batch.tiers[i],
            -1 if initial else profile.index,
            int(now + shift),
        )
        # Arguments by position: keywords to a class call cost a dict per referral.
        referral = Referral(
            next(register.referral_ids),
            subject,
            profile,
            now + shift,  # arrival: the clock, not the drawn time (never an ulp apart)
            batch.complexity[i],
            batch.raw_scores[i],
            batch.scores[i],
            batch.assessed[i],  # the assessed tier
            batch.durations[i],
        )
        if initial or surge:
            referral.initial, referral.surge = initial, surge
        if batch.pathway_draws is not None:
            referral.pathway_draw = batch.pathway_draws[i]
        if batch.signal_counts[i]:
            self._risk.watch(subject, batch, i, shift)
        subject.signals_set()
        return referral

    def receive(self, referral: Referral) -> None:
        """Screen a referral that has just arrived, and open a case if it is screened in."""
        self._register.keep(referral)
        now, index = self._env.now, referral.profile.index
        screened_in = referral.score >= self.thresholds[index]
        metrics = self._metrics
        if not referral.initial:
            metrics.referral(
                now, rereferral=referral.rereferral, screened_in=screened_in, case_type=index
            )
            if referral.rereferral:
                self._recurrence.came_back(referral.subject, now)
            else:
                self._recurrence.first_referral(index, int(now))
        if not screened_in:
            self._register.move(referral, SCREENED_OUT)
            self._recurrence.left(referral.subject, LEFT_SCREENED_OUT, index, now)
            return
        self._caseload.open(referral)

    def escalate(self, referral: Referral) -> None:
        """A re-report on a waiting case raises its score, and so its place in the queue."""
        screening = referral.profile.screening
        referral.raw_score += self._rereport_boost
        referral.escalations += 1
        referral.score = screening.percentile(referral.raw_score)
        referral.tier = max(referral.tier, screening.assessed_tier(referral.score))
        referral.weight = referral.profile.case_weights[referral.tier][referral.complexity]
        self._waiting.reprioritise(referral)

    def rerefer(self, previous: Referral) -> None:
        """A re-report after screen-out or closure: a new referral about the same subject."""
        screening = previous.profile.screening
        raw = previous.raw_score + self._rereport_boost
        score = screening.percentile(raw)
        referral = Referral(
            next(self._register.referral_ids),
            previous.subject,
            previous.profile,
            arrival=self._env.now,
            complexity=previous.complexity,
            raw_score=raw,
            score=score,
            tier=screening.assessed_tier(score),
            duration=previous.duration,
            rereferral=True,
        )
        if previous.profile.pathways:  # its own uniform for a follow-on case at closure
            referral.pathway_draw = self._streams.uniform(
                Purpose.PATHWAYS, referral.subject.id, referral.subject.opened
            )
        self.receive(referral)

    # ------------------------------------------------------------------ intake policy

    def threshold_mean(self) -> float:
        """The mean of the thresholds in force (the daily series' ``threshold``)."""
        return float(np.mean(self.thresholds))

    def watches_caseloads(self) -> bool:
        """Whether the thresholds move with caseloads (adaptive gatekeeping is on)."""
        return self.policy.gatekeeping is not None

    def observe_caseload(self, mean_caseload: float) -> None:
        """The day's mean caseload, for adaptive gatekeeping."""
        if self.policy.observe_caseload(mean_caseload):
            self._update_thresholds()

    def harm(self, latent_tier: int) -> None:
        """A harm happened to a subject of ``latent_tier``: it may become public."""
        if self.policy.harm(latent_tier, self._env.now):
            self._scandal()

    def _update_thresholds(self, event: simpy.Event | None = None) -> None:
        now = self._env.now
        self.thresholds = self.policy.thresholds(now)
        self._metrics.threshold.set(now, float(np.mean(self.thresholds)))

    def _scandal(self) -> None:
        """A harm became public: intake loosens and referrals surge for a while."""
        self._metrics.scandal(self._env.now)
        self._update_thresholds()
        call_at(self._env, self.policy.scandal_until, self._update_thresholds, None)
        for index in range(len(self.profiles)):
            if index not in self._surging:
                self._surging.add(index)
                self._env.process(self._surge(index))

    def _surge(self, index: int) -> Iterator[simpy.Event]:
        """Extra referrals of one case type while a scandal lasts, from their own streams.

        The surge adds a Poisson stream at ``(multiplier - 1)`` times the type's rate,
        so the ordinary referrals stay exactly those of the scenario without it. It is
        drawn a day at a time (the type's rate is a day's), each piece ending at the day's
        end, the horizon or the scandal's end, whichever comes first.
        """
        env, policy, profile = self._env, self.policy, self.profiles[index]
        process = self._arrival_processes[index]
        if index not in self._surge_draws:
            self._surge_draws[index] = (
                self._streams.generator(Purpose.POLICY, profile.key, 20),
                AttributeSampler(profile, self._streams, Purpose.POLICY),
            )
        counts, sampler = self._surge_draws[index]
        while policy.in_scandal(env.now) and env.now < self._horizon:
            start = env.now
            end = min(math.floor(start) + 1.0, self._horizon, policy.scandal_until)
            rate = (policy.surge_multiplier(start) - 1.0) * process.rate_per_day(start)
            times = np.sort(counts.uniform(start, end, counts.poisson(rate * (end - start))))
            if len(times):
                batch = ReferralBatch(sampler.draw(times))
                for i, time in enumerate(batch.times):
                    yield env.timeout(time - env.now)
                    self.receive(self.new_referral(profile, batch, i, surge=True))
            yield env.timeout(end - env.now)
        self._surging.discard(index)
