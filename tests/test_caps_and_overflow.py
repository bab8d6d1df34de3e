"""Assignment under caps, the waiting list's order, and the overflow policies."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import a_referral, small_office_data

import sim
from sim.core.casetypes import build_profiles
from sim.core.waiting_list import WaitingList
from sim.core.workforce import Roster, Worker

pytestmark = pytest.mark.fast

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
    end_of_day = model.days.end_of_day

    def watch(day):
        for worker in model.roster:
            peak[worker.id] = max(peak[worker.id], worker.load)
            assert worker.load <= 8.0 + 1e-9 or len(worker.cases) == 1
        end_of_day(day)

    model.days.end_of_day = watch
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
        referral = a_referral(profile, i)
        worker = roster.least_loaded_with_room(referral.weight)
        worker.take(referral)
        loads = [len(w.cases) for w in workers]
        assert max(loads) - min(loads) <= 1
    assert [len(w.cases) for w in workers] == [3, 2, 2]  # ties go to the lowest id
    for i in (7, 8):
        extra = a_referral(profile, i)
        roster.least_loaded_with_room(extra.weight).take(extra)
    assert roster.least_loaded_with_room(1.0) is None  # everyone full
    assert roster.least_loaded() in workers


def test_weighted_roster_balances_weight_not_count():
    workers = [Worker(i, 7.0, count_cap=None, weighted_cap=10.0) for i in range(2)]
    roster = Roster(workers, weighted=True)
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    heavy = a_referral(profile)
    heavy.weight = 6.0
    roster.least_loaded_with_room(6.0).take(heavy)
    light = [a_referral(profile, i) for i in (1, 2, 3)]
    for referral in light:
        roster.least_loaded_with_room(referral.weight).take(referral)
    assert [w.load for w in workers] == [6.0, 3.0]
    assert len(workers[1].cases) == 3


class Case:
    """What a worker needs of a case: an id and a weight."""

    def __init__(self, id: int, weight: float) -> None:
        self.id, self.weight, self.worker = id, weight, None


def held_weight(worker: Worker) -> float:
    """The load a worker should report: the weights of the cases it holds."""
    return sum(case.weight for case in worker.cases.values())


def scanned_choice(roster: Roster, weight: float | None) -> Worker | None:
    """The rule stated plainly: the first worker in position order with the lowest load
    among those with room (``weight`` None: among those taking cases, caps ignored)."""
    best, best_load = None, float("inf")
    for worker in roster.workers:
        load = worker.load if roster._weighted else len(worker.cases)
        fits = worker.accepting if weight is None else worker.has_room(weight)
        if load < best_load and fits:
            best, best_load = worker, load
    return best


@pytest.mark.parametrize("size", [8, 40], ids=["scanned", "heap"])
@pytest.mark.parametrize(
    ("count_cap", "weighted_cap"),
    [(6, None), (None, 9.0), (6, 9.0)],
    ids=["count", "weighted", "both"],
)
def test_the_roster_chooses_as_the_rule_says(count_cap, weighted_cap, size):
    """Random assignments, closures, reassessments, quits, hires, trainees and graduated caps:
    the roster's choice (scanned when small, from its heap when large) is always the rule's,
    ties to the lowest position included."""
    assert (size > sim.core.workforce.SCAN_UP_TO) == (size == 40)
    rng = np.random.default_rng(7)
    workers = [Worker(i, 7.0, count_cap, weighted_cap) for i in range(size)]
    roster = Roster(workers, weighted=weighted_cap is not None)
    ids, cases, next_worker = iter(range(10**6)), [], size
    choices = 0
    for _ in range(1000 * len(workers) // 2):
        op = rng.random()
        if op < 0.45:
            weight = float(rng.choice([0.5, 1.0, 1.0, 2.0, 3.5]))
            chosen = roster.least_loaded_with_room(weight)
            assert chosen is scanned_choice(roster, weight)
            choices += chosen is not None
            if chosen is not None:
                case = Case(next(ids), weight)
                chosen.take(case)
                cases.append(case)
        elif op < 0.75 and cases:
            case = cases.pop(int(rng.integers(len(cases))))
            worker = case.worker
            worker.release(case)
            assert worker.load == pytest.approx(held_weight(worker))
        elif op < 0.8 and cases:  # a reassessment changes a held case's weight
            case = cases[int(rng.integers(len(cases)))]
            case.worker.reweigh(case, float(rng.choice([0.5, 1.0, 2.0, 3.5])))
            assert case.worker.load == pytest.approx(held_weight(case.worker))
        elif op < 0.85:
            assert roster.least_loaded() is scanned_choice(roster, None)
        elif op < 0.9 and len(roster) > 2:
            leaver = roster.workers[int(rng.integers(len(roster)))]
            roster.remove(leaver)
            for case in list(leaver.cases.values()):
                leaver.release(case)
                cases.remove(case)
        elif op < 0.95 and roster.vacancies:
            position = roster.positions.index(None)
            hire = Worker(next_worker, 7.0, count_cap, weighted_cap, position=position)
            next_worker += 1
            hire.accepting = bool(rng.random() < 0.5)  # some start in training
            if rng.random() < 0.5:
                hire.set_cap_share(float(rng.choice([0.25, 0.5])))
            roster.add(hire)
        else:
            worker = roster.workers[int(rng.integers(len(roster)))]
            worker.accepting = True
            worker.set_cap_share(1.0)
    assert choices > 100 * len(workers)


def test_a_graduated_caseload_is_a_share_of_the_full_caps_and_at_least_one_case():
    worker = Worker(0, 7.0, count_cap=10, weighted_cap=20.0)
    assert worker.full_caps
    for share, count_cap in [(0.5, 5), (0.12, 1), (0.04, 1), (0.26, 3)]:
        worker.set_cap_share(share)
        assert (worker.count_cap, worker.weighted_cap) == (count_cap, 20.0 * share)
        assert not worker.full_caps
    worker.set_cap_share(1.0)
    assert (worker.count_cap, worker.weighted_cap) == (10, 20.0) and worker.full_caps


@pytest.mark.parametrize(("count_cap", "weighted_cap"), [(2, None), (None, 3.0)])
def test_a_worker_at_a_cap_has_no_room_and_is_not_over_it(count_cap, weighted_cap):
    worker = Worker(0, 7.0, count_cap=count_cap, weighted_cap=weighted_cap)
    worker.take(Case(1, 1.0))
    assert worker.has_room(2.0)  # a case that fills the cap exactly fits
    worker.take(Case(2, 2.0))  # at the cap: two cases, weighing 3
    assert not worker.has_room(0.5) and not worker.over_cap()
    worker.take(Case(3, 0.5))
    assert worker.over_cap()


def test_waiting_list_serves_highest_score_then_earliest_arrival():
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]

    def referral(i, score, arrival):
        return a_referral(profile, i, arrival=arrival, score=score)

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


def test_a_worker_whose_cases_are_all_released_has_no_load_left():
    """Weights 0.1 and 0.2 sum to 0.30000000000000004: released, the load is exactly 0, so
    the emptied worker ties with an idle colleague and the lower position is chosen."""
    workers = [Worker(i, 7.0, count_cap=None, weighted_cap=10.0) for i in range(2)]
    roster = Roster(workers, weighted=True)
    cases = [Case(0, 0.1), Case(1, 0.2)]
    for case in cases:
        workers[0].take(case)
    for case in cases:
        workers[0].release(case)
    assert workers[0].load == 0.0
    assert roster.least_loaded_with_room(1.0) is workers[0]


def test_a_worker_cannot_be_put_in_a_position_already_held():
    roster = Roster([Worker(0, 7.0, 5, None)], weighted=False)
    with pytest.raises(ValueError, match="position 0 is not vacant"):
        roster.add(Worker(1, 7.0, 5, None, position=0))
