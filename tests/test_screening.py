"""Intake screening: the score's AUC, the threshold, and the assessed tiers."""

from __future__ import annotations

import math

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
)

import sim
from sim.core.arrivals import AttributeSampler
from sim.core.casetypes import build_profiles
from sim.core.model import CaseloadModel
from sim.core.randomness import Purpose, RandomStreams
from sim.core.referral import ReferralState
from sim.core.screening import ScreeningTool, auc_for_separation, separation_for_auc


def draws_for(data: dict, size: int, seed: int = 1):
    scenario = sim.validate_scenario(data)
    profile = build_profiles(scenario)[0]
    sampler = AttributeSampler(profile, RandomStreams(seed), Purpose.ARRIVALS)
    return scenario, profile, sampler.draw(np.zeros(size))


def hanley_mcneil_se(auc: float, positives: int, negatives: int) -> float:
    """Standard error of an empirical AUC (Hanley & McNeil 1982)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    return math.sqrt(variance)


CASES = [
    # (auc, tiers with signal rates, risk mix, high-risk tiers)
    (0.68, ["low", "medium", "high"], {"low": 0.5, "medium": 0.3, "high": 0.2}, None),
    (0.57, ["low", "medium", "high"], {"low": 0.6, "medium": 0.3, "high": 0.1}, None),
    (0.77, ["low", "high"], {"low": 0.7, "high": 0.3}, None),
    (
        0.72,
        ["low", "moderate", "high", "very_high"],
        {"low": 0.4, "moderate": 0.3, "high": 0.2, "very_high": 0.1},
        ["high", "very_high"],
    ),
]


@pytest.mark.fast
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("auc", "tiers", "mix", "high"), CASES)
def test_empirical_auc_is_within_its_confidence_interval_of_the_target(auc, tiers, mix, high, seed):
    """The empirical AUC of 60,000 scores within its normal interval of the target; an AUC
    0.02 off (published AUCs are quoted to two decimals) would fail the check."""
    data = small_office_data(
        **{
            "intake.auc": auc,
            "risk.tiers": [{"name": t, "signals_per_year": 1.0} for t in tiers],
            "case_types.0.risk_mix": mix,
            "case_types.0.first_contact": None,
            "case_types.0.contacts": None,
            "intake.high_risk_tiers": high,
        }
    )
    scenario, _, draws = draws_for(data, 60_000, seed)
    high_index = [scenario.tier_names.index(name) for name in scenario.high_risk_tiers]
    positive = np.isin(draws.tiers, high_index)
    result = stats.mannwhitneyu(draws.scores[positive], draws.scores[~positive])
    empirical = result.statistic / (positive.sum() * (~positive).sum())
    se = hanley_mcneil_se(auc, int(positive.sum()), int((~positive).sum()))
    critical = stats.norm.isf(ALPHA / 2)
    assert abs(empirical - auc) <= critical * se, (empirical, auc, se)
    assert stats.norm.sf(critical - 0.02 / se) >= POWER


@pytest.mark.fast
def test_separation_solves_the_auc_equation():
    mix, high = [0.5, 0.3, 0.2], [False, False, True]
    for auc in (0.55, 0.68, 0.9, 0.99):
        assert auc_for_separation(separation_for_auc(auc, mix, high), mix, high) == pytest.approx(
            auc
        )
    assert separation_for_auc(0.5, mix, high) == 0.0


@pytest.mark.fast
@pytest.mark.parametrize("seed", SEEDS)
def test_score_is_a_percentile_so_the_threshold_is_the_screen_out_share(seed):
    """The share of 80,000 scores below each threshold is a binomial count at the
    threshold; a share one point off would fail the check."""
    _, _, draws = draws_for(small_office_data(), 80_000, seed)
    for threshold in (0.2, 0.5, 0.8):
        below = int(np.sum(draws.scores < threshold))
        low, high = binomial_region(len(draws), threshold, ALPHA / 3)
        assert low <= below <= high, (threshold, below / len(draws))
        assert binomial_power(len(draws), threshold, threshold + 0.01, ALPHA / 3) >= POWER


@pytest.mark.fast
@pytest.mark.parametrize("seed", SEEDS)
def test_assessed_tiers_occur_as_often_as_latent_tiers_and_agree_better_than_chance(seed):
    """Assessed tiers in the risk mix's proportions (chi-square); a mix one point off
    (0.51, 0.29, 0.20) would fail the check (noncentral chi-square power)."""
    _, profile, draws = draws_for(small_office_data(), 80_000, seed)
    counts = np.bincount(draws.assessed, minlength=3)
    expected = profile.mix * len(draws)
    assert stats.chisquare(counts, expected).pvalue > ALPHA
    shifted = profile.mix + np.array([0.01, -0.01, 0.0])
    noncentrality = len(draws) * float(np.sum((shifted - profile.mix) ** 2 / profile.mix))
    critical = stats.chi2.isf(ALPHA, 2)
    assert stats.ncx2.sf(critical, 2, noncentrality) >= POWER
    agreement = float(np.mean(draws.assessed == draws.tiers))
    chance = float(profile.mix @ profile.mix)
    assert agreement > chance + 0.05


@pytest.mark.fast
def test_scalar_and_vector_percentiles_agree():
    _, profile, draws = draws_for(small_office_data(), 200)
    tool = profile.screening
    vector = tool.percentiles(draws.raw_scores)
    scalar = [tool.percentile(x) for x in draws.raw_scores]
    np.testing.assert_allclose(vector, scalar, rtol=1e-12)
    assert [tool.assessed_tier(u) for u in vector] == tool.assessed_tiers(vector).tolist()


@pytest.mark.parametrize("seed", SEEDS)
def test_raising_the_threshold_opens_fewer_cases_and_misses_more_screened_out_risk(seed):
    """Same seed, three thresholds: paired over replications (common random numbers);
    six replications a seed give t of 9 to 16 against a critical 4.8."""
    results = {
        threshold: sim.run(
            sim.validate_scenario(small_office_data(**{"intake.threshold": threshold})),
            replications=6,
            seed=seed,
        ).replications
        for threshold in (0.2, 0.5, 0.8)
    }
    low, mid, high = (results[t] for t in (0.2, 0.5, 0.8))
    # The first reports are the same referrals: the ones screened out only grow.
    assert (low["referrals"] == high["referrals"]).all()
    assert (low["screened_in"] > mid["screened_in"]).all()
    assert (mid["screened_in"] > high["screened_in"]).all()
    for lower, higher in ((low, mid), (mid, high)):
        diff = (higher["missed_screened_out"] - lower["missed_screened_out"]).to_numpy()
        low_bound, _ = mean_interval(diff, 2 * ALPHA)
        assert low_bound > 0, "screened_out harms must rise with the threshold"


@pytest.mark.fast
def test_threshold_per_case_type():
    data = small_office_data()
    second = dict(data["case_types"][0], name="court")
    data["case_types"].append(second)
    data["intake"]["threshold"] = {"family": 0.0, "court": 1.0}
    out = sim.run_replication(sim.validate_scenario(data), records=True)
    records = out.records[~out.records.initial]
    states = records.groupby("case_type")["state"].apply(lambda s: (s == "screened_out").mean())
    assert states["court"] == 1.0
    assert states["family"] == 0.0


@pytest.mark.fast
def test_a_score_on_the_threshold_is_screened_in():
    """Intake screens out referrals *below* the threshold (sim/scenario/risk.py): a score
    exactly on it opens a case, the next score below it is screened out."""
    model = CaseloadModel(sim.validate_scenario(small_office_data()), seed=1, records=True)
    desk = model.intake
    threshold = desk.thresholds[0]
    on = a_referral(desk.profiles[0], 10**6, score=threshold)
    below = a_referral(desk.profiles[0], 10**6 + 1, score=np.nextafter(threshold, 0.0))
    desk.receive(on)
    desk.receive(below)
    assert on.state in (ReferralState.OPEN, ReferralState.WAITING)
    assert below.state is ReferralState.SCREENED_OUT


@pytest.mark.fast
def test_screened_out_referrals_keep_their_risk():
    """Everything screened out: every harm is screened_out and nothing is caught."""
    data = small_office_data(**{"intake.threshold": 1.0, "risk.rereport_probability": 0.5})
    rows = sim.run(sim.validate_scenario(data), replications=2, seed=4).replications
    assert (rows["screened_in"] == 0).all()
    assert (rows["missed"] > 50).all()
    assert (rows["missed"] == rows["missed_screened_out"]).all()
    assert (rows["caught"] == 0).all()
    assert (rows["rereferrals"] > 0).all()


@pytest.mark.fast
def test_assessed_tiers_by_hand_at_and_between_the_cut_points():
    """A 0.5/0.3/0.2 mix cuts percentiles at 0.5 and 0.8: below 0.5 low, from 0.5 up to 0.8
    medium, from 0.8 high (a percentile on a cut point is assessed into the tier above),
    one percentile at a time as in bulk."""
    tool = ScreeningTool([0.5, 0.3, 0.2], separation=1.0)
    percentiles = [0.0, 0.2, 0.4999, 0.5, 0.7, 0.8, 0.95, 1.0]
    expected = [0, 0, 0, 1, 1, 2, 2, 2]
    assert [tool.assessed_tier(u) for u in percentiles] == expected
    assert tool.assessed_tiers(np.array(percentiles)).tolist() == expected


@pytest.mark.fast
def test_the_auc_needs_referrals_in_and_out_of_the_high_tiers():
    for high in ([False, False, False], [True, True, True]):
        with pytest.raises(ValueError, match="both in and out"):
            auc_for_separation(1.0, [0.5, 0.3, 0.2], high)
    # no separation: a score that ranks at random
    assert auc_for_separation(0.0, [0.5, 0.3, 0.2], [False, False, True]) == pytest.approx(0.5)
