"""Every shipped scenario file validates and runs."""

from __future__ import annotations

import pytest
from conftest import ROOT

import sim

FILES = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_runs(path):
    scenario = sim.load_scenario(path)
    short = sim.apply_overrides(scenario, {"horizon_days": 90.0, "warmup_days": 10.0})
    summary = sim.run_replication(short, 0).summary
    assert summary.referrals > 0
    assert summary.screened_in + summary.screened_out >= summary.referrals
