"""Risk signals, their detection, the cause of each harm, and re-referrals."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import small_office_data
from test_contacts import contact_office

import sim
from sim.core.casetypes import build_profiles
from sim.core.referral import Referral, ReferralState, Subject
from sim.core.risk import HarmCause, Signal, harm_cause

# ---------------------------------------------------------------------- harm_cause by hand


def referral_with(history, provider_until=None):
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    subject = Subject(0, tier=2)
    referral = Referral(
        0,
        subject,
        profile,
        arrival=history[0][0],
        complexity=0,
        raw_score=0.0,
        score=0.5,
        tier=2,
        duration=30.0,
    )
    for time, state in history:
        referral.move(state, time)
    referral.provider_until = provider_until
    return subject, referral


S = ReferralState


def screened_out_then_rereferred(state: ReferralState, time: float) -> Subject:
    """A subject screened out at 0 and referred again at ``time``, moved to ``state``."""
    subject, first = referral_with([(0, S.SCREENED_OUT)])
    again = Referral(
        1,
        subject,
        first.profile,
        arrival=time,
        complexity=0,
        raw_score=1.0,
        score=0.8,
        tier=2,
        duration=30.0,
        rereferral=True,
    )
    again.move(state, time)
    return subject


def cause(history, signal_time, harm_time, attempts=0, provider_until=None):
    subject, _ = referral_with(history, provider_until)
    signal = Signal(subject, signal_time, 0.5, 0.5)
    signal.attempts = attempts
    return harm_cause(signal, harm_time)


@pytest.mark.fast
def test_cause_screened_out():
    assert cause([(0, S.SCREENED_OUT)], 5, 19) is HarmCause.SCREENED_OUT


@pytest.mark.fast
def test_cause_waitlist_when_never_assigned_in_the_window():
    assert cause([(0, S.WAITING)], 5, 19) is HarmCause.WAITLIST
    assert cause([(0, S.WAITING), (30, S.OPEN)], 5, 19) is HarmCause.WAITLIST


@pytest.mark.fast
def test_cause_no_contact_when_a_worker_held_the_case():
    assert cause([(0, S.WAITING), (10, S.OPEN)], 5, 19) is HarmCause.NO_CONTACT
    assert cause([(0, S.OPEN), (10, S.CLOSED)], 5, 19) is HarmCause.NO_CONTACT


@pytest.mark.fast
def test_each_state_lasts_until_the_next_one():
    """Waiting from 0 to 2 ends before the signal at 5; open from 2 to 8 is the gap the
    harm fell in (no contact), not the waiting list; closed from 8 on comes after it."""
    history = [(0, S.WAITING), (2, S.OPEN), (8, S.CLOSED)]
    assert cause(history, 5, 19) is HarmCause.NO_CONTACT
    # an instant open (assigned and put back to wait at 6) holds nobody: the waiting list
    history = [(0, S.WAITING), (6, S.OPEN), (6, S.WAITING), (30, S.OPEN)]
    assert cause(history, 5, 19) is HarmCause.WAITLIST
    # the signal's window is open at its start and closed at the harm: a state that ends
    # as the signal begins does not hold it, one that begins as the harm happens does
    assert cause([(0, S.OPEN), (5, S.CLOSED)], 5, 19) is HarmCause.AFTER_CLOSURE
    assert cause([(0, S.WAITING), (19, S.OPEN)], 5, 19) is HarmCause.NO_CONTACT


@pytest.mark.fast
def test_only_the_time_with_the_provider_is_sent_out():
    """Waiting from 0 to 8, then with a provider until 30: the harm at 19 is the waiting
    list's (it comes first), not the provider's; a re-referral sent out at the harm's very
    instant holds it (after a screen-out, the provider's)."""
    history = [(0, S.WAITING), (8, S.SENT_OUT)]
    assert cause(history, 5, 19, provider_until=30) is HarmCause.WAITLIST
    subject = screened_out_then_rereferred(S.SENT_OUT, 19)
    subject.current.provider_until = 40
    assert harm_cause(Signal(subject, 5, 0.5, 0.5), 19) is HarmCause.SENT_OUT


@pytest.mark.fast
def test_cause_not_detected_when_a_contact_looked():
    assert cause([(0, S.OPEN)], 5, 19, attempts=1) is HarmCause.NOT_DETECTED


@pytest.mark.fast
def test_cause_after_closure():
    assert cause([(0, S.OPEN), (3, S.CLOSED)], 5, 19) is HarmCause.AFTER_CLOSURE


@pytest.mark.fast
def test_cause_sent_out_while_with_the_provider_then_after_closure():
    assert cause([(0, S.SENT_OUT)], 5, 19, provider_until=30) is HarmCause.SENT_OUT
    assert cause([(0, S.SENT_OUT)], 40, 54, provider_until=30) is HarmCause.AFTER_CLOSURE
    # A signal beginning the moment the provider's service ends is after it.
    assert cause([(0, S.SENT_OUT)], 30, 44, provider_until=30) is HarmCause.AFTER_CLOSURE


@pytest.mark.fast
def test_zero_length_states_do_not_count():
    # Opened and assigned at the same instant: never on the waiting list.
    history = [(0, S.WAITING), (0, S.OPEN), (2, S.CLOSED)]
    assert cause(history, 5, 19) is HarmCause.AFTER_CLOSURE


@pytest.mark.fast
def test_cause_follows_the_subject_to_a_re_referral():
    subject = screened_out_then_rereferred(S.WAITING, 6)
    signal = Signal(subject, 5, 0.5, 0.5)
    assert harm_cause(signal, 19) is HarmCause.WAITLIST


# ---------------------------------------------------------------------- causes in runs


def test_no_detection_makes_every_harm_in_an_open_case_not_detected():
    scenario = contact_office(
        **{"caps.count": 1, "workforce.caseworkers": 120, "risk.detection_probability": 0.0}
    )
    rows = sim.run(scenario, replications=2, seed=1).replications
    assert (rows["caught"] == 0).all()
    assert (rows["missed"] > 100).all()
    assert (rows["missed"] == rows["missed_not_detected"]).all()


def test_certain_detection_with_daily_contacts_catches_every_signal():
    scenario = contact_office(
        **{
            "caps.count": 1,
            "workforce.caseworkers": 120,
            "risk.detection_probability": 1.0,
            "case_types.0.contacts.every_days": 1.0,
        }
    )
    rows = sim.run(scenario, replications=2, seed=1).replications
    assert (rows["missed"] == 0).all()
    assert (rows["caught"] > 100).all()


def test_rare_contacts_leave_risk_missed_for_lack_of_contact():
    weekly = contact_office(**{"caps.count": 1, "workforce.caseworkers": 120})
    monthly = contact_office(
        **{"caps.count": 1, "workforce.caseworkers": 120, "case_types.0.contacts.every_days": 30.0}
    )
    w = sim.run(weekly, replications=2, seed=1).replications
    m = sim.run(monthly, replications=2, seed=1).replications
    assert (w["missed_no_contact"] == 0).all()
    assert (m["missed_no_contact"] > 20).all()
    assert (m["caught"] < w["caught"]).all()


@pytest.mark.fast
def test_a_full_office_misses_risk_on_the_waiting_list():
    scenario = contact_office(**{"caps.count": 2, "workforce.caseworkers": 4})
    rows = sim.run(scenario, replications=2, seed=1).replications
    assert (rows["waiting_mean"] > 20).all()
    assert (rows["missed_waitlist"] > rows["missed_no_contact"]).all()
    assert (rows["missed_waitlist"] > 50).all()


@pytest.mark.fast
def test_external_providers_catch_with_their_own_probability():
    base = {
        "caps.count": 2,
        "workforce.caseworkers": 4,
        "caps.overflow": "external",
        "caps.external_cost_per_case": 250.0,
    }
    blind = contact_office(**base, **{"caps.external_detection_probability": 0.0})
    sharp = contact_office(**base, **{"caps.external_detection_probability": 1.0})
    b = sim.run(blind, replications=2, seed=1).replications
    s = sim.run(sharp, replications=2, seed=1).replications
    assert (b["sent_out"] > 100).all()
    assert (b["external_cost"] == 250.0 * b["sent_out"]).all()
    assert (b["missed_sent_out"] > 20).all()
    assert (s["missed_sent_out"] == 0).all()
    assert (s["caught"] > b["caught"]).all()


def test_risk_after_closure_counts_as_after_closure():
    short_cases = contact_office(
        **{"caps.count": 1, "workforce.caseworkers": 120, "risk.window_days": 200.0}
    )
    rows = sim.run(short_cases, replications=2, seed=1).replications
    assert (rows["missed_after_closure"] > 50).all()


# ---------------------------------------------------------------------- re-referrals


@pytest.mark.fast
def test_screened_out_referrals_come_back_with_a_higher_score():
    data = small_office_data(
        **{"risk.rereport_probability": 1.0, "intake.threshold": 0.6, "warmup_days": 0.0}
    )
    out = sim.run_replication(sim.validate_scenario(data), seed=3, records=True)
    records = out.records
    again = records[records.rereferral]
    assert len(again) > 20
    for subject, group in records.groupby("subject"):
        group = group.sort_values("arrival")
        if len(group) > 1:
            assert group.score.is_monotonic_increasing, subject
            assert not group.rereferral.iloc[0] and group.rereferral.iloc[1:].all()
            assert (group.state.iloc[:-1].isin(["screened_out", "closed", "sent_out"])).all()


@pytest.mark.fast
def test_no_rereports_without_rereport_probability():
    data = small_office_data(**{"risk.rereport_probability": 0.0})
    rows = sim.run(sim.validate_scenario(data), replications=2, seed=3).replications
    assert (rows["rereferrals"] == 0).all()


@pytest.mark.fast
def test_rereports_escalate_waiting_cases():
    data = small_office_data(
        **{"risk.rereport_probability": 1.0, "workforce.caseworkers": 2, "caps.count": 5}
    )
    model = sim.CaseloadModel(sim.validate_scenario(data), seed=2, records=True)
    model.run()
    escalated = [r for r in model.referrals if r.escalations]
    assert len(escalated) > 5
    for referral in escalated:
        tool = referral.profile.screening
        original = referral.raw_score - referral.escalations * 1.0
        assert referral.score > tool.percentile(original)


def test_rereports_raise_the_referral_count_but_not_first_reports():
    quiet = sim.validate_scenario(small_office_data(**{"risk.rereport_probability": 0.0}))
    loud = sim.validate_scenario(small_office_data(**{"risk.rereport_probability": 1.0}))
    q = sim.run(quiet, replications=2, seed=6).replications
    lo = sim.run(loud, replications=2, seed=6).replications
    assert (q["referrals"] == lo["referrals"]).all()
    assert (lo["rereferrals"] > 0).all()
    # Re-reported screen-outs get a second chance: fewer of their harms are screened_out.
    assert (lo["missed_screened_out"] < q["missed_screened_out"]).all()


@pytest.mark.fast
def test_a_records_harms_are_the_harms_to_its_subject_while_it_was_open():
    """Counted from the harm events themselves: a missed signal's harm falls on the case
    open about the subject at that moment, if any."""
    scenario = sim.validate_scenario(
        small_office_data(
            **{"risk.detection_probability": 0.2, "risk.tiers.2.signals_per_year": 12.0}
        )
    )
    model = sim.CaseloadModel(scenario, seed=5, records=True)
    on_harm, expected = model.risk._on_harm_due, Counter()

    def harm(event):
        signal = event.value
        current = signal.subject.current
        if signal.caught_at is None and current.state is ReferralState.OPEN:
            expected[current.id] += 1
        on_harm(event)

    model.risk._on_harm_due = harm
    records = model.run().records.set_index("id")
    assert max(expected.values()) >= 2
    assert records.harms[records.harms > 0].to_dict() == dict(expected)


@pytest.mark.fast
def test_a_subject_sent_out_is_re_referred_only_after_the_providers_service():
    """While an external provider serves the case, a signal is its business (caught or
    not); after the service ends, a signal re-reports the subject as for a closed case."""
    scenario = sim.validate_scenario(
        small_office_data(
            **{
                "caps.count": 3,
                "caps.overflow": "external",
                "caps.external_detection_probability": 0.0,
                "risk.rereport_probability": 1.0,
                "risk.tiers.2.signals_per_year": 8.0,
            }
        )
    )
    model = sim.CaseloadModel(scenario, seed=3, records=True)
    model.run()
    rereferred: dict[int, list[float]] = {}
    for referral in model.referrals:
        if referral.rereferral:
            rereferred.setdefault(referral.subject.id, []).append(referral.arrival)
    during = after = 0
    for sent in (r for r in model.referrals if r.provider_until is not None):
        for arrival in rereferred.get(sent.subject.id, []):
            during += sent.arrival < arrival < sent.provider_until
            after += arrival >= sent.provider_until
    assert during == 0 and after > 20
