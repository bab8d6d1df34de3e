"""Validation against published effects the model was not tuned to (docs/validation.md).

Each test states a published effect, runs the scenario and settings of docs/validation.md's
table, and checks the model's figure, with its interval, against the stated tolerance, with
a power check (the interval narrow enough to fail). Effects the model does not reproduce are
marked ``xfail`` with the measured figures and the reason: they are findings, kept in the
suite so that a change of the model that reproduces them is noticed (``strict`` where the
failure is far from the line).

Also here: burnout moves smoothly with staffing in every shipped scenario (issue 18), with a
power check on a switch-like strain curve.

Cost: about two and a half minutes on one core (142 s measured, under load). The staffing
runs of every shipped scenario (three staffing levels each) are what the smoothness check
needs; the probation trial needs four points; each is cut to the fewest replications that
give an interval able to fail and the shortest window that keeps each scenario's caseload
built up. The Milwaukee design (two arms of 16 three-year runs) is the largest part, 66 s.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, docs_script
from scipy import integrate, stats

import sim
from sim.analysis import confidence_interval

SCENARIOS = ROOT / "scenarios"


def scenario(name: str, **changes) -> sim.Scenario:
    return sim.apply_overrides(sim.load_scenario(SCENARIOS / f"{name}.yaml"), changes)


# ---------------------------------------------------------------- staffing: smoothness, slope

STAFFING = {  # calibrated caseworkers, horizon, warm-up (the caseload built up), replications
    "minimal": (12, 545.0, 180.0, 1),
    "child_protection": (32, 730.0, 365.0, 1),
    "probation": (12, 1095.0, 730.0, 10),  # 2 gave 1.92 (0.45 to 8.2) for the slope
    "england_child_protection": (32, 1095.0, 730.0, 6),  # 2 gave 1.56 (0.31 to 8.0): too wide
    "public_defender": (7, 730.0, 365.0, 1),
}


def levels(calibrated: int) -> tuple[int, int, int]:
    """10% fewer, the calibrated staff, 10% more (rounded; 6 and 8 for 7 attorneys)."""
    return round(calibrated * 0.9), calibrated, round(calibrated * 1.1)


def staffing_runs(
    name: str, staff: tuple[int, ...] | None = None, **changes
) -> dict[int, pd.DataFrame]:
    calibrated, horizon, warmup, replications = STAFFING[name]
    return {
        n: sim.run(
            scenario(
                name,
                horizon_days=horizon,
                warmup_days=warmup,
                **{"workforce.caseworkers": n},
                **changes,
            ),
            replications=replications,
        ).replications
        for n in staff or levels(calibrated)
    }


@functools.cache
def calibrated_staffing_runs(name: str) -> dict[int, pd.DataFrame]:
    """:func:`staffing_runs` at the scenario's own settings, run once for every test here."""
    return staffing_runs(name)


@pytest.fixture(scope="module", params=list(STAFFING))
def staffing(request) -> tuple[str, dict[int, pd.DataFrame]]:
    return request.param, calibrated_staffing_runs(request.param)


def largest_jump(runs: dict[int, pd.DataFrame]) -> float:
    shares = [runs[n].burned_out_share.mean() for n in sorted(runs)]
    return max(abs(b - a) for a, b in itertools.pairwise(shares))


def test_burnout_moves_smoothly_with_staffing(staffing):
    """No jump of more than 25 points of burned-out worker-days for a 10% change of staff
    (measured: at most 8 points in any shipped scenario)."""
    name, runs = staffing
    shares = {n: r.burned_out_share.mean() for n, r in runs.items()}
    assert largest_jump(runs) < 0.25, (name, shares)


def test_the_smoothness_check_sees_a_switch():
    """Power: with tolerances nearly equal (log-sd 0.05) burnout is a switch again: in
    minimal.yaml it sits between 10 and 11 caseworkers (about 60% against 12% burned out),
    and the same check fails there."""
    runs = staffing_runs("minimal", (10, 11), **{"strain.tolerance_spread": 0.05})
    assert largest_jump(runs) > 0.25


def burnout_odds_ratio(runs: dict[int, pd.DataFrame]) -> tuple[float, float, float]:
    """Odds ratio of burned-out worker-days per 20% more load, from 10% more staff to 10%
    fewer (load per worker goes as 1 / staff), replication by replication (same seeds):
    ``(ratio, low, high)`` with the 95% interval."""
    low_staff, _, high_staff = sorted(runs)
    logit = lambda p: np.log(p / (1.0 - p))  # noqa: E731
    log_ratio = logit(runs[low_staff].burned_out_share) - logit(runs[high_staff].burned_out_share)
    per_20 = log_ratio * math.log(1.2) / math.log(high_staff / low_staff)
    mean, low, high = confidence_interval(per_20)
    return math.exp(mean), math.exp(low), math.exp(high)


@pytest.mark.parametrize(
    "name",
    [
        "england_child_protection",
        pytest.param(
            "probation",
            marks=pytest.mark.xfail(
                reason="not reproduced: 1.67 (1.51 to 1.84) per 20% more load, steeper than "
                "Aiken's",
                strict=False,
            ),
        ),
    ],
)
def test_burnout_rises_with_load_as_aiken_found(name):
    """Aiken et al. 2002: each extra patient per nurse raised the odds of burnout by 23%,
    about 1.26 per 20% more load; the range 1.1-1.6 allows for the different professions
    and for the spread of Aiken's estimate. Checked where the calibrated office works
    within its capacity (a demand ratio below 1.3, as Aiken's hospitals did); past it
    (child_protection, public_defender) strain sits at its ceiling and the curve is flat
    (docs/validation.md)."""
    ratio, low, high = burnout_odds_ratio(calibrated_staffing_runs(name))
    assert 1.1 <= ratio <= 1.6, (ratio, low, high)
    assert high / low < 1.6 / 1.1, "too wide to fail"


# ---------------------------------------------------------------- the probation trial

TRIAL = {"horizon_days": 1095.0, "warmup_days": 730.0}
INTENSIVE = {"low": 45, "medium": 15, "high": 7}  # twice the contacts, on half the caseload


@pytest.fixture(scope="module")
def trial() -> dict[tuple[bool, str], pd.DataFrame]:
    """Standard arm: 11 officers, about 106 probationers each, the scenario's contacts.
    Reduced arm: 22 officers, about 54 each, contacts twice as often (what the smaller
    caseloads were for). With and without evidence-based practice; the same seeds."""
    runs = {}
    for evidence_based in (True, False):
        for arm, changes in (
            ("standard", {"workforce.caseworkers": 11}),
            (
                "reduced",
                {"workforce.caseworkers": 22, "case_types.0.contacts.every_days": INTENSIVE},
            ),
        ):
            table = sim.run(
                scenario(
                    "probation",
                    **TRIAL,
                    **changes,
                    **{"case_types.0.service.evidence_based": evidence_based},
                ),
                replications=6,  # 3 gave -20% (-29 to -10%) for 1b: an interval on its bound
            ).replications
            runs[evidence_based, arm] = table.assign(
                new_offences=table.missed / table.referrals,
                revocations=table.caught / table.referrals,
                failures=(table.caught + table.missed) / table.referrals,
            )
    return runs


def arm_difference(trial, evidence_based: bool, figure: str) -> tuple[float, float, float]:
    """Reduced arm minus standard arm, relative to the standard arm, with its interval."""
    standard, reduced = trial[evidence_based, "standard"], trial[evidence_based, "reduced"]
    level = standard[figure].mean()
    mean, low, high = confidence_interval(reduced[figure] - standard[figure])
    return mean / level, low / level, high / level


def test_the_trial_arms_carry_the_trials_caseloads(trial):
    """Jalbert et al. 2011: 54 against 106 cases per officer."""
    assert 95 <= trial[True, "standard"].caseload_mean.mean() <= 115
    assert 45 <= trial[True, "reduced"].caseload_mean.mean() <= 60


@pytest.mark.parametrize("evidence_based", [True, False])
def test_smaller_caseloads_bring_more_revocations(trial, evidence_based):
    """Jalbert et al. 2011 (Oklahoma City): revocations were higher in the reduced-caseload
    arm, since officers saw more. Model: violations caught and acted on, per probationer."""
    mean, low, _ = arm_difference(trial, evidence_based, "revocations")
    assert low > 0.1, (mean, low)


def test_smaller_caseloads_with_evidence_based_practice_lower_recidivism(trial):
    """Jalbert et al. 2011: with evidence-based practice the reduced-caseload arm had lower
    recidivism. Model: new offences (missed signals) per probationer."""
    mean, _, high = arm_difference(trial, True, "new_offences")
    assert high < -0.1, (mean, high)


@pytest.mark.xfail(
    strict=True,
    reason="not reproduced: without evidence-based practice the model's new offences fall "
    "by about a quarter too, since a contact that catches a signal prevents the offence "
    "(detection stands in for prevention); the trial and Gendreau et al. 2000 found none",
)
def test_without_evidence_based_practice_smaller_caseloads_do_not_lower_recidivism(trial):
    mean, low, high = arm_difference(trial, False, "new_offences")
    assert low > -0.1, (mean, low, high)


def test_without_evidence_based_practice_failures_are_unchanged(trial):
    """Structural, not a validation: with no service effect every candidate that is not
    prevented happens, caught or missed, whatever the staffing (common random numbers), so
    all failures (revocations plus new offences) are the same in both arms."""
    standard, reduced = trial[False, "standard"], trial[False, "reduced"]
    relative = (reduced.failures - standard.failures) / standard.failures
    assert (relative.abs() < 0.02).all(), relative.tolist()  # signals straddling the window


# ---------------------------------------------------------------- child protection recurrence


@pytest.fixture(scope="module")
def child_protection() -> sim.RunResult:
    """18 months, the last 12 counted, four replications, with per-referral records."""
    return sim.run(
        scenario("child_protection", horizon_days=550.0, warmup_days=185.0),
        replications=4,
        records=True,
    )


@pytest.mark.xfail(
    strict=True,
    reason="not reproduced: screened-out families are re-referred less often (4.6% against "
    "8.5% within six months), because the screening tool (AUC 0.68) sorts them to lower "
    "risk and an investigation gives no help in the model",
)
def test_screened_out_are_rereported_as_often_as_those_left_at_home(child_protection):
    """Putnam-Hornstein et al. 2015: infants screened out were re-reported at rates equal to
    or higher than infants investigated and left at home without services. Model: re-referral
    within six months of a screen-out against after an investigation closed without
    services, paired by replication."""
    table = child_protection.replications
    difference = (
        table.rereferred_6m_after_screen_out - table.rereferred_6m_after_closure_without_services
    )
    mean, low, high = confidence_interval(difference)
    assert high >= 0, (mean, low, high)


def safe_closures_by_handoffs(records: pd.DataFrame) -> pd.DataFrame:
    """Ongoing cases closed in the window, by changes of worker (none, one or more): how
    many, and the share closed with no harm to the child while open."""
    closed = records[
        (records.case_type == "ongoing") & (records.state == "closed") & (records.closed_at >= 185)
    ]
    return (
        closed.assign(handoffs=closed.handoffs.clip(upper=1), safe=closed.harms == 0)
        .groupby("handoffs")
        .safe.agg(["size", "mean"])
    )


@pytest.mark.xfail(
    strict=True,
    reason="not reproduced: the safe share falls by about 8 points with a change of worker "
    "(76% against 67%); the model's handoff effects (dose x0.75, detection x0.8 for a "
    "month) are small against the harm service cannot prevent",
)
def test_outcomes_fall_with_each_change_of_caseworker(child_protection):
    """Flower, McDonald & Sumski 2005 (Milwaukee): permanency 74.5% with one case manager,
    17.5% with two. Model: ongoing cases closed with no harm while open, with no change of
    worker against one or more; the published fall is 57 points, checked as at least 20."""
    table = safe_closures_by_handoffs(child_protection.records)
    assert table.loc[0, "mean"] - table.loc[1, "mean"] >= 0.2, table


PERMANENCY_DAYS = 548.0  # "a permanent home within 18 months" (the Milwaukee figure restated)
COHORT = (365.0, 545.0)  # ongoing cases opened in the first half-year after the warm-up
NO_HANDOFF_EFFECT = {
    "case_types.1.service.handoff_factor": 1.0,
    "turnover.continuity_detection": 1.0,
}


def permanency_by_workers(changes: dict) -> pd.DataFrame:
    """The Milwaukee study's design on the model: a cohort of ongoing cases opened in
    :data:`COHORT`, each followed 18 months or more (the run ends 550 days after the
    cohort's last opening); "permanency" is closure within 18 months of assignment; the
    workers are one plus the changes of worker while the case was open (1, 2, 3 or more).
    One row per replication, one column per number of workers: the share closed in time."""
    result = sim.run(
        scenario("child_protection", horizon_days=1095.0, warmup_days=365.0, **changes),
        replications=16,
        records=True,
    )
    records = result.records
    cohort = records[
        (records.case_type == "ongoing") & records.assigned_at.between(*COHORT, inclusive="left")
    ]
    time_open = cohort.closed_at - cohort.assigned_at
    in_time = (cohort.state == "closed") & (time_open <= PERMANENCY_DAYS)
    workers = (1 + cohort.handoffs).clip(upper=3)
    return in_time.groupby([cohort.replication, workers]).mean().unstack()


@pytest.fixture(scope="module")
def milwaukee_design() -> dict[str, pd.DataFrame]:
    """:func:`permanency_by_workers` as shipped and with the handoff effects switched off
    (same seeds)."""
    return {
        "as shipped": permanency_by_workers({}),
        "no handoff effect": permanency_by_workers(NO_HANDOFF_EFFECT),
    }


@pytest.mark.xfail(
    strict=True,
    reason="not reproduced: measured as Milwaukee did, permanency within 18 months falls "
    "from 86% with one worker to 80% with two (a fall of 6.6 points, 2.8 to 10.3) and 51% "
    "with three or more; the published fall is 57 points",
)
def test_permanency_falls_with_each_change_of_caseworker_as_milwaukee_measured(
    milwaukee_design,
):
    """Flower, McDonald & Sumski 2005: permanency within 18 months 74.5% with one case
    manager, 17.5% with two. Model: the study's cohort design (:func:`permanency_by_workers`);
    the same tolerance as the harm-free reading above (a fall of at least 20 points from one
    worker to two), and a further fall with a third."""
    shares = milwaukee_design["as shipped"]
    fall, low, high = confidence_interval(shares[1] - shares[2])
    assert fall >= 0.2, (fall, low, high)  # the power check is in the next test, which passes
    assert (shares[2] - shares[3]).mean() > 0, shares.mean()


def test_the_milwaukee_design_makes_a_gradient_with_no_handoff_effect(milwaukee_design):
    """Why the Milwaukee gradient cannot measure what a handoff does: with the handoff
    effects switched off (the dose kept whole, detection not lowered after a transfer) a
    case open longer still has more time to lose its worker, so permanency still falls
    with each change, by about as much as with them (paired by replication: the handoff
    effects add under half of the 20-point line; measured on four seeds, -2.2 to +0.2 points).
    The model's handoff effects act on risk, not on when a case closes.

    Also the power of the test above (an expected failure cannot hold it): the shipped
    design's interval of the fall is narrow enough to tell a 20-point fall from none."""
    shipped, without = milwaukee_design["as shipped"], milwaukee_design["no handoff effect"]
    _, low, high = confidence_interval(shipped[1] - shipped[2])
    assert high - low < 0.2, "too wide to fail"
    fall, low, _ = confidence_interval(without[1] - without[2])
    assert low > 0.02, (fall, low)
    assert (without[2] - without[3]).mean() > 0.05, without.mean()
    added, low, high = confidence_interval((shipped[1] - shipped[2]) - (without[1] - without[2]))
    assert low > -0.1 and high < 0.1, (added, low, high)  # under half the 20-point line


def test_the_hotline_screener_reproduces_allegheny_before_its_tool():
    """docs/hotline_screening.py, which sets row 2's hotline AUC: the screener it solves for
    screens out 27% of the highest-risk twentieth and screens in 48% of the lowest, and a
    screener that sorts risk so weakly has an AUC well below the tools' 0.68: its Monte Carlo
    AUC against the high-risk fifth agrees with the probability that a high-risk referral
    outscores a low-risk one, integrated over both risks' truncated normals."""
    with docs_script("hotline_screening") as hotline:
        rho, cut = hotline.screener()
    assert 1 - hotline.screened_in(rho, cut, 0.95, 1.0) == pytest.approx(0.27, abs=1e-6)
    assert hotline.screened_in(rho, cut, 0.0, 0.05) == pytest.approx(0.48, abs=1e-6)
    spread, top = math.sqrt(1 - rho**2), stats.norm.ppf(0.8)

    def outscores(low: float, high: float) -> float:
        density = stats.norm.pdf(high) / 0.2 * stats.norm.pdf(low) / 0.8
        return density * stats.norm.cdf(rho * (high - low) / (spread * math.sqrt(2)))

    exact = integrate.dblquad(outscores, top, np.inf, -np.inf, lambda high: top)[0]
    assert 0.57 < exact < 0.59
    assert hotline.auc(rho, draws=200_000) == pytest.approx(exact, abs=0.005)
    assert hotline.auc(0.0, draws=200_000) == pytest.approx(0.5, abs=0.005)  # no sorting
