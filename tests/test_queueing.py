"""The model against queueing theory: Erlang C and Little's law.

A scenario configured as M/M/c (count cap 1, Poisson referrals, exponential
case life, no contact or case work that could hold a case open) must reproduce
the Erlang C mean wait for assignment. Tolerances are the replications' own
99% confidence intervals, and the tests also check that those intervals are
narrow enough for the comparison to mean something.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import merge, mmc_data, small_office_data
from queueing_theory import erlang_c, mmc_mean_wait
from scipy import stats

import sim


def t_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def test_erlang_c_oracle_matches_known_values():
    # Textbook values: M/M/1 waits with probability rho; C(2, 1) = 1/3.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho / (mu - lambda)


@pytest.mark.parametrize(("servers", "rho"), [(5, 0.7), (5, 0.9), (2, 0.8)])
def test_mmc_mean_wait_matches_erlang_c(servers, rho):
    scenario = sim.validate_scenario(mmc_data(servers, rho))
    result = sim.run(scenario, replications=30, seed=2026)
    waits = result.replications["wait_mean_days"].to_numpy()
    theory = mmc_mean_wait(servers, rho * servers, 1.0)
    low, high = t_interval(waits, 0.99)
    assert low <= theory <= high, f"Erlang C {theory:.4f} outside 99% CI [{low:.4f}, {high:.4f}]"
    assert (high - low) / 2 < 0.25 * theory, "interval too wide for the test to have power"


def test_mmc_share_waiting_matches_erlang_c():
    """Share of arrivals that wait at all = C(c, a), from the per-referral records."""
    servers, rho = 3, 0.8
    scenario = sim.validate_scenario(mmc_data(servers, rho, horizon=1100.0))
    shares = []
    for replication in range(12):
        out = sim.run_replication(scenario, replication, seed=99, records=True)
        records = out.records
        cohort = records[(records.arrival >= scenario.warmup_days) & records.assigned_at.notna()]
        shares.append(float((cohort.assigned_at - cohort.arrival > 1e-12).mean()))
    low, high = t_interval(np.array(shares), 0.99)
    theory = erlang_c(servers, rho * servers)
    assert low <= theory <= high
    assert high - low < 0.1


def check_little(result: sim.RunResult, count: str, departures: str, time: str) -> None:
    """L = lambda * W: the paired difference over replications has a 99% CI containing 0.

    ``L`` is the time average ``count``; ``lambda`` the ``departures`` per day of the
    window; ``W`` the mean ``time`` of those departures. The interval must also be
    narrow (half-width under 5% of L), so that a real discrepancy would show.
    """
    rows = result.replications
    rate = rows[departures] / rows["window_days"]
    gap = (rows[count] - rate * rows[time]).to_numpy()
    low, high = t_interval(gap, 0.99)
    assert low <= 0.0 <= high, f"L - lambda W in [{low:.4f}, {high:.4f}]"
    assert (high - low) / 2 < 0.05 * rows[count].mean()


def test_little_law_on_the_waiting_queue():
    scenario = sim.validate_scenario(mmc_data(4, 0.9, horizon=1600.0))
    result = sim.run(scenario, replications=20, seed=5)
    assert result.replications["waiting_mean"].min() > 1.0  # a real queue
    check_little(result, "waiting_mean", "assigned", "wait_mean_days")


def test_little_law_on_open_cases_in_a_full_office():
    """Open cases = assignment rate x mean case duration, with contacts, case work and waits."""
    # The warm-up covers the risk window: re-referrals reach their steady rate only
    # once a full window of past referrals is producing signals.
    changes = {
        "horizon_days": 2000.0,
        "warmup_days": 500.0,
        "workforce.caseworkers": 4,
        "caps.count": 14,
    }
    scenario = sim.validate_scenario(small_office_data(**changes))
    result = sim.run(scenario, replications=12, seed=8)
    assert result.replications["wait_mean_days"].mean() > 1.0  # workers are full, cases wait
    check_little(result, "open_cases_mean", "cases_closed", "case_duration_mean_days")
    # The office's waiting list swings too widely between replications (an overloaded
    # spell feeds re-referrals) for a precise check; the M/M/c test above covers queues.


def test_mmc_scenario_is_insensitive_to_the_triage_rule():
    """With no contacts or case work, the triage rule cannot change anything."""
    data = mmc_data(3, 0.8, horizon=300.0, warmup=50.0)
    base = sim.run(sim.validate_scenario(data), replications=2, seed=1).replications
    for rule in ("fifo", "risk_first"):
        other = sim.run(
            sim.validate_scenario(merge(data, {"triage": rule})), replications=2, seed=1
        )
        assert other.replications.equals(base)
