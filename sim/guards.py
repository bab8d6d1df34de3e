"""Runaway guards: refuse a run whose size is absurd before it starts, with an estimate.

A scenario with a billion referrals a year validates (every field is in range)
but would run for days and exhaust memory. The estimate is what the run would
simulate per replication; above the limits the command stops with the estimate
and the option that overrides it (``--allow-large``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ScenarioError
from .scenario import Scenario

__all__ = [
    "GROWTH_WINDOW_DAYS",
    "MAX_IN_SYSTEM",
    "MAX_REFERRALS",
    "MAX_WORKER_DAYS",
    "RunawayError",
    "SizeEstimate",
    "check_size",
    "estimate_size",
]

MAX_REFERRALS = 5_000_000
"""Referrals per replication above which a run is refused without ``--allow-large``."""
MAX_WORKER_DAYS = 20_000_000
"""Caseworker-days per replication above which a run is refused without ``--allow-large``."""


@dataclass(frozen=True)
class SizeEstimate:
    """What one replication would simulate (surges and seasonality at their peak ignored)."""

    referrals: float
    worker_days: float


def estimate_size(scenario: Scenario) -> SizeEstimate:
    years = scenario.horizon_days / 365.0
    referrals = sum(ct.arrivals.rate_per_year for ct in scenario.case_types) * years
    return SizeEstimate(referrals, scenario.staffing.caseworkers * scenario.horizon_days)


def check_size(scenario: Scenario, source: str, *, allow_large: bool = False) -> SizeEstimate:
    """Raise a one-line :class:`ScenarioError` if one replication would be absurdly large."""
    size = estimate_size(scenario)
    if allow_large:
        return size
    if size.referrals > MAX_REFERRALS:
        raise ScenarioError(
            source,
            "case_types",
            f"expected at most {MAX_REFERRALS:,} referrals per replication, got about "
            f"{size.referrals:,.0f} (rates x horizon); add --allow-large to run it anyway",
        )
    if size.worker_days > MAX_WORKER_DAYS:
        raise ScenarioError(
            source,
            "workforce.caseworkers",
            f"expected at most {MAX_WORKER_DAYS:,} caseworker-days per replication, got "
            f"{size.worker_days:,.0f}; add --allow-large to run it anyway",
        )
    return size


MAX_IN_SYSTEM = 500_000
"""Cases waiting or open at the end of a day above which a run stops (an unstable queue):
at roughly a kilobyte a case, well short of exhausting a machine's memory."""
GROWTH_WINDOW_DAYS = 90
"""Days over which a runaway run's growth is measured for its report."""


class RunawayError(ScenarioError):
    """A run stopped because more cases were waiting or open than ``MAX_IN_SYSTEM``.

    Referrals are opened faster than the office closes cases, so the queue grows
    without bound; the message reports when, how many, and how fast it grew.
    (Built from positional arguments only: SimPy re-creates an exception raised in
    a process as ``type(error)(*error.args)``.)
    """

    def __init__(
        self,
        source: str,
        day: int,
        horizon: float,
        in_system: int,
        limit: int,
        growth_per_day: float,
        days: int,
    ) -> None:
        self.day = day
        self.in_system = in_system
        self.growth_per_day = growth_per_day
        super().__init__(
            source,
            None,
            f"the run stopped on day {day:,} of {horizon:,.0f}: {in_system:,} cases waiting or "
            f"open (limit {limit:,}), growing by about {growth_per_day:,.1f} a day over the last "
            f"{days} days: cases are opened faster than the office closes them (an unstable "
            "queue); add caseworkers or raise the screening threshold, or add --allow-large to "
            "run it anyway",
        )
        self._message = super().__str__()
        self.args = (source, day, horizon, in_system, limit, growth_per_day, days)

    def __str__(self) -> str:
        return self._message
