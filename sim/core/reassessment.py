"""Reassessment: open cases are assessed again every ``k`` days, so tiers follow the risk left.

At each reassessment the assessed tier is drawn again through the screening tool's noise
from the subject's *current* risk: its latent tier's signal rate cut by the service in
force (:mod:`sim.core.service`). The reduced rate is placed on the tier scale by linear
interpolation between the tiers' signal rates (a high-risk subject whose rate service
has halved sits between medium and high), its raw score is ``separation * position + z``
with a fresh standard normal ``z`` (the screening tool's noise, from a stream of the case
type's own), and its percentile gives the assessed tier, exactly as at intake. Tiers
therefore fall as service works and rise when it does not, and the contact frequency and
case weight follow the new tier (the probation seed's dynamic reassessment).

A case waiting for a worker (a leaver's case) keeps its calendar but is not reassessed.
"""

from __future__ import annotations

import numpy as np
import simpy

from .casetypes import CaseProfile
from .clock import call_at
from .metrics import Metrics
from .randomness import Purpose, RandomStreams
from .referral import Referral, ReferralState
from .service import Service

__all__ = ["Reassessment"]

OPEN, WAITING = ReferralState.OPEN, ReferralState.WAITING


class Reassessment:
    """The reassessment calendar of open cases, and the tier each reassessment gives.

    Parameters
    ----------
    env, streams, metrics
        The clock, the random streams (purpose REASSESSMENT, one per case type) and the
        counters.
    profiles
        The compiled case types, with ``reassess_every``.
    service
        The service in force (the current risk is the latent rate cut by it).
    """

    def __init__(
        self,
        env: simpy.Environment,
        streams: RandomStreams,
        metrics: Metrics,
        profiles: list[CaseProfile],
        service: Service,
    ) -> None:
        self._env = env
        self._metrics = metrics
        self._service = service
        self._noise = {
            p.index: streams.generator(Purpose.REASSESSMENT, p.key)
            for p in profiles
            if p.reassess_every is not None
        }
        self.enabled = bool(self._noise)

    def start(self, case: Referral) -> None:
        """Put a newly opened case on the calendar (if its type is reassessed)."""
        every = case.profile.reassess_every
        if every is not None:
            call_at(self._env, self._env.now + every, self._on_due, case)

    def _on_due(self, event: simpy.Event) -> None:
        case: Referral = event.value
        if case.state is OPEN:
            self._reassess(case)
        if case.state is OPEN or case.state is WAITING:
            call_at(self._env, self._env.now + case.profile.reassess_every, self._on_due, case)

    def _reassess(self, case: Referral) -> None:
        now, profile = self._env.now, case.profile
        rates = profile.signal_rates
        latent = case.subject.tier
        service = self._service
        # the case's own help, or an earlier case's if it persists and is stronger (a
        # subject's earlier referrals are kept only while one of its signals is pending)
        reduction = max(service.reduction(case, now), service.reduction_for(case.subject, now))
        current = rates[latent] * (1.0 - reduction)
        position = _position(current, rates, latent)
        screening = profile.screening
        raw = screening.separation * position + float(self._noise[profile.index].standard_normal())
        tier = screening.assessed_tier(screening.percentile(raw))
        self._metrics.outcomes.reassessment(now, case.tier, tier)
        if tier != case.tier:
            case.tier = tier
            case.worker.reweigh(case, profile.case_weights[tier][case.complexity])


def _position(rate: float, rates: np.ndarray, latent: int) -> float:
    """Where ``rate`` sits on the tier scale (0 = the lowest tier), by linear interpolation
    between the tiers' rates; the latent tier itself if the rates do not rise with tier."""
    if len(rates) < 2 or np.any(np.diff(rates) <= 0):
        return float(latent)
    return float(np.interp(rate, rates, np.arange(len(rates))))
