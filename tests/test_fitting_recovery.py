"""``sim.fit`` recovers the scenario that made a history: the simulator's own histories, fitted
back, cover the true figures with the intervals' stated coverage; censoring is what makes the
mean duration right; the back-test of the recovered scenario puts about 90% of observed months
inside its 90% band, and far fewer when the scenario is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fitting_histories import (
    END,
    START,
    TRUE_VALUES,
    base_data,
    simulated_history,
    truth,
    write_base,
)
from scipy import stats

import sim
from sim.fitting.backtest import band_level
from sim.fitting.durations import fit_duration
from sim.fitting.staff import caseload_by_month
from sim.fitting.tables import read_history

SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_base(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def fits(base: Path) -> dict[int, tuple[sim.FitResult, sim.ReplicationOutput]]:
    """The truth's history fitted back, on five seeds; odd seeds give risk levels only for
    opened cases (the screen then hides part of the mix)."""
    out = {}
    for seed in SEEDS:
        referrals, staff, output = simulated_history(seed, levels_when_screened_out=seed % 2 == 0)
        out[seed] = (sim.fit(referrals, staff, base=base, start=START, end=END), output)
    return out


def _intervals(result: sim.FitResult) -> pd.DataFrame:
    """The estimates that have a true value, with it."""
    table = result.estimates()
    types = [c if isinstance(c, str) else None for c in table["case_type"]]
    table["true"] = [
        TRUE_VALUES.get(key, np.nan) for key in zip(table["figure"], types, strict=True)
    ]
    return table[table["true"].notna()]


def _covered(table: pd.DataFrame, shrink: float = 1.0) -> np.ndarray:
    """Whether each interval, its half-widths multiplied by ``shrink``, holds the true value."""
    low = table["value"] - shrink * (table["value"] - table["low"])
    high = table["value"] + shrink * (table["high"] - table["value"])
    return ((low <= table["true"]) & (table["true"] <= high)).to_numpy()


def test_every_fitted_figure_covers_the_truth_with_the_stated_coverage(fits) -> None:
    tables = [_intervals(result) for result, _ in fits.values()]
    every = pd.concat(tables, ignore_index=True)
    # every rate, share and duration parameter is estimated on every seed
    per_seed = {len(t) for t in tables}
    assert min(per_seed) >= 17 + 12, per_seed  # 17 figures and the seasonal type's 12 months
    covered = _covered(every)
    n = len(covered)
    # 95% intervals: the count covered is about binomial(n, 0.95) (shares of one mix and
    # months of one year are dependent, which widens it: the bound is the 0.1% quantile)
    floor = stats.binom.ppf(0.001, n, 0.95)
    assert covered.sum() >= floor, every[~covered].to_string()
    # power: intervals of 60% nominal coverage (half-widths x 0.84/1.96) fail the same bound
    assert _covered(every, 0.84 / 1.96).sum() < floor
    # no figure is missed on four seeds in five (a bias; by chance: 3e-5 per figure)
    missed = every[~covered].groupby(["figure", "case_type"], dropna=False).size()
    assert (missed <= 3).all(), missed


def test_the_duration_families_are_told_apart(fits) -> None:
    """AIC picks the family that made the durations: lognormal for one type, gamma for the
    other, on every seed (a few thousand cases each)."""
    for result, _ in fits.values():
        chosen = {c.name: c.duration.family for c in result.case_types}
        assert chosen == {"family": "lognormal", "youth": "gamma"}


def test_seasonality_is_kept_where_it_is_and_not_where_it_is_not(fits) -> None:
    for result, _ in fits.values():
        p = {c.name: c.arrivals.season_p_value for c in result.case_types}
        assert p["family"] < 1e-6
        kept = {c.name: c.arrivals.seasonality is not None for c in result.case_types}
        assert kept["family"]
    flat = [c.arrivals.seasonality is None for r, _ in fits.values() for c in r.case_types]
    assert sum(flat) >= 4  # the flat type is kept flat (5% false positives by design)


def test_the_rereferral_shares_are_the_simulators_recurrence_figures(fits) -> None:
    """Computed from the export's dates as the simulator computes them from its events: the
    same share up to dates rounded to days."""
    names = {
        "rereferral_6m_after_screen_out": "rereferred_6m_after_screen_out",
        "rereferral_12m_after_screen_out": "rereferred_12m_after_screen_out",
        "rereferral_6m_after_closure": "rereferred_6m_after_closure_without_services",
        "rereferral_12m_after_closure": "rereferred_12m_after_closure_without_services",
    }
    for result, output in fits.values():
        table = result.estimates().set_index("figure")
        for ours, theirs in names.items():
            assert table.loc[ours, "value"] == pytest.approx(
                getattr(output.summary, theirs), abs=0.01
            )


def test_the_written_scenario_carries_the_fitted_figures(fits) -> None:
    result, _ = fits[1]
    scenario = result.scenario
    by_name = {c.name: c for c in scenario.case_types}
    rate = result.estimates().query("figure == 'arrivals.rate_per_year' and case_type == 'family'")
    assert by_name["family"].arrivals.rate_per_year == pytest.approx(
        rate["value"].iloc[0], rel=1e-3
    )
    assert by_name["family"].duration.distribution == "lognormal"
    assert scenario.turnover.annual_rate == pytest.approx(result.staff.turnover.value, rel=1e-3)
    assert scenario.hiring.lag.mean == pytest.approx(result.staff.vacancy.mean.value, rel=1e-3)
    # what the data cannot give is the base's
    base = sim.validate_scenario(base_data())
    assert scenario.risk == base.risk.model_copy(update={"rereport_probability": 0.2})
    assert by_name["youth"].contacts == base.case_types[1].contacts
    assert scenario.horizon_days == (END - START).days and scenario.warmup_days == 0


def test_censoring_recovers_the_mean_duration_where_closed_cases_alone_do_not() -> None:
    """A history of a year and a half of long cases: a third or more still open at its end.
    The censored fit's interval holds the true mean on every seed; the fit on closed cases
    alone is too short, its whole interval below the truth on every seed."""
    scenario = truth(
        **{
            "case_types": [
                {
                    **truth().case_types[0].model_dump(exclude={"arrivals"}),
                    "arrivals": {"rate_per_year": 400.0},
                    "duration": {"distribution": "lognormal", "mean": 200.0, "sd": 100.0},
                }
            ],
            "intake.threshold": 0.3,
            "warmup_days": 0.0,
            "horizon_days": 548.0,
        }
    )
    for seed in (1, 2, 3, 4):
        output = sim.run_replication(scenario, 0, seed, records=True)
        r = output.records.dropna(subset=["assigned_at"])
        still_open = r["closed_at"].isna()
        assert still_open.mean() > 1 / 3
        days = r["closed_at"].fillna(scenario.horizon_days) - r["assigned_at"]
        censored = fit_duration(days.to_numpy(), still_open.to_numpy(), families=("lognormal",))
        naive = fit_duration(days[~still_open].to_numpy(), np.zeros((~still_open).sum(), bool))
        assert censored.mean.covers(200.0), censored.mean
        assert naive.mean.high < 200.0, naive.mean


def test_the_backtest_of_the_recovered_scenario_puts_about_90_percent_inside(fits) -> None:
    """19 replications make an exact 90% prediction band for one more replication; the
    recovered scenario is close to the truth, so the observed months fall inside about that
    often (two seeds, three series of 36 months). A scenario half as busy again does not."""
    shares = []
    for seed in (1, 2):
        result, _ = fits[seed]
        test = result.backtest(19)
        assert test.level == pytest.approx(0.9) and band_level(39) == pytest.approx(0.9)
        shares.append(test.coverage)
    table = pd.DataFrame(shares)
    assert 0.8 <= table.to_numpy().mean() <= 1.0, table
    assert (table.mean() >= 0.7).all(), table
    # power: the same history against a scenario with half as many referrals again (an 80%
    # band of 9 replications, which is wider than the 90% band of 19 would be)
    result, _ = fits[1]
    busy = sim.apply_overrides(
        result.scenario,
        {
            f"case_types.{i}.arrivals.rate_per_year": c.arrivals.rate_per_year * 1.5
            for i, c in enumerate(result.scenario.case_types)
        },
    )
    wrong = result.backtest(9, scenario=busy)
    assert wrong.level == pytest.approx(0.8)
    assert wrong.coverage["referrals"] < 0.3 and wrong.coverage["open"] < 0.3, wrong.coverage


def test_caseload_per_worker_is_read_from_the_worker_column(fits) -> None:
    """The month-end caseloads from the export equal the simulator's own count of each
    worker's open cases at that moment, recomputed from its records."""
    result, output = fits[1]
    loads = result.caseloads
    assert loads is not None and len(loads) == 36
    r = output.records
    day = 365 + (pd.Timestamp("2019-06-30") - START).days + 1  # the end of June 2019
    held = r[(r["worker"] >= 0) & (np.floor(r["assigned_at"]) < day)]
    held = held[~(np.floor(held["closed_at"]) < day)]
    staff = output.staff
    in_post = staff[(np.floor(staff["hired_at"]) < day) & ~(np.floor(staff["left_at"]) < day)]
    counts = held["worker"].value_counts().reindex(in_post["worker"], fill_value=0)
    row = loads[loads["month"] == pd.Period("2019-06", "M")].iloc[0]
    assert row["workers"] == len(in_post)
    assert row["mean"] == pytest.approx(counts.mean())
    assert row["p90"] == pytest.approx(np.percentile(counts, 90))
    history = read_history(*simulated_history(1)[:2], start=START, end=END)
    assert caseload_by_month(history).equals(loads)


def test_the_ramp_of_new_hires_is_recovered_where_caps_bind(base: Path) -> None:
    """With every worker at the cap (a waiting list throughout), a new hire's caseload is the
    graduated cap: none in training, then 30% rising to full over 120 days. The intervals hold
    the truth on most seeds (the cap is a whole number of cases, which bends the curve); a
    ramp of 300 days is told apart from one of 120."""
    changes = {
        "caps": {"count": 10, "overflow": "wait"},
        "workforce.caseworkers": 8,
        "turnover.annual_rate": 0.6,
    }
    covered = 0
    for seed in (1, 2, 3):
        referrals, staff, _ = simulated_history(seed, truth(**changes))
        ramp = sim.fit(referrals, staff, base=base, start=START, end=END).staff.ramp
        covered += sum(
            e.covers(v)
            for e, v in zip(
                (ramp.training_days, ramp.ramp_days, ramp.ramp_start_share),
                (30.0, 120.0, 0.3),
                strict=True,
            )
        )
    assert covered >= 7, covered
    referrals, staff, _ = simulated_history(1, truth(**changes, **{"hiring.ramp_days": 300.0}))
    slow = sim.fit(referrals, staff, base=base, start=START, end=END).staff.ramp
    assert slow.ramp_days.low > 120.0, slow.ramp_days
