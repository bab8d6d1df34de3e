"""Every referral is accounted for exactly once, whenever the run is stopped.

The check is independent of the model's own counters: arrivals are regenerated
from the same random streams, and every referral's state is checked against the
containers that hold it (the waiting list, the workers' caseloads).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from conftest import small_office_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.core.arrivals import ArrivalProcess
from sim.core.model import CaseloadModel
from sim.core.randomness import RandomStreams
from sim.core.referral import ReferralState

pytestmark = pytest.mark.fast

TURNOVER = {
    "turnover": {"annual_rate": 4.0},
    "hiring": {
        "lag": {"distribution": "exponential", "mean": 15.0},
        "training_days": 10.0,
        "ramp_days": 40.0,
    },
    "strain": {},
}

_FAMILY = small_office_data()["case_types"][0]
PATHWAYS = {
    # investigations that open ongoing, reassessed service cases for the same subject
    "case_types": [
        {**_FAMILY, "pathways": [{"to": "ongoing", "probability": 0.4, "if_caught": 0.9}]},
        {
            **_FAMILY,
            "name": "ongoing",
            "arrivals": {"rate_per_year": 0.0},
            "service": {"effect": 0.5, "half_life_days": 30.0},
            "reassessment": {"every_days": 20.0},
        },
    ],
    "workforce.caseworkers": 4,
}

VARIANTS = {
    "wait": {},
    "pathways": PATHWAYS,
    "pathways_turnover": {**PATHWAYS, **TURNOVER, "caps.overflow": "over_cap"},
    "over_cap": {"caps.overflow": "over_cap", "workforce.caseworkers": 3},
    "external": {
        "caps.overflow": "external",
        "caps.external_cost_per_case": 100.0,
        "workforce.caseworkers": 3,
    },
    "weighted_cap": {"caps.count": None, "caps.weighted": 9.0, "workforce.caseworkers": 3},
    "initial_caseload": {
        "initial_state": {"open_cases_per_worker": 8, "waiting": 15},
        "workforce.caseworkers": 4,
    },
    "rereports": {"risk.rereport_probability": 1.0, "intake.threshold": 0.7},
    "no_waiting_list_room": {"workforce.caseworkers": 1, "caps.count": 2},
    # Quits every few weeks: leavers' cases are transferred or go back to wait.
    "turnover": {**TURNOVER, "workforce.caseworkers": 4},
    "turnover_over_cap": {**TURNOVER, "workforce.caseworkers": 3, "caps.overflow": "over_cap"},
    "turnover_initial_caseload": {
        **TURNOVER,
        "initial_state": {"open_cases_per_worker": 10, "waiting": 5},
        "workforce.caseworkers": 3,
    },
    "agency_cover": {
        **TURNOVER,
        "hiring": {**TURNOVER["hiring"], "agency_cover_share": 0.7},
        "workforce.caseworkers": 3,
    },
    "feedback_policies": {
        **TURNOVER,
        "policies": {
            "gatekeeping": {
                "trigger_caseload": 6.0,
                "release_caseload": 4.0,
                "persistence_days": 5,
            },
            "scandal": {"publicity_probability": 0.3, "duration_days": 60.0},
        },
    },
}


def arrivals_before(scenario: sim.Scenario, seed: int, replication: int, until: float) -> int:
    """How many first reports the arrival streams produce before ``until``."""
    streams = RandomStreams(seed, replication)
    total = 0
    for profile in sim.core.casetypes.build_profiles(scenario):
        for batch in ArrivalProcess(profile, streams, scenario.horizon_days).batches():
            total += int(np.sum(batch.times < until))
    return total


def check_books(model: CaseloadModel, until: float) -> None:
    referrals = model.referrals
    ids = [r.id for r in referrals]
    assert len(ids) == len(set(ids)), "a referral was recorded twice"

    by_state = Counter(r.state for r in referrals)
    assert None not in by_state, "a referral has no state"
    assert sum(by_state.values()) == len(referrals)
    assert dict(by_state) == {s: n for s, n in model.state_counts.items() if n}

    waiting = [r.id for r in model.waiting]
    assert len(waiting) == len(set(waiting)) == len(model.waiting)
    assert set(waiting) == {r.id for r in referrals if r.state is ReferralState.WAITING}

    held = [case.id for worker in model.roster for case in worker.cases.values()]
    assert len(held) == len(set(held)), "a case is held by two workers"
    assert set(held) == {r.id for r in referrals if r.state is ReferralState.OPEN}
    for r in referrals:
        assert (r.worker is not None) == (r.state is ReferralState.OPEN)
    for worker in model.roster:
        for case in worker.cases.values():
            assert case.worker is worker
        assert abs(worker.load - sum(c.weight for c in worker.cases.values())) < 1e-6

    for r in referrals:
        assert r.history and r.history[-1][1] is r.state
        times = [t for t, _ in r.history]
        assert times == sorted(times)
        assert all(t <= until + 1e-9 for t in times)
        if r.state is ReferralState.CLOSED:
            assert r.closed_at >= r.assigned_at >= r.arrival - 1e-9

    first_reports = sum(
        1 for r in referrals if not (r.rereferral or r.initial or r.surge or r.follow_on)
    )
    scenario = model.scenario
    expected = arrivals_before(scenario, model.streams.seed, model.streams.replication, until)
    assert first_reports == expected, "an arrival went missing or was counted twice"


@settings(
    max_examples=80,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    variant=st.sampled_from(sorted(VARIANTS)),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    replication=st.integers(min_value=0, max_value=50),
    until=st.floats(min_value=0.0, max_value=300.0, allow_nan=False),
)
def test_every_referral_is_in_exactly_one_state(variant, seed, replication, until):
    data = small_office_data(**{"horizon_days": 300.0, "warmup_days": 0.0, **VARIANTS[variant]})
    scenario = sim.validate_scenario(data)
    model = CaseloadModel(scenario, replication=replication, seed=seed, records=True)
    output = model.run(until)
    check_books(model, until)
    counts = output.state_counts
    assert sum(counts.values()) == len(model.referrals)
    summary = output.summary
    # With no warm-up, the summary's intake counts are the referrals' own.
    first = [r for r in model.referrals if not (r.initial or r.follow_on)]
    assert summary.follow_on_cases == sum(r.follow_on for r in model.referrals)
    assert summary.referrals == sum(not r.rereferral for r in first)
    assert summary.rereferrals == sum(r.rereferral for r in first)
    screened_out = sum(r.history[0][1] is ReferralState.SCREENED_OUT for r in first)
    assert summary.screened_out == screened_out
    assert summary.screened_in == len(first) - screened_out
    assert summary.missed == sum(
        getattr(summary, f"missed_{cause}")
        for cause in (
            "screened_out",
            "waitlist",
            "no_contact",
            "not_detected",
            "sent_out",
            "after_closure",
        )
    )


def two_types_sent_out() -> dict:
    """Two case types, the second with no contacts (only external providers catch its
    signals), and cases over the caps sent to providers, who catch nine in ten of their signals."""
    data = small_office_data(
        **{
            "caps.overflow": "external",
            "caps.external_cost_per_case": 100.0,
            "caps.external_detection_probability": 0.9,
            "workforce.caseworkers": 3,
        }
    )
    family = data["case_types"][0]
    data["case_types"].append({**family, "name": "unvisited", "first_contact": None})
    data["case_types"][1].pop("contacts")
    return data


@pytest.mark.parametrize("variant", ["one_type", "two_types_sent_out"])
def test_every_signal_ends_caught_or_as_one_harm(variant):
    """Each signal whose detection window ended was caught once or became one harm; the
    signals caught, by the case type of the subject's first referral, are the figures."""
    data = small_office_data() if variant == "one_type" else two_types_sent_out()
    scenario = sim.validate_scenario({**data, "warmup_days": 0.0})
    model = CaseloadModel(scenario, seed=3)
    harms = Counter()
    signals = {}
    on_signal, on_harm_due = model.risk._on_signal, model.risk._on_harm_due

    def seeing(event):
        signals[id(event.value)] = event.value
        on_signal(event)

    def counting(event):
        if event.value.caught_at is None:
            harms[id(event.value)] += 1
        on_harm_due(event)

    model.risk._on_signal, model.risk._on_harm_due = seeing, counting
    output = model.run()
    summary = output.summary
    window = scenario.risk.detection_window_days
    ended = [s for s in signals.values() if s.time + window < scenario.horizon_days]
    assert len(ended) > 100, "the scenario must produce signals"
    for signal in ended:
        caught = signal.caught_at is not None
        assert caught + harms[id(signal)] == 1
        if caught:
            # (a provider catches a signal as it happens, a contact only after it)
            assert signal.time <= signal.caught_at <= signal.time + window
    assert summary.caught == sum(s.caught_at is not None for s in signals.values())
    assert summary.missed == sum(harms.values())
    caught = Counter(s.subject.origin_type for s in signals.values() if s.caught_at is not None)
    by_type = output.by_case_type.set_index("case_type").caught
    assert by_type.to_dict() == {c.name: caught[k] for k, c in enumerate(scenario.case_types)}
    assert min(caught.values()) > 20, "each type must have signals caught"


def test_log_histogram_keeps_mean_exact_and_quantiles_to_one_percent():
    from sim.core.accumulators import LogHistogram

    rng = np.random.default_rng(1)
    values = np.concatenate([np.zeros(300), rng.lognormal(1.0, 1.5, 5000)])
    histogram = LogHistogram()
    for value in values:
        histogram.add(float(value))
    assert histogram.mean() == pytest.approx(values.mean(), rel=1e-12)
    for q in (0.05, 0.5, 0.9, 0.99):
        exact = float(np.quantile(values, q, method="inverted_cdf"))
        if exact == 0.0:
            assert histogram.quantile(q) == 0.0
        else:
            assert histogram.quantile(q) == pytest.approx(exact, rel=1.01e-2)
    assert len(histogram.bins) < 2_000
