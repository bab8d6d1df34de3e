"""The analysis functions, checked on inputs whose answers are known."""

from __future__ import annotations

import math
import warnings

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


@pytest.mark.fast
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


@pytest.mark.fast
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


@pytest.mark.fast
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


@pytest.mark.fast
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


# ------------------------------------------------------------------ edge cases the mutants found


@pytest.mark.fast
def test_least_budget_skips_failed_runs_and_orders_the_levels_itself():
    """Failed runs are left out, levels are taken in budget order whatever the table's
    order, a level with two runs counts, and one with a single run is skipped without
    ending the search."""
    rows = [
        (3, [1.0, 1.2, 0.9]),
        (1, [5.0]),  # one run: no bound, skipped
        (2, [1.0, 1.1]),  # two runs: a bound
        (4, [1.1, 0.8, 1.0]),
    ]
    table = pd.DataFrame(
        [(b, v, "ok") for b, values in rows for v in values], columns=["budget", "missed", "status"]
    )
    failed = pd.DataFrame({"budget": [2, 2], "missed": [99.0, 99.0], "status": ["failed"] * 2})
    table = pd.concat([table, failed], ignore_index=True)
    best = least_sufficient(table, "budget", "missed", target=2.0)
    assert best["budget"] == 2 and best["n"] == 2
    assert best["mean"] == pytest.approx(1.05)
    # Strictly below: a target equal to the bound is not met.
    assert least_sufficient(table, "budget", "missed", target=best["upper"])["budget"] == 3


@pytest.mark.fast
def test_paired_difference_of_a_table_without_status():
    table = pd.DataFrame(
        {"point": [0, 0, 0, 1, 1, 1], "replication": [0, 1, 2] * 2, "missed": [1, 2, 4, 2, 4, 5]}
    )
    d = paired_difference(table, 0, 1, "missed")
    assert (d.mean, d.n) == (pytest.approx(4 / 3), 3)


def discrete_table(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.integers(0, 10, 3000), "b": rng.uniform(size=3000)})


@pytest.mark.fast
@pytest.mark.parametrize(
    ("bad", "limit"), [(lambda t: t.a >= 7, (6.0, 9.0)), (lambda t: t.a <= 2, (0.0, 3.0))]
)
def test_prim_peels_ties_of_a_discrete_factor(bad, limit):
    """A factor with ten values: each peel removes the values at the quantile, from
    the low end (bad cases at the top) or the high end (at the bottom)."""
    table = discrete_table()
    box = prim_box(table, ["a", "b"], bad(table))
    assert box.limits["a"] == limit
    assert box.density == 1.0 and box.coverage == 1.0
    assert box.support == pytest.approx(bad(table).mean())


@pytest.mark.fast
def test_prim_stops_at_the_least_support():
    """Bad cases in 2% of the space: the box cannot shrink below 5% (the default) of them."""
    rng = np.random.default_rng(5)
    table = pd.DataFrame(rng.uniform(size=(4000, 2)), columns=["a", "b"])
    bad = (table.a > 0.9) & (table.b > 0.8)
    box = prim_box(table, ["a", "b"], bad)
    assert 0.05 <= box.support < 0.05 / 0.95
    inside = np.ones(len(table), dtype=bool)
    for factor, (low, high) in box.limits.items():
        inside &= (table[factor] >= low) & (table[factor] <= high)
    assert box.support == pytest.approx(inside.mean(), abs=2 / len(table))
    assert box.coverage == pytest.approx(bad[inside].sum() / bad.sum(), abs=2 / bad.sum())


@pytest.mark.fast
def test_prim_with_no_bad_case_and_a_constant_factor():
    table = discrete_table().assign(fixed=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 on the way
        box = prim_box(table, ["a", "b", "fixed"], np.zeros(len(table), dtype=bool))
    assert box.limits == {} and box.support == 1.0 and box.density == 0.0
    assert math.isnan(box.coverage)
    zero_support = prim_box(table, ["fixed", "a"], table.a >= 7, min_support=0.0)
    assert zero_support.support > 0 and "fixed" not in zero_support.limits


@pytest.mark.fast
def test_prim_peels_the_high_side_when_the_low_side_cannot():
    """45% of the cases at a = 0: peeling them would leave less than the least support,
    so the box is found from the top of a alone."""
    rng = np.random.default_rng(4)
    a = np.where(rng.uniform(size=4000) < 0.45, 0, rng.integers(1, 61, 4000))
    table = pd.DataFrame({"a": a, "b": rng.uniform(size=4000)})
    box = prim_box(table, ["a", "b"], table.a <= 20, min_support=0.6)
    assert set(box.limits) == {"a"} and box.limits["a"][0] == 0.0 < box.limits["a"][1] < 30
    assert box.coverage == 1.0 and box.density > 0.9


@pytest.mark.fast
def test_prim_takes_the_first_of_equally_good_cuts():
    rng = np.random.default_rng(6)
    x = rng.uniform(size=2000)
    table = pd.DataFrame({"a": x, "b": x})  # two copies: every cut of b ties with a's
    box = prim_box(table, ["a", "b"], table.a > 0.8)
    assert set(box.limits) == {"a"}


@pytest.mark.fast
def test_first_order_indices_are_salibs_on_the_varying_factors(capsys):
    """The wrapper passes the varying factors (rows with a missing value dropped) to
    SALib's delta method and reports its S1 and balanced delta, printing nothing; a
    constant factor, or a constant outcome, gets 0. A linear outcome (2a + b) / 10 ranks
    a over b over c."""
    from SALib.analyze import delta

    unit = qmc.LatinHypercube(d=3, seed=1).random(200)
    table = pd.DataFrame(unit, columns=["a", "b", "c"]).assign(fixed=2.0)
    table["y"] = (2 * table.a + table.b) / 10  # a range under 1
    gappy = pd.concat([table, pd.DataFrame({"a": [0.5], "y": [np.nan]})], ignore_index=True)
    indices = first_order_indices(gappy, ["a", "b", "c", "fixed"], "y", resamples=3, seed=2)
    assert "S1_conf" not in capsys.readouterr().out
    problem = {
        "num_vars": 3,
        "names": ["a", "b", "c"],
        "bounds": [[float(table[f].min()), float(table[f].max())] for f in "abc"],
    }
    x = table[["a", "b", "c"]].to_numpy()
    direct = delta.analyze(
        problem, x, table.y.to_numpy(), num_resamples=3, seed=2, print_to_console=False
    )
    for column, key in (
        ("S1", "S1"),
        ("S1_conf", "S1_conf"),
        ("delta", "delta_balanced"),
        ("delta_conf", "delta_balanced_conf"),
    ):
        np.testing.assert_allclose(indices.loc[["a", "b", "c"], column], direct[key])
        assert indices.loc["fixed", column] == 0.0
    assert indices.loc["a", "S1"] > indices.loc["b", "S1"] > indices.loc["c", "S1"]
    assert indices.index.name == "factor"
    # The bootstrap is drawn from the seed, 0 by default (which SALib itself would leave
    # unseeded: the intervals then changed from run to run), and numpy's global random
    # state is left as it was.
    before = np.random.get_state()[1].copy()
    first = first_order_indices(table, ["a", "b", "c"], "y", resamples=3)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    pd.testing.assert_frame_equal(
        first, first_order_indices(table, ["a", "b", "c"], "y", resamples=3)
    )
    np.random.seed(0)
    again = delta.analyze(problem, x, table.y.to_numpy(), num_resamples=3, print_to_console=False)
    np.testing.assert_allclose(first.S1_conf, again["S1_conf"])
    flat = first_order_indices(table.assign(y=1.0), ["a", "b"], "y", resamples=3)
    assert (flat.to_numpy() == 0.0).all()


@pytest.mark.fast
def test_first_order_indices_keep_salibs_cautions_and_leave_warnings_alone():
    """On a grid (a factor with three levels) SALib merges bins and says so, and warns that
    raw and balanced delta differ: the cautions are kept in ``attrs["notes"]``, the bin
    merges are not, nothing is printed, and the process's warning format is put back."""
    rng = np.random.default_rng(1)
    grid = pd.DataFrame({"grid_level": np.repeat([1.0, 2.0, 3.0], 10), "spread": rng.random(30)})
    grid["y"] = 2 * grid.grid_level + grid.spread + rng.normal(0.0, 0.1, 30)
    formatter = warnings.formatwarning
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        indices = first_order_indices(grid, ["grid_level", "spread"], "y", resamples=3)
    assert shown == []
    assert warnings.formatwarning is formatter
    (note,) = indices.attrs["notes"]
    assert note.startswith("[grid_level] Potential Bias Notice: Raw delta score differs")
    assert (
        indices.attrs == first_order_indices(grid, ["grid_level", "spread"], "y", resamples=3).attrs
    )


def test_first_order_indices_take_100_resamples_by_default():
    """Not in the fast layer: three bootstraps of 100 resamples take seconds."""
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"a": rng.random(30)})
    table["y"] = table.a + rng.normal(0.0, 0.1, 30)
    default = first_order_indices(table, ["a"], "y")
    pd.testing.assert_frame_equal(default, first_order_indices(table, ["a"], "y", resamples=100))
    assert not default.equals(first_order_indices(table, ["a"], "y", resamples=101))


@pytest.mark.fast
def test_prim_peels_down_to_a_box_of_exactly_the_least_support():
    """100 cases on a line, the top 5 bad: peeling 5% at a time ends on the 5 bad cases, a
    box whose support is exactly ``min_support`` (allowed: only a smaller one is not)."""
    table = pd.DataFrame({"a": np.arange(100, dtype=float)})
    box = prim_box(table, ["a"], table.a >= 95, min_support=0.05)
    assert box.support == 0.05 and box.density == 1.0 and box.coverage == 1.0
    assert 94.0 < box.limits["a"][0] <= 95.0
