"""Case pathways, reassessment, non-case time and the recurrence figures, each against its
definition: shares by tier within their binomial intervals, reassessments on schedule,
hours exactly scaled, recurrence recomputed from the per-referral records."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import FIRST_SEED_FAST, a_referral, merge, small_office_data
from scipy import stats

import sim
from sim.core.casetypes import build_profiles
from sim.core.metrics import Metrics
from sim.core.model import CaseloadModel
from sim.core.randomness import Purpose, RandomStreams
from sim.core.reassessment import Reassessment
from sim.core.recurrence import AFTER_SERVICES, SCREENED_OUT, WITHOUT_SERVICES, RecurrenceLog
from sim.core.referral import ReferralState, Subject
from sim.core.service import Service
from sim.core.workforce import Worker

SEEDS = [1, 2, 3, 4, 5]
PROBABILITY = {"low": 0.1, "medium": 0.3, "high": 0.6}


def two_step_office(**changes) -> sim.Scenario:
    """Investigations that open ongoing cases (a type with no referrals of its own)."""
    data = small_office_data(
        **{
            "horizon_days": 700.0,
            "warmup_days": 0.0,
            "workforce.caseworkers": 10,
            "caps.count": 30,
            "case_types.0.name": "investigation",
            "case_types.0.duration": {"distribution": "fixed", "value": 20.0},
            "case_types.0.closes_on_schedule": True,
        }
    )
    ongoing = {
        **data["case_types"][0],
        "name": "ongoing",
        "arrivals": {"rate_per_year": 0.0},
        "duration": {"distribution": "lognormal", "mean": 90.0, "sd": 30.0},
        "closes_on_schedule": False,
        "service": {"effect": 0.3},
    }
    data["case_types"][0]["pathways"] = [{"to": "ongoing", "probability": PROBABILITY}]
    data["case_types"].append(ongoing)
    return sim.validate_scenario(merge(data, changes))


def closures_and_follow_ons(records: pd.DataFrame) -> pd.DataFrame:
    """Each closed investigation, its assessed tier, and whether a follow-on case opened."""
    follow = records[records.follow_on]
    opened = set(zip(follow.subject, follow.arrival, strict=True))
    closed = records[(records.case_type == "investigation") & (records.state == "closed")]
    return closed.assign(
        followed=[(s, t) in opened for s, t in zip(closed.subject, closed.closed_at, strict=True)]
    )


@pytest.mark.fast
@pytest.mark.parametrize("seed", SEEDS)
def test_the_share_of_closures_opening_a_follow_on_case_is_its_probability_by_tier(seed):
    """99% Clopper-Pearson interval per tier and seed (15 intervals: a false alarm in about
    14% of runs of the whole file would be too many, so the level per interval is 99.9%);
    the power check: each interval excludes the probability +/- 0.15."""
    output = sim.run_replication(two_step_office(), 0, seed, records=True)
    table = closures_and_follow_ons(output.records)
    tiers = ["low", "medium", "high"]
    for tier, rows in table.groupby("assessed_tier"):
        expected = PROBABILITY[tiers[tier]]
        followed = int(rows.followed.sum())
        interval = stats.binomtest(followed, len(rows)).proportion_ci(0.999)
        assert interval.low <= expected <= interval.high, (tier, followed, len(rows))
        assert interval.high - interval.low < 0.3, "too few closures to tell"
    assert output.summary.follow_on_cases == int(table.followed.sum())


def three_step_office() -> sim.Scenario:
    """Investigations open ongoing cases or aftercare; ongoing cases open aftercare too (a
    chain), and aftercare has three complexity levels and lognormal durations."""
    data = small_office_data(
        **{
            "horizon_days": 700.0,
            "warmup_days": 0.0,
            "workforce.caseworkers": 14,
            "caps.count": 40,
            "case_types.0.name": "investigation",
            "case_types.0.duration": {"distribution": "fixed", "value": 20.0},
            "case_types.0.closes_on_schedule": True,
        }
    )
    base = data["case_types"][0]
    follow = {"arrivals": {"rate_per_year": 0.0}, "closes_on_schedule": False}
    ongoing = {
        **base,
        **follow,
        "name": "ongoing",
        "duration": {"distribution": "lognormal", "mean": 90.0, "sd": 30.0},
        "pathways": [{"to": "aftercare", "probability": {"low": 0.5, "medium": 0.3, "high": 0.2}}],
    }
    aftercare = {
        **base,
        **follow,
        "name": "aftercare",
        "duration": {"distribution": "lognormal", "mean": 60.0, "sd": 20.0},
        "complexity": [
            {"name": "simple", "share": 0.5},
            {"name": "usual", "share": 0.3},
            {"name": "hard", "share": 0.2, "work_multiplier": 1.5},
        ],
    }
    base["pathways"] = [
        {"to": "ongoing", "probability": PROBABILITY},
        {"to": "aftercare", "probability": {"low": 0.3, "medium": 0.2, "high": 0.1}},
    ]
    data["case_types"] += [ongoing, aftercare]
    return sim.validate_scenario(data)


@pytest.mark.fast
def test_follow_on_cases_by_hand():
    """Every closure's follow-on case, by hand: the closing case's own uniform against the
    cumulative probabilities of its type's pathways, in order, at its assessed tier (an
    investigation may open an ongoing case or aftercare, an ongoing case aftercare: a
    chain, whose second link reads the uniform the first gave its case); and every follow-on
    case's complexity and duration from its type's own stream, drawn in the order the cases
    open (a uniform against the complexity shares, then the duration)."""
    scenario = three_step_office()
    model = CaseloadModel(scenario, seed=4, records=True)
    model.run()
    profiles = build_profiles(scenario)
    rules = {
        case_type.name: [(rule.to, rule.probability) for rule in case_type.pathways]
        for case_type in scenario.case_types
    }
    tiers = [tier.name for tier in scenario.risk.tiers]
    opened = {
        (case.subject.id, case.arrival): case.profile.name
        for case in model.referrals
        if case.follow_on
    }
    chosen = Counter()
    for case in model.referrals:
        if case.state is not ReferralState.CLOSED or not rules[case.profile.name]:
            continue
        assert 0.0 <= case.pathway_draw < 1.0
        target, cumulative = None, 0.0
        for to, probability in rules[case.profile.name]:
            cumulative += probability[tiers[case.tier]]
            if case.pathway_draw < cumulative:
                target = to
                break
        assert opened.get((case.subject.id, case.closed_at)) == target, case.id
        chosen[case.profile.name, target] += 1
    assert len(chosen) == 5 and min(chosen.values()) > 20, chosen  # every branch, often
    # A follow-on case's own uniform, for the next link, is keyed by its subject and how many
    # cases the subject has had: each its own, never shared with another case.
    follow_ons = [case for case in model.referrals if case.follow_on]
    assert len({case.pathway_draw for case in follow_ons}) == len(follow_ons)
    streams = RandomStreams(4)
    for case in follow_ons:
        subject = case.subject
        keyed = {
            streams.uniform(Purpose.PATHWAYS, subject.id, k) for k in range(subject.opened + 1)
        }
        assert case.pathway_draw in keyed, case.id
    for profile in profiles[1:]:
        stream = RandomStreams(4).generator(Purpose.PATHWAYS, profile.key)
        cut = np.cumsum(profile.complexity_shares)[:-1]
        cases = sorted(
            (c for c in model.referrals if c.follow_on and c.profile.index == profile.index),
            key=lambda c: c.id,
        )
        for case in cases:
            assert case.complexity == int(np.sum(stream.random() >= cut)), case.id
            assert case.duration == float(profile.duration.sample(stream, 1)[0])
        assert len({case.complexity for case in cases}) == len(cut) + 1  # every level drawn


@pytest.mark.fast
def test_each_case_opened_about_a_subject_has_its_own_pathway_draw():
    """A re-referral's uniform for the follow-on choice is keyed by its subject and the
    number of cases opened about it: one draw per case, uniform, never reused."""
    model = CaseloadModel(two_step_office(), seed=1)
    received = []
    model.intake.receive = received.append
    profile = model.intake.profiles[0]
    draws = []
    for subject_id in range(40):
        previous = a_referral(profile, subject_id, duration=20.0)
        for opened in range(5):
            previous.subject.opened = opened
            model.intake.rerefer(previous)
            draws.append(received[-1].pathway_draw)
    assert len(set(draws)) == len(draws) == 200
    assert stats.kstest(draws, "uniform").pvalue > 0.001


@pytest.mark.fast
def test_a_caught_signal_opens_services_with_if_caught():
    scenario = two_step_office(
        **{"case_types.0.pathways": [{"to": "ongoing", "probability": 0.0, "if_caught": 1.0}]}
    )
    model = CaseloadModel(scenario, seed=2, records=True)
    output = model.run()
    table = closures_and_follow_ons(output.records)
    caught = {r.id for r in model.referrals if r.signals_caught > 0}
    assert table[table.id.isin(caught)].followed.all()
    assert not table[~table.id.isin(caught)].followed.any()
    assert len(caught) > 20


@pytest.mark.fast
def test_follow_on_cases_are_not_referrals_and_carry_the_assessment():
    output = sim.run_replication(two_step_office(), 0, 3, records=True)
    records = output.records
    follow = records[records.follow_on]
    assert len(follow) > 50 and (follow.case_type == "ongoing").all()
    # subjects first referred as investigations are served, and helped, as ongoing cases
    assert output.summary.prevented > 0
    assert not follow.rereferral.any()
    first = records[~records.follow_on & ~records.rereferral]
    assert output.summary.referrals == len(first)
    previous = records[records.case_type == "investigation"].set_index(["subject", "closed_at"])
    for row in follow.itertuples():
        assert previous.loc[(row.subject, row.arrival)].assessed_tier == row.assessed_tier


@pytest.mark.fast
def test_a_type_with_no_referrals_must_be_a_pathway_target():
    data = small_office_data(**{"case_types.0.arrivals.rate_per_year": 0.0})
    with pytest.raises(sim.ScenarioError, match="a pathway into this case type"):
        sim.validate_scenario(data)
    bad = small_office_data(**{"case_types.0.pathways": [{"to": "nowhere", "probability": 0.1}]})
    with pytest.raises(sim.ScenarioError, match="unknown case type 'nowhere'"):
        sim.validate_scenario(bad)
    too_much = small_office_data(
        **{
            "case_types.0.pathways": [
                {"to": "family", "probability": 0.6},
                {"to": "family", "probability": 0.6},
            ]
        }
    )
    with pytest.raises(sim.ScenarioError, match="at most 1 per tier"):
        sim.validate_scenario(too_much)


# ---------------------------------------------------------------- reassessment


@pytest.mark.fast
def test_reassessments_happen_on_schedule():
    """With no warm-up, no turnover and ample room, each case is reassessed at
    assignment + k, + 2k, ... while open: the count is the sum of whole periods open."""
    every = 25.0
    scenario = two_step_office(**{"case_types.0.reassessment": {"every_days": every}})
    output = sim.run_replication(scenario, 0, 4, records=True)
    records = output.records
    cases = records[records.case_type == "investigation"].dropna(subset=["assigned_at"])
    end = scenario.horizon_days
    until = cases.closed_at.fillna(end).clip(upper=end)
    expected = int(np.floor((until - cases.assigned_at) / every - 1e-12).clip(lower=0).sum())
    assert output.summary.reassessments == expected
    assert expected == 0  # investigations last 20 days: never reassessed
    scenario = two_step_office(**{"case_types.1.reassessment": {"every_days": every}})
    output = sim.run_replication(scenario, 0, 4, records=True)
    records = output.records
    cases = records[records.case_type == "ongoing"].dropna(subset=["assigned_at"])
    until = cases.closed_at.fillna(end).clip(upper=end)
    expected = int(np.floor((until - cases.assigned_at) / every - 1e-12).clip(lower=0).sum())
    assert expected > 100
    assert output.summary.reassessments == expected


TWO_TIERS = {
    "risk.tiers": [
        {"name": "low", "signals_per_year": 0.5},
        {"name": "high", "signals_per_year": 4.0},
    ],
    "case_types.0.risk_mix": {"low": 0.6, "high": 0.4},
    "case_types.0.first_contact.deadline_days": {"low": 5, "high": 1},
    "case_types.0.contacts.every_days": {"low": 14, "high": 7},
}
EQUAL_RATES = {"risk.tiers.0.signals_per_year": 1.5}  # low as medium: the rates do not rise


@pytest.mark.fast
@pytest.mark.parametrize("tiers", [{}, TWO_TIERS, EQUAL_RATES], ids=["three", "two", "equal"])
def test_a_reassessment_by_hand(tiers):
    """Each reassessment draws the tier again from the risk left: the latent tier's rate cut
    by the service in force, placed on the tier scale by interpolation between the tiers'
    rates (at its latent tier where the rates do not rise with tier), scored as
    ``separation * position + z`` with ``z`` from the case type's own stream, in order, and
    turned into a tier by the score's percentile over the tier mix (scipy's normal cdf) and
    the mix's cumulative shares, as at intake. The case's tier and its worker's load follow.
    300 cases of every latent tier and dose, at day 30, each against the formula by hand."""
    data = small_office_data(
        **{
            "warmup_days": 0.0,
            "case_types.0.reassessment": {"every_days": 30.0},
            "case_types.0.service": {"effect": 0.6},
            **tiers,
        }
    )
    scenario = sim.validate_scenario(data)
    profiles = build_profiles(scenario)
    profile = profiles[0]
    metrics = Metrics(0.0)
    env = simpy.Environment()
    streams = RandomStreams(7)
    reassessment = Reassessment(env, streams, metrics, profiles, Service(scenario, metrics))
    noise = streams.generator(Purpose.REASSESSMENT, profile.key)  # the same stream, alongside
    rates = np.array([tier["signals_per_year"] for tier in data["risk"]["tiers"]])
    mix = np.array(list(data["case_types"][0]["risk_mix"].values()))
    separation = profile.screening.separation
    worker = Worker(0, 7.0, count_cap=None, weighted_cap=None)
    cases = []
    for i in range(300):
        latent, on_time, done = i % len(rates), i % 5, (i // 5) % 4
        case = a_referral(profile, i, tier=latent, duration=100.0)
        case.assigned_at, case.state = 0.0, ReferralState.OPEN
        # by day 30: 4 contacts due, `on_time` of them made on time (at most 4); 4.5 of the
        # 15 hours of case work accrued, `done` / 3 of them done (at most all)
        case.contacts_due, case.contacts_on_time, case.contact_due = 4, min(on_time, 4), None
        case.work_done = 4.5 * done / 3
        case.weight = profile.case_weights[latent][0]
        worker.take(case)
        reassessment.start(case)
        cases.append(case)
    env.run(until=30.5)
    rising = len(rates) > 1 and bool(np.all(np.diff(rates) > 0))
    lowered = changed = 0
    for case in cases:
        latent = case.subject.tier
        dose = 0.5 * min(case.contacts_on_time, 4) / 4 + 0.5 * min(case.work_done / 4.5, 1.0)
        left = rates[latent] * (1.0 - 0.6 * dose)
        if not rising:
            position = float(latent)
        elif left <= rates[0]:
            position = 0.0
        elif left >= rates[-1]:  # (no dose: a top-tier subject stays at the top)
            position = float(len(rates) - 1)
        else:
            below = int(np.searchsorted(rates, left, side="right")) - 1
            position = below + (left - rates[below]) / (rates[below + 1] - rates[below])
        raw = separation * position + noise.standard_normal()
        share = sum(p * stats.norm.cdf(raw - separation * k) for k, p in enumerate(mix))
        tier = int(sum(share >= bound for bound in np.cumsum(mix)[:-1]))
        assert case.tier == tier, (case.id, latent, dose, position)
        assert case.weight == profile.case_weights[tier][0]
        changed += tier != latent
        lowered += tier < latent
    assert worker.load == pytest.approx(sum(case.weight for case in cases))
    assert metrics.outcomes.reassessments == 300
    assert metrics.outcomes.tier_changes == changed > 30
    assert metrics.outcomes.tiers_lowered == lowered > 10
    # A waiting case keeps its calendar, unreassessed; a closed one leaves it at its next date.
    for case in cases[1:]:
        case.state = ReferralState.CLOSED
    cases[0].state = ReferralState.WAITING
    while env.peek() <= 60.5:
        env.step()
    assert env.peek() == 90.0 and metrics.outcomes.reassessments == 300
    cases[0].state = ReferralState.CLOSED
    for _ in range(1000):  # (bounded: a calendar that never empties fails, not hangs)
        if env.peek() == math.inf:
            break
        env.step()
    assert env.peek() == math.inf and env.now == 90.0


def test_with_a_strong_effect_high_tiers_drain():
    """Reassessed against the risk left after service, the open cases assessed high at the
    end are fewer when service works than when it does not: the same cases on the same
    five seeds (about 600 of them), so the difference is paired.

    Fresh screening noise at each reassessment keeps some low-risk subjects assessed high
    (the tool's AUC is 0.7); the working service brings the high share from about 28% to
    the share of low-risk subjects assessed high, about 15%. The margin, 0.05, is about
    two standard errors of the pooled difference below its size.
    """
    strong = {
        "case_types.1.reassessment": {"every_days": 30.0},
        "case_types.1.service": {"effect": 0.95, "half_life_days": None},
        "case_types.1.duration": {"distribution": "fixed", "value": 400.0},
    }
    none = {**strong, "case_types.1.service": {"effect": 0.95, "evidence_based": False}}
    high = {"worked": [], "idle": []}
    for seed in SEEDS:
        for label, changes in (("worked", strong), ("idle", none)):
            output = sim.run_replication(two_step_office(**changes), 0, seed, records=True)
            records = output.records
            still_open = records[(records.case_type == "ongoing") & (records.state == "open")]
            high[label].extend((still_open.assessed_tier == 2).tolist())
            assert output.summary.reassessments > 500
    assert len(high["worked"]) == len(high["idle"]) > 500
    assert np.mean(high["worked"]) < np.mean(high["idle"]) - 0.05


# ---------------------------------------------------------------- non-case time


def steady_office(**changes) -> sim.Scenario:
    """The tests' small office: no strain and no turnover, so worker-days repeat exactly."""
    return sim.validate_scenario(small_office_data(**changes))


@pytest.mark.fast
@pytest.mark.parametrize("share", [0.2, 0.45])
def test_hours_available_for_cases_are_hours_times_one_minus_the_share(share):
    full = sim.run_replication(steady_office(), 0, 1).summary
    part = sim.run_replication(steady_office(**{"workforce.non_case_share": share}), 0, 1).summary
    assert part.hours_available == pytest.approx(full.hours_available * (1 - share), rel=1e-12)
    assert part.non_case_hours == pytest.approx(full.hours_available * share, rel=1e-12)
    assert full.non_case_hours == 0.0


@pytest.mark.fast
def test_technology_buys_back_non_case_time_at_its_cost():
    changes = {"workforce.non_case_share": 0.4}
    tech = {"technology": {"non_case_cut": 0.5, "cost_per_worker_year": 3650.0}}
    full = sim.run_replication(steady_office(), 0, 1).summary
    bought = sim.run_replication(steady_office(**changes, **tech), 0, 1).summary
    assert bought.hours_available == pytest.approx(full.hours_available * 0.8, rel=1e-12)
    positions = 6  # small_office_data's caseworkers
    # 10 a day per position, over the days read inside the window
    assert bought.technology_cost == pytest.approx(10.0 * positions * bought.window_days)
    assert bought.total_cost == pytest.approx(
        bought.salary_cost + bought.overtime_cost + bought.hiring_cost + bought.technology_cost
    )


# ---------------------------------------------------------------- recurrence


@pytest.mark.fast
def test_rereferral_after_a_screen_out_is_its_definition_on_the_records():
    """Recomputed from the per-referral records: a first referral screened out on a day in
    the window whose 6 (12) months end before the run does, and the subject's next
    referral (a re-referral) within 182.5 (365) days."""
    scenario = steady_office(
        **{"horizon_days": 900.0, "warmup_days": 100.0, "risk.rereport_probability": 0.6}
    )
    output = sim.run_replication(scenario, 0, 2, records=True)
    records = output.records.sort_values(["subject", "arrival", "id"])
    end = scenario.horizon_days
    for window, days in (("6m", 182.5), ("12m", 365.0)):
        exits = returns = 0
        for _, rows in records.groupby("subject"):
            rows = rows.reset_index(drop=True)
            for i, row in rows.iterrows():
                if row.state != "screened_out" or row.follow_on:
                    continue
                day = math.floor(row.arrival)
                if day < scenario.warmup_days or day + 1 + days > end:
                    continue
                exits += 1
                later = rows.iloc[i + 1 :]
                if len(later) and later.iloc[0].rereferral:
                    returns += later.iloc[0].arrival - row.arrival <= days
        figure = getattr(output.summary, f"rereferred_{window}_after_screen_out")
        assert exits > 100
        assert figure == pytest.approx(returns / exits, abs=1e-12)


@pytest.mark.fast
@pytest.mark.parametrize("horizon", [800.0, 0.0], ids=["laid-out", "grown"])
def test_the_recurrence_log_by_hand(horizon):
    """Exits and returns as defined: a return within a window counts for it, at its very end
    too; a subject returns once per exit, however often it is referred again before it
    leaves again; a referral of a subject that never left is no return. The same with the
    counts laid out for the run's days and grown as days past them come."""
    log = RecurrenceLog(10.0, [100.0, 300.0], horizon=horizon)
    left, gone, screened, stayed = Subject(1, 0), Subject(4, 0), Subject(2, 0), Subject(3, 0)
    log.left(left, WITHOUT_SERVICES, 0, 20.0)
    log.left(gone, WITHOUT_SERVICES, 1, 15.0)  # never back (a day the first exit laid out)
    log.came_back(left, 20.0 + 182.5)  # at the end of six months: within both windows
    log.came_back(left, 300.0)  # again, with no exit since
    log.left(screened, SCREENED_OUT, 0, 30.0)
    log.came_back(screened, 30.0 + 200.0)  # within a year, not six months
    log.came_back(stayed, 50.0)
    for window in ("6m", "12m"):
        assert log.rereferral_share(WITHOUT_SERVICES, window, 800.0) == 0.5
        assert log.rereferral_share(WITHOUT_SERVICES, window, 800.0, case_type=0) == 1.0
        assert log.rereferral_share(WITHOUT_SERVICES, window, 800.0, case_type=1) == 0.0
    assert log.rereferral_share(SCREENED_OUT, "6m", 800.0) == 0.0
    assert log.rereferral_share(SCREENED_OUT, "12m", 800.0) == 1.0
    assert math.isnan(log.rereferral_share(AFTER_SERVICES, "6m", 800.0))
    # Harms per subject first referred in the window, by the type it was first referred as,
    # once its follow-up (100 or 300 days) ends in the run: day + 1 + follow-up <= end.
    first = [(0, 12, 2), (0, 40, 2), (1, 50, 0), (1, 60, 3), (0, 5, 7), (0, 300, 4)]
    for number, (case_type, day, harms) in enumerate(first):
        subject = Subject(10 + number, 0, origin_type=case_type, origin_day=day)
        log.first_referral(case_type, day)
        for _ in range(harms):
            log.harm(subject)
    # (day 5 is in the warm-up; day 300's follow-up ends after day 361)
    assert log.harms_per_subject(361.0, case_type=0) == (2 + 2) / 2
    assert log.harms_per_subject(361.0, case_type=1) == (0 + 3) / 2
    assert log.harms_per_subject(361.0) == (2 + 2 + 0 + 3) / 4
    assert log.harms_per_subject(351.0, case_type=1) == 0.0  # day 50 ends exactly then
    assert math.isnan(log.harms_per_subject(350.0, case_type=1))  # neither has ended
    # A window longer than the run has no exit to count (not the days a slice wraps round to).
    assert math.isnan(log.rereferral_share(WITHOUT_SERVICES, "12m", 300.0))
    # With no warm-up, a subject first referred on day 0 counts once its follow-up has ended
    # (day 0 + 1 + 100 = 101), and not before.
    start = RecurrenceLog(0.0, [100.0], horizon=horizon)
    start.first_referral(0, 0)
    start.harm(Subject(30, 0, origin_type=0, origin_day=0))
    assert start.harms_per_subject(101.0) == 1.0
    assert math.isnan(start.harms_per_subject(100.5))


def recurrence_on_the_records(records: pd.DataFrame, warmup: float, end: float, services: set):
    """Exits and returns by kind and window, rebuilt from the per-referral records.

    An exit is a screen-out, or a closure that opened no follow-on case (a follow-on case
    has the closed case's subject and its closure time as its arrival), of a type with
    services (``services``: their names) or without. It counts if its day is in the window
    and its follow-up fits in the run; it returns if the subject's next referral is a
    re-referral within the follow-up. A re-referral screened out is a return, then an exit.
    """
    follow = records[records.follow_on]
    opened = set(zip(follow.subject, follow.arrival, strict=True))
    events = []  # (subject, time, order, kind): order 0 for an arrival, 1 for an exit
    for row in records.itertuples():
        if row.initial:
            continue
        if not row.follow_on:
            events.append((row.subject, row.arrival, 0, "back" if row.rereferral else None))
        if row.state == "screened_out":
            events.append((row.subject, row.arrival, 1, "screen_out"))
        elif row.state == "closed" and (row.subject, row.closed_at) not in opened:
            kind = "services" if row.case_type in services else "closure_without_services"
            events.append((row.subject, row.closed_at, 1, kind))
    exits, returns = Counter(), Counter()
    last: dict[int, tuple[float, str]] = {}
    for subject, time, order, kind in sorted(events):
        if order == 1:
            last[subject] = (time, kind)
            for window, days in (("6m", 182.5), ("12m", 365.0)):
                day = math.floor(time)
                exits[kind, window] += day >= warmup and day + 1 + days <= end
            continue
        if subject in last:
            left, how = last.pop(subject)
            if kind != "back":
                continue
            for window, days in (("6m", 182.5), ("12m", 365.0)):
                day = math.floor(left)
                counted = day >= warmup and day + 1 + days <= end
                returns[how, window] += counted and time - left <= days
    return exits, returns


@pytest.mark.parametrize("seed", FIRST_SEED_FAST[:3])
def test_every_recurrence_share_and_the_mean_dose_are_their_definitions_on_the_records(seed):
    """The six recurrence shares (docs/outputs.md: by how the subject left, re-referred
    within 6 or 12 months) and the mean service dose, recomputed from the records of a run
    with screen-outs, investigations that open ongoing cases or close, and ongoing cases
    with service that close."""
    scenario = two_step_office(
        **{
            "horizon_days": 1000.0,
            "warmup_days": 100.0,
            "intake.threshold": 0.3,
            "risk.rereport_probability": 0.6,
        }
    )
    output = sim.run_replication(scenario, 0, seed, records=True)
    records, summary = output.records, output.summary
    exits, returns = recurrence_on_the_records(
        records, scenario.warmup_days, scenario.horizon_days, {"ongoing"}
    )
    for how in ("screen_out", "closure_without_services", "services"):
        for window in ("6m", "12m"):
            assert exits[how, window] > 30, (how, window, exits)
            figure = getattr(summary, f"rereferred_{window}_after_{how}")
            assert figure == pytest.approx(returns[how, window] / exits[how, window], abs=1e-12)
    served = records[
        (records.case_type == "ongoing")
        & (records.state == "closed")
        & (records.closed_at >= scenario.warmup_days)
    ]
    assert len(served) > 30
    assert summary.service_dose_mean == pytest.approx(served.dose_at_close.mean(), rel=1e-12)


@pytest.mark.fast
def test_a_subject_is_counted_for_harms_from_its_first_referral():
    """Harms per subject count each subject under the type and day of its first referral
    (docs/outputs.md); the initial caseload's subjects, referred before the run, are not
    counted (origin type -1)."""
    scenario = two_step_office(
        **{"horizon_days": 120.0, "initial_state": {"open_cases_per_worker": 2, "waiting": 3}}
    )
    model = CaseloadModel(scenario, seed=2, records=True)
    model.run()
    first: dict[int, object] = {}
    for referral in sorted(model.referrals, key=lambda r: (r.arrival, r.id)):
        first.setdefault(referral.subject.id, referral)
    initial = [r for r in first.values() if r.initial]
    referred = [r for r in first.values() if not r.initial]
    assert len(initial) > 10 and len(referred) > 100
    assert all(r.subject.origin_type == -1 for r in initial)
    for r in referred:
        origin = (r.subject.origin_type, r.subject.origin_day)
        assert origin == (r.profile.index, math.floor(r.arrival)), r


@pytest.mark.fast
def test_the_figures_by_case_type_add_up_to_the_summarys():
    """Each signal, referral and case counts once, under one case type."""
    out = sim.run_replication(two_step_office(), 0, 2)
    table, summary = out.by_case_type.set_index("case_type"), out.summary
    assert list(table.index) == ["investigation", "ongoing"]
    for figure in ("prevented", "caught", "missed", "cases_closed", "screened_out"):
        assert table[figure].sum() == getattr(summary, figure), figure
    assert table.referrals.sum() == summary.referrals  # first referrals, as in the summary
    assert table.follow_on_cases["ongoing"] > 0 == table.follow_on_cases["investigation"]
    assert min(table.caught.min(), table.missed.min(), table.cases_closed.min()) > 0
