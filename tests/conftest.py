"""Shared scenario builders for the tests."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings
from mutation_order import (  # noqa: F401  (active only under mutmut)
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_logreport,
)
from queueing_theory import mmc_data  # noqa: F401  (shared with benchmarks/run.py)
from statistics_checks import SEEDS

import sim
from sim.core.referral import Referral, Subject

os.environ.setdefault("MPLBACKEND", "Agg")  # figures are drawn, never shown

# Every property test tries the same examples on every run and machine (a failure found
# once is found again, and a pass is not luck of the draw); a test's own settings inherit this.
settings.register_profile("derandomized", derandomize=True, database=None)
settings.load_profile("derandomized")

FIRST_SEED_FAST = [pytest.param(s, marks=pytest.mark.fast) if s == SEEDS[0] else s for s in SEEDS]
"""A statistical test's five seeds for ``parametrize``: all five in the full suite, the first
also in the fast layer (which mutation testing runs). For tests whose later seeds never killed
a mutant in the recorded runs (docs/testing.md, "Layers")."""

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "scenarios" / "minimal.yaml"


@contextlib.contextmanager
def docs_script(name: str) -> Iterator[ModuleType]:
    """A script of docs/ (``docs/<name>.py``, not a package) imported as a module for as long
    as the ``with`` lasts (registered in ``sys.modules``: its dataclasses look it up)."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``{"dotted.path": value}`` changes (a deep copy: of the values too, so
    that editing the result never edits a dict shared between tests)."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        node = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last, value = parts[-1], copy.deepcopy(value)
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def small_office_data(**changes: Any) -> dict[str, Any]:
    """A small, fast office with contacts, case work and risk (dotted-path changes)."""
    base = {
        "name": "small_office",
        "horizon_days": 400.0,
        "warmup_days": 60.0,
        "replications": 4,
        "seed": 11,
        "risk": {
            "window_days": 200.0,
            "detection_window_days": 14.0,
            "detection_probability": 0.8,
            "rereport_probability": 0.3,
            "tiers": [
                {"name": "low", "signals_per_year": 0.5},
                {"name": "medium", "signals_per_year": 1.5},
                {"name": "high", "signals_per_year": 4.0},
            ],
        },
        "intake": {"auc": 0.7, "threshold": 0.4},
        "case_types": [
            {
                "name": "family",
                "arrivals": {"rate_per_year": 400.0},
                "risk_mix": {"low": 0.5, "medium": 0.3, "high": 0.2},
                "duration": {"distribution": "lognormal", "mean": 60.0, "sd": 30.0},
                "work_hours": 15.0,
                "first_contact": {
                    "deadline_days": {"low": 5, "medium": 3, "high": 1},
                    "hours": 2.0,
                },
                "contacts": {"every_days": {"low": 14, "medium": 10, "high": 7}, "hours": 1.0},
            }
        ],
        "caps": {"count": 12, "overflow": "wait"},
        "workforce": {"caseworkers": 6, "hours_per_day": 7.0, "working_days_per_week": 5},
        "triage": "risk_first",
    }
    return merge(base, changes)


@pytest.fixture
def minimal() -> sim.Scenario:
    return sim.load_scenario(MINIMAL)


def assert_same_runs(a: sim.Scenario, b: sim.Scenario, replications: int = 2, seed: int = 1):
    """Two scenarios give identical summaries and daily series on the same seed."""
    first = sim.run(a, replications=replications, seed=seed, timeseries=True)
    second = sim.run(b, replications=replications, seed=seed, timeseries=True)
    assert_same_results(first, second)


def assert_same_results(first: sim.RunResult, second: sim.RunResult):
    """Two runs' summaries and daily series are identical."""
    pd.testing.assert_frame_equal(first.replications, second.replications)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)


def a_referral(
    profile: Any,
    id: int = 0,
    *,
    tier: int = 0,
    arrival: float = 0.0,
    score: float = 0.5,
    duration: float = 30.0,
    subject: Subject | None = None,
) -> Referral:
    """A referral of one case type built by hand: complexity 0, raw score 0, its own new
    subject of the same tier (numbered as the referral) unless ``subject`` is given."""
    subject = Subject(id, tier) if subject is None else subject
    return Referral(id, subject, profile, arrival, 0, 0.0, score, tier, duration)
