"""The waiting list: screened-in cases waiting for a worker with room under the caps.

Highest score first, then earliest arrival: an escalation (a re-report while waiting)
raises a case's score and so its place. Every operation is O(log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .referral import Referral

__all__ = ["WaitingList"]


class WaitingList:
    """Screened-in cases waiting for a worker: highest score first, then earliest arrival.

    Re-prioritising (an escalation) pushes a fresh entry and leaves the old one
    to be skipped when it surfaces, so every operation is O(log n).
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, float, int, int, Referral]] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def _entry(self, referral: Referral) -> tuple[float, float, int, int, Referral]:
        referral.queue_version += 1
        return (-referral.score, referral.arrival, referral.id, referral.queue_version, referral)

    def push(self, referral: Referral) -> None:
        heapq.heappush(self._heap, self._entry(referral))
        self._count += 1

    def reprioritise(self, referral: Referral) -> None:
        """Re-rank a waiting referral whose score has changed."""
        heapq.heappush(self._heap, self._entry(referral))

    def peek(self) -> Referral:
        """The referral that would be assigned next."""
        heap = self._heap
        while heap[0][3] != heap[0][4].queue_version:
            heapq.heappop(heap)
        return heap[0][4]

    def pop(self) -> Referral:
        referral = self.peek()
        heapq.heappop(self._heap)
        referral.queue_version += 1
        self._count -= 1
        return referral

    def __iter__(self) -> Iterator[Referral]:
        """The waiting referrals, in no particular order."""
        return (entry[4] for entry in self._heap if entry[3] == entry[4].queue_version)
