"""Budget arithmetic and costs, checked by hand; supervisors and support staff at work."""

from __future__ import annotations

import pytest
from conftest import small_office_data

import sim
from sim.analysis import confidence_interval
from sim.core.costs import CostRates

BUDGET = {
    "per_year": 1_000_000.0,
    "mix": {"caseworker": 0.8, "supervisor": 0.1, "support": 0.1},
    "caseworker_cost": 70_000.0,
    "supervisor_cost": 95_000.0,
    "support_cost": 45_000.0,
    "overtime_premium": 1.5,
    "hiring_cost": 8_000.0,
    "training_cost": 12_000.0,
}


def budget_office(**changes) -> sim.Scenario:
    data = small_office_data(**{"budget": BUDGET, **changes})
    del data["workforce"]["caseworkers"]
    return sim.validate_scenario(data)


def test_budget_funds_positions_by_hand():
    staffing = budget_office().staffing
    # 800,000 / 70,000 = 11.43; 100,000 / 95,000 = 1.05; 100,000 / 45,000 = 2.22
    assert (staffing.caseworkers, staffing.supervisors, staffing.support_staff) == (11, 1, 2)


def test_exact_multiples_fund_whole_positions():
    budget = {**BUDGET, "per_year": 700_000.0, "mix": {"caseworker": 1.0}}
    assert budget_office(budget=budget).staffing.caseworkers == 10


def test_cost_rates_by_hand():
    rates = CostRates.from_scenario(budget_office(**{"workforce.overtime_hours_per_day": 2.0}))
    assert rates.caseworker_per_day == pytest.approx(70_000 / 365)
    assert rates.other_staff_per_day == pytest.approx((95_000 + 2 * 45_000) / 365)
    # 7 hours a day, 5 days a week: 7 * 365 * 5 / 7 = 1,825 contracted hours a year.
    assert rates.overtime_per_hour == pytest.approx(70_000 / 1825 * 1.5)
    assert rates.per_hire == 20_000.0


def test_total_cost_matches_a_hand_calculation():
    scenario = budget_office(
        **{
            "workforce.overtime_hours_per_day": 1.5,
            "turnover": {"annual_rate": 0.6},
            "caps.overflow": "external",
            "caps.external_cost_per_case": 900.0,
            "case_types.0.arrivals.rate_per_year": 900.0,
        }
    )
    s = sim.run_replication(scenario, 0, 5).summary
    assert s.quits > 0 and s.hires > 0 and s.sent_out > 0 and s.overtime_hours > 0
    worker_days = s.headcount_mean * s.window_days
    salaries = worker_days * 70_000 / 365 + s.window_days * (95_000 + 2 * 45_000) / 365
    assert s.salary_cost == pytest.approx(salaries)
    assert s.overtime_cost == pytest.approx(s.overtime_hours * 70_000 / 1825 * 1.5)
    assert s.hiring_cost == pytest.approx(s.hires * 20_000)
    assert s.external_cost == pytest.approx(s.sent_out * 900)
    parts = s.salary_cost + s.overtime_cost + s.hiring_cost + s.external_cost
    assert s.total_cost == pytest.approx(parts)
    assert s.cost_per_referral == pytest.approx(parts / s.referrals)
    assert s.cost_per_harm_prevented == pytest.approx(parts / s.caught)
    # A full year with every position filled costs the budget's salaries.
    assert salaries <= s.window_days / 365 * (11 * 70_000 + 95_000 + 90_000) + 1e-6


def test_overtime_stays_under_its_cap():
    scenario = budget_office(**{"workforce.overtime_hours_per_day": 1.0})
    s = sim.run_replication(scenario, 0, 1).summary
    days_worked = s.hours_available / 7.0
    assert 0 < s.overtime_hours <= days_worked * 1.0 + 1e-9


def test_more_budget_buys_caseworkers_and_less_risk_on_the_waiting_list():
    small = budget_office(budget={**BUDGET, "per_year": 350_000.0})
    large = budget_office()
    assert small.staffing.caseworkers == 4 and large.staffing.caseworkers == 11
    a = sim.run(small, replications=4, seed=3).replications
    b = sim.run(large, replications=4, seed=3).replications
    # Fewer caseworkers: cases wait, and harms happen on the waiting list.
    _, low, _ = confidence_interval(a.missed_waitlist - b.missed_waitlist)
    assert low > 0
    assert (b.total_cost > a.total_cost).all()


# ------------------------------------------------------------------ supervisors and support


def staffed(supervisors: int, support_staff: int, **changes) -> sim.Scenario:
    data = small_office_data(
        **{
            "workforce.caseworkers": 4,
            "workforce.supervisors": supervisors,
            "workforce.support_staff": support_staff,
            "supervision": {"span": 2, "detection_penalty": 0.5, "strain_penalty": 0.0},
            **changes,
        }
    )
    return sim.validate_scenario(data)


def test_supervision_coverage():
    from sim.core.model import CaseloadModel

    assert CaseloadModel(staffed(2, 0)).supervision_coverage() == 1.0
    assert CaseloadModel(staffed(1, 0)).supervision_coverage() == 0.5
    assert CaseloadModel(staffed(0, 0)).supervision_coverage() == 0.0


def test_too_few_supervisors_lower_detection():
    full = sim.run(staffed(2, 0), replications=6, seed=4).replications
    short = sim.run(staffed(0, 0), replications=6, seed=4).replications
    _, low, _ = confidence_interval(short.missed_not_detected - full.missed_not_detected)
    assert low > 0
    # Only detection changes: the same contacts are made.
    assert (short.contacts_done == full.contacts_done).all()


def test_support_staff_absorb_delegable_case_work():
    heavy = {"case_types.0.work_hours": 60.0, "support": {"delegable_share": 0.5}}
    alone = sim.run(staffed(2, 0, **heavy), replications=4, seed=4).replications
    helped = sim.run(staffed(2, 2, **heavy), replications=4, seed=4).replications
    _, low, _ = confidence_interval(alone.backlog_hours_mean - helped.backlog_hours_mean)
    assert low > 0
    _, low, _ = confidence_interval(alone.cases_closed_late_share - helped.cases_closed_late_share)
    assert low > 0


def test_a_short_span_makes_strain_rise_faster():
    """strain_penalty: with no supervisor, strain rises 1 + penalty times faster."""
    strained = {"strain": {"absence_base": 0.0, "absence_at_burnout": 0.0}}
    calm = sim.run(staffed(0, 0, **strained), replications=4, seed=4).replications
    harsh_data = {**strained, "supervision.strain_penalty": 2.0}
    harsh = sim.run(staffed(0, 0, **harsh_data), replications=4, seed=4).replications
    _, low, _ = confidence_interval(harsh.strain_mean - calm.strain_mean)
    assert low > 0


def test_support_staff_with_fewer_hours_absorb_less():
    heavy = {"case_types.0.work_hours": 60.0, "support": {"delegable_share": 0.5}}
    full = sim.run(staffed(2, 1, **heavy), replications=4, seed=4).replications
    part = sim.run(
        staffed(2, 1, **heavy, **{"workforce.support_hours_per_day": 1.0}),
        replications=4,
        seed=4,
    ).replications
    late = part.cases_closed_late_share - full.cases_closed_late_share
    _, low, _ = confidence_interval(late)
    assert low > 0
