"""Service that lowers risk: the dose, its effect on the signal rate, and common random numbers.

The dose is checked against hand-computed values; the realised reduction of the signal
rate against the configured effect (a binomial interval, on five seeds, with a power
check); the dose and the reduction fall when hours are cut; every candidate signal ends
exactly one way; and two staffing levels see the same candidate signals.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
from conftest import FIRST_SEED_FAST, a_referral, small_office_data
from scipy import stats

import sim
from sim.core.model import CaseloadModel
from sim.core.referral import Referral, ReferralState, Subject
from sim.core.risk import Signal
from sim.core.service import Service

SEEDS = [1, 2, 3, 4, 5]
EFFECT = 0.4


def service_office(**changes) -> sim.Scenario:
    """An office where every subject is opened and served for the whole risk window.

    Threshold 0 opens everyone, ample staff and no strain or turnover give a full dose,
    and the reduction lasts the rest of the risk window after closure.
    """
    data = small_office_data(
        **{
            "horizon_days": 500.0,
            "warmup_days": 0.0,
            "intake.threshold": 0.0,
            "risk.rereport_probability": 0.0,
            "risk.tiers.0.signals_per_year": 3.0,
            "risk.tiers.1.signals_per_year": 5.0,
            "risk.tiers.2.signals_per_year": 8.0,
            "workforce.caseworkers": 12,
            "caps.count": 40,
            "case_types.0.service": {"effect": EFFECT, "half_life_days": None},
            **changes,
        }
    )
    return sim.validate_scenario(data)


# ---------------------------------------------------------------- the dose, by hand


def a_case(profile_index: int = 0, **attributes) -> Referral:
    scenario = service_office()
    profile = sim.core.casetypes.build_profiles(scenario)[profile_index]
    case = a_referral(profile, 1, tier=2, duration=100.0)
    case.assigned_at = 0.0
    case.state = ReferralState.OPEN
    for name, value in attributes.items():
        setattr(case, name, value)
    return case


@pytest.mark.fast
def test_the_dose_is_contacts_on_time_and_casework_done_times_the_handoff_factor():
    scenario = service_office(**{"case_types.0.service.handoff_factor": 0.75})
    service = Service(scenario, sim.core.metrics.Metrics(0.0))
    # 3 of 4 contacts on time; 15 work hours over 100 days: 7.5 accrued by day 50, 3.75 done.
    case = a_case(contacts_due=4, contacts_on_time=3, work_done=3.75, contact_due=60.0)
    assert case.work_total == 15.0
    assert service.dose(case, 50.0) == pytest.approx(0.5 * 0.75 + 0.5 * 0.5)
    case.handoffs = 2
    assert service.dose(case, 50.0) == pytest.approx(0.75**2 * 0.625)
    # a contact overdue now counts as due and not made; one due at this moment is not late yet
    case.handoffs, case.contact_due = 0, 40.0
    assert service.dose(case, 50.0) == pytest.approx(0.5 * 3 / 5 + 0.5 * 0.5)
    case.contact_due = 50.0
    assert service.dose(case, 50.0) == pytest.approx(0.5 * 3 / 4 + 0.5 * 0.5)
    # no contact made yet: service has not begun
    assert service.dose(a_case(contacts_due=0, contacts_on_time=0, contact_due=None), 1.0) == 0.0


@pytest.mark.fast
def test_the_dose_of_a_type_with_one_part_is_that_part_alone():
    """A type with a first contact but no recurring contacts still counts its contacts; a
    type with no contacts counts its case work alone (all of it at the start, before any
    has accrued); a type with no case work counts its contacts alone; a type without
    service has no dose. Each by hand."""
    first_only = service_office(**{"case_types.0.contacts": None})
    case = a_case(contacts_due=1, contacts_on_time=0, work_done=7.5, contact_due=None)
    assert Service(first_only, sim.core.metrics.Metrics(0.0)).dose(case, 50.0) == 0.5 * 0.0 + 0.5
    casework_only = Service(
        service_office(**{"case_types.0.contacts": None, "case_types.0.first_contact": None}),
        sim.core.metrics.Metrics(0.0),
    )
    assert casework_only.dose(a_case(work_done=0.0, contacts_due=0), 0.0) == 1.0
    assert casework_only.dose(a_case(work_done=3.75, contacts_due=0), 50.0) == 0.5
    assert casework_only.dose(a_case(work_done=15.0, contacts_due=0), 50.0) == 1.0  # at most 1
    contacts_only = Service(
        service_office(**{"case_types.0.work_hours": 0.0}), sim.core.metrics.Metrics(0.0)
    )
    case = a_case(contacts_due=4, contacts_on_time=3, work_done=0.0, contact_due=None)
    assert contacts_only.dose(case, 50.0) == 0.75
    light = Service(service_office(**{"case_types.0.work_hours": 1.0}), sim.core.metrics.Metrics(0))
    assert light.dose(case, 50.0) == 0.5 * 0.75 + 0.5 * 0.0  # an hour of case work still counts
    without = Service(
        service_office(**{"case_types.0.service": None}), sim.core.metrics.Metrics(0.0)
    )
    assert without.dose(a_case(contacts_due=2, contacts_on_time=2, work_done=15.0), 50.0) == 0.0
    # A type with none of them would deliver nothing: the scenario is refused, naming why.
    with pytest.raises(sim.ScenarioError, match=r"case_types\[0\]\.service: expected a case type"):
        service_office(
            **{
                "case_types.0.contacts": None,
                "case_types.0.first_contact": None,
                "case_types.0.work_hours": 0.0,
            }
        )


@pytest.mark.fast
def test_a_referral_that_gives_no_reduction_puts_no_signal_in_service():
    """A subject whose referrals give no cut of its rate (one waiting, one closed with no
    dose) is not in service: its signals are neither prevented nor counted as candidates
    while in service."""
    metrics = sim.core.metrics.Metrics(0.0)
    service = Service(service_office(), metrics)
    subject = Subject(1, 2)
    waiting = a_case(state=ReferralState.WAITING)
    closed = a_case(state=ReferralState.CLOSED, closed_at=5.0, dose_at_close=0.0)
    subject.referrals += [waiting, closed]
    assert service.strongest(subject, 10.0) == (0.0, None)
    assert not service.prevents(subject, 0.0, 10.0)
    assert metrics.outcomes.signals_in_service == 0


@pytest.mark.fast
def test_the_reduction_persists_after_closure_with_its_half_life():
    scenario = service_office(**{"case_types.0.service.half_life_days": 100.0})
    service = Service(scenario, sim.core.metrics.Metrics(0.0))
    case = a_case(state=ReferralState.CLOSED, closed_at=50.0, dose_at_close=0.8)
    assert service.reduction(case, 50.0) == pytest.approx(EFFECT * 0.8)
    assert service.reduction(case, 150.0) == pytest.approx(EFFECT * 0.8 / 2)
    assert service.reduction(case, 250.0) == pytest.approx(EFFECT * 0.8 / 4)
    lasting = Service(service_office(), sim.core.metrics.Metrics(0.0))
    assert lasting.reduction(case, 1000.0) == pytest.approx(EFFECT * 0.8)
    case.state = ReferralState.WAITING
    assert service.reduction(case, 60.0) == 0.0


@pytest.mark.fast
def test_without_evidence_based_practice_service_changes_nothing_but_the_dose():
    base = service_office(**{"case_types.0.service": None})
    off = service_office(**{"case_types.0.service.evidence_based": False})
    a = sim.run(base, replications=2, seed=3).replications
    b = sim.run(off, replications=2, seed=3).replications
    assert (b.prevented == 0).all() and (b.signals_in_service == 0).all()
    for figure in ("missed", "caught", "contacts_done", "hours_worked", "cases_closed"):
        assert a[figure].tolist() == b[figure].tolist(), figure
    assert (b.service_dose_mean > 0.9).all()  # the dose is still delivered


# ---------------------------------------------------------------- the effect in runs


def realised(scenario: sim.Scenario, seed: int) -> tuple[int, int, float]:
    """Signals prevented, signals in service and the mean dose, over 3 replications."""
    table = sim.run(scenario, replications=3, seed=seed).replications
    return (
        int(table.prevented.sum()),
        int(table.signals_in_service.sum()),
        table.service_dose_mean.mean(),
    )


@pytest.mark.parametrize("seed", FIRST_SEED_FAST)
def test_with_ample_hours_the_realised_reduction_is_the_configured_effect(seed):
    """Every in-service signal faces the full reduction: prevented ~ Binomial(n, effect).

    99% Clopper-Pearson interval on each of five seeds (a false alarm on any has
    probability about 5%); the power check: the interval is narrow enough to exclude an
    effect 0.1 off (a dose or thinning bug of that size fails the test).
    """
    prevented, in_service, dose = realised(service_office(), seed)
    assert dose > 0.99, "ample hours must give a full dose"
    interval = stats.binomtest(prevented, in_service).proportion_ci(0.99)
    assert interval.low <= EFFECT <= interval.high, (prevented, in_service)
    assert interval.high < EFFECT + 0.1 and interval.low > EFFECT - 0.1, "too few signals"


@pytest.mark.parametrize("seed", SEEDS)
def test_with_hours_cut_the_dose_and_the_reduction_fall(seed):
    """Two hours a day instead of seven: contacts go late and case work falls behind."""
    ample = realised(service_office(), seed)
    cut = realised(service_office(**{"workforce.hours_per_day": 2.0}), seed)
    assert cut[2] < ample[2] - 0.1, "an overloaded office delivers a smaller dose"
    assert cut[0] / cut[1] < ample[0] / ample[1] - 0.05


@pytest.mark.fast
def test_every_candidate_signal_is_prevented_caught_or_missed_exactly_once():
    scenario = service_office(
        **{"workforce.caseworkers": 4, "case_types.0.service.half_life_days": 60.0}
    )
    model = CaseloadModel(scenario, seed=7)
    seen, prevented, harmed = {}, set(), Counter()
    risk = model.risk
    watch, on_signal, on_harm = risk.watch, risk._on_signal, risk._on_harm_due

    def watching(subject, batch, i, shift):
        watch(subject, batch, i, shift)
        seen.update((id(signal), signal) for signal in subject.signals)

    def signal_event(event):
        before = model.metrics.outcomes.prevented
        on_signal(event)
        if model.metrics.outcomes.prevented > before:
            prevented.add(id(event.value))

    def harm_event(event):
        if event.value.caught_at is None:
            harmed[id(event.value)] += 1
        on_harm(event)

    risk.watch, risk._on_signal, risk._on_harm_due = watching, signal_event, harm_event
    summary = model.run().summary
    window = scenario.risk.detection_window_days
    ended = [key for key, s in seen.items() if s.time + window < scenario.horizon_days]
    assert summary.prevented > 100 and summary.caught > 100 and summary.missed > 100
    for key in ended:
        caught = seen[key].caught_at is not None
        assert caught + harmed[key] + (key in prevented) == 1
    assert summary.prevented == len(prevented)  # no warm-up: every prevention is counted


@pytest.mark.fast
def test_the_daily_series_counts_each_prevented_signal_on_its_day():
    out = sim.run_replication(service_office(), 0, 3, timeseries=True)
    assert out.summary.prevented > 100
    assert out.timeseries.prevented.sum() == out.summary.prevented  # no warm-up


@pytest.mark.fast
def test_two_staffing_levels_see_the_same_candidate_signals():
    """Common random numbers: the candidates (subject, time and the three uniforms) are the
    same; only what happened to them differs."""

    def candidates(caseworkers: int) -> tuple[set, int]:
        model = CaseloadModel(service_office(**{"workforce.caseworkers": caseworkers}), seed=5)
        found = set()
        watch = model.risk.watch

        def watching(subject, batch, i, shift):
            watch(subject, batch, i, shift)
            found.update(
                (subject.id, s.time, s.detect_draw, s.rereport_draw, s.prevent_draw)
                for s in subject.signals
            )

        model.risk.watch = watching
        return found, model.run().summary.prevented

    many, prevented_many = candidates(12)
    few, prevented_few = candidates(3)
    assert len(many) > 1000
    assert many == few
    assert prevented_many > prevented_few


@pytest.mark.fast
def test_a_signal_is_prevented_only_below_the_reduction_in_force():
    scenario = service_office()
    service = Service(scenario, sim.core.metrics.Metrics(0.0))
    subject = Subject(1, 2)
    case = a_case(contacts_due=2, contacts_on_time=2, work_done=15.0, contact_due=None)
    subject.referrals.append(case)
    case.subject = subject
    assert service.prevents(subject, EFFECT - 1e-9, 10.0)
    assert not service.prevents(subject, EFFECT + 1e-9, 10.0)
    assert not service.prevents(Subject(2, 2), 0.0, 10.0)  # nobody serves it
    assert Signal(subject, 1.0, 0.5, 0.5).prevent_draw == 1.0 > EFFECT  # never, by default
    assert math.isclose(service.reduction_for(subject, 10.0), EFFECT)
