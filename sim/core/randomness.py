"""Random number streams: one numpy Generator per purpose, all from one seed.

Replication ``r`` of a run with seed ``s`` draws purpose ``p`` from
``SeedSequence(s, spawn_key=(r, p, *key))``. The streams are independent, and a
stream's draws depend only on its own key, never on how much another stream
was used. That is what makes common random numbers hold: two scenarios that
differ only in staffing, caps or triage see the same referrals, with the same
latent risk and the same signal times, because staffing never draws from the
arrival, attribute or signal streams.

Per-case-type streams are keyed by a stable hash of the type's name, so adding a
case type to a scenario leaves the referrals of the others unchanged.

The offices of a region (:mod:`sim.core.region`) each have their own family: office ``k > 0``
draws from ``spawn_key=(r, OFFICE, k, p, *key)``; office 0 keeps the keys of a single office,
so that the first office of a region sees exactly what the scenario alone would.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Purpose(IntEnum):
    """What a stream is for. Append new purposes; never renumber (it would change results)."""

    ARRIVALS = 0
    ATTRIBUTES = 1
    SIGNALS = 2
    DETECTION = 3
    WORK = 4
    WORKFORCE = 5
    POLICY = 6
    INITIAL_STATE = 7
    PATHWAYS = 8
    REASSESSMENT = 9
    OFFICE = 10
    """Not drawn from itself: the prefix of the streams of offices after the first."""


def stable_key(name: str) -> int:
    """A stable 32-bit key for a name (Python's ``hash`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class RandomStreams:
    """The family of streams of one replication."""

    seed: int
    replication: int = 0
    office: int = 0
    """Which office of a region (0: the first, or a single office)."""

    def _key(self, purpose: Purpose, key: tuple[int, ...]) -> tuple[int, ...]:
        if self.office:
            return (self.replication, int(Purpose.OFFICE), self.office, int(purpose), *key)
        return (self.replication, int(purpose), *key)

    def generator(self, purpose: Purpose, *key: int) -> np.random.Generator:
        """A fresh Generator for ``purpose`` (and an optional sub-key, e.g. a case type)."""
        sequence = np.random.SeedSequence(self.seed, spawn_key=self._key(purpose, key))
        return np.random.Generator(np.random.PCG64(sequence))

    def uniform(self, purpose: Purpose, *key: int) -> float:
        """One uniform in [0, 1) for ``purpose`` and ``key``, the same in every scenario.

        For decisions about things that exist in some scenarios and not others (a
        re-referral, a follow-on case): keyed by who they are about, not by when they
        happen, so they stay common random numbers.
        """
        sequence = np.random.SeedSequence(self.seed, spawn_key=self._key(purpose, key))
        return float(sequence.generate_state(1, np.uint64)[0] >> np.uint64(11)) * 2.0**-53
