"""Exact results of queueing theory, the oracle for the M/M/c tests, and the M/M/c scenario.

Plain Python with no test framework, so that ``benchmarks/run.py`` uses the same scenario.
"""

from __future__ import annotations

import math
from typing import Any


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load ``a = lambda/mu``)."""
    if offered >= servers:
        return 1.0
    top = offered**servers / math.factorial(servers) * servers / (servers - offered)
    bottom = sum(offered**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue ``Wq = C(c, a) / (c * mu - lambda)`` of an M/M/c queue."""
    offered = arrival_rate / service_rate
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def mmc_data(
    servers: int,
    rho: float,
    *,
    mean_service: float = 1.0,
    horizon: float = 2100.0,
    warmup: float = 100.0,
) -> dict[str, Any]:
    """An M/M/c queue as a scenario: count cap 1, exponential case life, no work, no risk.

    Arrivals are Poisson at ``rho * servers / mean_service`` per day; a case occupies
    its worker for an exponential time of mean ``mean_service`` days from assignment;
    workers work every day and no contact or case work can delay a closure.
    """
    per_day = rho * servers / mean_service
    return {
        "name": f"mmc_{servers}_{rho}",
        "horizon_days": horizon,
        "warmup_days": warmup,
        "replications": 30,
        "seed": 7,
        "risk": {
            "tiers": [
                {"name": "low", "signals_per_year": 0.0},
                {"name": "high", "signals_per_year": 0.0},
            ]
        },
        "intake": {"auc": 0.5, "threshold": 0.0},
        "case_types": [
            {
                "name": "customer",
                "arrivals": {"rate_per_year": per_day * 365.0},
                "risk_mix": {"low": 0.5, "high": 0.5},
                "duration": {"distribution": "exponential", "mean": mean_service},
            }
        ],
        "caps": {"count": 1, "overflow": "wait"},
        "workforce": {"caseworkers": servers, "hours_per_day": 8.0, "working_days_per_week": 7},
    }
