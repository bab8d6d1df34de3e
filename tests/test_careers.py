"""Careers: recruitment rounds, hires with and without training, agency cover, staff ids.

- A vacancy is advertised in rounds, each taking a hiring lag and filling the post with
  ``fill_probability``: the number of rounds is geometric.
- A share ``agency_cover_share`` of vacancies is covered by an agency worker, who starts
  ``agency_lag`` after the vacancy opened.
- A hire with no training takes cases the day it starts.
- An agency worker is experienced from the first day (full detection and productivity).
- A worker quits on the day the quit hazard accumulated since hire reaches its lifetime
  (retention pay lowering the hazard); a hire starting mid-day works from its next day.
- Graduated caps and experience rise in a straight line over their ramps, however short;
  a hire due in a freeze window starts at its end.
- A leaver's cases go to colleagues highest score first; the roster measures load as the
  caps do.
- Each position's lifetimes, lags, absences and agency cover come from streams of their own.
- Every caseworker who holds a position is numbered once, in order of start: the staff in
  post at the start 0 to n - 1, then each hire and agency worker the next number (the
  ``worker`` of the per-referral and staff records, docs/outputs.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import a_referral, small_office_data
from statistics_checks import (
    ALPHA,
    POWER,
    SEEDS,
    binomial_power,
    binomial_region,
    exponential_fit,
)

import sim
from sim.core.casetypes import build_profiles
from sim.core.model import CaseloadModel
from sim.core.referral import ReferralState

pytestmark = pytest.mark.fast

ROUND_DAYS = 30.0
FILL = 0.4


def office(**changes) -> sim.Scenario:
    """A small office with quits, a fixed 30-day recruitment round and agency cover."""
    data = small_office_data(
        **{
            "horizon_days": 400.0,
            "warmup_days": 50.0,
            "turnover": {"annual_rate": 1.5},
            "hiring": {
                "lag": {"distribution": "fixed", "value": ROUND_DAYS},
                "fill_probability": FILL,
                "agency_cover_share": 0.6,
                "training_days": 10.0,
            },
            **changes,
        }
    )
    return sim.validate_scenario(data)


@pytest.mark.parametrize("seed", SEEDS)
def test_recruitment_rounds_repeat_until_one_fills_the_post(seed):
    """Each lag is a whole number of 30-day rounds; the first round fills the post in a
    share 0.4 of vacancies, the second in 0.6 * 0.4 (checked at ALPHA / 2 each). Rounds
    that filled with 0.3 would fail the check."""
    careers = CaseloadModel(office(), seed=seed).careers
    draws = 2000
    rounds = np.array([careers.hire_time(0, 100.0) - 100.0 for _ in range(draws)]) / ROUND_DAYS
    np.testing.assert_array_equal(rounds, np.round(rounds))
    assert rounds.min() == 1
    power_miss = 1.0
    for k, share in ((1, FILL), (2, (1 - FILL) * FILL)):
        low, high = binomial_region(draws, share, ALPHA / 2)
        assert low <= np.sum(rounds == k) <= high, (k, np.mean(rounds == k))
        alternative = 0.3 if k == 1 else 0.7 * 0.3
        power_miss *= 1.0 - binomial_power(draws, share, alternative, ALPHA / 2)
    assert 1.0 - power_miss >= POWER


@pytest.mark.parametrize("seed", SEEDS)
def test_a_share_of_vacancies_is_covered_by_an_agency_worker_after_the_agency_lag(seed):
    """Covered with probability 0.6, 14 days after the vacancy opened; cover with 0.5
    would fail the check."""
    careers = CaseloadModel(office(), seed=seed).careers
    draws = 2000
    starts = [careers.agency_start(0, 100.0) for _ in range(draws)]
    covered = [start for start in starts if start is not None]
    assert set(covered) == {114.0}  # the default agency lag: 14 days
    low, high = binomial_region(draws, 0.6)
    assert low <= len(covered) <= high
    assert binomial_power(draws, 0.6, 0.5) >= POWER


@pytest.mark.parametrize("seed", SEEDS)
def test_a_hire_with_no_training_takes_cases_the_day_they_start(seed):
    scenario = office(**{"hiring.training_days": 0.0, "hiring.agency_cover_share": 0.0})
    out = sim.run_replication(scenario, 0, seed, records=True, timeseries=True)
    hires = out.staff[out.staff.hired_at > 0]
    assert len(hires) >= 3
    assert (hires.ready_at == hires.hired_at).all()
    # Nobody is ever in training, not even at a daily reading at the very moment of a hire.
    assert (out.timeseries.in_training == 0).all()
    # Cases never handed on were assigned to the worker who holds them (a transferred
    # case keeps the time of its first assignment).
    kept = out.records[out.records.handoffs == 0]
    first_case = kept.groupby("worker").assigned_at.min()
    held = hires[hires.worker.isin(first_case.index)]
    assert len(held) >= 2, "some hires must have been assigned cases"
    assert (first_case[held.worker].to_numpy() >= held.hired_at.to_numpy()).all()
    # The first of them on the day they started (they were free and the list not empty).
    assert (np.floor(first_case[held.worker].to_numpy()) == np.floor(held.hired_at)).any()


def test_an_agency_worker_is_experienced_from_the_first_day():
    model = CaseloadModel(office(**{"hiring.novice_detection": 0.5}), seed=1)
    careers, now = model.careers, 200.0
    worker = careers.agency_worker(0, now)
    assert worker.agency and worker.accepting and worker.ready_at == now
    # its record's hired_at is set back by the experience it arrives with (docs/outputs.md)
    assert worker.hired_at == now - careers.hiring.experience_days
    assert careers.experience(worker, now) == 1.0
    assert careers.detection(worker, now) == 1.0
    assert careers.productivity(worker, now) == 1.0
    novice = careers.new_hire(1, now)
    assert careers.detection(novice, now + 10.0) == pytest.approx(0.5 + 0.5 * 10.0 / 365.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_caseworker_is_numbered_once_in_order_of_start(seed):
    scenario = office()
    out = sim.run_replication(scenario, 0, seed, records=True)
    staff = out.staff
    assert (staff.agency).any() and (staff.hired_at > 0).any()
    start = np.where(staff.agency, staff.ready_at, np.maximum(staff.hired_at, 0.0))
    ordered = staff.assign(start=start).sort_values(["start", "worker"])
    assert ordered.worker.tolist() == list(range(len(staff)))
    agency = staff[staff.agency]  # counted as experienced from the day they start
    experience = scenario.hiring.experience_days
    np.testing.assert_array_equal(agency.hired_at, agency.ready_at - experience)
    initial = staff[~staff.agency & (staff.hired_at < 0)]
    assert initial.worker.tolist() == list(range(scenario.workforce.caseworkers))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_mean_vacancy_is_the_gap_in_the_staff_records(seed):
    """``vacancy_days_mean``: over hires in the window, the days from the previous holder's
    leaving to the hire (agency cover does not fill a vacancy)."""
    scenario = office()
    out = sim.run_replication(scenario, 0, seed, records=True)
    permanent = out.staff[~out.staff.agency].sort_values("hired_at")
    gaps = [
        after.hired_at - before.left_at
        for _, post in permanent.groupby("position")
        for before, after in zip(
            post.iloc[:-1].itertuples(), post.iloc[1:].itertuples(), strict=True
        )
        if after.hired_at >= scenario.warmup_days
    ]
    assert out.summary.hires == len(gaps) >= 3
    assert out.summary.vacancy_days_mean == pytest.approx(np.mean(gaps), rel=1e-12)


@pytest.mark.parametrize("retention_pay", [None, 0.5], ids=["no_pay", "pay"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_worker_quits_the_day_its_hazard_since_hire_reaches_its_lifetime(seed, retention_pay):
    """With strain off the daily quit hazard is the base rate (times ``1 - quit_cut * level``
    with retention pay), read at every whole day: a worker leaves at the n-th reading it is
    in post for, n = ceil(lifetime / hazard), counting from the first whole day of its post
    (day 1 for the staff in post at the start; a hire starting on a whole day is read that
    day)."""
    levers = {} if retention_pay is None else {"retention_pay": {"level": 0.5, "quit_cut": 0.4}}
    no_agency = {"hiring.agency_cover_share": 0.0}
    scenario = office(strain={"enabled": False}, levers=levers, **no_agency)
    model = CaseloadModel(scenario, seed=seed)
    model.run()
    hazard = model.careers.base_hazard
    assert hazard == pytest.approx(1.5 / 365.0 * (1.0 if retention_pay is None else 0.8))
    quitters = [w for w in model.careers.staff if w.left_at < math.inf and not w.agency]
    assert len(quitters) >= 5
    for worker in quitters:
        first = max(math.ceil(worker.hired_at), 1)
        assert worker.left_at - first + 1 == math.ceil(worker.lifetime / hazard), worker


@pytest.mark.parametrize("seed", SEEDS)
def test_a_hire_at_noon_works_no_hours_until_its_first_working_day(seed):
    """Two caseworkers with far more work than hours, quitting often, each replaced half a
    day later (at noon, while the other works): every hour at work is worked, and the
    hire's first afternoon, which had no hours at work (they are counted at 09:00), has
    none worked either."""
    data = small_office_data(
        **{
            "horizon_days": 200.0,
            "warmup_days": 20.0,
            "workforce.caseworkers": 2,
            "case_types.0.arrivals.rate_per_year": 3000.0,
            "caps.count": 1000,
            "turnover": {"annual_rate": 5.0},
            "hiring": {"lag": {"distribution": "fixed", "value": 0.5}, "training_days": 0.0},
        }
    )
    summary = CaseloadModel(sim.validate_scenario(data), seed=seed).run().summary
    assert summary.hires >= 2
    at_work = summary.hours_available + summary.overtime_hours
    assert summary.hours_worked == pytest.approx(at_work, rel=1e-12)


@pytest.mark.parametrize("ramp_days", [0.5, 100.0])
def test_a_graduated_cap_rises_evenly_over_the_ramp_however_short(ramp_days):
    """After training a hire carries ``ramp_start_share`` of the caps, rising in a straight
    line to all of them at the ramp's end (a ramp shorter than a day included)."""
    careers = CaseloadModel(office(**{"hiring.ramp_days": ramp_days}), seed=1).careers
    start = careers.hiring.ramp_start_share
    worker = careers.new_hire(0, 10.0)
    ready = worker.ready_at
    assert careers.cap_share(worker, ready) == start
    assert careers.cap_share(worker, ready + 0.25 * ramp_days) == start + (1 - start) * 0.25
    assert careers.cap_share(worker, ready + ramp_days) == 1.0
    assert careers.cap_share(worker, ready + 2 * ramp_days) == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_an_agency_lag_is_drawn_from_its_distribution(seed):
    """An exponential agency lag of mean 14 days: the lags of 2,000 vacancies against
    scipy's exponential (Kolmogorov-Smirnov); a mean 20% longer would fail the check."""
    lag = {"distribution": "exponential", "mean": 14.0}
    scenario = office(**{"hiring.agency_cover_share": 1.0, "hiring.agency_lag": lag})
    careers = CaseloadModel(scenario, seed=seed).careers
    lags = np.array([careers.agency_start(0, 100.0) - 100.0 for _ in range(2000)])
    pvalue, power = exponential_fit(lags, 14.0, 1.2, seed)
    assert pvalue > ALPHA and power >= POWER


def test_no_agency_worker_is_sent_to_start_with_the_hire():
    """With the hire and the agency worker both due 14 days after a vacancy opens, the
    agency worker is not sent: cover starts only before the permanent hire."""
    scenario = office(**{"hiring.lag.value": 14.0, "hiring.fill_probability": 1.0})
    assert scenario.hiring.agency_lag.value == 14.0 and scenario.hiring.agency_cover_share > 0
    out = sim.run_replication(scenario, 0, 1, records=True)
    assert out.summary.hires >= 3
    assert not out.staff.agency.any()


def test_a_leavers_cases_go_to_colleagues_highest_score_first():
    """A leaver holds three cases and a colleague has room for one: the case with the
    highest score is transferred, the other two wait."""
    scenario = office(
        **{"workforce.caseworkers": 2, "caps.count": 3},
        initial_state={"open_cases_per_worker": 3},
    )
    model = CaseloadModel(scenario, seed=1)
    leaver, colleague = model.roster.workers
    colleague.count_cap = 4  # room for one case more
    held = sorted(leaver.cases.values(), key=lambda case: case.score)
    assert len(held) == 3 and held[0].score < held[1].score < held[2].score
    model.careers.quit(leaver)
    assert held[2].worker is colleague
    assert [case.state for case in held[:2]] == [ReferralState.WAITING] * 2


def test_a_hire_due_in_a_freeze_window_starts_at_its_end():
    """Hiring frozen from day 200 to day 500 (a 30-day lag, every round filling): a hire
    due on day 200 or inside starts on day 500; one due outside is not moved."""
    window = {"start_day": 200.0, "end_day": 500.0}
    scenario = office(**{"hiring.fill_probability": 1.0, "hiring.freeze_window": window})
    careers = CaseloadModel(scenario, seed=1).careers
    due = {170.0: 500.0, 300.0: 500.0, 469.9: 500.0, 100.0: 130.0, 600.0: 630.0}
    for vacated, start in due.items():
        assert careers.hire_time(0, vacated) == start, vacated


@pytest.mark.parametrize("seed", SEEDS)
def test_recruitment_rounds_of_exponential_lags_take_an_exponential_time(seed):
    """Rounds of exponential lags (mean 30 days), each filling the post with 0.4: the time
    to fill is a geometric sum of exponentials, itself exponential with mean 30 / 0.4 = 75
    days (Kolmogorov-Smirnov on 2,000 vacancies); a mean 20% longer would fail the check."""
    lag = {"distribution": "exponential", "mean": ROUND_DAYS}
    careers = CaseloadModel(office(**{"hiring.lag": lag}), seed=seed).careers
    times = np.array([careers.hire_time(0, 100.0) - 100.0 for _ in range(2000)])
    pvalue, power = exponential_fit(times, ROUND_DAYS / FILL, 1.2, seed)
    assert pvalue > ALPHA and power >= POWER


@pytest.mark.parametrize("days", [0.0, 0.5, 365.0])
def test_experience_rises_evenly_from_hire_over_the_experience_days(days):
    """A hire is a novice (0) on the day it starts and experienced (1) after
    ``experience_days``, in a straight line; with no experience days, experienced at once."""
    careers = CaseloadModel(office(**{"hiring.experience_days": days}), seed=1).careers
    worker = careers.new_hire(0, 10.0)
    for elapsed in (0.0, 0.25, 0.5, 365.0, 400.0):
        expected = 1.0 if days == 0 else min(elapsed / days, 1.0)
        assert careers.experience(worker, 10.0 + elapsed) == expected, elapsed


def test_a_positions_lifetimes_and_hiring_lags_come_from_streams_of_their_own():
    """Each position draws its workers' lifetimes and its hiring lags from independent
    streams: no lifetime is its position's first lag (both exponential) in another unit,
    and no two positions draw the same lags."""
    lag = {"distribution": "exponential", "mean": ROUND_DAYS}
    scenario = office(**{"hiring.lag": lag, "hiring.fill_probability": 1.0})
    careers = CaseloadModel(scenario, seed=1).careers
    lifetimes = np.array([worker.lifetime for worker in careers.roster.workers])
    lags = np.array([careers.hire_time(p, 0.0) for p in range(len(lifetimes))]) / ROUND_DAYS
    assert len(lifetimes) == 6 and not np.isclose(lifetimes, lags, rtol=1e-9).any()
    assert len(set(lags)) == len(lags)


def test_a_positions_absences_and_recruitment_rounds_come_from_streams_of_their_own():
    """A position's absences, its recruitment rounds (each filling with 0.4) and its agency
    cover (0.6 of vacancies) are drawn from independent streams: the days absent, at the
    same chances, are other sequences than the rounds filled and the vacancies covered."""
    careers = CaseloadModel(office(), seed=1).careers
    worker = careers.roster.workers[0]
    p = worker.position
    absent = [careers.absent_today(worker, FILL) for _ in range(400)]
    filled: list[bool] = []
    while len(filled) < 400:
        rounds = round((careers.hire_time(p, 0.0)) / ROUND_DAYS)
        filled += [False] * (rounds - 1) + [True]
    assert absent != filled[:400]
    assert 0.3 < np.mean(absent) < 0.5 and 0.3 < np.mean(filled) < 0.5
    careers = CaseloadModel(office(), seed=1).careers  # afresh: both streams unread
    absent = [careers.absent_today(worker, 0.6) for _ in range(400)]
    covered = [careers.agency_start(p, 0.0) is not None for _ in range(400)]
    assert absent != covered and 0.5 < np.mean(covered) < 0.7


@pytest.mark.parametrize("weighted", [False, True], ids=["count_cap", "weighted_cap"])
def test_the_roster_measures_load_as_the_caps_do(weighted):
    """Under a weighted cap the least-loaded worker is the one holding the least weight,
    under a count cap the one holding the fewest cases."""
    caps = {"caps.count": None, "caps.weighted": 9.0} if weighted else {"caps.count": 12}
    scenario = office(**caps)
    careers = CaseloadModel(scenario, seed=1).careers
    heavy, light, *others = careers.roster.workers
    for worker in others:
        worker.accepting = False
    profile = build_profiles(scenario)[0]
    cases = [a_referral(profile, i, duration=10.0) for i in range(3)]
    for case, weight, worker in zip(cases, (3.0, 0.5, 0.5), (heavy, light, light), strict=True):
        case.weight = weight
        worker.take(case)
    assert careers.roster.least_loaded() is (light if weighted else heavy)
