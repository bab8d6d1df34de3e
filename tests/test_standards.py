"""The static staffing standards: hand-checkable figures, and the simulation beside them."""

from __future__ import annotations

import math

import pytest
import yaml
from click.testing import CliRunner
from conftest import merge, small_office_data
from statistics_checks import (
    ALPHA,
    POWER,
    SEED_POWER,
    SEEDS,
    mean_interval,
    poisson_power,
    poisson_region,
    t_power,
)

import sim
from sim.analysis.standards import (
    PRESETS,
    assessed_tier_shares,
    cases_per_fte_year,
    compare,
    staffing_standards,
)
from sim.cli import main


@pytest.mark.fast
def test_cases_per_attorney_year_from_hours():
    # National Public Defense Workload Study: Felony-Low 35 hours; 2,080 hours a year.
    assert cases_per_fte_year(2080, 35) == 59
    assert cases_per_fte_year(2080, 13.5) == 154
    assert cases_per_fte_year(2080, 286) == 7


def felony_office(**changes) -> sim.Scenario:
    data = small_office_data(
        **{
            "intake.threshold": 0.0,
            "case_types.0.name": "felony_low",
            "case_types.0.arrivals.rate_per_year": 150.0,
            "case_types.0.standard": {"preset": "nac_felony", "hours_per_case": 35.0},
            **changes,
        }
    )
    return sim.validate_scenario(data)


@pytest.mark.fast
def test_nac_cap_and_workload_hours_by_hand():
    report = staffing_standards(felony_office(), hours_per_year=2080)
    (row,) = report.case_types
    assert row.opened_per_year == 150
    assert row.cap == PRESETS["nac_felony"]
    assert row.cap_fte == pytest.approx(1.0)  # 150 felonies a year at the NAC cap
    assert row.hours_per_case == 35
    assert report.weighted_fte == pytest.approx(150 * 35 / 2080)
    assert report.cap_fte == pytest.approx(1.0)


@pytest.mark.fast
def test_cap_on_open_cases_uses_littles_law():
    scenario = felony_office(
        **{
            "case_types.0.standard": {"preset": "cwla_ongoing_family"},
            "case_types.0.arrivals.rate_per_year": 170.0,
            "case_types.0.duration": {"distribution": "fixed", "value": 365.0},
        }
    )
    # 170 opened a year, each open a year: 170 open at a time, 17 per worker.
    assert staffing_standards(scenario).cap_fte == pytest.approx(10.0)


@pytest.mark.fast
def test_screened_out_share_reduces_demand():
    scenario = felony_office(**{"intake.threshold": 0.4})
    assert staffing_standards(scenario).case_types[0].opened_per_year == pytest.approx(90.0)


@pytest.mark.fast
def test_hours_per_case_implied_by_the_scenario():
    scenario = sim.validate_scenario(small_office_data())
    # Threshold 0.4 on a 0.5/0.3/0.2 mix: assessed tiers of those kept are 0.1, 0.3, 0.2 of all.
    shares = assessed_tier_shares(scenario, scenario.case_types[0])
    assert shares == pytest.approx((1 / 6, 1 / 2, 1 / 3))
    contacts = 60.0 * (1 / 6 / 14 + 1 / 2 / 10 + 1 / 3 / 7)  # 1 hour each over 60 days
    expected = 2.0 + contacts + 15.0
    report = staffing_standards(scenario)
    assert report.case_types[0].hours_per_case == pytest.approx(expected)
    assert report.available_hours_per_fte == pytest.approx(7 * 365 * 5 / 7)
    assert report.cap_fte is None


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_standard_equals_the_simulated_offered_load(seed):
    """With ample staff and no re-reports, the hours the model offers are the weighted
    standard's: the cases opened a year (a Poisson count) times the hours per case (the
    offered load over the cases opened). Each would fail 5% off: the hours per case on
    every seed, the count on one of the five."""
    scenario = sim.validate_scenario(
        small_office_data(
            **{
                "horizon_days": 1500.0,
                "warmup_days": 200.0,
                "workforce.caseworkers": 12,
                "caps.count": 40,
                "risk.rereport_probability": 0.0,
            }
        )
    )
    (standard,) = staffing_standards(scenario).case_types
    table = sim.run(scenario, replications=6, seed=seed).replications
    per_case = table.hours_demanded / table.screened_in
    low, high = mean_interval(per_case, ALPHA / 2)
    assert low <= standard.hours_per_case <= high, (per_case.mean(), low, high)
    assert (
        t_power(len(per_case), per_case.std(), 0.05 * standard.hours_per_case, ALPHA / 2) >= POWER
    )
    opened = standard.opened_per_year * table.window_days.sum() / 365.0
    low, high = poisson_region(opened, ALPHA / 2)
    assert low <= table.screened_in.sum() <= high
    assert poisson_power(opened, 1.05 * opened, ALPHA / 2) >= SEED_POWER


def test_compare_simulates_each_method_on_the_same_seed():
    scenario = felony_office(**{"horizon_days": 200.0, "warmup_days": 20.0})
    report = staffing_standards(scenario, hours_per_year=2080)
    table = compare(scenario, report, replications=2, seed=1)
    assert set(table.method) == {"weighted caseload", "count cap"}
    by_method = table.groupby("method").caseworkers.first()
    assert by_method["weighted caseload"] == math.ceil(150 * 35 / 2080)
    assert by_method["count cap"] == 1
    assert set(table.outcome) >= {"missed_per_1000_referrals", "burned_out_share"}


def test_compare_keeps_the_budget_funded_roles():
    budget = {
        "per_year": 1_000_000.0,
        "mix": {"caseworker": 0.8, "supervisor": 0.2},
        "caseworker_cost": 80_000.0,
        "supervisor_cost": 100_000.0,
    }
    data = merge(felony_office().model_dump(mode="json", exclude_none=True), {"budget": budget})
    del data["workforce"]["caseworkers"]
    scenario = sim.validate_scenario(data)
    table = compare(scenario, staffing_standards(scenario), replications=1, seed=1)
    assert not table.empty


def write(tmp_path, scenario: sim.Scenario):
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", exclude_none=True)))
    return path


def test_command_prints_standards_and_simulated_outcomes(tmp_path):
    path = write(tmp_path, felony_office(**{"horizon_days": 200.0, "warmup_days": 20.0}))
    result = CliRunner().invoke(
        main, ["standards", str(path), "--hours-per-year", "2080", "--reps", "2"]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2,080 available hours" in out
    assert "felony_low" in out and "150/year" in out and "NAC 1973" in out
    assert "Simulated at the weighted caseload standard: 2.52 FTE -> 3 caseworkers" in out
    assert "Simulated at the count cap standard: 1.00 FTE -> 1 caseworkers" in out
    assert "Missed risk per 1,000 referrals" in out


def test_command_static_only(tmp_path):
    path = write(tmp_path, felony_office())
    result = CliRunner().invoke(main, ["standards", str(path), "--no-simulate"])
    assert result.exit_code == 0
    assert "Simulated" not in result.stdout


def test_two_caps_in_one_standard_are_refused(tmp_path):
    data = small_office_data(
        **{"case_types.0.standard": {"preset": "nac_felony", "open_cases": 17.0}}
    )
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["standards", str(path)])
    assert result.exit_code == 2
    assert "case_types[0].standard.open_cases" in result.stderr
    assert "expected one of preset, cases_per_year, open_cases" in result.stderr


@pytest.mark.fast
def test_public_defender_standards_by_hand():
    from conftest import ROOT

    path = ROOT / "scenarios" / "public_defender.yaml"
    scenario = sim.load_scenario(path)
    report = staffing_standards(scenario, hours_per_year=2080)
    hours = 60 * 99 + 180 * 57 + 360 * 35 + 300 * 22.3 + 600 * 13.8 + 120 * 13.5
    assert report.weighted_fte == pytest.approx(hours / 2080)
    assert report.cap_fte == pytest.approx(600 / 150 + 1020 / 400)
    # The scenario's own contacts and case work add up to the study's hours per case.
    implied = {
        ct.name: sim.analysis.standards.hours_per_case(
            scenario, ct.model_copy(update={"standard": None})
        )
        for ct in scenario.case_types
    }
    for row in report.case_types:
        assert implied[row.case_type] == pytest.approx(row.hours_per_case, abs=0.15)
    result = CliRunner().invoke(
        main,
        [
            "standards",
            str(path),
            "--hours-per-year",
            "2080",
            "--reps",
            "1",
            "--set",
            "horizon_days=120",
            "--set",
            "warmup_days=20",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "21.82" in result.stdout and "6.55" in result.stdout
    assert (
        "Simulated at the weighted caseload standard: 21.82 FTE -> 22 caseworkers" in result.stdout
    )


@pytest.mark.fast
def test_caps_by_tier_combine_by_tier_shares():
    scenario = sim.validate_scenario(
        small_office_data(
            **{
                "intake.threshold": 0.0,
                "case_types.0.duration": {"distribution": "fixed", "value": 365.0},
                "case_types.0.standard": {"open_cases": {"low": 200, "medium": 50, "high": 20}},
            }
        )
    )
    # Mix 0.5 / 0.3 / 0.2, 400 open at a time: 200 / 200 + 120 / 50 + 80 / 20 workers.
    assert staffing_standards(scenario).cap_fte == pytest.approx(1.0 + 2.4 + 4.0)


@pytest.mark.fast
def test_weights_by_tier_fill_the_weighted_cap():
    from sim.core.model import CaseloadModel

    scenario = sim.validate_scenario(
        small_office_data(
            **{
                "caps.count": None,
                "caps.weighted": 10.0,
                "case_types.0.weight": {"low": 0.25, "medium": 1.0, "high": 2.5},
            }
        )
    )
    model = CaseloadModel(scenario, seed=3)
    model.run(until=200.0)
    weights = {0: 0.25, 1: 1.0, 2: 2.5}
    for worker in model.roster:
        load = sum(weights[case.tier] for case in worker.cases.values())
        assert worker.load == pytest.approx(load)
        if len(worker.cases) > 1:
            assert worker.load <= 10.0 + 1e-9
