"""Starting from an existing caseload instead of an empty office."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MINIMAL

import sim
from sim.core.referral import ReferralState


def with_initial(open_per_worker: int, waiting: int, **changes) -> sim.Scenario:
    scenario = sim.load_scenario(MINIMAL)
    return sim.apply_overrides(
        scenario,
        {
            "initial_state": {"open_cases_per_worker": open_per_worker, "waiting": waiting},
            **changes,
        },
    )


@pytest.mark.fast
def test_the_office_starts_with_open_cases_and_a_waiting_list():
    scenario = with_initial(17, 25)  # 17 is the cap: the waiting list cannot be placed
    model = sim.CaseloadModel(scenario, seed=1, records=True)
    assert [len(worker.cases) for worker in model.roster] == [17] * 12
    assert len(model.waiting) == 25
    assert model.state_counts[ReferralState.OPEN] == 17 * 12
    assert model.state_counts[ReferralState.WAITING] == 25
    for worker in model.roster:
        for case in worker.cases.values():
            assert case.initial and case.assigned_at <= 0.0 < case.planned_close
            assert 0.0 <= case.work_done <= case.work_total
    # An initial case's signals are drawn over its risk window from its arrival (before
    # the run for an open case); those that fall inside the run are scheduled.
    signals = [(r, s) for r in model.referrals for s in r.subject.signals]
    assert len(signals) > 100
    for referral, signal in signals:
        assert signal.time >= 0.0
        assert 0.0 <= signal.time - referral.arrival < referral.profile.risk_window
    output = model.run(30.0)
    assert sum(output.state_counts.values()) == len(model.referrals)
    assert sum(r.initial for r in model.referrals) == 17 * 12 + 25


@pytest.mark.fast
def test_initial_cases_are_not_counted_as_referrals():
    empty = sim.run_replication(sim.load_scenario(MINIMAL), seed=2)
    started = sim.run_replication(with_initial(9, 0, warmup_days=0.0), seed=2)
    baseline = sim.run_replication(
        sim.apply_overrides(sim.load_scenario(MINIMAL), {"warmup_days": 0.0}), seed=2
    )
    assert started.summary.referrals == baseline.summary.referrals
    assert empty.summary.referrals != 0


def test_a_caseload_near_steady_state_shortens_the_warm_up_bias():
    """Mean caseload over the first 60 days: closer to the long-run level from a full start."""

    def early_and_late(scenario):
        series = sim.run(scenario, replications=4, seed=5, timeseries=True).timeseries
        early = series[series.day < 60].caseload_mean.mean()
        late = series[series.day >= 365].caseload_mean.mean()
        return early, late

    empty_early, level = early_and_late(sim.load_scenario(MINIMAL))
    full_early, full_level = early_and_late(with_initial(9, 0))
    assert abs(full_level - level) < 0.1 * level  # same steady state either way
    assert abs(full_early - level) < 0.5 * abs(empty_early - level)
    assert np.isfinite(full_early)


@pytest.mark.fast
def test_initial_waiting_cases_follow_the_overflow_policy():
    scenario = with_initial(
        17, 25, **{"caps.overflow": "external", "caps.external_cost_per_case": 10.0}
    )
    model = sim.CaseloadModel(scenario, seed=1)
    assert len(model.waiting) == 0
    assert model.state_counts[ReferralState.SENT_OUT] == 25


def test_an_initial_caseload_the_screen_cannot_supply_is_refused_in_one_line():
    """A threshold that opens (almost) nothing cannot supply the initial cases: refused with the
    field named, at once and in bounded memory, instead of drawing ever more referrals."""
    for threshold in (1.0, 1.0 - 1e-9):
        scenario = with_initial(2, 3, **{"intake.threshold": threshold})
        try:
            sim.CaseloadModel(scenario)
        except sim.ScenarioError as exc:
            assert exc.field == "initial_state" and "threshold" in exc.problem
        else:
            raise AssertionError(f"threshold {threshold} must be refused")
    assert sim.CaseloadModel(with_initial(2, 3, **{"intake.threshold": 0.999})).run()
