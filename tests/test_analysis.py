"""The analysis functions, checked on inputs whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import small_office_data
from scipy.stats import qmc

import sim
from sim.analysis import (
    first_order_indices,
    least_sufficient,
    paired_difference,
    pareto_frontier,
    prim_box,
)


def test_pareto_frontier_of_a_known_table():
    table = pd.DataFrame(
        {
            "name": list("ABCDEF"),
            "cost": [1.0, 2.0, 3.0, 2.0, 4.0, 3.0],
            "missed": [9.0, 5.0, 4.0, 6.0, 4.0, 2.0],
        }
    )
    # D is beaten by B, C by F, E by F; A (cheapest), B and F are the frontier.
    frontier = pareto_frontier(table, ["cost", "missed"])
    assert list(frontier.name) == ["A", "B", "F"]


def test_least_budget_on_a_monotone_response():
    """Missed risk falls with budget as 100 / budget plus noise (sd 1, 30 replications):
    the true mean is 11.1 at budget 9 and exactly the target, 12.5, at budget 8."""
    rng = np.random.default_rng(4)
    budgets = np.repeat(np.arange(4, 16), 30)
    missed = 100.0 / budgets + rng.normal(0.0, 1.0, budgets.size)
    table = pd.DataFrame({"budget": budgets, "missed": missed})
    best = least_sufficient(table, "budget", "missed", target=12.5)
    assert best["budget"] == 9
    assert best["upper"] < 12.5
    assert least_sufficient(table, "budget", "missed", target=2.0) is None


def test_least_budget_ignores_a_lucky_dip():
    table = pd.DataFrame(
        {
            "budget": [1] * 5 + [2] * 5 + [3] * 5,
            "missed": [1.0, 1.1, 0.9, 1.0, 1.0] + [5.0, 5.1, 4.9, 5.0, 5.0] + [1.0] * 4 + [1.1],
        }
    )
    assert least_sufficient(table, "budget", "missed", target=2.0)["budget"] == 3


def ishigami(x: np.ndarray) -> np.ndarray:
    a, b = 7.0, 0.1
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_first_order_indices_of_the_ishigami_function():
    """Known first-order indices: S1 = 0.3139, S2 = 0.4424, S3 = 0; each estimate's
    bootstrap 95% interval must hold the true value."""
    unit = qmc.LatinHypercube(d=3, seed=1).random(4000)
    x = qmc.scale(unit, [-math.pi] * 3, [math.pi] * 3)
    table = pd.DataFrame(x, columns=["x1", "x2", "x3"]).assign(y=ishigami(x), fixed=1.0)
    indices = first_order_indices(table, ["x1", "x2", "x3", "fixed"], "y", seed=1)
    for factor, true in {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}.items():
        estimate, half = indices.loc[factor, "S1"], indices.loc[factor, "S1_conf"]
        assert abs(estimate - true) < half, (factor, estimate, half)
        assert half < 0.05
    assert indices.loc["fixed", "S1"] == 0.0


def test_first_order_indices_without_delta_of_the_ishigami_function():
    """S1 alone (delta=False, the fast path), on several designs: each estimate's interval holds
    the known S1 of x1 and x2; x3's true 0 is estimated from classes of the sample, which can
    only add variance, so it is bounded above; no delta is given."""
    for seed in (1, 2, 3):
        unit = qmc.LatinHypercube(d=3, seed=seed).random(4000)
        x = qmc.scale(unit, [-math.pi] * 3, [math.pi] * 3)
        table = pd.DataFrame(x, columns=["x1", "x2", "x3"]).assign(y=ishigami(x), fixed=1.0)
        indices = first_order_indices(
            table, ["x1", "x2", "x3", "fixed"], "y", seed=seed, resamples=500, delta=False
        )
        for factor, true in {"x1": 0.3139, "x2": 0.4424}.items():
            estimate, half = indices.loc[factor, "S1"], indices.loc[factor, "S1_conf"]
            assert abs(estimate - true) < half, (seed, factor, estimate, half)
            assert half < 0.05
        assert 0.0 <= indices.loc["x3", "S1"] < 0.03
        assert indices.loc["fixed", "S1"] == 0.0
        assert indices.loc[["x1", "x2", "x3"], ["delta", "delta_conf"]].isna().all().all()


def test_prim_finds_the_bad_corner():
    rng = np.random.default_rng(2)
    table = pd.DataFrame(rng.uniform(size=(4000, 3)), columns=["a", "b", "c"])
    bad = (table.a > 0.7) & (table.b < 0.3)
    box = prim_box(table, ["a", "b", "c"], bad, min_support=0.05)
    assert set(box.limits) >= {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.7, abs=0.05)
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.05)
    assert box.density > 0.9 and box.coverage > 0.8


@pytest.fixture(scope="module")
def crn_sweep(tmp_path_factory):
    """A real sweep: two staffing levels, common random numbers."""
    base = sim.validate_scenario(small_office_data(**{"horizon_days": 300.0}))
    plan = sim.sweep_over(
        base,
        replications=12,
        seed=3,
        factors=[{"path": "workforce.caseworkers", "values": [4, 5]}],
    )
    out = tmp_path_factory.mktemp("crn") / "out"
    sim.run_sweep(plan, out, engine="serial")
    return sim.load_results(out)


def test_paired_intervals_are_narrower_than_unpaired_under_common_random_numbers(crn_sweep):
    """Replication r of both points shares its referrals and risks: the outcomes move
    together across replications, so their differences vary less than either."""
    for outcome in ("missed", "caught", "contacts_done"):
        d = paired_difference(crn_sweep, 0, 1, outcome)
        assert d.n == 12
        a = crn_sweep[crn_sweep.point == 0].set_index("replication")[outcome]
        b = crn_sweep[crn_sweep.point == 1].set_index("replication")[outcome]
        assert np.corrcoef(a, b)[0, 1] > 0.5, outcome
        paired, unpaired = d.ci_high - d.ci_low, d.unpaired_ci_high - d.unpaired_ci_low
        assert paired < unpaired, (outcome, paired, unpaired)
        assert d.ci_low <= d.mean <= d.ci_high
