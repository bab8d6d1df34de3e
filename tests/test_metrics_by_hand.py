"""The counters of one replication fed by hand: every figure :class:`sim.core.metrics.Metrics`
computes, against its definition in docs/outputs.md worked out by hand.

The model calls one method of ``Metrics`` per happening. Here each happening is told to it
directly, a few times inside the statistics window ``[10, 110]`` with chosen values, once
at its very first moment (which counts, but for the end-of-day readings: a day read at 10
ended before the window) and once before it (which must not count), so each figure of the
summary has a value known in advance: a count, a sum, a share of two counts, a time average
of a step function, a percentile of end-of-day caseloads. The daily flows count every
happening, the warm-up's too. The outcome model's own figures and the levers' are tested
with their modules; here only that they reach the summary (a lever's cost in the total), and
the reassessments' counts, which no run can check (a case's tier before a reassessment is not
recorded), and the outcome model's counters at the window's first moment and before it.
mutmut's measure of ``sim/core/metrics.py`` leans on this module (docs/testing.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.core.metrics import Metrics
from sim.core.recurrence import AFTER_SERVICES, SCREENED_OUT, WITHOUT_SERVICES
from sim.core.referral import Subject
from sim.core.risk import HarmCause
from sim.core.summary import CASE_TYPE_FIGURES

pytestmark = pytest.mark.fast

WARMUP, END = 10.0, 110.0
BEFORE = 5.0
"""A moment in the warm-up: nothing told at it is counted in the summary."""
CASE_TYPES = ("family", "youth")


def replication() -> Metrics:
    """A replication's happenings, told by hand (each also once in the warm-up)."""
    m = Metrics(WARMUP, CASE_TYPES)
    m.referral(BEFORE, rereferral=False, screened_in=True)
    m.referral(WARMUP, rereferral=True, screened_in=False, case_type=1)
    m.referral(12.0, rereferral=False, screened_in=True)
    m.referral(13.0, rereferral=False, screened_in=False)
    m.referral(14.0, rereferral=True, screened_in=True)
    m.referral(15.0, rereferral=False, screened_in=True, case_type=1)
    m.referral(16.0, rereferral=False, screened_in=False, case_type=1)
    m.threshold.set(0.0, 0.4)
    m.threshold.set(60.0, 0.6)
    m.waiting.set(0.0, 2)
    m.waiting.set(30.0, 4)
    m.open_cases.set(0.0, 5)
    m.sent(BEFORE, 700.0)
    m.sent(20.0, 800.0)
    m.assignment(BEFORE, 1.0, over_cap=True)
    m.assignment(WARMUP, 4.0, over_cap=False)
    m.assignment(20.0, 12.0, over_cap=False)
    m.assignment(40.0, 13.0, over_cap=True)
    m.first_contact(BEFORE + 1, 1.0, 2.0)
    m.first_contact(WARMUP, 4.0, WARMUP)  # at the window's start, exactly when due: in time
    m.first_contact(21.0, 12.0, 22.0)  # in time, 9 days after its arrival
    m.first_contact(45.0, 13.0, 16.0)  # late, after 32 days
    m.first_contact_never(14.0, 30.0, 50.0)  # due by the closure: late
    m.first_contact_never(15.0, 60.0, 50.0)  # not yet due: not counted
    m.first_contact_never(1.0, 2.0, BEFORE)
    m.first_contact_never(3.0, WARMUP, WARMUP)  # due at a closure at the window's start
    m.contact(BEFORE, on_time=True)
    m.contact(21.0, on_time=None)  # a first contact: neither on time nor late
    m.contact(30.0, on_time=True)
    m.contact(31.0, on_time=True)
    m.contact(32.0, on_time=False)
    m.contact(33.0, on_time=False)
    m.contacts_missed_now(BEFORE, 7)
    m.contacts_missed_now(50.0, 3)
    m.closure(BEFORE, 1.0, 2.0, 9.0)
    m.closure(WARMUP, 4.0, 70.0)  # at the window's start, early, its work done
    m.closure(70.0 + 1e-9, 20.0, 70.0, 1e-9)  # on time and done, to within 1e-9
    m.closure(90.0, 40.0, 80.0, 5.5, case_type=1)  # late, 5.5 hours of case work undone
    m.caseload_readings(WARMUP, [9], 1)  # the day read ended at the window's start
    m.caseload_readings(11.0, [3, 5], 1)
    m.caseload_readings(12.0, [5, 6], 0)
    m.staff_readings(WARMUP, 9, 9.0, 9, 900.0)
    m.staff_readings(11.0, 3, 1.2, 1, 300.0)
    m.staff_readings(12.0, 2, 0.8, 0, 200.0)
    m.positions_day(WARMUP, 9, 9, 9000.0, 90.0)
    m.positions_day(11.0, 4, 1, 1000.0, 10.0)
    m.positions_day(12.0, 4, 2, 900.0, 10.0)
    m.positions_day(13.0, 4, 0, 800.0)  # no technology
    m.agency_day(WARMUP, 900.0)
    m.agency_day(11.0, 300.0)
    m.agency_day(12.0, 300.0)
    for time in (BEFORE, 30.0, 50.0):
        m.quit(time)
    m.hire(BEFORE, 90.0, 9000.0)
    m.hire(40.0, 30.0, 5000.0)
    m.scandal(BEFORE)
    m.scandal(WARMUP)
    m.scandal(70.0)
    for time in (BEFORE, 20.0, 21.0):
        m.absence(time)
    m.overtime(BEFORE, 9.0, 50.0)
    m.overtime(20.0, 2.0, 50.0)
    m.transfer(BEFORE)
    m.transfer(30.0)
    for time in (BEFORE, 30.0, 31.0):
        m.back_to_waiting(time)
    m.hours_asked(BEFORE, 7.0, 9.0, 9.0)
    m.hours_asked(20.0, 7.0, 5.0, 3.0)
    m.hours_asked(21.0, 7.0, 2.0, 1.0)
    m.hours_idle(BEFORE, 14.0, 2)
    m.hours_idle(22.0, 14.0, 2)
    m.hours_worked_today(BEFORE, 3.0)
    m.hours_worked_today(WARMUP, 1.0)
    m.hours_worked_today(20.0, 6.5)
    m.hours_worked_today(21.0, 7.0)
    m.non_case(BEFORE, 1.0)
    m.non_case(20.0, 1.5)
    m.catch(BEFORE)
    m.catch(30.0)
    m.catch(31.0, case_type=1)
    m.harm(BEFORE, HarmCause.SCREENED_OUT)
    m.harm(WARMUP, HarmCause.AFTER_CLOSURE)
    m.harm(40.0, HarmCause.WAITLIST)
    m.harm(41.0, HarmCause.NO_CONTACT, case_type=1)
    m.harm(42.0, HarmCause.NO_CONTACT, case_type=1)
    m.levers.hire(30.0, 250.0)  # a lever's cost (the faster hiring pipeline)
    m.outcomes.reassessment(BEFORE, 2, 0)
    m.outcomes.reassessment(WARMUP, 1, 1)  # the same tier again
    m.outcomes.reassessment(20.0, 2, 1)  # lowered
    m.outcomes.reassessment(21.0, 0, 2)  # changed, raised
    for time in (BEFORE, WARMUP, 30.0):
        m.outcomes.signal_in_service(time)
    m.outcomes.prevent(BEFORE, 0)
    m.outcomes.prevent(WARMUP, 0)
    m.outcomes.prevent(32.0, 1)
    m.outcomes.prevent(35.0, 0)
    m.outcomes.service_dose(BEFORE, 0.9, 0)
    m.outcomes.service_dose(WARMUP, 0.5, 0)
    m.outcomes.service_dose(33.0, 0.25, 1)
    m.outcomes.service_dose(36.0, 0.75, 0)
    m.outcomes.follow_on(BEFORE, 1)
    m.outcomes.follow_on(WARMUP, 1)
    m.outcomes.follow_on(34.0, 0)
    m.outcomes.follow_on(37.0, 0)
    return m


COSTS = {  # the money spent inside the window
    "salary_cost": 1000.0 + 900.0 + 800.0,
    "overtime_cost": 2.0 * 50.0,
    "hiring_cost": 5000.0,
    "agency_cost": 300.0 + 300.0,
    "external_cost": 800.0,
    "technology_cost": 10.0 + 10.0,
}
TOTAL = sum(COSTS.values()) + 250.0  # and the lever's

EXPECTED = {
    "window_days": 100.0,
    "referrals": 4,  # at 12, 13, 15 and 16; those at 10 and 14 are re-referrals
    "rereferrals": 2,
    "screened_in": 3,
    "screened_out": 3,
    "screened_out_share": 3 / 6,
    "sent_out": 1,
    "threshold_mean": (50 * 0.4 + 50 * 0.6) / 100,
    "scandals": 2,
    "assigned": 3,
    "wait_mean_days": (6.0 + 8.0 + 27.0) / 3,
    "waiting_mean": (20 * 2 + 80 * 4) / 100,
    "waiting_at_end": 6,
    "first_contact_mean_days": (6.0 + 9.0 + 32.0) / 3,
    "first_contact_within_deadline_share": 2 / 5,
    "contacts_done": 5,
    "contacts_due": 2 + 2 + 3 + 2,  # on time, late, missed, overdue at the end
    "contacts_on_time": 2,
    "contacts_late": 2,
    "contacts_missed": 3,
    "contacts_overdue_at_end": 2,
    "contacts_on_time_share": 2 / 9,
    "cases_closed": 3,
    "case_duration_mean_days": (6.0 + (50.0 + 1e-9) + 50.0) / 3,
    "cases_closed_late_share": 1 / 3,
    "cases_closed_work_undone_share": 1 / 3,
    "casework_undone_hours": 5.5,
    "open_cases_mean": 5.0,
    "caseload_mean": (3 + 5 + 5 + 6) / 4,
    "caseload_p90": 6.0,  # the smallest caseload with 90% of worker-days at or below it
    "caseload_max": 6.0,
    "worker_days_over_cap_share": 1 / 4,
    "cap_breaches": 1,
    "headcount_mean": (3 + 2) / 100,
    "vacancy_rate": (1 + 2 + 0) / (4 + 4 + 4),
    "quits": 2,
    "turnover_rate": 365 * 2 / 5,
    "hires": 1,
    "vacancy_days_mean": 30.0,
    "tenure_mean_days": (300.0 + 200.0) / 5,
    "strain_mean": (1.2 + 0.8) / 5,
    "burned_out_share": 1 / 5,
    "absence_days": 2,
    "absence_share": 2 / (2 + 4),  # 2 days worked, 2 idle
    "overtime_hours": 2.0,
    "agency_share": 2 / (5 + 2),
    "vacancies_covered_share": 2 / 3,
    "transfers": 1,
    "returned_to_waiting": 2,
    "hours_available": 7.0 + 7.0 + 14.0,
    "hours_demanded": 5.0 + 2.0,
    "hours_worked": 1.0 + 6.5 + 7.0,
    "utilisation": 14.5 / (28.0 + 2.0),
    "demand_ratio": 7.0 / 28.0,
    "backlog_hours_mean": (3.0 + 1.0) / 4,
    "non_case_hours": 1.5,
    "signals": 6,
    "caught": 2,
    "missed": 4,
    "missed_screened_out": 0,
    "missed_waitlist": 1,
    "missed_no_contact": 2,
    "missed_not_detected": 0,
    "missed_sent_out": 0,
    "missed_after_closure": 1,
    "missed_per_1000_referrals": 1000 * 4 / 4,
    "caught_share": 2 / 6,
    "reassessments": 3,
    "tier_changes": 2,
    "tiers_lowered": 1,
    "signals_in_service": 2,
    "prevented": 3,
    "prevented_share": 3 / (3 + 2 + 4),  # of prevented, caught and missed
    "service_dose_mean": (0.5 + 0.25 + 0.75) / 3,
    "follow_on_cases": 3,
    **COSTS,
    "total_cost": TOTAL,
    "cost_per_referral": TOTAL / 4,
    "cost_per_harm_prevented": TOTAL / 2,
}


def test_every_figure_is_its_definition_of_the_happenings_in_the_window():
    summary = replication().summary(END, waiting_at_end=6, contacts_overdue_at_end=2)
    figures = summary.as_dict()
    for figure, value in EXPECTED.items():
        assert figures[figure] == pytest.approx(value, rel=1e-12), figure
        assert type(figures[figure]) in (int, float), figure


def test_the_counts_by_case_type_are_those_of_each_type():
    by_type = replication().outcomes.by_case_type(END).set_index("case_type")
    figures = ["referrals", "screened_out", "cases_closed", "caught", "missed"]
    assert by_type[figures].to_dict("index") == {
        "family": {"referrals": 2, "screened_out": 1, "cases_closed": 2, "caught": 1, "missed": 2},
        "youth": {"referrals": 2, "screened_out": 2, "cases_closed": 1, "caught": 1, "missed": 2},
    }
    outcomes = ["prevented", "follow_on_cases", "service_dose_mean"]
    assert by_type[outcomes].to_dict("index") == {
        "family": {"prevented": 2, "follow_on_cases": 2, "service_dose_mean": (0.5 + 0.75) / 2},
        "youth": {"prevented": 1, "follow_on_cases": 1, "service_dose_mean": 0.25},
    }


def test_the_recurrence_figures_by_case_type_are_those_of_each_type():
    """Exits, returns, first referrals and harms of two types told by hand: each type's
    shares and harms per subject are its own (the recurrence log's definitions are tested
    in tests/test_pathways.py)."""
    m = Metrics(WARMUP, CASE_TYPES, harm_follow_ups=[20.0, 30.0], horizon=400.0)
    log = m.outcomes.recurrence
    subjects = [Subject(number, 0) for number in range(4)]
    log.left(subjects[0], SCREENED_OUT, 0, 20.0)
    log.left(subjects[1], SCREENED_OUT, 0, 21.0)
    log.left(subjects[2], WITHOUT_SERVICES, 1, 22.0)
    log.left(subjects[3], AFTER_SERVICES, 1, 23.0)
    log.came_back(subjects[0], 40.0)  # type 0: one of two screen-outs back
    log.came_back(subjects[3], 300.0)  # type 1: after services, within a year
    for case_type, day, harms in ((0, 12, 1), (0, 14, 2), (1, 15, 4)):
        log.first_referral(case_type, day)
        for _ in range(harms):
            log.harm(Subject(99, 0, origin_type=case_type, origin_day=day))
    by_type = m.outcomes.by_case_type(400.0).set_index("case_type")
    assert by_type.loc["family", "rereferred_6m_after_screen_out"] == 0.5
    assert by_type.loc["family", "rereferred_12m_after_screen_out"] == 0.5
    assert math.isnan(by_type.loc["youth", "rereferred_6m_after_screen_out"])
    assert by_type.loc["youth", "rereferred_12m_after_closure_without_services"] == 0.0
    assert by_type.loc["youth", "rereferred_6m_after_services"] == 0.0
    assert by_type.loc["youth", "rereferred_12m_after_services"] == 1.0
    assert math.isnan(by_type.loc["family", "rereferred_12m_after_services"])
    assert by_type.loc["family", "harms_per_subject"] == (1 + 2) / 2
    assert by_type.loc["youth", "harms_per_subject"] == 4.0
    assert list(by_type.columns) == list(CASE_TYPE_FIGURES)


def test_the_90th_percentiles_are_numpys_on_the_waits_and_the_caseloads():
    """Waits of 1 to 10 days and end-of-day caseloads of 1 to 10: the 90th percentile is the
    smallest value with 90% of them at or below it (numpy's inverted CDF), 9 and not the
    largest, the wait to the histogram's documented 1%."""
    m = Metrics(WARMUP)
    values = np.arange(1, 11)
    for wait in values:
        m.assignment(20.0 + wait, 20.0, over_cap=False)
    m.caseload_readings(20.0, values.tolist(), 0)
    summary = m.summary(END, waiting_at_end=0, contacts_overdue_at_end=0)
    p90 = np.quantile(values, 0.9, method="inverted_cdf")
    assert p90 == 9
    assert summary.wait_p90_days == pytest.approx(p90, rel=0.01)
    assert summary.caseload_p90 == p90


def test_utilisation_is_at_most_one_when_the_same_hours_sum_apart():
    """Hours worked of 0.1 and 0.2 against 0.3 available: summed in another order the two
    differ by a rounding error, which does not make a worker busier than the day."""
    m = Metrics(0.0)
    m.hours_asked(1.0, 0.3, 0.0, 0.0)
    m.hours_worked_today(1.0, 0.1)
    m.hours_worked_today(1.0, 0.2)
    assert m.hours_worked > m.hours_available
    assert m.summary(2.0, waiting_at_end=0, contacts_overdue_at_end=0).utilisation == 1.0


def test_the_headcount_is_a_mean_over_the_window_however_short():
    """Half a day's window holding a reading of three caseworkers: three over half a day; a
    window of no time has no mean."""
    m = Metrics(WARMUP)
    m.staff_readings(WARMUP + 0.5, 3, 0.0, 0, 0.0)
    assert m.summary(WARMUP + 0.5, waiting_at_end=0, contacts_overdue_at_end=0).headcount_mean == 6
    empty = Metrics(WARMUP).summary(WARMUP, waiting_at_end=0, contacts_overdue_at_end=0)
    assert empty.window_days == 0 and math.isnan(empty.headcount_mean)


def test_the_daily_flows_count_every_happening_and_start_again_each_day():
    """The daily series counts the warm-up's happenings too (docs/outputs.md)."""
    m = replication()
    assert m.end_of_day() == {
        "referrals": 7,
        "screened_out": 3,
        "assigned": 4,
        "closed": 4,
        "caught": 3,
        "missed": 5,
        "prevented": 4,  # the warm-up's one too
        "quits": 3,
        "hires": 2,
        "scandals": 3,
    }
    m.quit(111.0)
    assert m.end_of_day() == dict.fromkeys(Metrics.DAILY_COLUMNS, 0) | {"quits": 1}


def test_a_replication_with_nothing_in_it_has_zero_counts_and_no_shares():
    """With nothing told, every count and sum is 0 and every share of nothing is NaN."""
    summary = Metrics(WARMUP).summary(END, waiting_at_end=0, contacts_overdue_at_end=0)
    figures = summary.as_dict()
    for figure, value in EXPECTED.items():
        if figure == "window_days":
            continue
        shown = figures[figure]
        if isinstance(value, float) and figure.endswith(RATIOS):
            assert math.isnan(shown), figure
        else:
            assert shown == 0, figure


RATIOS = (
    "_share",
    "_mean_days",
    "_p90_days",
    "caseload_mean",
    "caseload_p90",
    "caseload_max",
    "_rate",
    "vacancy_days_mean",
    "strain_mean",
    "utilisation",
    "demand_ratio",
    "backlog_hours_mean",
    "service_dose_mean",
    "_per_1000_referrals",
    "cost_per_referral",
    "cost_per_harm_prevented",
)
"""Figures that are a quotient (or a percentile) of what happened: NaN when nothing did."""
