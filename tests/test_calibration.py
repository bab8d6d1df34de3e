"""Calibrated scenarios reproduce their published steady-state figures (docs/calibration.md).

Every target is marked as docs/calibration.md marks it:

- **input echoed**: a figure that is an input coming back out (a vacancy lasts the hiring
  lag; a threshold read as a percentile screens out that share). The test checks the
  model's arithmetic, not the model.
- **tuned**: a parameter was set so that the figure lands on its target. The test guards
  the calibration against drift; passing is not evidence.
- **independent**: nothing was set to reach it. Only these are checks of the model.

The simulated mean must fall inside the published figure or range (or the figure inside
the 95% interval), and the interval must be narrow enough for the check to mean something.
"""

from __future__ import annotations

import math

import pytest
from conftest import ROOT
from scipy import stats

import sim
from sim.analysis import confidence_interval
from sim.analysis.standards import staffing_standards
from sim.core.model import CaseloadModel

SCENARIOS = ROOT / "scenarios"


def inside(values, low: float, high: float, width: float) -> tuple[float, float, float]:
    """The mean of ``values`` lies in ``[low, high]``, with an interval narrower than
    ``width``; returns ``(mean, ci_low, ci_high)``."""
    mean, ci_low, ci_high = confidence_interval(values)
    assert low <= mean <= high, (mean, ci_low, ci_high, low, high)
    assert ci_high - ci_low < width, "too wide to mean anything"
    return mean, ci_low, ci_high


# ---------------------------------------------------------------- child_protection.yaml


@pytest.fixture(scope="module")
def child_protection() -> sim.RunResult:
    return sim.run(SCENARIOS / "child_protection.yaml")


def test_child_protection_turnover_is_the_national_range(child_protection):
    """Tuned (the caseworkers, set before the outcome model): Casey Family Programs,
    child-welfare turnover 20-40% a year, about 30% now."""
    inside(child_protection.replications.turnover_rate, 0.20, 0.40, 0.2)


def test_child_protection_vacancies_last_the_published_hiring_lag(child_protection):
    """Input echoed: AECF, 72 days to fill a position (Jefferson County, Colorado, 2014),
    is the hiring lag's mean; the vacancy's mean duration must equal it."""
    table = child_protection.replications
    hires = int(table.hires.sum())
    mean = float((table.vacancy_days_mean * table.hires).sum() / hires)
    half = stats.t.ppf(0.995, hires - 1) * 25.0 / math.sqrt(hires)  # the lag's sd is 25
    assert abs(mean - 72.0) < half


def test_child_protection_screens_out_over_half_of_new_reports():
    """Input echoed: Chapin Hall, nationally over half of a year's calls are screened out;
    the threshold 0.52 is a percentile of first reports' scores, so 52% of first reports
    are screened out. The headline ``screened_out_share`` counts re-referrals too (their
    raised scores are screened in more often) and is lower, about 48%."""
    scenario = sim.load_scenario(SCENARIOS / "child_protection.yaml")
    short = sim.apply_overrides(scenario, {"horizon_days": 400.0, "warmup_days": 0.0})
    result = sim.run(short, replications=2, records=True)
    records = result.records
    first = records[(records.case_type == "investigation") & ~records.rereferral]
    share = float((first.state == "screened_out").mean())
    half = stats.norm.ppf(0.995) * math.sqrt(0.52 * 0.48 / len(first))
    assert share > 0.5
    assert abs(share - 0.52) < half, (share, half, len(first))
    again = records[(records.case_type == "investigation") & records.rereferral]
    assert float((again.state == "screened_out").mean()) < 0.52 - half
    assert (result.replications.screened_out_share < share).all()


def test_child_protection_burnout_is_inside_the_published_range(child_protection):
    """Independent (strain defaults): high emotional exhaustion in 62% of veteran CPS
    investigators (Anderson 2000) and 73% of UK social workers (McFadden 2015); 43% of
    hospital nurses (Aiken 2002) as the floor of a cousin profession: 40-75%."""
    inside(child_protection.replications.burned_out_share, 0.40, 0.75, 0.15)


# ---------------------------------------------------------------- probation.yaml


@pytest.fixture(scope="module")
def probation() -> sim.RunResult:
    return sim.run(SCENARIOS / "probation.yaml")


def test_probation_turnover_is_the_published_range(probation):
    """Tuned (the base rate): Lee 2008, probation officer turnover about 20% (Texas) to
    30% (Florida)."""
    inside(probation.replications.turnover_rate, 0.20, 0.30, 0.25)


def test_probation_caseload_is_a_general_supervision_caseload(probation):
    """Tuned (12 officers for about 100 cases each): general-supervision caseloads run
    50-150 per officer; the randomised trial's standard arm carried 106."""
    mean, low, high = confidence_interval(probation.replications.caseload_mean)
    assert low >= 50 and high <= 150, (mean, low, high)


def test_probation_burnout_is_the_surveyed_share(probation):
    """Tuned (the officers' tolerance): about 30% of 246 juvenile probation officers scored
    high on emotional exhaustion (White et al. 2015): 20-45%."""
    inside(probation.replications.burned_out_share, 0.20, 0.45, 0.15)


# ---------------------------------------------------------------- england_child_protection.yaml


@pytest.fixture(scope="module")
def england() -> sim.RunResult:
    return sim.run(SCENARIOS / "england_child_protection.yaml")


@pytest.mark.parametrize(
    ("figure", "census"),
    [
        ("turnover_rate", 0.159),  # tuned: the base quit rate
        ("vacancy_rate", 0.189),  # tuned: the chance that a recruitment round fills a post
        ("caseload_mean", 16.0),  # tuned: the pathways' probabilities
        ("absence_share", 0.032),  # tuned: absence at rest and at burnout
        ("agency_share", 0.178),  # independent: agency workers only cover vacancies
    ],
)
def test_england_reproduces_the_2023_workforce_census(england, figure, census):
    """DfE children's social work workforce census, England 2023: turnover 15.9%,
    vacancies 18.9% (74.4% of them covered by agency workers), agency workers 17.8% of
    the workforce, 16.0 cases per case-holding FTE, absence 3.2%."""
    mean, low, high = confidence_interval(england.replications[figure])
    assert low <= census <= high, (figure, mean, low, high)
    # power: a figure half as large, or half as large again, would fail
    assert 0.5 * census < low and high < 1.5 * census, "too wide to mean anything"


def test_england_agency_covers_the_census_share_of_vacancies(england):
    """Input echoed, loosely: ``agency_cover_share`` 0.744 is the chance that a vacancy gets
    an agency worker (census: 74.4% of vacancies covered). The share of vacant days covered
    is that share less the agency's lag (about 0.72 expected), but runs higher, about 80%
    (ten replications: 74.5-86.4%); the cause is not established (docs/calibration.md).
    Checked within ten points."""
    mean, low, high = confidence_interval(england.replications.vacancies_covered_share)
    assert abs(mean - 0.744) < 0.10, (mean, low, high)


def test_england_burnout_is_inside_the_published_range(england):
    """Independent (strain defaults): 73% of UK social workers high on emotional
    exhaustion (McFadden 2015, 1,359 respondents); the same 40-75% as child_protection."""
    inside(england.replications.burned_out_share, 0.40, 0.75, 0.15)


def test_england_hiring_lag_is_a_published_recruitment_round():
    """The hiring lag is one recruitment round of 27-90 days (AECF); a vacancy lasts many
    rounds because a round fills a post with probability 0.11: the time to fill is a
    geometric number of rounds, of mean ``lag / p`` (about 545 days) and variance
    ``E[K] var(L) + var(K) E[L]^2``. Drawn from the model's own hiring streams."""
    scenario = sim.load_scenario(SCENARIOS / "england_child_protection.yaml")
    lag, p = scenario.hiring.lag, scenario.hiring.fill_probability
    assert 27 <= lag.mean <= 90
    careers = CaseloadModel(scenario, replication=0).careers
    draws = [careers.hire_time(k % 32, 0.0) for k in range(3200)]
    expected = lag.mean / p
    sd = math.sqrt(lag.sd**2 / p + (1 - p) / p**2 * lag.mean**2)
    half = stats.norm.ppf(0.995) * sd / math.sqrt(len(draws))
    assert abs(sum(draws) / len(draws) - expected) < half, (expected, half)
    assert half < 0.1 * expected  # power: a lag 10% off would fail
    assert min(draws) > 0


def test_england_scandal_switch():
    scenario = sim.load_scenario(SCENARIOS / "england_child_protection.yaml")
    on = sim.apply_overrides(
        scenario,
        {"policies.scandal.enabled": True, "horizon_days": 400.0, "warmup_days": 0.0},
    )
    off = sim.apply_overrides(scenario, {"horizon_days": 400.0, "warmup_days": 0.0})
    with_scandal = sim.run_replication(on, 0, 1).summary
    without = sim.run_replication(off, 0, 1).summary
    assert without.scandals == 0 and with_scandal.scandals > 0
    assert with_scandal.threshold_mean < without.threshold_mean
    assert with_scandal.referrals > without.referrals


# ---------------------------------------------------------------- public_defender.yaml


@pytest.fixture(scope="module")
def public_defender() -> sim.RunResult:
    return sim.run(SCENARIOS / "public_defender.yaml")


def test_public_defender_turnover_is_the_published_range(public_defender):
    """Independent (base rate from Florida offices, quit multiplier the default): defender
    offices lose 12-15% a year (Florida) to 26.5% (Lee County FL)."""
    inside(public_defender.replications.turnover_rate, 0.12, 0.265, 0.2)


def test_public_defender_burnout_is_the_surveyed_share(public_defender):
    """Tuned (the attorneys' tolerance): 34.7% of Wisconsin State Public Defender attorneys
    reported burnout (Levin & Albert 2011, as quoted): 25-50%."""
    inside(public_defender.replications.burned_out_share, 0.25, 0.50, 0.15)


NAC_CAPS = {  # NAC 1973, Standard 13.12: cases an attorney may take in a year
    "felony_high": 150,
    "felony_mid": 150,
    "felony_low": 150,
    "misdemeanor_high": 400,
    "misdemeanor_low": 400,
    "probation_violation": 400,
}


def test_public_defender_is_within_the_nac_caps_and_far_over_the_workload_study(
    public_defender,
):
    """NAC's caps are per type: 600 felonies a year need 4.0 attorneys, 1,020 misdemeanours
    and violations 2.55, so the office's 1,620 appointments need 6.55 attorneys by NAC: at 7
    it is at 94% of NAC's total, not over it (BJS 2007: 73% of county offices were over).
    The workload study's hours need about 21.8 attorneys: three times the staff."""
    by_type = public_defender.by_case_type
    window = public_defender.replications.set_index("replication").window_days
    per_year = by_type.assign(
        per_year=by_type.referrals / by_type.replication.map(window) * 365.0,
        nac_fte=lambda t: t.per_year / t.case_type.map(NAC_CAPS),
    )
    nac_fte = per_year.groupby("replication").nac_fte.sum()
    mean, low, high = confidence_interval(nac_fte)
    expected = 600 / 150 + 1020 / 400  # the scenario's arrival rates
    assert low <= expected <= high, (mean, low, high)
    assert high < 7.0, "the office carries less than NAC's total for seven attorneys"
    report = staffing_standards(public_defender.scenario)
    assert report.weighted_fte > 3 * 7  # the workload study's hours
