"""Contacts: on time when there is time, overdue (and risk missed) when there is not."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import small_office_data
from statistics_checks import ALPHA, SEEDS, mean_interval

import sim
from sim.core.work import casework_accrued, offered_load


def contact_office(**changes):
    """Fixed 60-day cases, risk only while the case is open, weekly contacts, 7-day week."""
    base = {
        "horizon_days": 500.0,
        "warmup_days": 100.0,
        "risk.window_days": 45.0,
        "risk.detection_window_days": 7.0,
        "risk.rereport_probability": 0.0,
        "risk.tiers": [
            {"name": "low", "signals_per_year": 2.0},
            {"name": "medium", "signals_per_year": 6.0},
            {"name": "high", "signals_per_year": 12.0},
        ],
        "intake.threshold": 0.0,
        "case_types.0.arrivals.rate_per_year": 400.0,
        "case_types.0.duration": {"distribution": "fixed", "value": 60.0},
        "case_types.0.work_hours": 10.0,
        "case_types.0.first_contact": {"deadline_days": 1.0, "hours": 1.0},
        "case_types.0.contacts": {"every_days": 7.0, "hours": 0.5},
        "workforce.working_days_per_week": 7,
        "workforce.hours_per_day": 8.0,
    }
    base.update(changes)
    return sim.validate_scenario(small_office_data(**base))


def test_one_case_per_worker_and_ample_hours_every_contact_on_time():
    scenario = contact_office(**{"caps.count": 1, "workforce.caseworkers": 120})
    rows = sim.run(scenario, replications=3, seed=2).replications
    assert (rows["waiting_mean"] == 0).all()
    assert (rows["contacts_due"] > 500).all()
    assert (rows["contacts_on_time"] == rows["contacts_due"]).all()
    assert (
        rows["contacts_late"] + rows["contacts_missed"] + rows["contacts_overdue_at_end"] == 0
    ).all()
    assert (rows["first_contact_within_deadline_share"] == 1.0).all()
    assert (rows["missed_no_contact"] == 0).all()
    assert (rows["missed_waitlist"] == 0).all()
    assert (rows["signals"] > 150).all()
    # With contacts every 7 days and a 7-day detection window, every signal meets a
    # contact: harms are detection failures only (detection probability 0.8).
    assert (rows["missed"] == rows["missed_not_detected"]).all()
    assert (rows["cases_closed_late_share"] == 0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_cutting_hours_makes_contacts_overdue_and_risk_missed_for_lack_of_contact(seed):
    """Paired over six replications a seed, one-sided bounds at level ALPHA. Room for
    every case (no waiting list), so that only the hours differ: with a cap of 6 the ample
    office's list sometimes grew, and its first contacts were then later than the cut
    office's on seed 5. (Contacts missed outright rise less surely, t of 4 to 9 against a
    critical 4.8: every replication of the cut office has contacts overdue, none of the
    ample one's.)"""
    ample = contact_office(**{"caps.count": 10, "workforce.caseworkers": 12})
    cut = contact_office(
        **{"caps.count": 10, "workforce.caseworkers": 12, "workforce.hours_per_day": 0.8}
    )
    a = sim.run(ample, replications=6, seed=seed).replications
    c = sim.run(cut, replications=6, seed=seed).replications
    assert (a["contacts_on_time_share"] == 1.0).all()
    assert (c["demand_ratio"] > 1.0).all()

    def rises(column):
        return mean_interval(c[column] - a[column], 2 * ALPHA)[0] > 0

    c_overdue = c["contacts_late"] + c["contacts_missed"] + c["contacts_overdue_at_end"]
    assert (c_overdue > 0).all() and (a["waiting_mean"] == 0).all()
    assert rises("missed_no_contact")
    assert rises("backlog_hours_mean")
    assert (c["cases_closed_late_share"] > a["cases_closed_late_share"]).all()
    assert (c["first_contact_mean_days"] > a["first_contact_mean_days"]).all()


@pytest.mark.fast
def test_case_closes_when_work_is_done_and_minimum_duration_passed():
    """Cases with little work close exactly on their planned date; heavy ones run late."""
    light = contact_office(**{"caps.count": 6, "workforce.caseworkers": 12})
    heavy = contact_office(
        **{"caps.count": 6, "workforce.caseworkers": 12, "case_types.0.work_hours": 150.0}
    )
    out_light = sim.run_replication(light, seed=5, records=True)
    closed = out_light.records.dropna(subset=["closed_at"])
    assert len(closed) > 300
    np.testing.assert_allclose(closed.closed_at - closed.assigned_at, 60.0, atol=1e-9)

    model = sim.CaseloadModel(heavy, seed=5, records=True)
    summary = model.run().summary
    closed_heavy = [r for r in model.referrals if r.closed_at is not None]
    assert all(r.closed_at - r.assigned_at >= 60.0 - 1e-9 for r in closed_heavy)
    assert all(r.work_done == r.work_total for r in closed_heavy)
    assert summary.cases_closed_late_share > 0
    assert summary.case_duration_mean_days > 60.0
    end = heavy.horizon_days
    overdue = [c for w in model.roster for c in w.cases.values() if c.planned_close < end]
    assert overdue and all(c.work_done < c.work_total for c in overdue)


@pytest.mark.fast
def test_offered_load_sums_contact_and_casework_rates():
    scenario = contact_office()
    model = sim.CaseloadModel(scenario, seed=1)
    model.run(30.0)
    case = next(c for w in model.roster for c in w.cases.values())
    since = case.assigned_at + 1.0
    until = since + 7.0
    expected = 10.0 * 7.0 / 60.0 + 0.5 * 7.0 / 7.0  # case work + one weekly contact
    assert math.isclose(offered_load(case, since, until), expected)
    # A case assigned inside the interval also brings its first contact.
    assigned = case.assigned_at
    assert math.isclose(offered_load(case, assigned - 1.0, assigned + 7.0), expected + 1.0)
    # Before its assignment a case brings nothing; split at the assignment, its first contact
    # is counted once, in the part that begins with it.
    assert offered_load(case, assigned - 2.0, assigned - 1.0) == 0.0
    assert offered_load(case, assigned - 1.0, assigned) == 0.0
    assert math.isclose(offered_load(case, assigned, assigned + 7.0), expected + 1.0)
    assert casework_accrued(case, case.assigned_at + 30.0) == 5.0
    assert casework_accrued(case, case.assigned_at + 90.0) == 10.0
    assert casework_accrued(case, case.assigned_at - 1.0) == 0.0  # nothing before assignment
    # Over half a day, work accrues through it; with no minimum duration, all is due at once.
    case.duration = 0.5
    assert casework_accrued(case, case.assigned_at + 0.25) == 5.0
    case.duration = 0.0
    for elapsed in (-0.5, 0.0, 5.0):
        assert casework_accrued(case, case.assigned_at + elapsed) == 10.0


@pytest.mark.fast
def test_cases_closing_on_schedule_leave_work_undone():
    """A court disposes of a case on its date: with too few hours, work is left undone
    and counted, and no case outlives its planned date."""
    changes = {
        "workforce.caseworkers": 3,
        "caps.count": 40,
        "case_types.0.work_hours": 60.0,
        "case_types.0.duration": {"distribution": "fixed", "value": 60.0},
    }
    waiting = sim.validate_scenario(small_office_data(**changes))
    scheduled = sim.validate_scenario(
        small_office_data(**changes, **{"case_types.0.closes_on_schedule": True})
    )
    late = sim.run_replication(waiting, 0, 1).summary
    on_time = sim.run_replication(scheduled, 0, 1).summary
    assert late.cases_closed_late_share > 0.5 and late.casework_undone_hours == 0
    assert on_time.cases_closed_late_share == 0
    assert on_time.case_duration_mean_days == pytest.approx(60.0)
    assert on_time.cases_closed_work_undone_share > 0.5
    assert 0 < on_time.casework_undone_hours < on_time.cases_closed * 60.0


@pytest.mark.parametrize(
    "changes",
    [
        {"workforce.overtime_hours_per_day": 3.0, "workforce.caseworkers": 1},
        {  # the warm-up ends during the first working day (09:00 to 17:00)
            "horizon_days": 8.0,
            "warmup_days": 0.5,
            "workforce.working_days_per_week": 1,
            "initial_state": {"open_cases_per_worker": 10},
        },
    ],
    ids=["overtime", "warmup_mid_day"],
)
@pytest.mark.fast
def test_utilisation_is_a_share_of_the_hours_at_work(changes):
    """Hours worked over hours at work: overtime counts on both sides, and a day's hours
    worked are counted with its hours available (both or neither, around the warm-up)."""
    summary = sim.run_replication(sim.validate_scenario(small_office_data(**changes))).summary
    assert summary.hours_worked > 0
    assert summary.utilisation == pytest.approx(
        summary.hours_worked / (summary.hours_available + summary.overtime_hours)
    )
    assert summary.utilisation <= 1.0
