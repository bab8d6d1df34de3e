"""A regression guard: every shipped scenario computes exactly what it computed when pinned.

The figures of two replications of each shipped scenario (and of variants that switch on
what the shipped files leave off: the scandal policy, adaptive gatekeeping, other overflow
policies, an initial caseload, other triage rules, service, pathways, reassessment, non-case
time, the levers and a region of two offices sharing cases), the daily series of one
replication and the per-referral records of ``minimal.yaml`` are stored, to the last bit
(``float.hex``), in ``tests/digests/summaries.json``. A refactoring must reproduce them
exactly; a change that is meant to change figures regenerates the file in the same commit,
saying why:

    python tests/test_summary_digest.py --write

The file was first written before the model was split into parts (issue 16), so the split
is checked against the code it replaced.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "tests" / "digests" / "summaries.json"
SEED = 20261201
REPLICATIONS = 2

VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "england_scandal": (
        "england_child_protection.yaml",
        {"policies.scandal.enabled": True, "horizon_days": 1095},
    ),
    "minimal_gatekeeping_external": (
        "minimal.yaml",
        {
            "workforce.caseworkers": 8,
            "caps.overflow": "external",
            "policies": {"gatekeeping": {"trigger_caseload": 14, "release_caseload": 10}},
            "triage": "deadline_first",
        },
    ),
    "minimal_over_cap_initial": (
        "minimal.yaml",
        {
            "workforce.caseworkers": 9,
            "caps.overflow": "over_cap",
            "initial_state": {"open_cases_per_worker": 10, "waiting": 20},
            "triage": "new_cases_first",
        },
    ),
    "minimal_steady": ("minimal.yaml", {"strain": None, "turnover.annual_rate": 0.0}),
    "minimal_work_free": (
        "minimal.yaml",
        {
            "strain": None,
            "turnover.annual_rate": 0.0,
            "case_types.0.contacts": None,
            "case_types.0.first_contact": None,
            "case_types.0.work_hours": 0.0,
        },
    ),
    "minimal_outcome_model": (
        "minimal.yaml",
        {
            "case_types.0.service": {"effect": 0.3, "half_life_days": 120.0},
            "case_types.0.reassessment": {"every_days": 60.0},
            "workforce.non_case_share": 0.25,
            "technology": {"non_case_cut": 0.4, "cost_per_worker_year": 3000.0},
        },
    ),
    "child_protection_pathways": (
        "child_protection.yaml",
        {
            "case_types.1.arrivals.rate_per_year": 0.0,
            "case_types.0.pathways": [
                {"to": "ongoing", "probability": {"low": 0.05, "medium": 0.2, "high": 0.5}}
            ],
            "case_types.1.service": {"effect": 0.25},
            "case_types.1.reassessment": {"every_days": 90.0},
        },
    ),
    "minimal_levers": (
        "minimal.yaml",
        {
            "caps.overflow": "over_cap",
            "levers": {
                "wellbeing": {"level": 0.6, "cost_per_worker_year": 1500.0},
                "retention_pay": {"cost_per_worker_year": 2000.0},
                "faster_hiring": {"level": 0.5, "cost_per_hire": 3000.0},
                "rebalancing": {"every_days": 14.0, "cost_per_audit": 200.0},
            },
        },
    ),
    "minimal_region": (
        "minimal.yaml",
        {
            "caps.overflow": "over_cap",
            "offices": [
                {"name": "north"},
                {"name": "south", "overrides": {"workforce.caseworkers": 7}},
            ],
            "sharing": {"transfer_hours": 3.0, "cost_per_case": 100.0},
        },
    ),
    "minimal_fifo_weighted": (
        "minimal.yaml",
        {"caps": {"count": 20, "weighted": 25.0, "overflow": "wait"}, "triage": "fifo"},
    ),
}


def _exact(value: Any) -> Any:
    """A value as a JSON-safe string that keeps every bit of a float."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    if hasattr(value, "item"):  # numpy scalars
        return _exact(value.item())
    return value


def _frame(table: pd.DataFrame) -> dict[str, list[Any]]:
    return {column: [_exact(v) for v in table[column].tolist()] for column in table.columns}


def _sha(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _column_shas(table: pd.DataFrame) -> dict[str, str]:
    """A digest per column, so that a column added later leaves the others comparable."""
    return {column: _sha(values) for column, values in _frame(table).items()}


def _scenarios() -> dict[str, sim.Scenario]:
    shipped = {
        path.stem: sim.load_scenario(path) for path in sorted((ROOT / "scenarios").glob("*.yaml"))
    }
    for name, (file, changes) in VARIANTS.items():
        shipped[name] = sim.apply_overrides(sim.load_scenario(ROOT / "scenarios" / file), changes)
    return shipped


def compute(name: str, scenario: sim.Scenario) -> dict[str, Any]:
    """What is pinned of one scenario: the replications' figures and one daily series."""
    result = sim.run(scenario, replications=REPLICATIONS, seed=SEED, timeseries=True)
    pinned: dict[str, Any] = {
        "replications": _frame(result.replications),
        "timeseries": _column_shas(result.timeseries),
        "state_counts": _frame(result.state_counts),
    }
    if name == "minimal":
        output = sim.run_replication(scenario, 0, SEED, records=True)
        pinned["records"] = _column_shas(output.records)
    return pinned


def write() -> None:
    pinned = {name: compute(name, scenario) for name, scenario in _scenarios().items()}
    DIGESTS.parent.mkdir(exist_ok=True)
    DIGESTS.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    return json.loads(DIGESTS.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name", [*(p.stem for p in sorted((ROOT / "scenarios").glob("*.yaml"))), *VARIANTS]
)
def test_figures_are_unchanged(name: str, pinned: dict[str, Any]) -> None:
    scenario = _scenarios()[name]
    now = compute(name, scenario)
    before = pinned[name]
    changed = [
        figure
        for figure, values in now["replications"].items()
        if values != before["replications"].get(figure)
    ]
    assert not changed, f"{name}: figures changed: {changed}"
    assert now["replications"].keys() == before["replications"].keys()
    assert now["state_counts"] == before["state_counts"], f"{name}: final states changed"
    assert now["timeseries"] == before["timeseries"], f"{name}: the daily series changed"
    assert now.get("records") == before.get("records"), f"{name}: the per-referral records changed"


def test_the_guard_sees_a_one_ulp_change(pinned: dict[str, Any]) -> None:
    """The comparison is exact: a figure one unit in the last place away is a change."""
    value = float.fromhex(pinned["minimal"]["replications"]["missed_per_1000_referrals"][0])
    nudged = math.nextafter(value, math.inf).hex()
    assert nudged != pinned["minimal"]["replications"]["missed_per_1000_referrals"][0]


if __name__ == "__main__" and "--write" in sys.argv:
    write()
