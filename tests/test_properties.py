"""Invariants of one replication, as properties over random valid scenarios.

Hypothesis builds valid scenarios (:func:`scenario_data`) that vary the staffing or a
budget that funds it, arrivals, case types and their contacts, caps (count and
weighted), the overflow policy, the triage rule, screening thresholds and AUC,
turnover, strain, hiring and agency cover, feedback policies, costs and an initial
caseload, over short horizons. Each example runs one replication; the tests check:

- conservation: every referral is in exactly one state, the state counts add up to
  the referrals created, and screened out + opened = received (the books of
  ``test_conservation.check_books``, also at a random stop time);
- no negative time, wait, caseload or count, and shares between 0 and 1;
- no case is held by two workers, every open case by exactly one worker in post who
  points back to it, and waiting cases by nobody;
- costs: the total is the sum of its parts, and each part is what the cost rates
  say (``sim.core.costs``) for the hires, overtime hours, cases sent out, agency days and
  salaried days the summary reports;
- missed risk by cause adds up to the missed total, and causes that cannot occur
  in a scenario (sent out without external providers, screened out with no
  screening) do not.

Examples per test (``max_examples``; derandomized, so CI always runs the same ones):
conservation 200, non-negative 150, holders 150, costs 150, missed by cause 150: 800
replications, about 35 s here (and 40 scenarios built, not run, to check the strategy).
"""

from __future__ import annotations

import math
from typing import Any

from conftest import small_office_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_conservation import check_books

import sim
from sim.core.model import CaseloadModel
from sim.core.referral import ReferralState
from sim.core.risk import HarmCause

TIERS = ["low", "medium", "high"]
CAUSES = [f"missed_{cause.value}" for cause in HarmCause]
COSTS = ["salary_cost", "overtime_cost", "hiring_cost", "agency_cost", "external_cost"]


def properties(examples: int) -> settings:
    """Hypothesis settings of these tests: derandomized, so CI runs the same examples."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


# ------------------------------------------------------------------------ valid scenarios


def amounts(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def per_tier(values: st.SearchStrategy[float], tiers: list[str]) -> st.SearchStrategy[Any]:
    """One number for every tier, or one per tier."""
    return values | st.fixed_dictionaries({tier: values for tier in tiers})


@st.composite
def shares(draw: st.DrawFn, names: list[str], *, positive: bool = False) -> dict[str, float]:
    """Shares summing to 1 (all above 0 if ``positive``)."""
    weights = [draw(st.integers(1 if positive else 0, 9)) for _ in names]
    if not any(weights):
        weights[-1] = 1
    total = sum(weights)
    return {name: weight / total for name, weight in zip(names, weights, strict=True)}


durations = st.one_of(
    st.builds(lambda v: {"distribution": "fixed", "value": v}, amounts(1.0, 120.0)),
    st.builds(lambda m: {"distribution": "exponential", "mean": m}, amounts(1.0, 120.0)),
    st.builds(
        lambda m, cv: {"distribution": "lognormal", "mean": m, "sd": m * cv},
        amounts(1.0, 120.0),
        amounts(0.1, 2.0),
    ),
    st.builds(
        lambda m, cv: {"distribution": "gamma", "mean": m, "sd": m * cv},
        amounts(1.0, 120.0),
        amounts(0.1, 2.0),
    ),
    st.builds(
        lambda low, width: {"distribution": "uniform", "low": low, "high": low + width},
        amounts(0.0, 60.0),
        amounts(1.0, 60.0),
    ),
    st.builds(
        lambda low, a, b: {
            "distribution": "triangular",
            "low": low,
            "mode": low + min(a, b),
            "high": low + max(a, b) + 1.0,
        },
        amounts(0.0, 30.0),
        amounts(0.0, 60.0),
        amounts(0.0, 60.0),
    ),
)


@st.composite
def case_type(draw: st.DrawFn, name: str, tiers: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "arrivals": {"rate_per_year": draw(amounts(20.0, 1200.0))},
        # Every tier present: the scenario then has referrals on both sides of the
        # high-risk line whatever the other case type holds.
        "risk_mix": draw(shares(tiers, positive=True)),
        "duration": draw(durations),
        "work_hours": draw(st.sampled_from([0.0, 5.0]) | amounts(0.0, 40.0)),
        "weight": draw(per_tier(amounts(0.5, 3.0), tiers)),
        "closes_on_schedule": draw(st.booleans()),
    }
    if draw(st.booleans()):
        data["first_contact"] = {
            "deadline_days": draw(per_tier(amounts(0.5, 10.0), tiers)),
            "hours": draw(amounts(0.0, 4.0)),
        }
    if draw(st.booleans()):
        data["contacts"] = {
            "every_days": draw(per_tier(amounts(1.0, 30.0), tiers)),
            "hours": draw(per_tier(amounts(0.0, 3.0), tiers)),
        }
    if draw(st.booleans()):
        level = draw(amounts(0.1, 0.9))
        data["complexity"] = [
            {"name": "simple", "share": level},
            {
                "name": "complex",
                "share": 1.0 - level,
                "work_multiplier": draw(amounts(0.5, 3.0)),
                "weight_multiplier": draw(amounts(0.5, 3.0)),
            },
        ]
    if draw(st.booleans()):
        start = draw(amounts(0.0, 60.0))
        data["arrivals"]["surges"] = [
            {"start_day": start, "end_day": start + draw(amounts(1.0, 60.0)), "multiplier": 2.0}
        ]
    return data


@st.composite
def scenario_data(draw: st.DrawFn) -> dict[str, Any]:
    """The data of a valid scenario with a short horizon (at most 120 days)."""
    tiers = TIERS[: draw(st.integers(2, 3))]
    horizon = float(draw(st.integers(10, 120))) + draw(st.sampled_from([0.0, 0.5]))
    # A warm-up ends at 0, or at 06:00 or noon of a day: never on the stroke of midnight,
    # when the end-of-day readings are taken (see test_costs_are_the_sum_of_their_parts).
    days = draw(st.integers(0, int(horizon) // 2))
    warmup = draw(st.sampled_from([0.0, days + 0.25, days + 0.5]))
    types = [draw(case_type("family", tiers))]
    if draw(st.booleans()):
        types.append(draw(case_type("second", tiers)))
    names = [t["name"] for t in types]

    overflow = draw(st.sampled_from(["wait", "over_cap", "external"]))
    caps: dict[str, Any] = {"overflow": overflow}
    if draw(st.booleans()):
        caps["count"] = draw(st.integers(1, 25))
    if draw(st.booleans()):
        caps["weighted"] = draw(amounts(2.0, 30.0))
    if overflow == "external":
        caps["external_cost_per_case"] = draw(amounts(0.0, 500.0))
        caps["external_detection_probability"] = draw(amounts(0.0, 1.0))

    threshold = amounts(0.0, 0.95)
    data: dict[str, Any] = {
        "name": "property",
        "horizon_days": horizon,
        "warmup_days": warmup,
        "replications": 1,
        "seed": draw(st.integers(0, 2**32 - 1)),
        "risk": {
            "tiers": [
                {"name": tier, "signals_per_year": draw(amounts(0.0, 6.0))} for tier in tiers
            ],
            "window_days": draw(amounts(10.0, 365.0)),
            "detection_window_days": draw(amounts(1.0, 30.0)),
            "detection_probability": draw(amounts(0.0, 1.0)),
            "rereport_probability": draw(amounts(0.0, 1.0)),
            "rereport_score_boost": draw(amounts(0.0, 3.0)),
        },
        "intake": {
            "auc": draw(amounts(0.5, 0.95)),
            "threshold": draw(
                st.sampled_from([0.0])
                | threshold
                | st.fixed_dictionaries({name: threshold for name in names})
            ),
        },
        "case_types": types,
        "caps": caps,
        "workforce": {
            "hours_per_day": draw(amounts(1.0, 10.0)),
            "working_days_per_week": draw(st.integers(1, 7)),
            "overtime_hours_per_day": draw(st.sampled_from([0.0]) | amounts(0.0, 3.0)),
        },
        "triage": draw(
            st.sampled_from(["risk_first", "deadline_first", "new_cases_first", "fifo"])
        ),
        "budget": {
            "caseworker_cost": draw(amounts(0.0, 100_000.0)),
            "supervisor_cost": draw(amounts(20_000.0, 100_000.0)),
            "support_cost": draw(amounts(20_000.0, 60_000.0)),
            "overtime_premium": draw(amounts(1.0, 3.0)),
            "hiring_cost": draw(amounts(0.0, 20_000.0)),
            "training_cost": draw(amounts(0.0, 20_000.0)),
            "agency_cost": draw(amounts(0.0, 150_000.0)),
        },
    }
    if draw(st.booleans()):  # headcounts
        data["workforce"].update(
            caseworkers=draw(st.integers(1, 8)),
            supervisors=draw(st.integers(0, 3)),
            support_staff=draw(st.integers(0, 3)),
        )
    else:  # a budget funds the positions (at least one caseworker)
        data["budget"]["caseworker_cost"] = draw(amounts(20_000.0, 100_000.0))
        mix = draw(shares(["caseworker", "supervisor", "support"]))
        mix["caseworker"] = mix["caseworker"] or 0.5
        total = sum(mix.values())
        mix = {role: share / total for role, share in mix.items()}
        workers = draw(st.integers(1, 8))
        data["budget"]["per_year"] = (
            workers * data["budget"]["caseworker_cost"] / mix["caseworker"] * 1.001
        )
        data["budget"]["mix"] = mix
    if draw(st.booleans()):
        data["supervision"] = {
            "span": draw(st.integers(1, 8)),
            "detection_penalty": draw(amounts(0.0, 1.0)),
            "strain_penalty": draw(amounts(0.0, 2.0)),
        }
    if draw(st.booleans()):
        data["support"] = {"delegable_share": draw(amounts(0.0, 0.9))}
    if draw(st.booleans()):
        data["strain"] = {
            "rise_per_day": draw(amounts(0.0, 0.5)),
            "recovery_per_day": draw(amounts(0.0, 0.5)),
            "trauma_jump": draw(amounts(0.0, 0.5)),
        }
    if draw(st.booleans()):
        data["turnover"] = {
            "annual_rate": draw(amounts(0.0, 5.0)),
            "transfer_hours": draw(amounts(0.0, 5.0)),
        }
        data["hiring"] = {
            "lag": draw(durations),
            "training_days": draw(amounts(0.0, 30.0)),
            "ramp_days": draw(amounts(0.0, 60.0)),
            "experience_days": draw(amounts(0.0, 200.0)),
            "agency_cover_share": draw(amounts(0.0, 1.0)),
            "agency_lag": draw(durations),
            "freeze": draw(st.booleans()),
        }
    policies: dict[str, Any] = {}
    if draw(st.booleans()):
        trigger = draw(amounts(1.0, 20.0))
        policies["gatekeeping"] = {
            "trigger_caseload": trigger,
            "release_caseload": trigger * draw(amounts(0.0, 1.0)),
            "persistence_days": draw(st.integers(1, 10)),
            "max_threshold": draw(amounts(0.0, 0.95)),
        }
    if draw(st.booleans()):
        policies["scandal"] = {
            "publicity_probability": draw(amounts(0.0, 1.0)),
            "threshold_drop": draw(amounts(0.0, 0.5)),
            "surge_multiplier": draw(amounts(1.0, 3.0)),
            "duration_days": draw(amounts(5.0, 60.0)),
        }
    if policies:
        data["policies"] = policies
    if draw(st.booleans()):
        data["initial_state"] = {
            "open_cases_per_worker": draw(st.integers(0, 8)),
            "waiting": draw(st.integers(0, 15)),
        }
    return data


def valid(data: dict[str, Any]) -> sim.Scenario:
    """The scenario of ``data``; the strategy must only build valid ones."""
    return sim.validate_scenario(data, "property")


def run(data: dict[str, Any], until: float | None = None) -> tuple[CaseloadModel, Any]:
    model = CaseloadModel(valid(data), replication=0, records=True)
    return model, model.run(until)


def test_the_strategy_builds_valid_scenarios_of_every_kind():
    """The strategy's bases are valid (the properties would otherwise test nothing)."""
    assert valid(small_office_data(horizon_days=30.0, warmup_days=0.0)).horizon_days == 30.0
    seen = set()

    @properties(40)
    @given(data=scenario_data())
    def collect(data):
        scenario = valid(data)
        seen.add(scenario.caps.overflow)
        seen.add(scenario.triage)
        seen.add("budget" if scenario.budget.per_year else "headcount")
        seen.add("initial" if scenario.initial_state else "empty")

    collect()
    assert {"wait", "over_cap", "external", "budget", "headcount", "initial"} <= seen
    assert {"risk_first", "deadline_first", "new_cases_first", "fifo"} <= seen


# ------------------------------------------------------------------------ the properties


@properties(200)
@given(data=scenario_data(), stop=st.none() | st.floats(0.0, 1.0))
def test_every_referral_is_accounted_for_once(data, stop):
    """Each referral in one state; states add up to the referrals; screened out + opened
    = received, by the summary and by the referrals themselves."""
    horizon = data["horizon_days"]
    until = horizon if stop is None else stop * horizon
    model, output = run(data, until)
    check_books(model, until)
    referrals = model.referrals
    assert sum(output.state_counts.values()) == len(referrals)
    assert output.state_counts == {
        state.value: sum(r.state is state for r in referrals) for state in ReferralState
    }

    summary = output.summary
    received = summary.referrals + summary.rereferrals
    assert summary.screened_in + summary.screened_out == received
    # The summary counts referrals that arrived inside the window; initial cases are not
    # referrals.
    warmup = data["warmup_days"]
    inside = [r for r in referrals if not r.initial and r.arrival >= warmup]
    assert summary.referrals == sum(not r.rereferral for r in inside)
    assert summary.rereferrals == sum(r.rereferral for r in inside)
    screened_out = sum(r.history[0][1] is ReferralState.SCREENED_OUT for r in inside)
    assert summary.screened_out == screened_out
    assert summary.screened_in == len(inside) - screened_out
    # Cases sent out are counted as they go, initial waiting cases included.
    sent = [
        r for r in referrals if r.arrival >= warmup and r.history[0][1] is ReferralState.SENT_OUT
    ]
    assert summary.sent_out == len(sent)
    assert summary.waiting_at_end == output.state_counts["waiting"]


@properties(150)
@given(data=scenario_data())
def test_no_negative_times_waits_or_caseloads(data):
    """Every figure is >= 0 (or undefined), shares are at most 1, and each referral's
    assignment follows its arrival and its closure its assignment."""
    model, output = run(data)
    figures = output.summary.as_dict()
    for name, value in figures.items():
        assert not value < 0, (name, value)
        if sim.FIGURES[name]["unit"] == "share":
            assert not value > 1, (name, value)
    horizon = data["horizon_days"]
    if figures["assigned"]:  # waits are defined, and no longer than the run
        assert 0 <= figures["wait_mean_days"] <= horizon + 1e-9
        assert 0 <= figures["wait_p90_days"] <= horizon * 1.01  # quantiles to 1%
    if not math.isnan(figures["caseload_max"]):
        assert 0 <= figures["caseload_mean"] <= figures["caseload_max"]
        assert figures["caseload_p90"] <= figures["caseload_max"] <= len(model.referrals)

    records = output.records
    assert len(records) == len(model.referrals)
    assigned = records.dropna(subset=["assigned_at"])
    assert (assigned.assigned_at >= assigned.arrival).all()
    closed = records.dropna(subset=["closed_at"])
    assert (closed.closed_at >= closed.assigned_at).all()
    contacted = records.dropna(subset=["first_contact_at"])
    assert (contacted.first_contact_at >= contacted.assigned_at).all()
    assert (records.arrival <= horizon).all()
    for state, group in records.groupby("state"):
        if state in ("screened_out", "sent_out"):
            assert group.assigned_at.isna().all(), state
        if state in ("open", "closed"):
            assert group.assigned_at.notna().all(), state
        if state == "closed":
            assert group.closed_at.notna().all()
        else:
            assert group.closed_at.isna().all(), state


@properties(150)
@given(data=scenario_data(), stop=st.none() | st.floats(0.0, 1.0))
def test_no_case_is_held_by_two_workers(data, stop):
    """Open cases are held by exactly one worker in post, who points back; waiting and
    other cases by nobody."""
    until = None if stop is None else stop * data["horizon_days"]
    model, _ = run(data, until)
    in_post = {id(worker) for worker in model.roster}
    held: dict[int, Any] = {}
    for worker in model.roster:
        for case_id, case in worker.cases.items():
            assert case_id == case.id
            assert case_id not in held, f"case {case_id} held by two workers"
            held[case_id] = worker
            assert case.worker is worker
    waiting = {case.id for case in model.waiting}
    assert len(waiting) == len(model.waiting)
    for referral in model.referrals:
        if referral.state is ReferralState.OPEN:
            assert referral.id in held, f"open case {referral.id} held by nobody"
            assert id(referral.worker) in in_post
        else:
            assert referral.id not in held, (referral.id, referral.state)
            assert referral.worker is None, (referral.id, referral.state)
        assert (referral.id in waiting) == (referral.state is ReferralState.WAITING)
    assert set(held) == {r.id for r in model.referrals if r.state is ReferralState.OPEN}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@properties(150)
@given(data=scenario_data())
def test_costs_are_the_sum_of_their_parts(data):
    """The total is the sum of the parts; each part is its count times its rate, the rates
    worked out here from the scenario (not by sim.core.costs) and the caseworker-days read
    from the daily series (not from the summary's own headcount)."""
    model = CaseloadModel(valid(data), replication=0, timeseries=True)
    output = model.run()
    scenario, summary = model.scenario, output.summary
    budget, staffing = scenario.budget, scenario.staffing
    parts = [getattr(summary, name) for name in COSTS]
    assert all(part >= 0 for part in parts), dict(zip(COSTS, parts, strict=True))
    assert close(summary.total_cost, math.fsum(parts)), (summary.total_cost, parts)

    assert close(summary.external_cost, summary.sent_out * scenario.caps.external_cost_per_case)
    assert close(summary.hiring_cost, summary.hires * (budget.hiring_cost + budget.training_cost))
    staff = scenario.workforce
    contracted = staff.hours_per_day * 365.0 * staff.working_days_per_week / 7.0
    hourly = budget.caseworker_cost / contracted
    assert close(summary.overtime_cost, summary.overtime_hours * hourly * budget.overtime_premium)
    # Salaries: each end-of-day reading inside the window pays the caseworkers on the
    # payroll that day and the other staff.
    series = output.timeseries
    readings = series[series.day + 1.0 > scenario.warmup_days]
    assert len(readings) == math.floor(scenario.horizon_days) - math.floor(scenario.warmup_days)
    other_per_day = (
        staffing.supervisors * budget.supervisor_cost + staffing.support_staff * budget.support_cost
    ) / 365.0
    caseworker_days = float(readings.headcount.sum())
    expected = budget.caseworker_cost / 365.0 * caseworker_days + other_per_day * len(readings)
    assert close(summary.salary_cost, expected), (summary.salary_cost, expected)
    # Agency workers are paid by the day: a whole number of days.
    if budget.agency_cost > 0:
        days = summary.agency_cost / (budget.agency_cost / 365.0)
        assert abs(days - round(days)) < 1e-6 * max(days, 1.0), days
        assert (days > 0.5) == (summary.agency_share > 0)
    if scenario.hiring.agency_cover_share == 0:
        assert summary.agency_cost == 0
    if summary.referrals:
        assert close(summary.cost_per_referral, summary.total_cost / summary.referrals)


@properties(150)
@given(data=scenario_data())
def test_missed_risk_by_cause_adds_up(data):
    """Harms by cause sum to the harms; signals resolved = caught + missed; causes that
    cannot happen in the scenario do not."""
    model, output = run(data)
    summary, scenario = output.summary, model.scenario
    by_cause = {name: getattr(summary, name) for name in CAUSES}
    assert all(count >= 0 for count in by_cause.values()), by_cause
    assert sum(by_cause.values()) == summary.missed, (by_cause, summary.missed)
    assert summary.signals == summary.caught + summary.missed
    if scenario.caps.overflow != "external":
        assert summary.missed_sent_out == 0
        assert summary.sent_out == 0
    never_screened_out = scenario.policies.gatekeeping is None and all(
        scenario.threshold_for(ct.name) == 0 for ct in scenario.case_types
    )
    if never_screened_out:
        assert summary.screened_out == 0
        assert summary.missed_screened_out == 0
    if summary.missed and summary.referrals:
        assert close(summary.missed_per_1000_referrals * summary.referrals, 1000.0 * summary.missed)


def test_every_harm_cause_has_a_figure():
    assert set(CAUSES) <= set(sim.FIGURES)
    assert {name for name in sim.FIGURES if name.startswith("missed_")} == set(CAUSES) | {
        "missed_per_1000_referrals"
    }
