"""The caseload command on good input: formats, files, seeds and overrides."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import MINIMAL, ROOT

from sim.cli import NO_VALUE, main

FAST = ["--set", "horizon_days=200", "--set", "warmup_days=50"]


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_validate_a_good_file():
    result = invoke("validate", str(MINIMAL))
    assert "valid scenario 'minimal'" in result.stdout


def test_table_is_the_default_and_shows_intervals():
    out = invoke("run", str(MINIMAL), "--reps", "2", *FAST).stdout
    header = out.splitlines()[:3]
    # The header says what was run, with the overrides, and what the numbers mean.
    assert header == [
        "Scenario 'minimal', with horizon_days=200, warmup_days=50: 2 replications, seed 20261122.",
        "Each replication simulates 200 days; the figures cover days 50 to 200 (150 days), "
        "after a 50-day warm-up.",
        "mean: over the replications; 95% CI: its 95% confidence interval.",
    ]
    assert "95% CI" in out
    for label in (
        "Referrals (first reports)",
        "Missed risk per 1,000 referrals",
        "Time to assignment, mean",
        "Caseload per worker, 90th percentile",
    ):
        assert label in out
    # The minimal office gives no services: figures of services have no value, and say why.
    dose = next(line for line in out.splitlines() if line.startswith("Service dose at closure"))
    assert dose.split()[-2:] == ["-", "-"]
    assert out.endswith(f"\n\n{NO_VALUE}\n")
    every = invoke("run", str(ROOT / "scenarios" / "child_protection.yaml"), "--reps", "1")
    assert " -  -" not in every.stdout and NO_VALUE not in every.stdout  # each has a value


def test_json_format():
    payload = json.loads(invoke("run", str(MINIMAL), "--reps", "2", "-f", "json", *FAST).stdout)
    assert payload["scenario"] == "minimal" and payload["replications"] == 2
    missed = payload["figures"]["missed"]
    assert missed["ci_low"] <= missed["mean"] <= missed["ci_high"]
    assert missed["n"] == 2 and missed["unit"] == "count"


def test_csv_format():
    text = invoke("run", str(MINIMAL), "--reps", "2", "--format", "csv", *FAST).stdout
    table = pd.read_csv(io.StringIO(text)).set_index("figure")
    assert {"mean", "ci_low", "ci_high", "sd", "n", "label", "unit"} <= set(table.columns)
    assert table.loc["referrals", "mean"] > 0


def test_out_writes_the_file_and_nothing_on_stdout(tmp_path):
    target = tmp_path / "summary.json"
    result = invoke("run", str(MINIMAL), "--reps", "2", "-f", "json", "--out", str(target), *FAST)
    assert result.stdout == ""
    assert json.loads(target.read_text())["replications"] == 2


def test_timeseries_and_replications_files(tmp_path):
    series, reps = tmp_path / "daily.csv", tmp_path / "reps.csv"
    invoke(
        "run",
        str(MINIMAL),
        "--reps",
        "2",
        "--timeseries",
        str(series),
        "--replications-out",
        str(reps),
        *FAST,
    )
    daily = pd.read_csv(series)
    assert {"day", "waiting", "open_cases", "caseload_mean", "replication"} <= set(daily.columns)
    assert len(daily) == 2 * 200
    assert sorted(daily.replication.unique()) == [0, 1]
    rows = pd.read_csv(reps)
    assert len(rows) == 2 and "missed_per_1000_referrals" in rows.columns


def test_seed_reproduces_and_changes_results():
    def csv(seed):
        return invoke("run", str(MINIMAL), "--reps", "2", "-f", "csv", "--seed", seed, *FAST).stdout

    assert csv("1") == csv("1")
    assert csv("1") != csv("2")


def test_set_changes_the_scenario():
    def referrals(rate):
        text = invoke(
            "run",
            str(MINIMAL),
            "--reps",
            "2",
            "-f",
            "json",
            *FAST,
            "--set",
            f"case_types.0.arrivals.rate_per_year={rate}",
        ).stdout
        return json.loads(text)["figures"]["referrals"]["mean"]

    assert referrals(1200) > 1.6 * referrals(600)


@pytest.mark.parametrize("args", [["--reps", "0"], ["--format", "xml"], ["--seed", "-3"]])
def test_bad_options_exit_2(args):
    result = CliRunner().invoke(main, ["run", str(MINIMAL), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
