"""Case sharing between the offices of a region: a full office sends a new case to one with room.

When a case is opened in an office none of whose workers has room for it under the caps, the
office asks the others before its own overflow policy applies (waiting, over the cap, an
external provider). An office may take the case if one of its workers has room and, under
the ``wait`` policy, nobody is waiting there (a shared case never jumps another office's
queue). Among those, the case goes to the office whose least-loaded worker with room holds
the fewest cases (ties: the office listed first), and to that worker.

A shared case belongs to the office that took it from then on: its worker, contacts, case
work, closure and any follow-on case are that office's, as are the signals its contacts
catch. The subject stays where it lives: its referrals, re-referrals and harms count in the
office that received it (missed risk per 1,000 referrals keeps the office's own referrals as
its base). Sharing is a change of worker (a handoff, which lowers the service dose), costs
the new worker ``transfer_hours`` of case work (travel and handover), and costs the sending
office ``cost_per_case``. The case keeps the case-type settings of the office that received
it. Shared cases are only new ones: a leaver's cases and waiting cases stay in their office.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ..scenario import Sharing

if TYPE_CHECKING:
    from .caseload import Caseload
    from .metrics import Metrics
    from .referral import Referral

__all__ = ["CaseSharing"]


class CaseSharing:
    """The sharing rule of a region (one instance, shared by every office's caseload).

    Parameters
    ----------
    settings
        The scenario's ``sharing`` block.
    env
        The region's clock.
    """

    def __init__(self, settings: Sharing, env: simpy.Environment) -> None:
        self.settings = settings
        self._env = env
        self._caseloads: list[Caseload] = []
        self._metrics: list[Metrics] = []

    def connect(self, caseloads: list[Caseload], metrics: list[Metrics]) -> None:
        """The offices' caseloads (in office order) and their counters."""
        self._caseloads = caseloads
        self._metrics = metrics

    def place(self, referral: Referral, sender: int) -> bool:
        """Give ``referral``, which office ``sender`` has no room for, to another office with
        room; ``False`` if none has any."""
        best, best_load = None, None
        for office, caseload in enumerate(self._caseloads):
            if office == sender:
                continue
            worker = caseload.room_for(referral)
            if worker is not None and (best_load is None or len(worker.cases) < best_load):
                best, best_load = (office, worker), len(worker.cases)
        if best is None:
            return False
        office, worker = best
        settings = self.settings
        self._metrics[sender].levers.shared(self._env.now, out=True, cost=settings.cost_per_case)
        self._caseloads[office].take_shared(referral, worker, settings.transfer_hours)
        return True
