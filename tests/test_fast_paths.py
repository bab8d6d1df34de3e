"""The shortcuts the model takes give the very same results, and what is done is freed."""

from __future__ import annotations

import gc
import math

import pytest
from conftest import mmc_data, small_office_data

import sim
from sim.core.model import CaseloadModel
from sim.core.referral import Referral
from sim.core.risk import Signal

pytestmark = pytest.mark.fast


def same(a: sim.ReplicationSummary, b: sim.ReplicationSummary) -> None:
    """Every figure equal: counts exactly, sums of hours up to the order of the additions
    (a shortcut may add a day's hours at once where the full path adds each worker's)."""
    for name, value in a.as_dict().items():
        other = getattr(b, name)
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(other), name
        elif isinstance(value, float):
            assert value == pytest.approx(other, rel=1e-12, abs=1e-12), (name, value, other)
        else:
            assert value == other, (name, value, other)


def with_and_without(scenario: sim.Scenario, shortcut: str) -> sim.ReplicationSummary:
    """Run with the working days' ``shortcut`` taken and with it forced off; same summary."""
    fast = CaseloadModel(scenario, seed=4)
    assert getattr(fast.days, shortcut), f"the scenario must take {shortcut}"
    full = CaseloadModel(scenario, seed=4)
    setattr(full.days, shortcut, False)
    summary = fast.run().summary
    same(summary, full.run().summary)
    return summary


def test_steady_staff_end_of_day_matches_the_full_one():
    scenario = sim.validate_scenario(
        small_office_data(**{"workforce.caseworkers": 3, "caps.overflow": "over_cap"})
    )
    assert with_and_without(scenario, "steady_staff").worker_days_over_cap_share > 0


@pytest.mark.parametrize("tenure", [1095.0, 100.0], ids=["experienced", "gaining_experience"])
def test_idle_working_days_count_the_same_hours(tenure):
    """Also while the staff gains experience (hours rise until day 265), before the idle
    day's hours are kept for the rest of the run."""
    data = mmc_data(3, 0.7, horizon=400.0, warmup=20.0)
    data["hiring"] = {"initial_tenure_days": tenure, "novice_productivity": 0.5}
    scenario = sim.validate_scenario(data)
    assert with_and_without(scenario, "nothing_to_do").hours_available > 0


def test_shortcuts_are_off_when_something_changes():
    changes = [
        {"strain": {}},
        {"turnover": {"annual_rate": 0.2}},
        {"policies": {"gatekeeping": {"trigger_caseload": 10, "release_caseload": 5}}},
    ]
    for change in changes:
        model = CaseloadModel(sim.validate_scenario(small_office_data(**change)))
        assert not model.days.steady_staff, change
    assert not CaseloadModel(sim.validate_scenario(small_office_data())).days.nothing_to_do


def test_finished_referrals_are_freed_without_the_cyclic_collector():
    """With the cyclic garbage collector off, the only referrals alive after a run are those
    something still needs: open cases, the waiting list's entries, and those an event or
    a pending signal will look at (a subject lets go of its referrals after its last signal)."""
    scenario = sim.validate_scenario(
        small_office_data(**{"horizon_days": 700.0, "workforce.caseworkers": 3})
    )
    gc.collect()
    gc.disable()
    try:
        model = CaseloadModel(scenario, seed=2)
        model.run()
        alive = {id(o) for o in gc.get_objects() if isinstance(o, Referral)}
    finally:
        gc.enable()
    needed = {id(case) for worker in model.roster for case in worker.cases.values()}
    needed |= {id(entry[-1]) for entry in model.waiting._heap}  # stale entries included
    for *_, event in model.env._queue:
        if isinstance(event.value, Referral):
            needed.add(id(event.value))
        elif isinstance(event.value, Signal):
            needed |= {id(r) for r in event.value.subject.referrals}
    referrals = model.metrics.referrals
    assert referrals > 300 and len(needed) < referrals / 2
    assert alive <= needed
