"""Starting from an existing office: open cases on every worker and a waiting list at time 0.

``initial_state`` in a scenario gives each worker ``open_cases_per_worker`` cases and puts
``waiting`` cases on the waiting list when the run begins, instead of an empty office.
The cases are drawn like referrals (types in proportion to their rates, from a stream of
their own), keeping only draws that the intake screen in force would open. An open case
is placed part-way through its life (a uniform share of its duration elapsed, its case
work done in proportion, its next contact at a uniform point of its period); a waiting
case is received as a new referral would be.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..errors import ScenarioError
from ..scenario import Scenario
from .arrivals import AttributeSampler, ReferralBatch
from .caseload import Caseload
from .casetypes import CaseProfile
from .intake_desk import IntakeDesk
from .randomness import Purpose, RandomStreams
from .workforce import Roster

__all__ = ["MAX_INITIAL_DRAWS", "open_initial_caseload"]

MAX_INITIAL_DRAWS = 20_000_000
"""Referrals drawn, at most, to find an initial caseload that the screen would open."""


def open_initial_caseload(
    scenario: Scenario,
    streams: RandomStreams,
    intake: IntakeDesk,
    caseload: Caseload,
    roster: Roster,
) -> None:
    """Open cases on every worker and put cases on the waiting list at time 0."""
    initial = scenario.initial_state
    profiles = intake.profiles
    rng = streams.generator(Purpose.INITIAL_STATE)
    rates = np.array([profile.rate_per_year for profile in profiles])
    per_worker = initial.open_cases_per_worker
    wanted = len(roster) * per_worker + initial.waiting
    types = rng.choice(len(profiles), size=wanted, p=rates / rates.sum())
    pools = {
        index: _screened_in_draws(
            scenario.name, profiles[index], streams, intake, int(np.sum(types == index))
        )
        for index in np.unique(types)
    }
    taken = Counter()
    opened = 0
    for n, index in enumerate(types):
        profile, (batch, rows) = profiles[index], pools[index]
        i = rows[taken[index]]
        taken[index] += 1
        if n < len(roster) * per_worker:
            worker = roster.workers[opened % len(roster)]
            opened += 1
            elapsed = float(rng.uniform()) * batch.durations[i]
            case = intake.new_referral(profile, batch, i, shift=-elapsed, initial=True)
            caseload.open_from_the_start(case, worker, elapsed, float(rng.uniform()))
        else:
            intake.receive(intake.new_referral(profile, batch, i, initial=True))


def _screened_in_draws(
    name: str, profile: CaseProfile, streams: RandomStreams, intake: IntakeDesk, count: int
) -> tuple[ReferralBatch, list[int]]:
    """Referral attributes for ``count`` cases that the intake screen would open.

    The score is a percentile, so about ``1 - threshold`` of the draws are screened
    in; a caseload that would take more than :data:`MAX_INITIAL_DRAWS` draws is refused.
    """
    sampler = AttributeSampler(profile, streams, Purpose.INITIAL_STATE)
    threshold = intake.thresholds[profile.index]
    share = max(1.0 - threshold, 0.0)
    size = 2 * count / share + 16 if share > 0 else math.inf
    while size <= MAX_INITIAL_DRAWS:
        batch = ReferralBatch(sampler.draw(np.zeros(int(size))))
        rows = [i for i, s in enumerate(batch.scores) if s >= threshold]
        if len(rows) >= count:
            return batch, rows[:count]
        size *= 2
    raise ScenarioError(
        name,
        "initial_state",
        f"case type {profile.name!r} screens in about {share:.3%} of referrals (threshold "
        f"{threshold:g}): expected a threshold that lets the initial caseload of {count:,} "
        "be drawn",
    )
