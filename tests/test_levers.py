"""Every costed lever changes what it claims, and its cost appears in the total.

Each lever is switched on against off on the same seeds (common random numbers): the figure
its mechanism moves must move in its direction with a paired 95% interval that excludes
zero, on two seeds; its cost figure must be what its rate says, and the total the sum of
the cost figures. A lever at level 0 is the same run as no lever (bit for bit), and the old
figures of every shipped scenario are unchanged with every lever off
(tests/test_summary_digest.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import assert_same_runs, small_office_data

import sim
from sim.core.summary import FIGURES
from sim.experiments.intervals import confidence_interval

COSTS = [name for name, meta in FIGURES.items() if meta["section"] == "Costs"][:-3]
"""The cost figures that make up the total (not the total and the two ratios after it)."""
REPS = 6


def office(**changes: Any) -> dict[str, Any]:
    """An office of five at about 95% of its hours, so that strain, quits and waits bind."""
    base = {
        "horizon_days": 365.0,
        "warmup_days": 30.0,
        "case_types.0.arrivals.rate_per_year": 550.0,
        "workforce.caseworkers": 5,
        "strain": {"rise_per_day": 0.08},
        "turnover": {"annual_rate": 0.3},
        "hiring": {"lag": {"distribution": "fixed", "value": 60.0}, "training_days": 10.0},
        "budget": {"caseworker_cost": 50_000.0, "hiring_cost": 4_000.0},
    }
    return small_office_data(**{**base, **changes})


def paired(off: dict, on: dict, figure: str, seed: int) -> tuple[float, float, float]:
    """Mean and 95% interval of ``on - off`` for ``figure``, paired by replication."""
    a = sim.run(sim.validate_scenario(off), replications=REPS, seed=seed).replications
    b = sim.run(sim.validate_scenario(on), replications=REPS, seed=seed).replications
    return confidence_interval((b[figure] - a[figure]).tolist())


def assert_total_is_the_sum_of_costs(data: dict) -> sim.RunResult:
    result = sim.run(sim.validate_scenario(data), replications=2, seed=3)
    for _, row in result.replications.iterrows():
        assert row.total_cost == pytest.approx(sum(row[c] for c in COSTS), rel=1e-12)
    return result


LEVERS = {
    # lever: (changes that switch it on, the figure it moves, direction, cost figure)
    "wellbeing": (
        {
            "levers": {
                "wellbeing": {
                    "cost_per_worker_year": 2_000.0,
                    "strain_rise_cut": 0.5,
                    "recovery_boost": 1.0,
                    "quit_cut": 0.3,
                }
            }
        },
        "strain_mean",
        -1,
        "wellbeing_cost",
    ),
    "retention_pay": (
        {"levers": {"retention_pay": {"cost_per_worker_year": 3e3, "quit_cut": 0.5}}},
        "quits",
        -1,
        "retention_pay_cost",
    ),
    "faster_hiring": (
        {"levers": {"faster_hiring": {"cost_per_hire": 2_500.0}}},
        "vacancy_rate",
        -1,
        "hiring_pipeline_cost",
    ),
    "rebalancing": (
        {"levers": {"rebalancing": {"every_days": 3.0, "cost_per_audit": 300.0}}},
        "worker_days_over_cap_share",
        -1,
        "rebalancing_cost",
    ),
    "technology": (
        {
            "workforce.non_case_share": 0.3,
            "technology": {"non_case_cut": 0.5, "cost_per_worker_year": 1_500.0},
        },
        "contacts_on_time_share",
        +1,
        "technology_cost",
    ),
    "caseworkers": ({"workforce.caseworkers": 7}, "wait_mean_days", -1, "salary_cost"),
    "support_staff": (
        {"workforce.support_staff": 2, "budget.support_cost": 30_000.0},
        "backlog_hours_mean",
        -1,
        "salary_cost",
    ),
    "agency_cover": (
        {"hiring.agency_cover_share": 1.0, "budget.agency_cost": 80_000.0},
        "hours_available",
        +1,
        "agency_cost",
    ),
    "external_providers": (
        {"caps": {"count": 10, "overflow": "external", "external_cost_per_case": 900.0}},
        "waiting_mean",
        -1,
        "external_cost",
    ),
}
"""Off is the office without the changes, except that the rebalancing and external
provider levers need caps to act on (their off runs have the same caps, overflow over_cap
and wait)."""

REBALANCING_OFFICE = {
    # long cases under a count cap, over_cap overflow and fast hires: a leaver's cases push
    # colleagues over the cap while the new hire, with full caps at once, has room
    "case_types.0.duration": {"distribution": "lognormal", "mean": 150.0, "sd": 50.0},
    "case_types.0.arrivals.rate_per_year": 180.0,
    "workforce.caseworkers": 6,
    "caps": {"count": 10, "overflow": "over_cap"},
    "strain": None,
    "turnover.annual_rate": 2.0,
    "hiring": {
        "lag": {"distribution": "fixed", "value": 20.0},
        "training_days": 0.0,
        "ramp_days": 0.0,
    },
}
OFF_CHANGES = {
    "rebalancing": REBALANCING_OFFICE,
    "external_providers": {"caps": {"count": 10, "overflow": "wait"}},
    # no strain and no warm-up: each position's working lives stretch, so quits can only fall
    "retention_pay": {
        "strain": None,
        "warmup_days": 0.0,
        "turnover.annual_rate": 1.0,
        "workforce.caseworkers": 8,
    },
    "technology": {"workforce.non_case_share": 0.3},
}


@pytest.mark.parametrize("lever", list(LEVERS))
@pytest.mark.parametrize("seed", [5, 17])
def test_each_lever_moves_its_figure_in_its_direction(lever: str, seed: int) -> None:
    changes, figure, direction, _ = LEVERS[lever]
    off = office(**OFF_CHANGES.get(lever, {}))
    on = office(**{**OFF_CHANGES.get(lever, {}), **changes})
    mean, low, high = paired(off, on, figure, seed)
    if direction < 0:
        assert high < 0, f"{lever}: {figure} moved by {mean:.4g} [{low:.4g}, {high:.4g}]"
    else:
        assert low > 0, f"{lever}: {figure} moved by {mean:.4g} [{low:.4g}, {high:.4g}]"


@pytest.mark.parametrize("lever", list(LEVERS))
def test_each_levers_cost_appears_in_the_total(lever: str) -> None:
    changes, _, _, cost = LEVERS[lever]
    result = assert_total_is_the_sum_of_costs(office(**{**OFF_CHANGES.get(lever, {}), **changes}))
    assert (result.replications[cost] > 0).all()


def test_programme_costs_accrue_per_caseworker_in_post() -> None:
    """Wellbeing support and retention pay cost level x rate per caseworker-year in post."""
    data = office(
        levers={
            "wellbeing": {"level": 0.5, "cost_per_worker_year": 3_650.0},
            "retention_pay": {"level": 0.25, "cost_per_worker_year": 7_300.0},
        }
    )
    result = sim.run(sim.validate_scenario(data), replications=2, seed=9)
    for _, row in result.replications.iterrows():
        worker_days = row.headcount_mean * row.window_days
        assert row.wellbeing_cost == pytest.approx(5.0 * worker_days, rel=1e-9)
        assert row.retention_pay_cost == pytest.approx(5.0 * worker_days, rel=1e-9)


@pytest.mark.fast
def test_a_faster_pipeline_cuts_each_lag_and_costs_per_hire() -> None:
    """With a fixed 60-day lag, a cut of 0.6 at level 0.5 leaves 42 days; each hire costs
    level x cost_per_hire."""
    data = office(levers={"faster_hiring": {"level": 0.5, "lag_cut": 0.6, "cost_per_hire": 1e3}})
    result = sim.run(sim.validate_scenario(data), replications=3, seed=2).replications
    hired = result[result.hires > 0]
    assert len(hired) > 0
    assert np.allclose(hired.vacancy_days_mean, 60.0 * (1 - 0.6 * 0.5))
    assert np.allclose(result.hiring_pipeline_cost, 500.0 * result.hires)


def test_rebalancing_audits_cost_and_count_a_handoff_per_case_moved() -> None:
    """Audits run at the end of every ``every_days``-th day; each costs its price; every case
    moved is a change of worker, as is every leaver's case transferred."""
    data = office(
        **REBALANCING_OFFICE,
        warmup_days=0.0,
        levers={"rebalancing": {"every_days": 10.0, "cost_per_audit": 100.0}},
    )
    scenario = sim.validate_scenario(data)
    output = sim.run_replication(scenario, 0, seed=4, records=True)
    summary, records = output.summary, output.records
    audits = math.ceil(365.0 / 10.0) - 1  # days 10, 20, ... 360: every one before the horizon
    assert summary.rebalancing_cost == pytest.approx(100.0 * audits)
    assert summary.cases_rebalanced > 0
    assert records.handoffs.sum() == summary.cases_rebalanced + summary.transfers


def test_a_moved_case_lowers_the_service_dose() -> None:
    """A case moved by an audit counts a handoff: with a service effect, the dose at closure
    of the moved cases is lower than the same cases' dose without the audits (first
    referrals paired by subject and arrival: the same referrals on the same seed)."""
    service = {"case_types.0.service": {"effect": 0.3, "handoff_factor": 0.5}}
    base = office(**{**REBALANCING_OFFICE, "warmup_days": 0.0, **service})
    audited = {**base, "levers": {"rebalancing": {"every_days": 3.0}}}
    moved_lower, moved = 0, 0
    for seed in (8, 9, 10):
        off = sim.run_replication(sim.validate_scenario(base), 0, seed, records=True).records
        on = sim.run_replication(sim.validate_scenario(audited), 0, seed, records=True).records
        first = ["subject", "arrival"]
        both = off[~off.rereferral].merge(on[~on.rereferral], on=first, suffixes=("_off", "_on"))
        both = both[(both.handoffs_on > both.handoffs_off) & both.closed_at_on.notna()]
        both = both[both.closed_at_off.notna()]
        moved += len(both)
        moved_lower += (both.dose_at_close_on < both.dose_at_close_off).sum()
    assert moved >= 10
    assert moved_lower / moved > 0.7


@pytest.mark.parametrize(
    "lever",
    [
        {"wellbeing": {"level": 0.0, "cost_per_worker_year": 1e4}},
        {"retention_pay": {"level": 0.0, "cost_per_worker_year": 1e4}},
        {"faster_hiring": {"level": 0.0, "cost_per_hire": 1e4}},
    ],
    ids=lambda lever: next(iter(lever)),
)
def test_a_lever_at_level_zero_is_no_lever(lever: dict) -> None:
    assert_same_runs(sim.validate_scenario(office()), sim.validate_scenario(office(levers=lever)))


def test_a_lever_block_with_a_bad_field_is_refused_in_one_line(tmp_path) -> None:
    import yaml

    data = office(levers={"wellbeing": {"level": 1.5}})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(sim.ScenarioError) as error:
        sim.load_scenario(path)
    assert "levers.wellbeing.level" in str(error.value)
    assert "\n" not in str(error.value)
