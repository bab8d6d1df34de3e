"""Histories the simulator makes from a scenario whose figures are known, for the fitting tests.

``TRUTH`` is a small office of two case types (one seasonal), turnover without strain (so the
quit hazard is the scenario's rate) and cases that close on schedule (so a case's time from
assignment to closure is its drawn duration). A replication runs a year of warm-up, then the
three years of the history; its records and staff become the tables of an export
(:func:`sim.fitting.history_tables`), as an agency would hand them over.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import sim
from sim.core.arrivals import MONTH_LENGTHS
from sim.fitting import history_tables

WARMUP = 365
START = pd.Timestamp("2018-01-01")
END = pd.Timestamp("2021-01-01")
HISTORY = (END - START).days
SEASON = [1.5, 1.4, 1.2, 1.0, 0.9, 0.7, 0.6, 0.7, 0.9, 1.0, 1.1, 1.3]
SEASON_NORMALISED = list(np.asarray(SEASON) * 365.0 / float(np.dot(SEASON, MONTH_LENGTHS)))

TRUTH: dict[str, Any] = {
    "name": "truth",
    "horizon_days": WARMUP + HISTORY,
    "warmup_days": WARMUP,
    "seed": 7,
    "risk": {
        "rereport_probability": 0.2,
        "tiers": [
            {"name": "low", "signals_per_year": 0.1},
            {"name": "medium", "signals_per_year": 0.4},
            {"name": "high", "signals_per_year": 1.5},
        ],
    },
    "intake": {"auc": 0.68, "threshold": {"family": 0.4, "youth": 0.2}},
    "case_types": [
        {
            "name": "family",
            "arrivals": {"rate_per_year": 500.0, "seasonality": SEASON},
            "risk_mix": {"low": 0.5, "medium": 0.3, "high": 0.2},
            "duration": {"distribution": "lognormal", "mean": 60.0, "sd": 30.0},
            "closes_on_schedule": True,
            "work_hours": 4.0,
            "first_contact": {"deadline_days": 3.0, "hours": 2.0},
            "contacts": {"every_days": 14.0, "hours": 1.0},
        },
        {
            "name": "youth",
            "arrivals": {"rate_per_year": 150.0},
            "risk_mix": {"low": 0.2, "medium": 0.4, "high": 0.4},
            "duration": {"distribution": "gamma", "mean": 150.0, "sd": 60.0},
            "closes_on_schedule": True,
            "work_hours": 10.0,
            "first_contact": {"deadline_days": 7.0, "hours": 2.0},
            "contacts": {"every_days": 30.0, "hours": 1.0},
        },
    ],
    "workforce": {"caseworkers": 16, "hours_per_day": 7.0},
    "turnover": {"annual_rate": 0.4},
    "hiring": {
        "lag": {"distribution": "gamma", "mean": 60.0, "sd": 20.0},
        "training_days": 30.0,
        "ramp_days": 120.0,
        "ramp_start_share": 0.3,
    },
}

TRUE_VALUES: dict[tuple[str, str | None], float] = {
    ("arrivals.rate_per_year", "family"): 500.0,
    ("arrivals.rate_per_year", "youth"): 150.0,
    ("intake.threshold", "family"): 0.4,
    ("intake.threshold", "youth"): 0.2,
    ("risk_mix.low", "family"): 0.5,
    ("risk_mix.medium", "family"): 0.3,
    ("risk_mix.high", "family"): 0.2,
    ("risk_mix.low", "youth"): 0.2,
    ("risk_mix.medium", "youth"): 0.4,
    ("risk_mix.high", "youth"): 0.4,
    ("duration.mean", "family"): 60.0,
    ("duration.sd", "family"): 30.0,
    ("duration.mean", "youth"): 150.0,
    ("duration.sd", "youth"): 60.0,
    ("turnover.annual_rate", None): 0.4,
    ("hiring.lag.mean", None): 60.0,
    ("hiring.lag.sd", None): 20.0,
    **{(f"arrivals.seasonality[{m}]", "family"): SEASON_NORMALISED[m] for m in range(12)},
    **{(f"arrivals.seasonality[{m}]", "youth"): 1.0 for m in range(12)},
}
"""Every figure the fit estimates from the truth's history, and its true value."""


def base_data() -> dict[str, Any]:
    """The truth with every fitted figure changed: what the fit reads must come from the data."""
    base = copy.deepcopy(TRUTH)
    base["name"] = "base"
    base["intake"]["threshold"] = 0.7
    for case_type in base["case_types"]:
        case_type["arrivals"] = {"rate_per_year": 999.0}
        case_type["risk_mix"] = {"low": 0.1, "medium": 0.1, "high": 0.8}
        case_type["duration"] = {"distribution": "exponential", "mean": 9.0}
    base["turnover"] = {"annual_rate": 0.05}
    base["hiring"] = {"lag": {"distribution": "fixed", "value": 5.0}}
    base["workforce"]["caseworkers"] = 3
    return base


def write_base(folder: Path) -> Path:
    path = folder / "base.yaml"
    path.write_text(yaml.safe_dump(base_data()), encoding="utf-8")
    return path


def truth(**changes: Any) -> sim.Scenario:
    return sim.apply_overrides(sim.validate_scenario(copy.deepcopy(TRUTH)), changes)


def simulated_history(
    seed: int, scenario: sim.Scenario | None = None, *, levels_when_screened_out: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, sim.ReplicationOutput]:
    """The referrals and staff tables of one replication of ``scenario`` (default the truth)."""
    scenario = scenario or truth()
    output = sim.run_replication(scenario, 0, seed, records=True)
    tiers = [t.name for t in scenario.risk.tiers]
    referrals, staff = history_tables(
        output.records,
        tiers,
        START,
        day0=scenario.warmup_days,
        staff=output.staff,
        levels_when_screened_out=levels_when_screened_out,
        keep_earlier=True,
    )
    return referrals, staff, output
