"""The command line helps: did-you-mean for a misspelt field, figure or path (with the
valid names), every problem on request, the command a file is for, item numbers in range.

Every message is still one line per problem on standard error, with exit status 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import MINIMAL, ROOT

from sim.cli import main

SWEEP = ROOT / "scenarios" / "sweeps" / "budget_vs_threshold.yaml"


def refused(*args: str) -> str:
    """Run the command; it must exit 2 with one line on stderr and nothing on stdout."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def edited(tmp_path: Path, change) -> Path:
    """The minimal scenario with ``change(data)`` applied, written to a file."""
    data = yaml.safe_load(MINIMAL.read_text())
    change(data)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# ------------------------------------------------------------ misspelt fields in a file


def test_a_misspelt_field_suggests_the_field_and_lists_the_valid_ones(tmp_path):
    def misspell(data):
        data["workforce"]["caseworker"] = data["workforce"].pop("caseworkers")

    line = refused("validate", str(edited(tmp_path, misspell)))
    assert ": workforce.caseworker: unknown field; did you mean 'caseworkers'?" in line
    assert "(expected one of: caseworkers, supervisors, support_staff, hours_per_day," in line


def test_a_misspelt_top_level_field_is_reported_before_the_field_it_leaves_missing(tmp_path):
    def misspell(data):
        data["horizon_dyas"] = data.pop("horizon_days")

    line = refused("run", str(edited(tmp_path, misspell)))
    assert ": horizon_dyas: unknown field; did you mean 'horizon_days'?" in line
    assert line.endswith("(and 1 more problem)")


def test_a_misspelt_field_inside_a_distribution(tmp_path):
    def misspell(data):
        data["case_types"][0]["duration"]["meen"] = data["case_types"][0]["duration"].pop("mean")

    line = refused("validate", str(edited(tmp_path, misspell)))
    assert ": case_types[0].duration.meen: unknown field; did you mean 'mean'?" in line
    assert "(expected one of: distribution, mean, sd)" in line


def test_a_field_like_no_other_lists_the_valid_names_without_a_guess(tmp_path):
    line = refused("validate", str(edited(tmp_path, lambda d: d["caps"].update(zzz=1))))
    assert ": caps.zzz: unknown field (expected one of: count, weighted, overflow," in line
    assert "did you mean" not in line


# ------------------------------------------------------------ --outcome, --target, --set


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory):
    import sim

    base = sim.apply_overrides(
        sim.load_scenario(MINIMAL), {"horizon_days": 60.0, "warmup_days": 10.0}
    )
    plan = sim.sweep_over(
        base, replications=2, factors=[{"path": "workforce.caseworkers", "values": [10, 12]}]
    )
    out = tmp_path_factory.mktemp("results") / "out"
    sim.run_sweep(plan, out, engine="serial")
    return out


def test_a_misspelt_outcome_suggests_the_figure(results_folder):
    line = refused("results", str(results_folder), "--outcome", "missed_per_1000")
    assert line.startswith("caseload: --outcome 'missed_per_1000': unknown figure; did you mean")
    assert "'missed_per_1000_referrals'" in line
    assert "(the figures of docs/outputs.md: window_days, referrals," in line


def test_a_misspelt_outcome_of_compare_suggests_the_figure():
    line = refused("compare", str(MINIMAL), str(MINIMAL), "--outcome", "turnover")
    assert "did you mean 'turnover_rate'?" in line


def test_a_misspelt_target_figure_suggests_the_figure(results_folder, tmp_path):
    out = tmp_path / "report.html"
    line = refused("report", str(results_folder), "-o", str(out), "--target", "totl_cost=1e6")
    assert "unknown figure 'totl_cost'; did you mean 'total_cost'" in line
    assert not out.exists()


def test_a_misspelt_section_in_a_set_path_suggests_the_section():
    line = refused("run", str(MINIMAL), "--set", "workfroce.caseworkers=9")
    assert ": workfroce.caseworkers: no field 'workfroce' in the scenario; did you mean " in line
    assert "'workforce'?" in line
    assert "(expected one of: name, description, horizon_days," in line


def test_a_misspelt_last_field_in_a_set_path_suggests_the_field():
    line = refused("validate", str(MINIMAL), "--set", "workforce.caseworker=9")
    assert ": workforce.caseworker: unknown field; did you mean 'caseworkers'?" in line


def test_a_misspelt_factor_path_of_a_sweep_suggests_the_field(tmp_path):
    sweep = yaml.safe_load(SWEEP.read_text())
    sweep["base"] = str(MINIMAL)
    sweep["factors"][0]["path"] = "workforce.caseworker"
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    line = refused("sweep", str(path), "--out", str(tmp_path / "out"))
    assert ": factors[0].path: expected a field of the base scenario, got " in line
    assert "did you mean 'caseworkers'?" in line
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------ every problem on request


def test_all_errors_lists_every_problem_one_a_line(tmp_path):
    def break_three(data):
        data["horizon_dyas"] = data.pop("horizon_days")
        data["caps"]["count"] = 0
        data["workforce"]["caseworker"] = data["workforce"].pop("caseworkers")

    path = edited(tmp_path, break_three)
    one = refused("validate", str(path))
    assert one.endswith("(and 3 more problems)")
    result = CliRunner().invoke(main, ["validate", str(path), "--all-errors"])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 4
    assert all(line.startswith(f"caseload: {path}: ") for line in lines)
    fields = [line.split(": ")[2] for line in lines]
    # The unknown fields first: a misspelling explains the missing field it was meant to be.
    assert sorted(fields[:2]) == ["horizon_dyas", "workforce.caseworker"]
    assert sorted(fields[2:]) == ["caps.count", "horizon_days"]
    assert "more problem" not in result.stderr
    # The same option on run, with a base file's problems named with its own field.
    again = CliRunner().invoke(main, ["run", str(path), "--all-errors"])
    assert again.exit_code == 2 and again.stderr == result.stderr
    # And on sweep, for the base scenario of a sweep file (each line says whose base it is).
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({**yaml.safe_load(SWEEP.read_text()), "base": path.name}))
    options = ["--out", str(tmp_path / "out")]
    assert "(and 3 more problems)" in refused("sweep", str(sweep), *options)
    swept = CliRunner().invoke(main, ["sweep", str(sweep), *options, "--all-errors"])
    assert swept.exit_code == 2 and swept.stdout == ""
    suffix = f" (the base scenario of {sweep})"
    assert swept.stderr.splitlines() == [line + suffix for line in lines]
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------ the command a file is for


def test_a_sweep_file_given_to_run_says_it_is_a_sweep_file():
    for command in ("run", "validate"):
        line = refused(command, str(SWEEP))
        assert line == (
            f"caseload: {SWEEP}: expected a scenario, got a sweep file (it names a base "
            "scenario): run it with `caseload sweep FILE --out DIR` (sim.load_sweep in Python)"
        )


def test_a_scenario_given_to_sweep_says_it_is_a_scenario(tmp_path):
    line = refused("sweep", str(MINIMAL), "--out", str(tmp_path / "out"))
    assert line == (
        f"caseload: {MINIMAL}: expected a sweep file, got a scenario: run it with "
        "`caseload run FILE`, or name it as the `base` of a sweep file (docs/sweeps.md)"
    )
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------ item numbers


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "case_types.5.arrivals.rate_per_year=900",
            "case_types has one item, numbered 0: there is no item 5",
        ),
        ("case_types.1=3", "case_types has one item, numbered 0: there is no item 1"),
        ("risk.tiers.3.name=x", "risk.tiers has 3 items, numbered 0 to 2: there is no item 3"),
        ("case_types.first.name=x", "expected an item number of case_types, got 'first'"),
        ("horizon_days.x=1", "horizon_days is a value (730), not a section"),
    ],
)
def test_item_numbers_out_of_range_say_which_items_there_are(path, message):
    line = refused("validate", str(MINIMAL), "--set", path)
    assert line.endswith(message) or message in line, line
    assert "is not a section" not in line or "value" in line


def test_a_section_the_file_leaves_out_can_be_set_field_by_field(tmp_path):
    def drop(data):
        del data["supervision"]

    path = edited(tmp_path, drop)
    result = CliRunner().invoke(main, ["validate", str(path), "--set", "supervision.span=4"])
    assert result.exit_code == 0, result.output
