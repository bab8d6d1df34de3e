"""Running accumulators in constant memory: time averages and distributions of durations.

:class:`TimeWeighted` integrates a step function (cases waiting, cases open, the
threshold in force) for its time average; :class:`LogHistogram` keeps the count, sum and
log-binned distribution of many durations (waits, times to first contact) so quantiles
come to 1% relative precision without keeping every value.
"""

from __future__ import annotations

import math

__all__ = ["LogHistogram", "TimeWeighted"]


class TimeWeighted:
    """The time integral of a step function from ``start`` on (for time averages)."""

    __slots__ = ("_last", "_value", "area", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.area = 0.0
        self._last = start
        self._value = 0.0

    def set(self, time: float, value: float) -> None:
        if time > self._last:
            self.area += self._value * (time - self._last)
            self._last = time
        self._value = value

    def mean(self, end: float) -> float:
        self.set(end, self._value)
        span = end - self.start
        return self.area / span if span > 0 else math.nan


class LogHistogram:
    """A running distribution in constant memory: exact count, sum and mean; quantiles to
    1% relative precision (log-spaced bins, like an HDR histogram).

    Values at or below ``1e-9`` (a case assigned the moment it arrived) are kept
    apart as zeros. Memory grows with the spread of the values (about 100 bins per
    factor of e), never with how many there are.
    """

    __slots__ = ("bins", "count", "total", "zeros")
    _LOG_RATIO = math.log1p(1e-2)

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.zeros = 0
        self.bins: dict[int, int] = {}
        """Count per log-spaced bin (a plain dict: a ``Counter``'s updates are slower)."""

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value <= 1e-9:
            self.zeros += 1
        else:
            key = math.floor(math.log(value) / self._LOG_RATIO)
            self.bins[key] = self.bins.get(key, 0) + 1

    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def quantile(self, q: float) -> float:
        """The smallest value with at least ``q`` of the count at or below it (bin midpoint)."""
        if not self.count:
            return math.nan
        needed = q * self.count - 1e-9
        seen = self.zeros
        if seen >= needed:
            return 0.0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen >= needed:
                return math.exp((key + 0.5) * self._LOG_RATIO)
        return math.exp((max(self.bins) + 0.5) * self._LOG_RATIO)
