"""The counters of what a budget buys besides positions, and of cases shared between offices.

Fed by the working days (the daily cost of wellbeing support and retention pay for the
caseworkers in post), careers (a faster pipeline's cost per hire), the rebalancing audits and
the case-sharing rule of a region (:mod:`.sharing`). Everything is counted when it happens
inside the statistics window, like the rest of :class:`~.metrics.Metrics`.
"""

from __future__ import annotations

__all__ = ["LeverMetrics"]


class LeverMetrics:
    """Costs and counts of the levers of one office in one replication."""

    COSTS = (
        "wellbeing_cost",
        "retention_pay_cost",
        "hiring_pipeline_cost",
        "rebalancing_cost",
        "sharing_cost",
    )
    """The figures that add to ``total_cost``."""

    def __init__(self, warmup: float) -> None:
        self.warmup = warmup
        self.wellbeing_cost = 0.0
        self.retention_pay_cost = 0.0
        self.hiring_pipeline_cost = 0.0
        self.rebalancing_cost = 0.0
        self.sharing_cost = 0.0
        self.audits = 0
        self.cases_rebalanced = 0
        self.shared_out = 0
        self.shared_in = 0

    def programmes_day(self, time: float, wellbeing: float, retention: float) -> None:
        """End-of-day reading: the day's cost of wellbeing support and retention pay."""
        if time > self.warmup:  # the day read ended inside the window
            self.wellbeing_cost += wellbeing
            self.retention_pay_cost += retention

    def hire(self, time: float, cost: float) -> None:
        """A hire through the faster pipeline, at ``cost``."""
        if time >= self.warmup:
            self.hiring_pipeline_cost += cost

    def audit(self, time: float, cost: float, moved: int) -> None:
        """A rebalancing audit that moved ``moved`` cases, at ``cost``."""
        if time >= self.warmup:
            self.audits += 1
            self.cases_rebalanced += moved
            self.rebalancing_cost += cost

    def shared(self, time: float, *, out: bool, cost: float = 0.0) -> None:
        """A case sent to another office (``out``, at ``cost``) or taken from one."""
        if time >= self.warmup:
            if out:
                self.shared_out += 1
                self.sharing_cost += cost
            else:
                self.shared_in += 1

    @property
    def total_cost(self) -> float:
        return (
            self.wellbeing_cost
            + self.retention_pay_cost
            + self.hiring_pipeline_cost
            + self.rebalancing_cost
            + self.sharing_cost
        )

    def figures(self) -> dict[str, float]:
        """The summary's figures of the levers (their costs, the cases moved and shared)."""
        return {
            "shared_out": self.shared_out,
            "shared_in": self.shared_in,
            "cases_rebalanced": self.cases_rebalanced,
            **{name: getattr(self, name) for name in self.COSTS},
        }
