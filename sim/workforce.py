"""Case-carrying workers, their positions, and who gets the next case.

A :class:`Worker` holds cases under caps, has hours, strain and a tenure; a
:class:`Roster` is the set of funded caseworker positions, each filled by a
worker or vacant, and the rule that gives each new case to a worker.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .referral import Referral

__all__ = ["Roster", "Worker"]

_EPS = 1e-9


class Worker:
    """One caseworker in one position.

    Caps are per worker (a new hire's rise with the graduated caseload); hours
    are the contracted hours, before strain and experience.
    """

    __slots__ = (
        "absent",
        "accepting",
        "agency",
        "cases",
        "casework_rate",
        "count_cap",
        "day_end",
        "free_from",
        "full_count_cap",
        "full_weighted_cap",
        "hazard",
        "hired_at",
        "hours_left",
        "hours_per_day",
        "hours_today",
        "id",
        "last_day_start",
        "lifetime",
        "load",
        "position",
        "ready_at",
        "strain",
        "weighted_cap",
    )

    def __init__(
        self,
        id: int,
        hours_per_day: float,
        count_cap: int | None,
        weighted_cap: float | None,
        *,
        position: int | None = None,
        hired_at: float = float("-inf"),
        ready_at: float = float("-inf"),
        lifetime: float = float("inf"),
    ) -> None:
        self.id = id
        self.position = id if position is None else position
        self.hours_per_day = hours_per_day
        self.full_count_cap = self.count_cap = count_cap
        self.full_weighted_cap = self.weighted_cap = weighted_cap
        self.cases: dict[int, Referral] = {}
        self.load = 0.0
        """Sum of the weights of the cases held (the weighted caseload)."""
        self.hired_at = hired_at
        self.ready_at = ready_at
        """When training ends and the worker starts taking cases."""
        self.accepting = ready_at <= 0.0
        self.strain = 0.0
        self.hazard = 0.0
        """Quit hazard accumulated since hire; the worker quits when it reaches ``lifetime``."""
        self.lifetime = lifetime
        self.agency = False
        """An agency (temporary) worker covering a vacancy: leaves when it is filled."""
        self.absent = False
        self.hours_left = 0.0
        """Hours still free in the current working day (0 outside working hours)."""
        self.free_from = 0.0
        """When the worker's planned work for the day ends."""
        self.day_end = 0.0
        """When the worker's current working day ends."""
        self.last_day_start = 0.0
        """When the worker's previous working day began."""
        self.hours_today = 0.0
        """Hours the worker has today, overtime included (0 when absent or off)."""
        self.casework_rate = 1.0
        """Case work done per hour of the worker's today (support staff raise it)."""

    @property
    def caseload(self) -> int:
        return len(self.cases)

    def has_room(self, weight: float) -> bool:
        """Whether a case of ``weight`` fits under both caps.

        A worker taking cases who holds none always has room, so a case heavier
        than the weighted cap is still served (by a worker who then holds only it).
        """
        if not self.accepting:
            return False
        if not self.cases:
            return True
        if self.count_cap is not None and len(self.cases) >= self.count_cap:
            return False
        return self.weighted_cap is None or self.load + weight <= self.weighted_cap + _EPS

    def over_cap(self) -> bool:
        """Whether the worker holds more than a cap allows."""
        if self.count_cap is not None and len(self.cases) > self.count_cap:
            return True
        return self.weighted_cap is not None and self.load > self.weighted_cap + _EPS

    def set_cap_share(self, share: float) -> None:
        """Carry ``share`` of the full caps (a graduated caseload)."""
        if self.full_count_cap is not None:
            self.count_cap = max(1, round(self.full_count_cap * share))
        if self.full_weighted_cap is not None:
            self.weighted_cap = self.full_weighted_cap * share

    def take(self, case: Referral) -> None:
        self.cases[case.id] = case
        self.load += case.weight
        case.worker = self

    def release(self, case: Referral) -> None:
        del self.cases[case.id]
        self.load = max(self.load - case.weight, 0.0) if self.cases else 0.0
        case.worker = None

    def __repr__(self) -> str:
        return f"Worker(id={self.id}, position={self.position}, caseload={len(self.cases)})"


class Roster:
    """The caseworker positions: who holds each, and who gets the next case.

    A new case goes to the least-loaded worker with room (by weighted load when a
    weighted cap is set, by count otherwise; ties go to the lowest position).
    Workers in training take no cases.
    """

    def __init__(
        self, workers: list[Worker], *, weighted: bool, positions: int | None = None
    ) -> None:
        self.positions: list[Worker | None] = [None] * (positions or len(workers))
        self.workers: list[Worker] = []
        """Workers in post, in position order."""
        self._weighted = weighted
        for worker in workers:
            self.add(worker)

    def __iter__(self) -> Iterator[Worker]:
        return iter(self.workers)

    def __len__(self) -> int:
        return len(self.workers)

    @property
    def vacancies(self) -> int:
        return len(self.positions) - len(self.workers)

    def add(self, worker: Worker) -> None:
        """Put ``worker`` in its (vacant) position."""
        if self.positions[worker.position] is not None:
            raise ValueError(f"position {worker.position} is not vacant")
        self.positions[worker.position] = worker
        index = bisect.bisect([w.position for w in self.workers], worker.position)
        self.workers.insert(index, worker)

    def remove(self, worker: Worker) -> None:
        """Take ``worker`` out of post, leaving its position vacant (cases are not moved)."""
        self.positions[worker.position] = None
        self.workers.remove(worker)

    def _load(self, worker: Worker) -> float:
        return worker.load if self._weighted else len(worker.cases)

    def least_loaded_with_room(self, weight: float) -> Worker | None:
        """The least-loaded worker who can take a case of ``weight``, if any."""
        best, best_load = None, float("inf")
        if self._weighted:
            for worker in self.workers:
                if worker.load < best_load and worker.has_room(weight):
                    best, best_load = worker, worker.load
        else:  # the same scan by count, without a call per worker to read the load
            for worker in self.workers:
                if len(worker.cases) < best_load and worker.has_room(weight):
                    best, best_load = worker, len(worker.cases)
        return best

    def least_loaded(self) -> Worker | None:
        """The least-loaded worker taking cases, caps ignored (assignment over the cap)."""
        taking = [worker for worker in self.workers if worker.accepting]
        return min(taking, key=self._load) if taking else None
