"""Case pathways: a closing case may open a follow-on case for the same subject.

An investigation that finds danger opens an ongoing service case; a court case may open
a probation term. A case type's ``pathways`` give, per assessed tier, the probability
that its closure opens a case of another type (or ``if_caught`` when a signal was
caught during the case). The decision reads a uniform drawn with the referral when it
was born (``Referral.pathway_draw``), so the same referral makes the same choice at any
staffing level (common random numbers); a re-referral or a follow-on case, which exists
in some scenarios and not in others, gets a uniform keyed by its subject and how many
referrals and cases the subject has had (:meth:`~sim.core.randomness.RandomStreams.uniform`):
independent of its predecessor's, and the same wherever the same case exists.

A follow-on case is not a referral: it is not screened and not counted among
referrals; it opens at once (its own first-contact deadline by the assessed tier it
carries over, then a worker under the caps or the overflow policy) and the subject's
pending signals follow it. Its complexity and minimum duration are drawn from a stream
of the target type's own, in the order follow-on cases open. A closure that opens no
follow-on case is the subject's exit from the agency (:mod:`sim.core.recurrence`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy

from .casetypes import CaseProfile
from .metrics import Metrics
from .randomness import Purpose, RandomStreams
from .recurrence import AFTER_SERVICES, WITHOUT_SERVICES
from .referral import Referral
from .register import ReferralRegister

if TYPE_CHECKING:
    from .caseload import Caseload

__all__ = ["Pathways"]


class Pathways:
    """Follow-on cases at closure, and the exits of subjects who leave the agency.

    Parameters
    ----------
    env, streams, metrics, register
        The clock, the random streams (purpose PATHWAYS, one per target case type), the
        counters and the register of referrals.
    profiles
        The compiled case types, with their pathway rules.
    """

    def __init__(
        self,
        env: simpy.Environment,
        streams: RandomStreams,
        metrics: Metrics,
        register: ReferralRegister,
        profiles: list[CaseProfile],
    ) -> None:
        self._env = env
        self._metrics = metrics
        self._register = register
        self._recurrence = metrics.outcomes.recurrence
        self._profiles = profiles
        targets = {rule.target for profile in profiles for rule in profile.pathways}
        self._streams = streams
        self._draws = {
            target: streams.generator(Purpose.PATHWAYS, profiles[target].key)
            for target in sorted(targets)
        }
        self._caseload: Caseload | None = None

    def connect(self, caseload: Caseload) -> None:
        """The caseload that opens the follow-on cases."""
        self._caseload = caseload

    def closed(self, case: Referral, now: float) -> None:
        """``case`` has closed at ``now``: open its follow-on case, or record the subject's exit."""
        profile = case.profile
        if profile.pathways:
            target = self._follow_on(case)
            if target is not None:
                self._open(case, self._profiles[target])
                return
        kind = AFTER_SERVICES if profile.provides_services else WITHOUT_SERVICES
        self._recurrence.left(case.subject, kind, profile.index, now)

    def _follow_on(self, case: Referral) -> int | None:
        """The case type the closure opens a case of, if any."""
        rules = case.profile.pathways
        caught = case.signals_caught > 0
        cumulative = 0.0
        for rule in rules:
            use_caught = caught and rule.if_caught is not None
            cumulative += rule.if_caught if use_caught else rule.probability[case.tier]
            if case.pathway_draw < cumulative:
                return rule.target
        return None

    def _open(self, previous: Referral, profile: CaseProfile) -> None:
        now = self._env.now
        rng = self._draws[profile.index]
        shares = profile.complexity_shares
        complexity = int(np.searchsorted(np.cumsum(shares)[:-1], rng.random(), side="right"))
        duration = float(profile.duration.sample(rng, 1)[0])
        case = Referral(
            next(self._register.referral_ids),
            previous.subject,
            profile,
            now,
            complexity,
            previous.raw_score,
            profile.screening.percentile(previous.raw_score),
            previous.tier,  # the assessment that opened it carries over
            duration,
        )
        case.follow_on = True
        case.pathway_draw = self._streams.uniform(
            Purpose.PATHWAYS, case.subject.id, case.subject.opened
        )
        previous.subject.referred_again()
        self._register.keep(case)
        self._metrics.outcomes.follow_on(now, profile.index)
        self._caseload.open(case)
