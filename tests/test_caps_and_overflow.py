"""Assignment under caps, the waiting list's order, and the overflow policies."""

from __future__ import annotations

import pytest
from conftest import small_office_data

import sim
from sim.casetypes import build_profiles
from sim.intake import WaitingList
from sim.referral import Referral, Subject
from sim.workforce import Roster, Worker

CROWDED = {"workforce.caseworkers": 3, "caps.count": 6, "warmup_days": 0.0}


def run_model(**changes):
    model = sim.CaseloadModel(
        sim.validate_scenario(small_office_data(**changes)), seed=4, timeseries=True, records=True
    )
    return model, model.run()


def test_wait_never_exceeds_the_count_cap_and_cases_wait():
    _, out = run_model(**CROWDED)
    assert out.timeseries["caseload_max"].max() == 6
    assert out.timeseries["workers_over_cap"].max() == 0
    assert out.summary.waiting_mean > 1 and out.summary.wait_mean_days > 1
    assert out.summary.cap_breaches == 0 and out.summary.sent_out == 0


def test_weighted_cap_bounds_the_weight_each_worker_holds():
    complexity = [
        {"name": "simple", "share": 0.5, "weight_multiplier": 1.0},
        {"name": "complex", "share": 0.5, "weight_multiplier": 2.5},
    ]
    model = sim.CaseloadModel(
        sim.validate_scenario(
            small_office_data(
                **{
                    **CROWDED,
                    "caps.count": None,
                    "caps.weighted": 8.0,
                    "case_types.0.complexity": complexity,
                }
            )
        ),
        seed=4,
    )
    peak = {worker.id: 0.0 for worker in model.roster}
    end_of_day = model._end_of_day

    def watch(day):
        for worker in model.roster:
            peak[worker.id] = max(peak[worker.id], worker.load)
            assert worker.load <= 8.0 + 1e-9 or len(worker.cases) == 1
        end_of_day(day)

    model._end_of_day = watch
    model.run()
    assert max(peak.values()) > 7.0  # the cap binds


def test_over_cap_assigns_everyone_and_counts_breaches():
    _, out = run_model(**CROWDED, **{"caps.overflow": "over_cap"})
    s = out.summary
    assert s.waiting_mean == 0 and s.wait_mean_days == 0
    assert s.cap_breaches > 0 and s.worker_days_over_cap_share > 0
    assert out.timeseries["caseload_max"].max() > 6


def test_external_sends_cases_out_at_a_cost():
    _, out = run_model(
        **CROWDED, **{"caps.overflow": "external", "caps.external_cost_per_case": 1234.5}
    )
    s = out.summary
    assert s.sent_out > 20 and s.waiting_mean == 0
    assert s.external_cost == pytest.approx(1234.5 * s.sent_out)
    assert out.timeseries["caseload_max"].max() <= 6
    assert out.state_counts["sent_out"] == s.sent_out  # no warm-up: every one counted


def test_least_loaded_worker_gets_the_case():
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    workers = [Worker(i, 7.0, count_cap=3, weighted_cap=None) for i in range(3)]
    roster = Roster(workers, weighted=False)
    for i in range(7):
        referral = Referral(i, Subject(i, 0), profile, 0.0, 0, 0.0, 0.5, 0, 30.0)
        worker = roster.least_loaded_with_room(referral.weight)
        worker.take(referral)
        loads = [len(w.cases) for w in workers]
        assert max(loads) - min(loads) <= 1
    assert [len(w.cases) for w in workers] == [3, 2, 2]  # ties go to the lowest id
    for i in (7, 8):
        extra = Referral(i, Subject(i, 0), profile, 0.0, 0, 0.0, 0.5, 0, 30.0)
        roster.least_loaded_with_room(extra.weight).take(extra)
    assert roster.least_loaded_with_room(1.0) is None  # everyone full
    assert roster.least_loaded() in workers


def test_weighted_roster_balances_weight_not_count():
    workers = [Worker(i, 7.0, count_cap=None, weighted_cap=10.0) for i in range(2)]
    roster = Roster(workers, weighted=True)
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    heavy = Referral(0, Subject(0, 0), profile, 0.0, 0, 0.0, 0.5, 0, 30.0)
    heavy.weight = 6.0
    roster.least_loaded_with_room(6.0).take(heavy)
    light = [Referral(i, Subject(i, 0), profile, 0.0, 0, 0.0, 0.5, 0, 30.0) for i in (1, 2, 3)]
    for referral in light:
        roster.least_loaded_with_room(referral.weight).take(referral)
    assert [w.load for w in workers] == [6.0, 3.0]
    assert len(workers[1].cases) == 3


def test_waiting_list_serves_highest_score_then_earliest_arrival():
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]

    def referral(i, score, arrival):
        return Referral(i, Subject(i, 0), profile, arrival, 0, 0.0, score, 0, 30.0)

    queue = WaitingList()
    a, b, c, d = (
        referral(0, 0.5, 1.0),
        referral(1, 0.9, 2.0),
        referral(2, 0.5, 0.5),
        referral(3, 0.7, 3.0),
    )
    for r in (a, b, c, d):
        queue.push(r)
    assert len(queue) == 4
    a.score = 0.95  # an escalation
    queue.reprioritise(a)
    assert len(queue) == 4
    assert [queue.pop().id for _ in range(4)] == [0, 1, 3, 2]
    assert len(queue) == 0 and not queue
