"""The agency's register of referrals: where each one is, and how many are in each state.

Every part of the office that moves a referral (the intake desk screening it out or
putting it on the waiting list, the caseload opening, transferring, closing or sending
it out) does so through :meth:`ReferralRegister.move`, which keeps the count in each
state and the time averages of cases waiting and open that the metrics integrate. The
register also numbers referrals and subjects, and keeps every referral when a run is
asked for per-referral records.
"""

from __future__ import annotations

import itertools

import simpy

from .metrics import Metrics
from .referral import Referral, ReferralState

__all__ = ["ReferralRegister"]

WAITING, OPEN = ReferralState.WAITING, ReferralState.OPEN


class ReferralRegister:
    """The count of referrals in each state, their numbering, and (optionally) the referrals.

    Parameters
    ----------
    env
        The simulation's clock.
    metrics
        Told of every change in the number of cases waiting or open.
    records
        Keep every referral (for a per-referral table; memory grows with the run).
    first_id
        The first id of referrals and subjects (0; an office of a region starts further on,
        so that a case shared with another office keeps an id of its own there).
    """

    def __init__(
        self, env: simpy.Environment, metrics: Metrics, *, records: bool, first_id: int = 0
    ) -> None:
        self._env = env
        self._metrics = metrics
        self.counts: dict[ReferralState, int] = dict.fromkeys(ReferralState, 0)
        """Referrals in each state now."""
        self.referrals: list[Referral] | None = [] if records else None
        """Every referral received (``None`` unless records are kept)."""
        self.referral_ids = itertools.count(first_id)
        self.subject_ids = itertools.count(first_id)
        """Ids of referrals and subjects (the offices of a region number from apart)."""

    def keep(self, referral: Referral) -> None:
        """Note a new referral (kept only when records are)."""
        if self.referrals is not None:
            self.referrals.append(referral)

    def move(self, referral: Referral, state: ReferralState) -> None:
        """Change a referral's state, keeping the state counts and time averages."""
        now = self._env.now
        old = referral.state
        counts = self.counts
        if old is not None:
            counts[old] -= 1
        counts[state] += 1
        referral.move(state, now)
        if old is WAITING or state is WAITING:
            self._metrics.waiting.set(now, counts[WAITING])
        if old is OPEN or state is OPEN:
            self._metrics.open_cases.set(now, counts[OPEN])

    def open_from_the_start(self, case: Referral) -> None:
        """Record a case that was already open when the run began (``initial_state``)."""
        case.history.append((case.arrival, OPEN))
        case.state = OPEN
        self.counts[OPEN] += 1
        self._metrics.open_cases.set(0.0, self.counts[OPEN])

    @property
    def in_system(self) -> int:
        """Cases waiting or open."""
        return self.counts[WAITING] + self.counts[OPEN]
