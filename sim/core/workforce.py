"""Case-carrying workers, their positions, and who gets the next case.

A :class:`Worker` holds cases under caps, has hours, strain and a tenure; a
:class:`Roster` is the set of funded caseworker positions, each filled by a
worker or vacant, and the rule that gives each new case to a worker.

A roster of more than :data:`SCAN_UP_TO` positions finds the least-loaded worker
through a heap of ``(load, position)`` entries, pushed whenever a worker's load
changes and discarded lazily once they no longer match, so choosing a worker
costs O(log workers), not a scan of every worker: an agency twice as large
costs twice as much to run, not more. A smaller roster is scanned, which is
faster at that size. Both choose the same worker.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .referral import Referral

__all__ = ["SCAN_UP_TO", "Roster", "Worker"]

_EPS = 1e-9
SCAN_UP_TO = 16
"""Rosters of at most this many positions are scanned rather than indexed by a heap."""


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
        "closed_load",
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
        "left_at",
        "lifetime",
        "load",
        "position",
        "ready_at",
        "roster",
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
        self.left_at = float("inf")
        """When the worker left the post (a quit, or an agency worker's handover)."""
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
        self.closed_load = 0.0
        """Offered load of the cases closed since then, to count at the next working day."""
        self.hours_today = 0.0
        """Hours the worker has today, overtime included (0 when absent or off)."""
        self.casework_rate = 1.0
        """Case work done per hour of the worker's today (support staff raise it)."""
        self.roster: Roster | None = None
        """The roster to tell of every change of load (one that indexes its workers)."""

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

    @property
    def full_caps(self) -> bool:
        """Whether the worker carries the full caps (not a graduated share of them)."""
        return self.count_cap == self.full_count_cap and self.weighted_cap == self.full_weighted_cap

    def take(self, case: Referral) -> None:
        self.cases[case.id] = case
        self.load += case.weight
        case.worker = self
        case.worker_id = self.id
        if self.roster is not None:
            self.roster.load_changed(self)

    def reweigh(self, case: Referral, weight: float) -> None:
        """A held case's weight changes (a reassessed tier)."""
        self.load += weight - case.weight
        case.weight = weight
        if self.roster is not None:
            self.roster.load_changed(self)

    def release(self, case: Referral) -> None:
        del self.cases[case.id]
        self.load = max(self.load - case.weight, 0.0) if self.cases else 0.0
        case.worker = None
        if self.roster is not None:
            self.roster.load_changed(self)

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
        self._indexed = len(self.positions) > SCAN_UP_TO
        self._heap: list[tuple[float, int, int, Worker]] = []
        """``(load, position, worker id, worker)``; an entry whose load is no longer the
        worker's, or whose worker has left, is stale and dropped when it reaches the top."""
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
        if self._indexed:
            worker.roster = self
            self.load_changed(worker)

    def remove(self, worker: Worker) -> None:
        """Take ``worker`` out of post, leaving its position vacant (cases are not moved)."""
        self.positions[worker.position] = None
        self.workers.remove(worker)
        worker.roster = None

    def _load(self, worker: Worker) -> float:
        return worker.load if self._weighted else len(worker.cases)

    def load_changed(self, worker: Worker) -> None:
        """Record ``worker``'s current load (called by :meth:`Worker.take` and ``release``)."""
        heap = self._heap
        heapq.heappush(heap, (self._load(worker), worker.position, worker.id, worker))
        if len(heap) > 4 * len(self.workers) + 64:  # mostly stale: rebuild
            self._heap = [(self._load(w), w.position, w.id, w) for w in self.workers]
            heapq.heapify(self._heap)

    def least_loaded_with_room(self, weight: float) -> Worker | None:
        """The least-loaded worker who can take a case of ``weight``, if any."""
        if self._indexed:
            return self._from_heap(weight)
        first = self.least_loaded()
        if first is None or first.has_room(weight):
            return first
        if self._nobody_after(first):
            return None
        best, best_load, weighted = None, float("inf"), self._weighted
        for worker in self.workers:  # a small roster: visit every worker, in position order
            load = worker.load if weighted else len(worker.cases)
            if load < best_load and worker.has_room(weight):
                best, best_load = worker, load
        return best

    def least_loaded(self) -> Worker | None:
        """The least-loaded worker taking cases, caps ignored (assignment over the cap)."""
        if self._indexed:
            return self._from_heap(None)
        best, best_load, weighted = None, float("inf"), self._weighted
        for worker in self.workers:
            if worker.accepting:
                load = worker.load if weighted else len(worker.cases)
                if load < best_load:
                    best, best_load = worker, load
        return best

    @staticmethod
    def _nobody_after(worker: Worker) -> bool:
        """Whether nobody loaded as much as ``worker`` or more can have room, given that
        ``worker``, taking cases, has none.

        True on full caps under a single cap when ``worker`` holds some weight: the others
        then hold as much or more (so some cases) under caps no larger. With both caps
        set it is never true: a count cap can bind on a worker whose weighted load is low.
        """
        single_cap = worker.count_cap is None or worker.weighted_cap is None
        return single_cap and worker.full_caps and worker.load > 0

    def _from_heap(self, weight: float | None) -> Worker | None:
        """The first worker in ``(load, position)`` order with room for ``weight`` (``None``:
        the first taking cases, caps ignored), stopping early when :meth:`_nobody_after`."""
        heap, positions, weighted = self._heap, self.positions, self._weighted
        found, passed = None, []
        while heap:
            load, position, _, worker = heap[0]
            if positions[position] is not worker or load != (
                worker.load if weighted else len(worker.cases)
            ):
                heapq.heappop(heap)  # stale: the worker's load changed, or it left
                continue
            if worker.accepting if weight is None else worker.has_room(weight):
                found = worker
                break
            if weight is not None and worker.accepting and self._nobody_after(worker):
                break
            passed.append(heapq.heappop(heap))
        for entry in passed:
            heapq.heappush(heap, entry)
        return found
