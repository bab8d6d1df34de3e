"""Caseload rebalancing: a periodic audit that moves cases from workers over a cap to
colleagues with room.

Caseloads drift apart even under least-loaded assignment: cases close unevenly, a leaver's
cases land on colleagues over the cap (overflow ``over_cap``), a reassessed case grows
heavier, a new hire starts with an empty caseload that fills only as new cases arrive. An
audit every ``every_days`` days (at the end of a day, when nobody is working) takes each
worker over a cap, heaviest first, and gives their most recently assigned case (the one
with the least relationship built; a case about to close stays) to the least-loaded
colleague with room, until the worker is back under the caps or nobody has room.

A move is not free: the case changes worker, which counts as a handoff (the service dose
falls, :mod:`.service`) and lowers detection for ``turnover.continuity_days`` (as a
leaver's transferred case does), and its new worker spends ``transfer_hours`` of case work
reading in. Each audit costs ``cost_per_audit`` (a supervisor's time).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from ..scenario import Scenario
from .clock import call_at
from .costs import CostRates
from .metrics import Metrics
from .workforce import Roster

if TYPE_CHECKING:
    from .caseload import Caseload
    from .referral import Referral
    from .workforce import Worker

__all__ = ["Rebalancing"]


class Rebalancing:
    """The rebalancing audits of one office (none without ``levers.rebalancing``).

    Parameters
    ----------
    scenario
        Read once: the audit period and the transfer hours of a moved case.
    env, metrics, roster, costs
        The clock, the counters, the caseworkers, and the cost of an audit.
    """

    def __init__(
        self,
        scenario: Scenario,
        env: simpy.Environment,
        metrics: Metrics,
        roster: Roster,
        costs: CostRates,
    ) -> None:
        self.settings = scenario.levers.rebalancing
        self.enabled = self.settings is not None
        self._env = env
        self._metrics = metrics
        self._roster = roster
        self._cost = costs.per_audit
        self._horizon = scenario.horizon_days
        self._audits = 0
        self._caseload: Caseload | None = None

    def connect(self, caseload: Caseload) -> None:
        """The caseload that moves a case from one worker to another."""
        self._caseload = caseload

    def start(self) -> None:
        """Schedule the first audit (at the end of the day ``every_days`` from the start)."""
        if self.enabled:
            self._schedule()

    def _schedule(self) -> None:
        self._audits += 1
        when = math.ceil(self._audits * self.settings.every_days - 1e-9)
        if when < self._horizon:
            call_at(self._env, when, self._on_audit, None)

    def _on_audit(self, event: simpy.Event) -> None:
        self._metrics.levers.audit(self._env.now, self._cost, self.audit())
        self._schedule()

    def audit(self) -> int:
        """Move cases from workers over a cap to colleagues with room; return how many."""
        over = [w for w in self._roster if w.accepting and w.over_cap()]
        over.sort(key=lambda w: (-w.load if w.weighted_cap is not None else -len(w.cases), w.id))
        moved = 0
        hours = self.settings.transfer_hours
        for worker in over:
            while worker.over_cap():
                case = _newest(worker)
                if case is None:
                    break
                target = self._roster.least_loaded_with_room(case.weight)
                if target is None:
                    return moved
                self._caseload.move(case, target, hours)
                moved += 1
        return moved


def _newest(worker: Worker) -> Referral | None:
    """The worker's most recently assigned case that is not about to close."""
    best, best_key = None, None
    for case in worker.cases.values():
        if case.closing:
            continue
        since = case.assigned_at if case.transferred_at is None else case.transferred_at
        key = (since, case.id)
        if best_key is None or key > best_key:
            best, best_key = case, key
    return best
