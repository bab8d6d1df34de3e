"""Turnover, vacancies and the hiring pipeline, and the turnover spiral.

Without strain every caseworker's working life is exponential at the base
turnover rate, so quits over worker-years in post are a Poisson rate estimate:
its exact (chi-square) interval must cover the configured rate. Every vacancy
lasts one draw of the hiring lag, so their mean must match the lag's mean within
its t interval.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from conftest import FIRST_SEED_FAST, small_office_data
from scipy import stats
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
from sim.core.model import CaseloadModel
from sim.core.referral import ReferralState


def light_office(**changes) -> sim.Scenario:
    """Many caseworkers and little work: turnover is the only thing going on."""
    data = small_office_data(
        **{
            "horizon_days": 2000.0,
            "warmup_days": 100.0,
            "case_types.0.arrivals.rate_per_year": 100.0,
            "workforce.caseworkers": 30,
            "turnover": {"annual_rate": 0.3},
            "hiring": {
                "lag": {"distribution": "gamma", "mean": 60.0, "sd": 30.0},
                "training_days": 20.0,
            },
            **changes,
        }
    )
    return sim.validate_scenario(data)


@functools.cache
def light_runs(seed: int) -> pd.DataFrame:
    return sim.run(light_office(), replications=10, seed=seed).replications


@pytest.mark.parametrize("seed", SEEDS)
def test_turnover_without_strain_is_the_base_rate(seed):
    """Quits over the worker-years in post: a Poisson count at 0.3 a worker-year, and a
    rate a quarter off (0.375) would fail the check."""
    table = light_runs(seed)
    quits = int(table.quits.sum())
    worker_years = float((table.headcount_mean * table.window_days).sum() / 365.0)
    expected = 0.3 * worker_years
    low, high = poisson_region(expected)
    assert low <= quits <= high, (quits / worker_years, expected / worker_years)
    assert poisson_power(expected, 1.25 * expected) >= POWER


@pytest.mark.parametrize("seed", SEEDS)
def test_vacancy_duration_is_the_hiring_lag(seed):
    """Every vacancy lasts one draw of the hiring lag (gamma, mean 60, sd 30): the mean of
    the hires' vacancies is within its normal interval of 60, and 15% off would fail."""
    table = light_runs(seed)
    hires = int(table.hires.sum())
    mean = float((table.vacancy_days_mean * table.hires).sum() / hires)
    half = stats.norm.isf(ALPHA / 2) * 30.0 / math.sqrt(hires)
    assert abs(mean - 60.0) < half, (mean, half, hires)
    power = stats.norm.sf(
        half / (30.0 / math.sqrt(hires)) - 0.15 * 60.0 / (30.0 / math.sqrt(hires))
    )
    assert power >= POWER


@pytest.mark.parametrize("seed", SEEDS)
def test_vacancy_rate_follows_from_turnover_and_lag(seed):
    """Each position alternates a working life (mean 1/rate) and a vacancy (mean lag):
    the renewal-reward share of time vacant is lag / (lag + 365 / rate); a share a
    quarter off would fail the check on one of the five seeds (with 10 replications a
    seed, each has power of about 0.5)."""
    expected = 60.0 / (60.0 + 365.0 / 0.3)
    rates = light_runs(seed).vacancy_rate
    low, high = mean_interval(rates)
    assert low <= expected <= high, (rates.mean(), low, high, expected)
    assert t_power(len(rates), rates.std(), 0.25 * expected) >= SEED_POWER


@pytest.mark.parametrize("seed", [*FIRST_SEED_FAST, 12])
def test_new_hires_train_then_ramp_up(seed):
    """A new hire takes cases only once trained: each case it holds was assigned to it, or
    transferred to it from a leaver, after its training ended (a transferred case keeps
    the time it was first assigned, which may be earlier: on seeds 1 and 12 a hire holds
    such a case)."""
    scenario = light_office(
        **{
            "horizon_days": 900.0,
            "hiring": {
                "lag": {"distribution": "fixed", "value": 10.0},
                "training_days": 40.0,
                "ramp_days": 100.0,
                "ramp_start_share": 0.25,
            },
            "case_types.0.arrivals.rate_per_year": 600.0,
            "workforce.caseworkers": 8,
            "turnover.annual_rate": 1.0,
        }
    )
    model = CaseloadModel(scenario, seed=seed, timeseries=True)
    model.run()
    hired = [w for w in model.roster if w.hired_at > 0]
    assert hired, "the run must hire someone"
    for worker in hired:
        assert worker.ready_at == pytest.approx(worker.hired_at + 40.0)
        assert worker.accepting == (worker.ready_at < scenario.horizon_days)  # once trained
        for case in worker.cases.values():
            came = case.assigned_at if case.transferred_at is None else case.transferred_at
            assert came >= worker.ready_at
    series = model.days.timeseries
    assert any(row["in_training"] > 0 for row in series)
    careers = model.careers
    worker = hired[0]
    assert careers.cap_share(worker, worker.ready_at) == pytest.approx(0.25)
    assert careers.cap_share(worker, worker.ready_at + 50.0) == pytest.approx(0.625)
    assert careers.cap_share(worker, worker.ready_at + 100.0) == 1.0
    for worker in hired:
        assert len(worker.cases) <= worker.count_cap
    worker.set_cap_share(0.25)
    assert worker.count_cap == 3  # a quarter of the count cap of 12


@pytest.mark.fast
def test_hiring_freeze_leaves_positions_vacant():
    frozen = light_office(**{"hiring.freeze": True, "horizon_days": 800.0})
    result = sim.run(frozen, replications=2, seed=1, timeseries=True)
    assert (result.replications.hires == 0).all()
    series = result.timeseries
    last = series[series.day == series.day.max()]
    quits = series.groupby("replication").quits.sum()
    assert (last.set_index("replication").vacancies == quits).all()
    assert (last.set_index("replication").headcount == 30 - quits).all()


def test_freeze_window_delays_hires_to_its_end():
    scenario = light_office(
        **{
            "hiring.freeze_window": {"start_day": 200.0, "end_day": 500.0},
            "horizon_days": 800.0,
            "turnover.annual_rate": 1.0,
        }
    )
    result = sim.run(scenario, replications=2, seed=2, timeseries=True)
    series = result.timeseries
    # Day d's row holds the flows of [d, d + 1); a hire at exactly 500 may fall in row 499.
    inside = series[(series.day >= 200) & (series.day < 499)]
    assert inside.hires.sum() == 0
    at_end = series[series.day.between(499, 500)]
    assert at_end.hires.sum() > 0, "the held-back hires start at the end"


@pytest.mark.fast
def test_a_leavers_cases_go_to_colleagues_or_back_to_wait():
    scenario = sim.validate_scenario(
        small_office_data(
            **{
                "warmup_days": 0.0,
                "workforce.caseworkers": 4,
                "turnover": {"annual_rate": 3.0, "transfer_hours": 5.0},
                "hiring": {"lag": {"distribution": "fixed", "value": 30.0}},
            }
        )
    )
    model = CaseloadModel(scenario, seed=8, records=True)
    summary = model.run().summary
    assert summary.quits > 5
    assert summary.transfers > 0 and summary.returned_to_waiting > 0
    transferred = [r for r in model.referrals if r.transferred_at is not None]
    assert transferred
    for case in transferred:
        assert case.work_total >= 5.0 - 1e-9
        if case.state is ReferralState.OPEN:
            assert case.worker in model.roster.workers


# ------------------------------------------------------------------ the turnover spiral


def spiral_office(caseworkers: int, strain: bool) -> sim.Scenario:
    data = small_office_data(
        **{
            "horizon_days": 1095.0,
            "warmup_days": 0.0,
            "workforce.caseworkers": caseworkers,
            "turnover": {"annual_rate": 0.2},
            "hiring": {"lag": {"distribution": "gamma", "mean": 60.0, "sd": 30.0}},
        }
    )
    if strain:
        data["strain"] = {}
    return sim.validate_scenario(data)


def yearly(result: sim.RunResult):
    """Quits, mean vacancies and harms per replication and year."""
    series = result.timeseries.assign(year=lambda t: (t.day // 365).astype(int))
    return series.groupby(["replication", "year"]).agg(
        quits=("quits", "sum"), vacancies=("vacancies", "mean"), missed=("missed", "sum")
    )


UNDERSTAFFED, WELL_STAFFED = 4, 9
REPLICATIONS = 12


@functools.cache
def paired(caseworkers: int, seed: int):
    """Yearly figures with strain effects on minus off, replication by replication."""
    on, off = (
        yearly(
            sim.run(
                spiral_office(caseworkers, s),
                replications=REPLICATIONS,
                seed=seed,
                timeseries=True,
            )
        )
        for s in (True, False)
    )
    return on - off, off


def lower_bound(values, alpha: float = ALPHA) -> float:
    """The one-sided ``1 - alpha`` lower confidence bound of the mean."""
    return mean_interval(values, 2 * alpha)[0]


FIGURES = ["quits", "vacancies", "missed"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("figure", FIGURES)
def test_spiral_understaffed_strain_makes_it_worse(figure, seed):
    difference, _ = paired(UNDERSTAFFED, seed)
    total = difference[figure].groupby("replication").sum()
    assert lower_bound(total) > 0, (figure, total.mean())


def relative_effect(
    caseworkers: int, seed: int, figure: str, alpha: float = ALPHA
) -> tuple[float, float, float]:
    """Strain's effect on ``figure`` over the run (on minus off), over the level without
    strain: the mean and its ``1 - alpha`` interval."""
    difference, off = paired(caseworkers, seed)
    level = off[figure].groupby("replication").sum().mean()
    total = difference[figure].groupby("replication").sum()
    low, high = mean_interval(total, alpha)
    return total.mean() / level, low / level, high / level


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("figure", FIGURES)
def test_spiral_strain_weighs_most_where_staff_are_short(figure, seed):
    """Burnout rises smoothly with load, so strain costs something at any staffing, but its
    relative effect understaffed is more than twice the well-staffed one (measured on the
    seed 3: quits 81% against 24%, vacancies 64% against 22%, harms 13% against 1.7%)."""
    under, _, _ = relative_effect(UNDERSTAFFED, seed, figure)
    well, _, _ = relative_effect(WELL_STAFFED, seed, figure)
    assert under > 2 * well, (figure, under, well)


@pytest.mark.parametrize("seed", SEEDS)
def test_spiral_well_staffed_harm_stays_close(seed):
    """Well staffed, strain changes harms by less than 10% of their level (two one-sided
    tests at ALPHA: the interval of the paired difference lies inside +/-10%)."""
    _, low, high = relative_effect(WELL_STAFFED, seed, "missed", 2 * ALPHA)
    assert low > -0.1 and high < 0.1, (low, high)


@pytest.mark.parametrize("figure", ["quits", "vacancies"])
def test_spiral_well_staffed_still_loses_some_workers_to_burnout(figure):
    """A well-staffed office still has burned-out workers (surveys find them everywhere):
    strain raises its quits and vacancies, but by less than half. Quits are rare in a
    nine-person office: one seed's twelve replications cannot place the effect above zero,
    so the five seeds' replications are pooled for one test at level 0.01."""
    differences, levels = [], []
    for seed in SEEDS:
        difference, off = paired(WELL_STAFFED, seed)
        differences.extend(difference[figure].groupby("replication").sum())
        levels.extend(off[figure].groupby("replication").sum())
    level = np.mean(levels)
    low, high = mean_interval(differences, 0.01)
    assert low / level > 0 and high / level < 0.5, (figure, low / level, high / level)


@pytest.mark.fast
def test_experience_and_continuity_scale_detection_and_hours():
    scenario = light_office(
        **{
            "hiring": {
                "experience_days": 200.0,
                "novice_productivity": 0.6,
                "novice_detection": 0.5,
            },
            "turnover": {"annual_rate": 0.3, "continuity_days": 30.0, "continuity_detection": 0.7},
        }
    )
    model = CaseloadModel(scenario, seed=1, records=True)
    model.run(until=120.0)
    careers = model.careers
    novice = careers.new_hire(0, now=100.0)
    assert careers.productivity(novice, 100.0) == pytest.approx(0.6)
    assert careers.productivity(novice, 200.0) == pytest.approx(0.8)
    assert careers.detection(novice, 200.0) == pytest.approx(0.75)
    assert careers.detection(novice, 400.0) == 1.0
    case = next(r for r in model.referrals if r.state is ReferralState.OPEN)
    veteran = case.worker.hired_at < 0
    assert veteran, "workers in post at the start are experienced"
    base = scenario.risk.detection_probability
    assert model.risk.detection_probability(case, 120.0) == pytest.approx(base)
    case.transferred_at = 100.0
    assert model.risk.detection_probability(case, 120.0) == pytest.approx(base * 0.7)
    assert model.risk.detection_probability(case, 131.0) == pytest.approx(base)


# ------------------------------------------------------------------ agency cover


def agency_office(share: float, **changes) -> sim.Scenario:
    return light_office(
        **{
            "horizon_days": 1500.0,
            "turnover.annual_rate": 0.5,
            "hiring": {
                "lag": {"distribution": "fixed", "value": 60.0},
                "agency_cover_share": share,
                "agency_lag": {"distribution": "fixed", "value": 15.0},
            },
            "budget": {"caseworker_cost": 50_000.0, "agency_cost": 80_000.0},
            **changes,
        }
    )


def test_agency_workers_cover_vacancies_until_the_permanent_hire():
    result = sim.run(agency_office(1.0), replications=3, seed=4, timeseries=True)
    table = result.replications
    # Every vacancy lasts 60 days and is covered from day 15: three quarters covered.
    covered = table.vacancies_covered_share
    assert covered.to_numpy() == pytest.approx(0.75, abs=0.03)
    days = (
        table.agency_share * (table.headcount_mean * table.window_days) / (1 - table.agency_share)
    )
    assert table.agency_cost.to_numpy() == pytest.approx((days * 80_000 / 365).to_numpy())
    parts = table.salary_cost + table.overtime_cost + table.hiring_cost + table.agency_cost
    assert table.total_cost.to_numpy() == pytest.approx((parts + table.external_cost).to_numpy())
    series = result.timeseries
    assert (series.agency <= series.vacancies).all()
    assert (series.headcount + series.vacancies == 30).all()


def test_agency_cover_changes_no_working_life_and_no_vacancy():
    none = sim.run(agency_office(0.0), replications=3, seed=4).replications
    full = sim.run(agency_office(1.0), replications=3, seed=4).replications
    assert (full.quits == none.quits).all(), "cover changes no working life"
    assert (full.agency_share > 0).all() and (none.agency_share == 0).all()
    assert full.vacancy_rate.to_numpy() == pytest.approx(none.vacancy_rate.to_numpy())


def test_no_agency_block_is_the_same_as_no_cover():
    from conftest import assert_same_runs

    assert_same_runs(
        agency_office(0.0),
        light_office(
            **{
                "horizon_days": 1500.0,
                "turnover.annual_rate": 0.5,
                "hiring": {"lag": {"distribution": "fixed", "value": 60.0}},
                "budget": {"caseworker_cost": 50_000.0, "agency_cost": 80_000.0},
            }
        ),
    )
