"""An unstable queue is stopped with a report of its growth, before it exhausts memory.

The M/M/c scenario at load rho > 1 gains, on average, ``lambda - c * mu`` cases a
day once every worker is busy: the reported growth is checked against it with a
tolerance of four standard deviations of the count over the window (arrivals and
closures are Poisson: the variance over ``W`` days is ``(lambda + c * mu) * W``).
"""

from __future__ import annotations

import math

import pytest
import yaml
from click.testing import CliRunner
from conftest import mmc_data

import sim
from sim.cli import main
from sim.core import guards
from sim.core.model import CaseloadModel
from sim.experiments import engines

SERVERS, RHO = 5, 2.0  # arrivals 10 a day, closures at most 5 a day
LIMIT = 3000


def overloaded(horizon: float = 2000.0) -> sim.Scenario:
    return sim.validate_scenario(mmc_data(SERVERS, RHO, horizon=horizon, warmup=0.0))


def test_an_unstable_queue_stops_with_its_growth():
    model = CaseloadModel(overloaded(), seed=3, max_in_system=LIMIT)
    with pytest.raises(guards.RunawayError) as stopped:
        model.run()
    error = stopped.value
    arrivals, closures = RHO * SERVERS, float(SERVERS)
    window = guards.GROWTH_WINDOW_DAYS
    sd = math.sqrt((arrivals + closures) * window) / window
    assert abs(error.growth_per_day - (arrivals - closures)) < 4 * sd
    assert LIMIT < error.in_system <= LIMIT + 3 * arrivals  # stopped the day it passed
    expected_day = LIMIT / (arrivals - closures)
    assert 0.8 * expected_day < error.day < 1.2 * expected_day < 2000
    message = str(error)
    assert "\n" not in message and message.startswith(f"{model.scenario.name}: ")
    assert "growing by about" in message and "--allow-large" in message


def test_a_stable_queue_runs_to_the_end_under_the_same_limit():
    stable = sim.validate_scenario(mmc_data(SERVERS, 0.9, horizon=1000.0, warmup=0.0))
    summary = CaseloadModel(stable, seed=3, max_in_system=LIMIT).run().summary
    assert summary.window_days == 1000.0


def test_without_a_limit_the_queue_grows_to_the_horizon():
    summary = CaseloadModel(overloaded(400.0), seed=3, max_in_system=None).run().summary
    assert summary.waiting_at_end > 0.8 * (RHO - 1) * SERVERS * 400


@pytest.fixture
def overloaded_file(tmp_path, monkeypatch):
    monkeypatch.setattr(guards, "MAX_IN_SYSTEM", LIMIT)
    path = tmp_path / "overloaded.yaml"
    path.write_text(yaml.safe_dump(mmc_data(SERVERS, RHO, horizon=2000.0, warmup=0.0)))
    return path


def test_the_command_line_reports_the_growth_in_one_line(overloaded_file, tmp_path):
    out = tmp_path / "summary.txt"
    result = CliRunner().invoke(main, ["run", str(overloaded_file), "-r", "1", "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"caseload: {overloaded_file}: the run stopped on day ")
    assert "a day over the last 90 days" in lines[0] and "--allow-large" in lines[0]
    assert not out.exists()


def test_allow_large_runs_an_unstable_queue_to_the_end(overloaded_file):
    short = ["--set", "horizon_days=700", "-r", "1", "--format", "json"]
    result = CliRunner().invoke(main, ["run", str(overloaded_file), *short, "--allow-large"])
    assert result.exit_code == 0, result.output
    assert '"waiting_at_end"' in result.stdout


def sweep_of_rates(tmp_path, rates: list[float]) -> sim.SweepPlan:
    base = tmp_path / "mmc.yaml"
    base.write_text(yaml.safe_dump(mmc_data(SERVERS, 0.5, horizon=2000.0, warmup=0.0)))
    sweep = tmp_path / "sweep.yaml"
    factor = {"path": "case_types.0.arrivals.rate_per_year", "values": rates}
    sweep.write_text(
        yaml.safe_dump({"name": "t", "base": "mmc.yaml", "replications": 1, "factors": [factor]})
    )
    return sim.load_sweep(sweep)


def test_a_sweep_records_the_runaway_point_as_failed_and_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "MAX_IN_SYSTEM", LIMIT)  # a real run, a lower limit
    plan = sweep_of_rates(tmp_path, [0.5 * 365 * SERVERS, RHO * 365 * SERVERS])
    report = sim.run_sweep(plan, tmp_path / "out", engine="serial")
    assert (report.ran, report.failed) == (2, 1)
    table = sim.load_results(tmp_path / "out").set_index("point")
    assert table.loc[0, "status"] == "ok"
    assert table.loc[1, "error"].startswith("the run stopped on day ")

    allowed = sim.run_sweep(plan, tmp_path / "allowed", engine="serial", allow_large=True)
    assert allowed.failed == 0  # --allow-large: the unstable point runs to its horizon


def test_an_absurd_point_of_a_sweep_is_a_failed_row_not_a_run(tmp_path):
    """Only the base is checked before the sweep starts; each point is checked before it runs."""
    plan = sweep_of_rates(tmp_path, [0.5 * 365 * SERVERS, 1e12])
    report = sim.run_sweep(plan, tmp_path / "out", engine="serial")
    assert (report.ran, report.failed) == (2, 1)
    error = sim.load_results(tmp_path / "out").set_index("point").loc[1, "error"]
    assert error.startswith("case_types: expected at most 5,000,000 referrals")
    assert "--allow-large" in error
