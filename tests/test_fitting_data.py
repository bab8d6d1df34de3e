"""``caseload fit`` on the tables themselves: bad data stops in one line naming the file, row and
column (exit 2); odd rows are counted and reported; each estimator agrees with a value worked
out by hand on a small table; the shipped example fits, back-tests and writes its report in
under a minute, and the scenario it writes validates and runs."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, small_office_data
from fitting_histories import START, simulated_history, truth

import sim
from sim.cli import main
from sim.fitting import history_tables
from sim.fitting.backtest import monthly_series
from sim.fitting.durations import fit_duration
from sim.fitting.estimates import binomial_interval, fit_arrivals, fit_risk_mix, poisson_interval
from sim.fitting.fit import _caseworkers, _initial
from sim.fitting.staff import fit_staff
from sim.fitting.tables import read_history

EXAMPLE = ROOT / "examples" / "history"

GOOD = """id,received,case_type,screening,assigned,closed,risk_level,worker,subject
1,2021-01-04,family,in,2021-01-05,2021-03-01,low,w1,s1
2,2021-01-10,family,out,,,medium,,s2
3,2021-02-01,family,in,2021-02-02,,high,w2,s3
4,2021-02-15,youth,in,2021-02-15,2021-02-20,medium,w1,s4
5,2021-03-01,family,in,2021-03-03,2021-04-01,low,w2,s1
"""


def _fit(tmp_path: Path, text: str, *args: str, staff: str | None = None, name="referrals.csv"):
    referrals = tmp_path / name
    referrals.write_text(text, encoding="utf-8")
    extra = []
    if staff is not None:
        (tmp_path / "staff.csv").write_text(staff, encoding="utf-8")
        extra = ["--staff", str(tmp_path / "staff.csv")]
    out = str(tmp_path / "fitted.yaml")
    command = ["fit", str(referrals), *extra, "--out", out, "--backtest-reps", "0", *args]
    return CliRunner().invoke(main, command)


def _cell(text: str, row: int, column: str, value: str) -> str:
    """``text`` with one cell changed (``row`` as a spreadsheet counts: the header is 1)."""
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


BAD_REFERRALS = [
    (_cell(GOOD, 3, "received", "2021-13-45"), "row 3, column 'received'", "expected a date"),
    (_cell(GOOD, 2, "closed", "2020-12-01"), "row 2, column 'closed'", "before its receipt"),
    (_cell(GOOD, 4, "screening", "maybe"), "row 4, column 'screening'", "got 'maybe'"),
    (GOOD.splitlines()[0] + "\n", None, "no rows: expected at least one referrals row"),
    (_cell(GOOD, 5, "assigned", "2021-02-01"), "row 5, column 'assigned'", "before its receipt"),
    (_cell(GOOD, 6, "closed", "2021-03-02"), "row 6, column 'closed'", "before its assignment"),
    (_cell(GOOD, 3, "assigned", "2021-01-11"), "row 3, column 'assigned'", "screened out"),
    (_cell(GOOD, 2, "assigned", ""), "row 2, column 'assigned'", "never assigned"),
    (_cell(GOOD, 2, "risk_level", "extreme"), "row 2, column 'risk_level'", "tier of the base"),
    (_cell(GOOD, 6, "case_type", ""), "row 6, column 'case_type'", "expected a case type"),
    (GOOD.replace("screening", "decision"), "column 'screening'", "missing"),
]


@pytest.mark.parametrize("text, where, what", BAD_REFERRALS)
def test_bad_referrals_stop_in_one_line_naming_file_row_and_column(tmp_path, text, where, what):
    result = _fit(tmp_path, text)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"caseload: {tmp_path / 'referrals.csv'}: ")
    if where is not None:
        assert where in lines[0]
    assert what in lines[0]
    assert not (tmp_path / "fitted.yaml").exists()


STAFF = """worker,role,start,leave
w1,caseworker,2018-01-01,
w2,caseworker,2018-01-01,2021-02-10
w3,caseworker,2021-03-01,
"""

BAD_STAFF = [
    (_cell(STAFF, 3, "leave", "2017-05-01"), "row 3, column 'leave'", "before the start"),
    (_cell(STAFF, 2, "role", "wizard"), "row 2, column 'role'", "got 'wizard'"),
    (_cell(STAFF, 4, "start", "yesterday"), "row 4, column 'start'", "expected a date"),
    (_cell(STAFF, 2, "worker", ""), "row 2, column 'worker'", "expected a worker id"),
]


@pytest.mark.parametrize("staff, where, what", BAD_STAFF)
def test_bad_staff_rows_stop_in_one_line(tmp_path, staff, where, what):
    result = _fit(tmp_path, GOOD, staff=staff)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"caseload: {tmp_path / 'staff.csv'}: ")
    assert where in lines[0] and what in lines[0]


@pytest.mark.parametrize(
    "args, what",
    [
        (["--column", "recieved=Date"], "--column 'recieved=Date': expected NAME to be one of"),
        (["--column", "received"], "expected NAME=COLUMN"),
        (["--column", "received=Date"], "column 'Date': missing"),
        (["--start", "soon"], "--start: expected a date"),
        (["--base", "nowhere"], "--base: no shipped scenario 'nowhere'"),
        (["--start", "2021-03-01", "--end", "2021-03-10"], "expected at least a month"),
    ],
)
def test_bad_options_stop_in_one_line(tmp_path, args, what):
    result = _fit(tmp_path, GOOD, *args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and what in result.stderr


def test_files_that_are_not_tables_stop_in_one_line(tmp_path):
    assert "expected a .csv or .parquet" in _fit(tmp_path, GOOD, name="referrals.txt").stderr
    missing = CliRunner().invoke(
        main, ["fit", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x.yaml")]
    )
    assert missing.exit_code == 2 and "none.csv: no such file" in missing.stderr
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    broken = CliRunner().invoke(
        main, ["fit", str(tmp_path / "bad.parquet"), "--out", str(tmp_path / "x.yaml")]
    )
    assert broken.exit_code == 2 and len(broken.stderr.strip().splitlines()) == 1
    assert "bad.parquet: cannot be read as a table" in broken.stderr


@pytest.mark.parametrize(
    "mapping, where",
    [
        ("referrals: {columns: {recieved: Date}}\n", "referrals.columns.recieved"),
        ("referrals: {colums: {}}\n", "referrals.colums"),
        ("staff: {roles: {boss: [Chief]}}\n", "staff.roles.boss"),
        ("dayfirst: maybe\n", "dayfirst"),
        ("referrals: [\n", "mapping.yaml"),
    ],
)
def test_a_bad_mapping_file_stops_in_one_line(tmp_path, mapping, where):
    (tmp_path / "mapping.yaml").write_text(mapping, encoding="utf-8")
    result = _fit(tmp_path, GOOD, "--mapping", str(tmp_path / "mapping.yaml"))
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "mapping.yaml" in line and where in line


def test_duplicate_ids_are_counted_reported_and_left_out(tmp_path):
    text = (
        GOOD
        + "3,2021-02-01,family,in,2021-02-02,,high,w2,s3\n"
        + "5,2021-03-05,family,out,,,low,,s9\n"
    )
    result = _fit(tmp_path, text, "--base", str(ROOT / "scenarios" / "minimal.yaml"))
    assert result.exit_code == 0, result.output
    assert "2 row(s) with an id seen in an earlier row (left out): rows 7, 8" in result.stdout
    written = (tmp_path / "fitted.yaml").read_text()
    assert "Odd rows: " in written and "rows 7, 8" in written
    history = read_history(tmp_path / "referrals.csv")
    assert len(history.referrals) == 5 and sorted(history.referrals["row"]) == [2, 3, 4, 5, 6]


def test_screened_in_without_a_risk_level_is_reported_and_kept(tmp_path):
    history = read_history(pd.read_csv(pd.io.common.StringIO(_cell(GOOD, 4, "risk_level", ""))))
    odd = [o for o in history.odd if "without a risk level" in o.problem]
    assert len(odd) == 1 and odd[0].rows == [4] and not odd[0].left_out
    assert len(history.referrals) == 5


# ---------------------------------------------------------------------- known values


def test_intervals_are_the_exact_ones():
    """Garwood's Poisson interval and Clopper-Pearson's binomial interval, against tabled
    values (e.g. Ulm 1990; Clopper and Pearson 1934)."""
    assert poisson_interval(10) == pytest.approx((4.7954, 18.3904), abs=1e-4)
    assert poisson_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)
    assert binomial_interval(0, 10) == pytest.approx((0.0, 0.3085), abs=1e-4)
    assert binomial_interval(5, 10) == pytest.approx((0.1871, 0.8129), abs=1e-4)


def test_the_censored_exponential_fit_is_the_closed_form():
    """With right-censoring the exponential's MLE is the total time over the closures, and its
    Wald interval on the log scale is mean x exp(+-1.96 / sqrt(closures))."""
    rng = np.random.default_rng(3)
    durations = rng.exponential(50.0, 400)
    censored = rng.random(400) < 0.3
    fitted = fit_duration(durations, censored, families=("exponential",))
    events = int((~censored).sum())
    mean = durations.sum() / events
    assert fitted.mean.value == pytest.approx(mean, rel=1e-3)
    half = 1.959964 / math.sqrt(events)
    assert fitted.mean.low == pytest.approx(mean * math.exp(-half), rel=2e-3)
    assert fitted.mean.high == pytest.approx(mean * math.exp(half), rel=2e-3)


def test_turnover_vacancies_and_headcount_from_a_small_staff_table():
    """Exposure, leavers and vacancies worked out by hand."""
    referrals = pd.read_csv(pd.io.common.StringIO(GOOD))
    staff = pd.DataFrame(
        {
            "worker": ["a", "b", "c", "d", "e", "f", "m"],
            "role": ["caseworker"] * 6 + ["supervisor"],
            "start": ["2019-06-01", "2020-01-01", "2020-03-01", "2020-07-31", "2020-10-01",
                      "2020-12-01", "2015-01-01"],
            "leave": ["2020-07-01", None, "2020-09-01", None, "2020-11-01", None, None],
            "position": ["1", "2", "3", "1", "3", "3", "m"],
        }
    )  # fmt: skip
    history = read_history(referrals, staff, start="2020-01-01", end="2021-01-01")
    fitted = fit_staff(history)
    assert fitted.headcount == {"caseworker": 2, "supervisor": 1}
    exposure = (182 + 366 + 184 + 154 + 31 + 31) / 365.0
    assert fitted.turnover.value == pytest.approx(3 / exposure)
    low, high = poisson_interval(3)
    assert (fitted.turnover.low, fitted.turnover.high) == pytest.approx(
        (low / exposure, high / exposure)
    )
    # vacancies by position: 1 from 07-01 to 07-31 (30 days), 3 from 09-01 to 10-01 (30) and
    # from 11-01 to 12-01 (30); all filled
    assert sorted(fitted.vacancy.durations) == [30.0, 30.0, 30.0]
    assert not fitted.vacancy.censored.any()
    # without positions: first come, first filled: 07-01 -> 07-31, 09-01 -> 10-01, 11-01 -> 12-01
    fifo = fit_staff(
        read_history(
            referrals, staff.drop(columns="position"), start="2020-01-01", end="2021-01-01"
        )
    )
    assert sorted(fifo.vacancy.durations) == [30.0, 30.0, 30.0]
    # on 2020-07-15, b and c are in post and post 1 is vacant (a left, d is yet to start)
    later = read_history(referrals, staff, start="2020-07-15", end="2021-01-01")
    count, where = _caseworkers(later, fit_staff(later), truth())
    assert count == 3 and "2 caseworkers in post on 2020-07-15 and 1 posts vacant" in where


def test_the_monthly_series_and_the_first_day_counted_by_hand():
    table = pd.read_csv(pd.io.common.StringIO(GOOD))
    history = read_history(table, start="2021-01-01", end="2021-05-01")
    months = pd.period_range("2021-01", "2021-04", freq="M")
    series = monthly_series(history.referrals, months)
    assert series["referrals"].tolist() == [2, 2, 1, 0]
    assert series["closures"].tolist() == [0, 1, 1, 1]
    # open at the end of each month: Jan {1}; Feb {1, 3}; Mar {3, 5}; Apr {3}
    assert series["open"].tolist() == [1, 2, 2, 1]
    later = read_history(table, start="2021-02-10", end="2021-05-01")
    initial = _initial(later)
    assert (initial.open, initial.waiting) == (2, 0)  # rows 1 and 3; row 4 is not yet received


def test_a_month_far_outside_its_band_is_flagged_and_left_out_of_the_rate():
    """Three years of flat Poisson referrals at 2 a day, with one month at three times that:
    that month, and no other, is flagged, written as a surge, and the rate is the flat one."""
    rng = np.random.default_rng(11)
    days = pd.date_range("2019-01-01", "2021-12-31", freq="D")
    counts = rng.poisson(2.0, len(days))
    surge = (days >= "2020-04-01") & (days < "2020-05-01")
    counts[surge] = rng.poisson(6.0, surge.sum())
    received = np.repeat(days, counts)
    levels = rng.choice(["low", "medium", "high"], len(received), p=[0.5, 0.3, 0.2])
    table = pd.DataFrame(
        {"received": received, "case_type": "family", "screening": "out", "risk_level": levels}
    )
    history = read_history(table, start="2019-01-01", end="2022-01-01")
    fitted = fit_arrivals(history, "family")
    assert [str(s.month) for s in fitted.surges] == ["2020-04"]
    assert fitted.surges[0].multiplier == pytest.approx(3.0, rel=0.15)
    assert fitted.rate.covers(2.0 * 365)
    result = sim.fit(table, start="2019-01-01", end="2022-01-01")
    (window,) = result.scenario.case_types[0].arrivals.surges
    assert (window.start_day, window.end_day) == (456.0, 486.0)  # 2020-04-01 is day 456


def test_the_risk_mix_when_only_opened_cases_carry_a_level():
    """Bands of the score percentile: with a threshold of 0.2 and a true mix low 0.2, medium
    0.4, high 0.4, the screen hides the low band entirely; medium and high are identified,
    and low is bounded (0 to all of the screened-out share)."""
    referrals, staff, _ = simulated_history(3, levels_when_screened_out=False)
    history = read_history(referrals, staff, start=START, end="2021-01-01")
    mix = {
        e.figure: e
        for e in fit_risk_mix(
            history, "youth", ["low", "medium", "high"], {"low": 0.2, "medium": 0.4, "high": 0.4}
        )
    }
    assert mix["risk_mix.medium"].covers(0.4) and mix["risk_mix.high"].covers(0.4)
    assert mix["risk_mix.low"].covers(0.2) and mix["risk_mix.low"].low == 0.0
    assert sum(e.value for e in mix.values()) == pytest.approx(1.0)


def test_the_default_start_skips_an_exports_older_open_cases():
    """An export of the referrals received in the history and the cases still open at its
    start: the start is found where the monthly referrals begin in earnest."""
    referrals, staff, _ = simulated_history(2)
    still_open = (referrals["screening"] == "in") & ~(referrals["closed"] < START)
    export = referrals[(referrals["received"] >= START) | still_open]
    assert (export["received"] < START).sum() > 50
    assert read_history(export, staff).start == START


# ---------------------------------------------------------------------- the shipped example


def test_the_shipped_example_fits_and_backtests_in_under_a_minute(tmp_path):
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    began = time.perf_counter()
    result = CliRunner().invoke(
        main,
        [
            "fit", str(EXAMPLE / "referrals.csv"), "--staff", str(EXAMPLE / "staff.csv"),
            "--mapping", str(EXAMPLE / "mapping.yaml"), "--start", "2021-01-01",
            "--out", str(out), "--report", str(report),
        ],
    )  # fmt: skip
    took = time.perf_counter() - began
    assert result.exit_code == 0, result.output
    assert took < 60, f"{took:.1f} s"
    assert (
        "back-test: observed months inside the simulated 90% band (19 replications" in result.stdout
    )
    assert "2 row(s) with an id seen in an earlier row" in result.stdout
    valid = CliRunner().invoke(main, ["validate", str(out)])
    assert valid.exit_code == 0 and "valid scenario 'fitted_referrals'" in valid.stdout
    scenario = sim.load_scenario(out)
    ran = sim.run(scenario, replications=1)
    assert ran.replications["referrals"].iloc[0] > 0
    written = out.read_text()
    fitted = sim.fit(
        EXAMPLE / "referrals.csv", EXAMPLE / "staff.csv",
        mapping=EXAMPLE / "mapping.yaml", start="2021-01-01",
    )  # fmt: skip
    assert written == fitted.text
    # every fitted figure in the file carries its comment: each written estimate once
    estimates = fitted.estimates()
    written_figures = estimates[~estimates["figure"].str.startswith("rereferral")]
    assert written.count("fitted: 95% CI") == len(written_figures)
    assert written.count("base: not in the data") >= 5
    for figure in written_figures.itertuples():
        assert f"{figure.rows:,} rows" in written
    files = ["estimates.csv", "backtest.csv", "arrivals_monthly.csv", "report.md", "ramp.png"]
    files += ["backtest.png", "duration_Investigation.png", "vacancies.png"]
    for name in files:
        assert (report / name).is_file(), name
    table = pd.read_csv(report / "estimates.csv")
    assert len(table) == len(estimates)
    months = pd.read_csv(report / "backtest.csv")
    assert set(months["series"]) == {"referrals", "open", "closures"} and len(months) == 3 * 36
    import matplotlib.image

    assert matplotlib.image.imread(report / "backtest.png").shape[2] in (3, 4)


def test_parquet_and_csv_give_the_same_fit(tmp_path):
    frame = pd.read_csv(EXAMPLE / "referrals.csv", dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "referrals.parquet")
    mapping = EXAMPLE / "mapping.yaml"
    from_csv = sim.fit(EXAMPLE / "referrals.csv", mapping=mapping, start="2021-01-01")
    from_parquet = sim.fit(tmp_path / "referrals.parquet", mapping=mapping, start="2021-01-01")
    pd.testing.assert_frame_equal(from_csv.estimates(), from_parquet.estimates())


def test_the_written_scenario_is_read_back_as_the_same_scenario(tmp_path):
    referrals, staff, _ = simulated_history(4)
    result = sim.fit(referrals, staff, start=START, end="2021-01-01")
    path = result.write(tmp_path / "fitted.yaml")
    assert sim.load_scenario(path) == result.scenario
    assert yaml.safe_load(path.read_text())["workforce"]["caseworkers"] == result.caseworkers[0]
    assert truth().case_types[0].name in {c.name for c in result.scenario.case_types}


def test_a_base_with_several_case_types_pathways_and_a_budget(tmp_path):
    """The base's case type of the same name is the template, pathways to a type the data
    lack are left out, and a budget that funds positions gives way to the counted staff."""
    base = yaml.safe_load((ROOT / "scenarios" / "child_protection.yaml").read_text())
    base["case_types"][0]["pathways"] = [{"to": "ongoing", "probability": 0.2}]
    base["budget"] = {**base["budget"], "per_year": 3_000_000.0}
    base["budget"]["mix"] = {"caseworker": 0.8, "supervisor": 0.2}
    for role in ("caseworkers", "supervisors"):
        base["workforce"].pop(role)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    text = GOOD.replace("family", "investigation")
    result = sim.fit(pd.read_csv(pd.io.common.StringIO(text)), base=tmp_path / "base.yaml")
    scenario = result.scenario
    by_name = {c.name: c for c in scenario.case_types}
    assert by_name["investigation"].work_hours == 10.0  # the base's investigation
    assert by_name["investigation"].pathways == []
    assert by_name["youth"].work_hours == 10.0  # no youth in the base: its first type
    assert scenario.budget.per_year is None and scenario.workforce.caseworkers == 1  # w1
    assert "workers holding a case in the first 30 days" in result.text


def test_an_agency_workers_spell_starts_the_day_it_starts_covering():
    """Its ``hired_at`` is set back by the experience it arrives with; the export's start is
    the day it began covering the vacancy (else the post looks held while it was vacant)."""
    data = small_office_data(
        turnover={"annual_rate": 1.5},
        hiring={"agency_cover_share": 1.0, "lag": {"distribution": "fixed", "value": 60.0}},
    )
    scenario = sim.validate_scenario(data)
    out = sim.run_replication(scenario, 0, 1, records=True)
    tiers = [tier.name for tier in scenario.risk.tiers]
    _, spells = history_tables(out.records, tiers, "2020-01-01", staff=out.staff)
    agency = out.staff[out.staff.agency]
    assert len(agency) >= 2
    days = pd.to_timedelta(np.floor(agency.ready_at.to_numpy()), unit="D")
    assert list(spells[spells.role == "agency"].start) == list(pd.Timestamp("2020-01-01") + days)
