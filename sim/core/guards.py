"""Runaway guards: refuse a run whose size is absurd before it starts, with an estimate.

A scenario with a billion referrals a year validates (every field is in range)
but would run for days and exhaust memory. The estimate is what the run would
simulate per replication; above the limits the command stops with the estimate
and the option that overrides it (``--allow-large``).

The same estimate bounds how long a sweep lets one run take (:func:`run_time_limit`,
the default of ``--run-timeout``): far more than the run should need, so that only a
run that hangs, or runs many times slower than its size predicts, is stopped.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ..errors import ScenarioError
from ..scenario import Arrivals, Scenario

__all__ = [
    "GROWTH_WINDOW_DAYS",
    "MAX_IN_SYSTEM",
    "MAX_REFERRALS",
    "MAX_SIGNALS",
    "MAX_WORKER_DAYS",
    "MIN_RUN_TIME_LIMIT",
    "RUN_TIME_MARGIN",
    "RunawayError",
    "SizeEstimate",
    "check_size",
    "estimate_size",
    "run_time_limit",
]

MAX_REFERRALS = 5_000_000
"""Referrals per replication above which a run is refused without ``--allow-large``."""
MAX_WORKER_DAYS = 20_000_000
"""Caseworker-days per replication above which a run is refused without ``--allow-large``."""
MAX_SIGNALS = 20_000_000
"""Risk signals per replication above which a run is refused without ``--allow-large``."""


@dataclass(frozen=True)
class SizeEstimate:
    """What one replication would simulate (seasonality at its peak ignored).

    Referrals count surges and the initial caseload; signals are those the
    referrals' subjects are expected to produce over their risk windows.
    """

    referrals: float
    worker_days: float
    signals: float = 0.0


def _surge_factor(arrivals: Arrivals, horizon: float) -> float:
    """The mean over ``[0, horizon)`` of the product of the surge multipliers in force."""
    surges = arrivals.surges
    if not surges:
        return 1.0
    edges = {0.0, horizon}
    for surge in surges:
        edges.update(min(max(day, 0.0), horizon) for day in (surge.start_day, surge.end_day))
    total = 0.0
    for start, end in itertools.pairwise(sorted(edges)):
        multiplier = math.prod(s.multiplier for s in surges if s.start_day <= start < s.end_day)
        total += multiplier * (end - start)
    return total / horizon


def estimate_size(scenario: Scenario) -> SizeEstimate:
    years = scenario.horizon_days / 365.0
    caseworkers = scenario.staffing.caseworkers
    initial = scenario.initial_state
    rates = sum(ct.arrivals.rate_per_year for ct in scenario.case_types)
    start = 0 if initial is None else caseworkers * initial.open_cases_per_worker + initial.waiting
    referrals = signals = 0.0
    for ct in scenario.case_types:
        count = (
            ct.arrivals.rate_per_year * years * _surge_factor(ct.arrivals, scenario.horizon_days)
        )
        if start:  # the initial caseload is drawn by the types' rates
            count += start * ct.arrivals.rate_per_year / rates
        per_year = sum(
            share * tier.signals_per_year
            for share, tier in zip(scenario.risk_mix(ct), scenario.risk.tiers, strict=True)
        )
        window = ct.risk_window_days or scenario.risk.window_days
        referrals += count
        signals += count * per_year * window / 365.0
    return SizeEstimate(referrals, caseworkers * scenario.horizon_days, signals)


def check_size(scenario: Scenario, source: str, *, allow_large: bool = False) -> SizeEstimate:
    """Raise a one-line :class:`ScenarioError` if one replication would be absurdly large."""
    size = estimate_size(scenario)
    if allow_large:
        return size
    if not size.referrals <= MAX_REFERRALS:  # NaN (overflowing multipliers) is too large too
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
    if not size.signals <= MAX_SIGNALS:
        raise ScenarioError(
            source,
            "risk",
            f"expected at most {MAX_SIGNALS:,} risk signals per replication, got about "
            f"{size.signals:,.0f} (referrals x signals a year x risk window); "
            "add --allow-large to run it anyway",
        )
    return size


SECONDS_PER_REFERRAL = 1e-3
SECONDS_PER_WORKER_DAY = 5e-4
SECONDS_PER_SIGNAL = 1e-3
"""What one referral, caseworker-day and risk signal cost a run: slower than the slowest
rates measured on the reference 2-core machine over the calibrated scenarios and the tests'
small office (1,700 referrals, 4,400 caseworker-days, 1,100 signals a second, each from a
different scenario), and a run pays all three, so that their sum overstated every measured
run's time 8 to 36 times."""
RUN_TIME_MARGIN = 10.0
"""How many times the predicted time a run may take before a sweep stops it."""
MIN_RUN_TIME_LIMIT = 60.0
"""The least time limit of a run, in seconds, whatever its size."""


def run_time_limit(size: SizeEstimate) -> float:
    """The default time limit of one run in a sweep, in seconds (``--run-timeout``).

    ``RUN_TIME_MARGIN`` times the time the size predicts at the per-item costs above, and at
    least ``MIN_RUN_TIME_LIMIT``: a run stopped by it has hung, or runs at a small fraction of
    the speed measured on the reference machine.
    """
    predicted = (
        size.referrals * SECONDS_PER_REFERRAL
        + size.worker_days * SECONDS_PER_WORKER_DAY
        + size.signals * SECONDS_PER_SIGNAL
    )
    if not math.isfinite(predicted):
        return math.inf
    return max(MIN_RUN_TIME_LIMIT, RUN_TIME_MARGIN * predicted)


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
