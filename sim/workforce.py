"""Case-carrying workers and the rule that gives each new case to one of them.

This version has a fixed roster; strain, absence, turnover and hiring attach to
:class:`Worker` (its hours and caps are per worker for that reason) and to
:class:`Roster` (which workers are on the roster).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .referral import Referral
    from .scenario import Scenario

__all__ = ["Roster", "Worker"]

_EPS = 1e-9


class Worker:
    """One case-carrying worker: hours per working day, caps, and the open cases held."""

    __slots__ = (
        "cases",
        "count_cap",
        "day_end",
        "free_from",
        "hours_left",
        "hours_per_day",
        "id",
        "last_day_start",
        "load",
        "weighted_cap",
    )

    def __init__(
        self, id: int, hours_per_day: float, count_cap: int | None, weighted_cap: float | None
    ) -> None:
        self.id = id
        self.hours_per_day = hours_per_day
        self.count_cap = count_cap
        self.weighted_cap = weighted_cap
        self.cases: dict[int, Referral] = {}
        self.load = 0.0
        """Sum of the weights of the cases held (the weighted caseload)."""
        self.hours_left = 0.0
        """Hours still free in the current working day (0 outside working hours)."""
        self.free_from = 0.0
        """When the worker's planned work for the day ends."""
        self.day_end = 0.0
        """When the worker's current working day ends."""
        self.last_day_start = 0.0
        """When the worker's previous working day began."""

    @property
    def caseload(self) -> int:
        return len(self.cases)

    def has_room(self, weight: float) -> bool:
        """Whether a case of ``weight`` fits under both caps.

        A worker with no cases always has room, so a case heavier than the
        weighted cap is still served (by a worker who then holds only it).
        """
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

    def take(self, case: Referral) -> None:
        self.cases[case.id] = case
        self.load += case.weight
        case.worker = self

    def release(self, case: Referral) -> None:
        del self.cases[case.id]
        self.load = max(self.load - case.weight, 0.0) if self.cases else 0.0
        case.worker = None

    def __repr__(self) -> str:
        return f"Worker(id={self.id}, caseload={len(self.cases)}, load={self.load:g})"


class Roster:
    """The workers on staff, and who gets the next case.

    A new case goes to the least-loaded worker with room (by weighted load when a
    weighted cap is set, by count otherwise; ties go to the lowest id).
    """

    def __init__(self, workers: list[Worker], *, weighted: bool) -> None:
        self.workers = workers
        self._weighted = weighted

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Roster:
        caps, staff = scenario.caps, scenario.workforce
        workers = [
            Worker(i, staff.hours_per_day, caps.count, caps.weighted)
            for i in range(staff.caseworkers)
        ]
        return cls(workers, weighted=caps.weighted is not None)

    def __iter__(self) -> Iterator[Worker]:
        return iter(self.workers)

    def __len__(self) -> int:
        return len(self.workers)

    def _load(self, worker: Worker) -> float:
        return worker.load if self._weighted else len(worker.cases)

    def least_loaded_with_room(self, weight: float) -> Worker | None:
        """The least-loaded worker who can take a case of ``weight``, if any."""
        best, best_load = None, float("inf")
        for worker in self.workers:
            load = self._load(worker)
            if load < best_load and worker.has_room(weight):
                best, best_load = worker, load
        return best

    def least_loaded(self) -> Worker:
        """The least-loaded worker, caps ignored (for assignment over the cap)."""
        return min(self.workers, key=self._load)
