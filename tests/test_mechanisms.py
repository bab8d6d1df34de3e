"""The model's mechanisms, each pinned down by a test aimed at it.

- Detection: every contact inside a signal's detection window is an independent attempt,
  so with ``k`` contacts in the window a share ``1 - (1 - p)^k`` of signals is caught.
- Same-day first contact: a case assigned in working hours, to a worker with the hours,
  gets its first contact at once; otherwise at the start of the next working day.
- Re-tiering: an escalation that lifts a waiting case's score into a higher tier's band
  gives it that tier (and that tier's weight and contacts).
- The contact calendar: when recurring contacts fall due, on time, late and missed.
- Work ahead: hours left at the end of the day go to case work, earliest closure first.
- A working day by hand: the backlog and the case work due, missed contacts, a contact that
  does not fit (or is longer than the day), a case closed mid-day, overtime, a day too long to
  start at 09:00, and a same-day first contact's hours and time.

Durations (each distribution against scipy's) are in tests/test_durations.py.

Statistical checks follow tests/statistics_checks.py: five seeds, level ALPHA per seed,
and power against an effect of the size that matters.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from conftest import a_referral, small_office_data
from scipy import stats
from statistics_checks import (
    ALPHA,
    POWER,
    SEEDS,
    binomial_power,
    binomial_region,
    mean_interval,
    t_power,
)

import sim
from sim.core.casetypes import build_profiles
from sim.core.model import CaseloadModel
from sim.core.referral import Referral
from sim.core.risk import Signal
from sim.core.work import (
    deadline_first,
    respond_now,
    roll_missed_contacts,
    schedule_next_contact,
    work_ahead,
    work_day,
)
from sim.core.workforce import Worker

pytestmark = pytest.mark.fast

WORKDAY_START = 9 / 24


def watched(scenario: sim.Scenario, seed: int) -> tuple[CaseloadModel, dict, list]:
    """A model whose contacts (by subject) and signals are recorded as they happen."""
    model = CaseloadModel(scenario, seed=seed, records=True)
    contacts: dict[int, list[float]] = defaultdict(list)
    signals: list = []
    on_contact, on_signal = model.days.on_contact, model.risk._on_signal

    def contact(case, time):
        contacts[case.subject.id].append(time)
        on_contact(case, time)

    def signal(event):
        signals.append(event.value)
        on_signal(event)

    model.days.on_contact, model.risk._on_signal = contact, signal
    return model, contacts, signals


# --------------------------------------------------------------------------- detection

P = 0.25


def detection_office() -> sim.Scenario:
    """Every case assigned at once and contacted every 6, 3 or 1 days (by assessed tier)
    with hours to spare; signals only while the case is open; a 6-day detection window,
    so signals meet 1, 2 or 6 contacts."""
    data = small_office_data(
        **{
            "horizon_days": 300.0,
            "warmup_days": 30.0,
            "risk.window_days": 20.0,
            "risk.detection_window_days": 6.0,
            "risk.detection_probability": P,
            "risk.rereport_probability": 0.0,
            "risk.tiers": [
                {"name": "low", "signals_per_year": 40.0},
                {"name": "medium", "signals_per_year": 40.0},
                {"name": "high", "signals_per_year": 40.0},
            ],
            "intake.threshold": 0.0,
            "case_types.0.arrivals.rate_per_year": 1500.0,
            "case_types.0.duration": {"distribution": "fixed", "value": 30.0},
            "case_types.0.work_hours": 0.0,
            "case_types.0.first_contact": {"deadline_days": 1.0, "hours": 1.0},
            "case_types.0.contacts": {
                "every_days": {"low": 6, "medium": 3, "high": 1},
                "hours": 0.2,
            },
            "caps.count": 10,
            "workforce.caseworkers": 16,
            "workforce.working_days_per_week": 7,
            "workforce.hours_per_day": 8.0,
        }
    )
    return sim.validate_scenario(data)


def caught_share(k: int, p: float = P, repeat: float | None = None) -> float:
    """Share caught with ``k`` independent attempts (later ones at ``repeat`` if given)."""
    later = p if repeat is None else repeat
    return 1.0 - (1.0 - p) * (1.0 - later) ** (k - 1) if k else 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_each_contact_in_the_window_is_an_independent_detection_attempt(seed):
    scenario = detection_office()
    model, contacts, signals = watched(scenario, seed)
    summary = model.run().summary
    window, start = scenario.risk.detection_window_days, scenario.warmup_days
    by_k: dict[int, list[bool]] = defaultdict(list)
    for signal in signals:
        if signal.time + window < scenario.horizon_days:
            k = sum(signal.time < c <= signal.time + window for c in contacts[signal.subject.id])
            by_k[k].append(signal.caught_at is not None)
    groups = {k: caught for k, caught in by_k.items() if len(caught) >= 200}
    assert set(groups) == {1, 2, 6}, {k: len(v) for k, v in by_k.items()}
    alpha = ALPHA / len(groups)
    miss_alternative = 1.0
    for k, caught in groups.items():
        low, high = binomial_region(len(caught), caught_share(k), alpha)
        assert low <= sum(caught) <= high, (k, len(caught), sum(caught) / len(caught))
        # Power: repeat attempts half as good as the first would fail the check.
        alternative = caught_share(k, repeat=P / 2)
        miss_alternative *= 1.0 - binomial_power(len(caught), caught_share(k), alternative, alpha)
    assert 1.0 - miss_alternative >= POWER
    # The summary counts the same signals: caught, and missed by a contact that looked.
    assert summary.caught == sum(s.caught_at is not None and s.caught_at >= start for s in signals)
    harmed = [s.time + window for s in signals if s.caught_at is None and s.attempts]
    assert summary.missed_not_detected == sum(start <= t < scenario.horizon_days for t in harmed)


def a_held_case(scenario: sim.Scenario, signal_times: list[float], draws: list[float]):
    """A case held by an experienced worker, its subject carrying signals with these
    times and first-attempt uniforms."""
    profile = build_profiles(scenario)[0]
    case = a_referral(profile)
    subject = case.subject
    case.worker = Worker(0, 7.0, None, None)
    subject.signals = [Signal(subject, t, d, 0.5) for t, d in zip(signal_times, draws, strict=True)]
    return case


def test_a_signals_first_attempt_is_decided_by_the_uniform_drawn_with_it():
    """The same uniform in every scenario run on the seed (common random numbers): caught at
    the first attempt exactly when it is below the detection probability."""
    model = CaseloadModel(detection_office(), seed=1)
    draws = np.linspace(0.01, 0.99, 50)
    case = a_held_case(model.scenario, [10.0] * 50, list(draws))
    model.risk.look_for_signals(case, 12.0)
    caught = [signal.caught_at == 12.0 for signal in case.subject.signals]
    assert caught == list(draws < P)
    assert all(signal.attempts == 1 for signal in case.subject.signals)


def test_a_contact_looks_at_signals_before_it_up_to_the_end_of_their_window():
    """Window 6 days: a contact at 16 looks at a signal of day 10, one just after does not;
    nor does a contact look at a signal at its own time or later."""
    model = CaseloadModel(detection_office(), seed=1)
    case = a_held_case(model.scenario, [10.0, 16.0], [0.99, 0.99])
    model.risk.look_for_signals(case, 16.0)
    assert [signal.attempts for signal in case.subject.signals] == [1, 0]
    late = a_held_case(model.scenario, [10.0], [0.99])
    model.risk.look_for_signals(late, 16.0 + 1e-9)
    assert late.subject.signals[0].attempts == 0


def lowered_detection_office() -> sim.Scenario:
    """Strain, a novice's ramp, a supervisor short of a full span and continuity all on:
    one supervisor with a span of 3 for 6 caseworkers covers half of them."""
    data = small_office_data(
        **{
            "risk.detection_probability": 0.8,
            "workforce.supervisors": 1,
            "supervision": {"span": 3, "detection_penalty": 0.3},
            "strain": {"burnout_threshold": 0.8, "tolerance_spread": 0.5, "detection_loss": 0.4},
            "hiring": {"experience_days": 200.0, "novice_detection": 0.6},
            "turnover": {"continuity_days": 30.0, "continuity_detection": 0.7},
        }
    )
    return sim.validate_scenario(data)


@pytest.mark.parametrize(
    ("strain", "tenure", "since_transfer", "expected"),
    [
        # 0.8 * (1 - 0.4 * burned out) * (0.6 + 0.4 * min(tenure / 200, 1)) * (1 - 0.3 * 0.5)
        #     * (0.7 within 30 days of a transfer)
        (0.0, 400.0, None, 0.8 * 1.0 * 1.0 * 0.85),
        (0.8, 400.0, None, 0.8 * (1 - 0.4 * 0.5) * 1.0 * 0.85),  # half burned out at the median
        (0.0, 50.0, None, 0.8 * 1.0 * (0.6 + 0.4 * 0.25) * 0.85),
        (0.0, 400.0, 10.0, 0.8 * 1.0 * 1.0 * 0.85 * 0.7),
        (0.0, 400.0, 30.0, 0.8 * 1.0 * 1.0 * 0.85),  # continuity restored after 30 days
        (1.5, 120.0, 29.0, None),  # all four at once: from scipy's lognormal below
    ],
)
def test_the_detection_probability_is_lowered_by_strain_experience_supervision_and_continuity(
    strain, tenure, since_transfer, expected
):
    scenario = lowered_detection_office()
    model = CaseloadModel(scenario, seed=1)
    now = 500.0
    worker = Worker(99, 7.0, None, None, hired_at=now - tenure, ready_at=now - tenure)
    worker.strain = strain
    profile = build_profiles(scenario)[0]
    case = a_referral(profile)
    case.worker = worker
    case.transferred_at = None if since_transfer is None else now - since_transfer
    if expected is None:
        burned_out = stats.lognorm.cdf(strain, 0.5, scale=0.8)  # tolerance: median 0.8, log-sd 0.5
        expected = 0.8 * (1 - 0.4 * burned_out) * (0.6 + 0.4 * 120 / 200) * 0.85 * 0.7
    assert model.risk.detection_probability(case, now) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------- same-day first contact

FIRST_CONTACT_HOURS = 1.0
LAST_SAME_DAY = 17 / 24 - FIRST_CONTACT_HOURS / 24
"""The last moment a one-hour first contact fits in a 09:00-17:00 working day."""


def first_contact_office() -> sim.Scenario:
    """One case per worker, plenty of workers, a first contact and nothing else to do."""
    data = small_office_data(
        **{
            "horizon_days": 200.0,
            "warmup_days": 20.0,
            "intake.threshold": 0.0,
            "case_types.0.arrivals.rate_per_year": 2500.0,
            "case_types.0.duration": {"distribution": "fixed", "value": 10.0},
            "case_types.0.work_hours": 0.0,
            "case_types.0.first_contact": {"deadline_days": 1.0, "hours": FIRST_CONTACT_HOURS},
            "case_types.0.contacts": None,
            "caps.count": 1,
            "workforce.caseworkers": 110,
            "workforce.working_days_per_week": 7,
            "workforce.hours_per_day": 8.0,
        }
    )
    return sim.validate_scenario(data)


def expected_first_contact(assigned_at: float) -> float:
    """At once in working hours if the contact fits; else at 09:00 that day or the next."""
    day, hour = math.floor(assigned_at), assigned_at % 1.0
    if WORKDAY_START <= hour <= LAST_SAME_DAY:
        return assigned_at
    return day + WORKDAY_START if hour < WORKDAY_START else day + 1 + WORKDAY_START


def first_contact_delay_mean() -> float:
    """Mean delay for arrivals spread evenly over the day: ``a = 09:00``, ``b`` the last
    same-day moment: ``int_0^a (a - u) du + int_b^1 (1 + a - u) du``."""
    a, b = WORKDAY_START, LAST_SAME_DAY
    return a * a / 2 + (1 - b) * (1 + a) - (1 - b * b) / 2


@pytest.mark.parametrize("seed", SEEDS)
def test_a_case_assigned_in_working_hours_gets_its_first_contact_the_same_day(seed):
    scenario = first_contact_office()
    out = sim.run_replication(scenario, 0, seed, records=True)
    r = out.records[out.records.assigned_at.notna()]
    assert (r.assigned_at == r.arrival).all()  # nobody waits for a worker
    r = r[r.assigned_at < scenario.horizon_days - 1]
    expected = r.assigned_at.map(expected_first_contact)
    np.testing.assert_allclose(r.first_contact_at, expected, rtol=0, atol=1e-9)
    same_day = (r.first_contact_at == r.assigned_at).mean()
    assert 0.25 < same_day < 0.35  # 7 of the day's 24 hours

    # The mean delay against its known value, and a 20% error would show.
    made = out.records[out.records.first_contact_at >= scenario.warmup_days]
    delays = made.first_contact_at - made.arrival
    low, high = mean_interval(delays)
    assert low <= first_contact_delay_mean() <= high
    assert t_power(len(delays), delays.std(), 0.2 * first_contact_delay_mean()) >= POWER
    assert out.summary.first_contact_mean_days == pytest.approx(delays.mean())


# --------------------------------------------------------------------------- re-tiering


@pytest.mark.parametrize("seed", SEEDS)
def test_an_escalation_re_tiers_a_waiting_case(seed):
    """Each escalation raises the raw score by the boost; the case then takes the tier
    whose band holds its new score, with that tier's weight. (The first-contact deadline
    stays the one set on arrival: a documented limit.)"""
    data = small_office_data(
        **{
            "risk.rereport_probability": 1.0,
            "workforce.caseworkers": 2,
            "caps.count": 5,
            "case_types.0.first_contact.deadline_days": {"low": 9, "medium": 5, "high": 2},
            "case_types.0.weight": {"low": 1.0, "medium": 2.0, "high": 3.0},
        }
    )
    scenario = sim.validate_scenario(data)
    model = CaseloadModel(scenario, seed=seed, records=True)
    model.run()
    tool = model.profiles[0].screening
    deadlines = {0: 9.0, 1: 5.0, 2: 2.0}
    retiered = 0
    for referral in model.referrals:
        if referral.state.value == "screened_out":
            continue
        raw_on_arrival = referral.raw_score - referral.escalations * 1.0
        tier_on_arrival = tool.assessed_tier(tool.percentile(raw_on_arrival))
        assert referral.score == pytest.approx(tool.percentile(referral.raw_score), abs=1e-12)
        assert referral.tier == tool.assessed_tier(referral.score) >= tier_on_arrival
        assert referral.weight == 1.0 + referral.tier
        assert referral.first_contact_due == referral.arrival + deadlines[tier_on_arrival]
        retiered += referral.tier > tier_on_arrival
    assert retiered >= 10, "the scenario must re-tier some escalated cases"


# --------------------------------------------------------------------------- the contact calendar


def a_case(**changes) -> Referral:
    """A real referral of the small office's case type (contacts every 14/10/7 days)."""
    profile = build_profiles(sim.validate_scenario(small_office_data(**changes)))[0]
    case = a_referral(profile, tier=2, arrival=3.2)
    case.assigned_at = 3.2
    return case


def test_the_contact_calendar_by_hand():
    case = a_case()  # assessed tier 2 ("high"): every 7 days
    case.contact_first = True
    case.contact_due = 4.0
    schedule_next_contact(case, 3.5)  # the first contact, on day 3
    assert (case.contact_first, case.contact_due, case.contact_eligible) == (False, 11.0, 4.0)
    schedule_next_contact(case, 4.4)  # on time: the calendar is kept
    assert (case.contact_due, case.contact_eligible) == (18.0, 11.0)
    schedule_next_contact(case, 17.9)  # on time, on its last day
    assert (case.contact_due, case.contact_eligible) == (25.0, 18.0)
    schedule_next_contact(case, 26.5)  # late: the calendar restarts from day 26
    assert (case.contact_due, case.contact_eligible) == (34.0, 27.0)
    # Not made within one further period: missed, and the next falls due.
    assert roll_missed_contacts(case, 40.9) == 0 and case.contact_due == 34.0
    assert roll_missed_contacts(case, 41.0) == 1 and case.contact_due == 41.0
    assert roll_missed_contacts(case, 62.0) == 3 and case.contact_due == 62.0
    # At the very moment it falls due (midnight) a contact is on time; the next is eligible
    # from the next day.
    exact = a_case()
    exact.contact_due = 25.0
    schedule_next_contact(exact, 25.0)
    assert (exact.contact_due, exact.contact_eligible) == (32.0, 26.0)


def test_contacts_start_from_assignment_without_a_first_contact():
    case = a_case(**{"case_types.0.first_contact": None})
    schedule_next_contact(case, None)
    assert (case.contact_due, case.contact_eligible) == (3.0 + 7.0 + 1.0, 4.0)
    case.tier = 0  # "low": every 14 days
    schedule_next_contact(case, 5.5)
    assert (case.contact_due, case.contact_eligible) == (25.0, 11.0)


def test_no_recurring_contacts_without_a_contacts_block():
    case = a_case(**{"case_types.0.contacts": None})
    case.contact_first, case.contact_due = True, 4.0
    schedule_next_contact(case, 3.5)
    assert case.contact_due is None and case.contact_first is False
    assert roll_missed_contacts(case, 100.0) == 0


EVERY = {0: 14, 1: 10, 2: 7}


@pytest.mark.parametrize("seed", SEEDS)
def test_with_hours_to_spare_contacts_follow_the_calendar_to_the_day(seed):
    """A worker with time makes each contact on the first day of its period: the first
    contact on day D, then days D + 1, D + 1 + k, D + 1 + 2k, ... (k by assessed tier)."""
    data = small_office_data(
        **{
            "horizon_days": 200.0,
            "warmup_days": 30.0,
            "risk.rereport_probability": 0.0,
            "case_types.0.work_hours": 0.0,
            "caps.count": 3,
            "workforce.caseworkers": 30,
            "workforce.working_days_per_week": 7,
        }
    )
    scenario = sim.validate_scenario(data)
    model, contacts, _ = watched(scenario, seed)
    summary = model.run().summary
    checked = 0
    for r in model.referrals:
        if r.assigned_at is None:
            continue
        made = [math.floor(t) for t in contacts[r.subject.id]]
        end = r.closed_at if r.closed_at is not None else scenario.horizon_days
        first = made[0] if made else None
        due = [first, *range(first + 1, math.ceil(end), EVERY[r.tier])] if made else []
        # The last day may be cut short by the closure (or the stop) before 09:00 ends.
        assert made == due or made == due[:-1], (r.id, made, due)
        checked += len(made) > 3
    assert checked > 50  # cases with several recurring contacts (102 to 123 on seeds 1-5)
    assert summary.contacts_on_time == summary.contacts_due > 0
    assert summary.contacts_late == summary.contacts_missed == 0
    in_window = sum(t >= scenario.warmup_days for times in contacts.values() for t in times)
    assert summary.contacts_done == in_window
    # Every recurring contact (all but each subject's first) in the window was on time.
    recurring = sum(t >= scenario.warmup_days for times in contacts.values() for t in times[1:])
    assert summary.contacts_on_time == recurring


# --------------------------------------------------------------------------- work ahead


class Done:
    """A work context recording when each case's work was finished."""

    def __init__(self) -> None:
        self.finished: list[tuple[int, float]] = []

    def on_casework_done(self, case: Referral, time: float) -> None:
        self.finished.append((case.id, time))


def worker_with(cases: list[tuple[float, float, float]]) -> tuple[Worker, list[Referral]]:
    """A worker holding cases of ``(planned_close, work_total, work_done)``."""
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    worker = Worker(0, 7.0, None, None)
    held = []
    for i, (close, total, done) in enumerate(cases):
        case = a_referral(profile, i)
        case.planned_close, case.work_total, case.work_done = close, total, done
        worker.take(case)
        held.append(case)
    return worker, held


class Day(Done):
    """A work context recording contacts and missed contacts as well."""

    def __init__(self) -> None:
        super().__init__()
        self.contacts: list[tuple[int, float]] = []

    def on_contact(self, case: Referral, time: float) -> None:
        self.contacts.append((case.id, time))

    def on_missed_contacts(self, case: Referral, count: int) -> None:
        raise AssertionError("no contact is missed in this day")


def long_contact_profile():
    """The small office's case type, its recurring contacts taking 6.5 hours each."""
    data = small_office_data(**{"case_types.0.contacts.hours": 6.5})
    return build_profiles(sim.validate_scenario(data))[0]


def held_case(profile, id: int, **attributes) -> Referral:
    """A high-tier case with the given attributes (``assigned_at``, ``work_total``, ...)."""
    case = a_referral(profile, id, tier=2)
    for name, value in attributes.items():
        setattr(case, name, value)
    return case


def work_a_day(cases, day: int = 10, context: Day | None = None, hours: float = 7.0, **options):
    """A worker of ``hours`` a day holding ``cases`` works day ``day`` by deadline first, its
    previous working day begun at 09:00 the day before; ``options`` go to ``work_day``.
    Returns the day's work, the context (a new ``Day`` by default) and the worker."""
    worker = Worker(0, hours, None, None)
    for case in cases:
        worker.take(case)
    worker.last_day_start = day - 1 + WORKDAY_START
    context = Day() if context is None else context
    return work_day(worker, day, deadline_first, context, **options), context, worker


def contact_due_on_day_10(profile) -> Referral:
    """Case A: a recurring contact due at the start of day 10, no case work."""
    return held_case(
        profile, 0, contact_due=10.0, contact_eligible=9.0, work_total=0.0, assigned_at=2.0
    )


def overdue_case_work(profile, hours: float) -> Referral:
    """Case 1: ``hours`` of case work, none done, all overdue (its planned closure day 5)."""
    return held_case(
        profile,
        1,
        assigned_at=0.0,
        duration=5.0,
        planned_close=5.0,
        work_total=hours,
        work_done=0.0,
    )


def test_a_working_day_by_hand():
    """Day 10, 7 hours, deadline first: a 6.5-hour contact due at the day's start, then the
    case work due by the day's end, earliest planned closure first, in the half hour left.
    Case B (10 hours over 10 days from day 5, 4.5 done): 0.5 overdue, 1.5 due. Case C
    (3 hours over 6 days from day 8): 1.0 overdue, 1.5 due. The load offered since the last
    day's start: a day of each case's contacts (6.5 hours every 7 days) and case work (B 1
    hour, C half an hour), and a quarter hour from a case closed since."""
    profile = long_contact_profile()
    worker = Worker(0, 7.0, None, None)
    a = contact_due_on_day_10(profile)
    b = held_case(
        profile,
        1,
        assigned_at=5.0,
        duration=10.0,
        planned_close=15.0,
        work_total=10.0,
        work_done=4.5,
    )
    c = held_case(
        profile, 2, assigned_at=8.0, duration=6.0, planned_close=14.0, work_total=3.0, work_done=0.0
    )
    for case in (a, b, c):
        worker.take(case)
    worker.last_day_start, worker.closed_load = 9.0 + WORKDAY_START, 0.25
    day = Day()
    work = work_day(worker, 10, deadline_first, day)
    assert work.new == pytest.approx(3 * 6.5 / 7 + 1.0 + 0.5 + 0.25)
    assert worker.closed_load == 0.0 and worker.last_day_start == 10.0 + WORKDAY_START
    assert day.contacts == [(a.id, 10.0 + WORKDAY_START)]
    assert c.work_done == pytest.approx(0.5) and b.work_done == 4.5
    assert work.backlog == pytest.approx(6.5 + 0.5 + 1.0)
    assert work.casework == pytest.approx(1.5 + 1.5)
    assert (work.available, work.overtime, worker.hours_left) == (7.0, 0.0, 0.0)


def test_a_day_too_long_to_start_at_nine_starts_early_enough_to_end_by_midnight():
    """12 hours and 4 of overtime cannot start at 09:00 and end by midnight: the day starts at
    08:00 and the contact due is made then; 7 hours and 4 of overtime start at 09:00."""
    profile = long_contact_profile()
    for hours, begins in ((12.0, 8 / 24), (7.0, WORKDAY_START)):
        _, day, _ = work_a_day([contact_due_on_day_10(profile)], hours=hours, overtime=4.0)
        assert day.contacts == [(0, pytest.approx(10.0 + begins))]


class Missed(Day):
    """A work context recording missed contacts too."""

    def __init__(self) -> None:
        super().__init__()
        self.missed: list[tuple[int, int]] = []

    def on_missed_contacts(self, case: Referral, count: int) -> None:
        self.missed.append((case.id, count))


def test_missed_contacts_are_counted_and_every_contact_due_is_in_the_backlog():
    """Day 20, contacts every 7 days at the high tier. Case 0's contact was due on day 2: the
    periods ending on days 9 and 16 passed with none, so 2 are missed and it is now due on day
    16. Case 1's is due on day 20 itself. Both are in the backlog, and both are made."""
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    assert profile.contact_every[2] == 7
    due = {"work_total": 0.0, "assigned_at": 0.0}
    late = held_case(profile, 0, contact_due=2.0, contact_eligible=1.0, **due)
    today = held_case(profile, 1, contact_due=20.0, contact_eligible=19.0, **due)
    work, day, _ = work_a_day([late, today], day=20, context=Missed())
    assert day.missed == [(0, 2)] and late.contact_due == 16.0
    assert work.backlog == pytest.approx(2 * profile.contact_hours[2])
    assert [case for case, _ in day.contacts] == [0, 1]


def test_case_work_done_ahead_is_not_a_negative_backlog():
    """Day 5 of a case's 10 hours over 10 days, 5.5 done: half an hour ahead of what had
    accrued by the day's start, so nothing overdue (not -0.5), and half an hour due today."""
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    case = held_case(
        profile,
        0,
        assigned_at=0.0,
        duration=10.0,
        planned_close=10.0,
        work_total=10.0,
        work_done=5.5,
    )
    work, _, _ = work_a_day([case], day=5)
    assert (work.backlog, work.casework) == (0.0, pytest.approx(0.5))
    assert case.work_done == pytest.approx(6.0)


class Closing(Day):
    """A work context that closes a case when its case work is done (its planned closure
    has passed), as the caseload does."""

    def on_casework_done(self, case: Referral, time: float) -> None:
        super().on_casework_done(case, time)
        case.worker.release(case)


def test_a_case_closed_during_the_day_loses_its_other_tasks_and_no_one_else_does():
    """Day 10, deadline first: case A's overdue case work (planned closure day 5) finishes and
    closes it; A's contact due on day 11 is skipped, and case B's due on day 12 is still made."""
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    a = held_case(profile, 0, assigned_at=0.0, duration=5.0, planned_close=5.0, work_total=2.0)
    a.contact_due, a.contact_eligible = 11.0, 9.0
    b = held_case(
        profile, 1, contact_due=12.0, contact_eligible=9.0, work_total=0.0, assigned_at=2.0
    )
    _, day, _ = work_a_day([a, b], context=Closing())
    assert [case for case, _ in day.finished] == [0] and a.worker is None
    assert [case for case, _ in day.contacts] == [1]


def test_a_contact_longer_than_the_whole_day_is_made_on_a_fresh_day():
    """An 8-hour contact in a 7-hour day would never fit: on a day with nothing done before
    it, it is made, and takes the whole day; after an hour of case work, it waits."""
    data = small_office_data(**{"case_types.0.contacts.hours": 8.0})
    profile = build_profiles(sim.validate_scenario(data))[0]
    _, day, worker = work_a_day([contact_due_on_day_10(profile)])
    assert day.contacts == [(0, 10.0 + WORKDAY_START)] and worker.hours_left == 0.0

    _, day, worker = work_a_day([contact_due_on_day_10(profile), overdue_case_work(profile, 1.0)])
    assert day.contacts == [] and day.finished == [(1, pytest.approx(10.0 + 10 / 24))]
    assert worker.hours_left == pytest.approx(6.0)


def test_two_contacts_that_fill_the_day_exactly_are_both_made():
    """Two 3.5-hour contacts due on day 10 in a 7-hour day: the second fits the hours left
    exactly, so both are made, the second 3.5 hours into the day."""
    data = small_office_data(**{"case_types.0.contacts.hours": 3.5})
    profile = build_profiles(sim.validate_scenario(data))[0]
    due = {"contact_due": 10.0, "contact_eligible": 9.0, "work_total": 0.0, "assigned_at": 2.0}
    _, day, worker = work_a_day([held_case(profile, id, **due) for id in (0, 1)])
    start = 10.0 + WORKDAY_START
    assert day.contacts == [(0, start), (1, pytest.approx(start + 3.5 / 24))]
    assert worker.hours_left == 0.0


def test_overtime_by_hand():
    """Day 10 with up to 2 hours of overtime: the 6.5-hour contact due and 1.5 hours of
    overdue case work take 8 hours, so 1 hour of overtime, no hours left, free at 17:00."""
    profile = long_contact_profile()
    work, day, worker = work_a_day(
        [contact_due_on_day_10(profile), overdue_case_work(profile, 1.5)], overtime=2.0
    )
    assert (work.available, work.overtime) == (7.0, pytest.approx(1.0))
    assert len(day.contacts) == 1 and len(day.finished) == 1
    assert worker.hours_left == 0.0 and worker.free_from == pytest.approx(10.0 + 17 / 24)


def test_a_contact_that_does_not_fit_leaves_the_hours_to_the_work_after_it():
    """Day 10, deadline first: case A's 6.5-hour contact (due day 10) is made; case B's (due
    day 11) does not fit the half hour left and waits; case C's case work (planned closure
    day 14), after it in the order, gets that half hour."""
    profile = long_contact_profile()
    b = held_case(profile, 1, contact_due=11.0, contact_eligible=9.0, work_total=0.0)
    c = held_case(profile, 2, assigned_at=8.0, duration=6.0, planned_close=14.0, work_total=3.0)
    b.assigned_at, c.work_done = 2.0, 0.0
    _, day, worker = work_a_day([contact_due_on_day_10(profile), b, c])
    assert [case for case, _ in day.contacts] == [0]
    assert c.work_done == pytest.approx(0.5) and worker.hours_left == 0.0


def test_case_work_by_hand_with_support_staff():
    """Support staff double the case work done per hour (rate 2). Alone, case D's 2 overdue
    hours take 1 hour and finish 1 hour into the day; after a 6.5-hour contact, the half
    hour left does 1 hour of D's work."""
    profile = long_contact_profile()

    def case_d() -> Referral:
        return held_case(
            profile,
            3,
            assigned_at=0.0,
            duration=5.0,
            planned_close=15.0,
            work_total=4.0,
            work_done=2.0,
        )

    alone, d = Worker(0, 7.0, None, None), case_d()
    alone.take(d)
    alone.last_day_start, day = 9.0 + WORKDAY_START, Day()
    work = work_day(alone, 10, deadline_first, day, casework_rate=2.0)
    start = 10.0 + WORKDAY_START
    assert d.work_done == 4.0 and day.finished == [(d.id, pytest.approx(start + 1 / 24))]
    assert (work.backlog, work.casework) == (pytest.approx(1.0), pytest.approx(2.0))
    assert alone.hours_left == pytest.approx(6.0)

    busy, d = Worker(1, 7.0, None, None), case_d()
    busy.take(contact_due_on_day_10(profile))
    busy.take(d)
    busy.last_day_start = 9.0 + WORKDAY_START
    work_day(busy, 10, deadline_first, Day(), casework_rate=2.0)
    assert d.work_done == pytest.approx(3.0) and busy.hours_left == 0.0


def test_work_ahead_goes_to_the_earliest_planned_closure_first():
    worker, (a, b, c) = worker_with([(50.0, 10.0, 8.0), (40.0, 2.0, 0.0), (45.0, 4.0, 4.0)])
    worker.hours_left, worker.free_from, worker.casework_rate = 3.0, 10.5, 1.0
    done = Done()
    work_ahead(worker, done)
    assert b.work_done == 2.0 and a.work_done == pytest.approx(9.0) and c.work_done == 4.0
    assert worker.hours_left == pytest.approx(0.0, abs=1e-12)
    assert done.finished == [(b.id, pytest.approx(10.5 + 2 / 24))]


def test_work_ahead_with_support_staff_does_more_per_hour_and_keeps_what_is_left():
    worker, (a, b) = worker_with([(50.0, 10.0, 8.0), (40.0, 2.0, 0.0)])
    worker.hours_left, worker.free_from, worker.casework_rate = 3.0, 10.5, 2.0
    done = Done()
    work_ahead(worker, done)
    assert (a.work_done, b.work_done) == (pytest.approx(10.0), pytest.approx(2.0))
    assert worker.hours_left == pytest.approx(1.0)  # 4 hours of work took 2 hours
    assert done.finished == [
        (b.id, pytest.approx(10.5 + 1 / 24)),
        (a.id, pytest.approx(10.5 + 2 / 24)),
    ]


def test_no_work_ahead_without_hours_left():
    worker, (a,) = worker_with([(50.0, 10.0, 8.0)])
    worker.hours_left = 0.0
    work_ahead(worker, Done())
    assert a.work_done == 8.0


def test_a_first_contact_is_made_at_once_only_if_the_hours_and_the_day_allow():
    """By hand: at noon, a worker free from 13:00 with 7 hours left makes a new case's first
    contact at 13:00 (recorded, its hours spent, free again after them), even when it ends
    exactly at the day's end or takes exactly the hours left; not for a case past its first
    contact, nor with too few hours left, nor when it would run past the day's end."""
    profile = build_profiles(sim.validate_scenario(small_office_data()))[0]
    hours, noon, one_pm = profile.first_contact_hours, 10.5, 10.5 + 1 / 24

    def respond(case, hours_left=7.0, day_end=11.0):
        worker, day = Worker(0, 7.0, None, None), Day()
        worker.hours_left, worker.free_from, worker.day_end = hours_left, one_pm, day_end
        made = respond_now(worker, case, noon, day)
        return made, day.contacts, worker.hours_left, worker.free_from

    new = a_referral(profile)
    new.contact_first = True
    ends = one_pm + hours / 24
    assert respond(new) == (True, [(0, one_pm)], 7.0 - hours, pytest.approx(ends))
    assert respond(new, day_end=ends)[0] and respond(new, hours_left=hours)[0]
    assert respond(new, day_end=ends - 0.001) == (False, [], 7.0, one_pm)
    assert respond(new, hours_left=hours - 0.01) == (False, [], hours - 0.01, one_pm)
    assert respond(a_referral(profile)) == (False, [], 7.0, one_pm)


@pytest.mark.parametrize("seed", SEEDS)
def test_with_hours_to_spare_case_work_is_done_ahead_of_schedule(seed):
    """Spare hours finish each case's 3 hours of work by the end of its first working day,
    long before it accrues; so every case closes on its planned date."""
    data = small_office_data(
        **{"workforce.caseworkers": 12, "warmup_days": 0.0, "case_types.0.work_hours": 3.0}
    )
    scenario = sim.validate_scenario(data)
    model = CaseloadModel(scenario, seed=seed, records=True)
    summary = model.run(250.5).summary  # stopped at noon, mid working day
    open_cases = [c for w in model.roster for c in w.cases.values()]
    settled = [c for c in open_cases if c.assigned_at < 249.0]
    assert len(settled) > 20
    assert all(c.work_done == c.work_total for c in settled)
    assert summary.cases_closed_late_share == 0.0
    assert summary.utilisation < 0.8
