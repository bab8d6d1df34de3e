"""The model against queueing theory: Erlang C and Little's law.

A scenario configured as M/M/c (count cap 1, Poisson referrals, exponential
case life, no contact or case work that could hold a case open) must reproduce
the Erlang C mean wait for assignment. Each check runs on five seeds, with the
replications' own t interval at level ALPHA, and shows that a discrepancy of the size
that matters would fail it (tests/statistics_checks.py).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from conftest import mmc_data, small_office_data
from queueing_theory import erlang_c, mmc_mean_wait
from statistics_checks import SEED_POWER, SEEDS, mean_interval, t_power

import sim


@pytest.mark.fast
def test_erlang_c_oracle_matches_known_values():
    # Textbook values: M/M/1 waits with probability rho; C(2, 1) = 1/3.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho / (mu - lambda)


@functools.cache
def mmc_waits(servers: int, rho: float, seed: int) -> np.ndarray:
    """Mean waits of 16 replications of 2,000 days (after 100 of warm-up)."""
    scenario = sim.validate_scenario(mmc_data(servers, rho))
    return sim.run(scenario, replications=16, seed=seed).replications["wait_mean_days"].to_numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("servers", "rho"), [(5, 0.7), (3, 0.8), (2, 0.8)])
def test_mmc_mean_wait_matches_erlang_c(servers, rho, seed):
    """A mean wait a quarter off Erlang C's would fail the check: each seed's power, from
    the sd of all five seeds' replications, is at least SEED_POWER (0.9 over five).
    Heavier traffic (rho 0.9) needs several times the replications for the same power:
    its queue is checked by Little's law below."""
    waits = mmc_waits(servers, rho, seed)
    theory = mmc_mean_wait(servers, rho * servers, 1.0)
    low, high = mean_interval(waits)
    assert low <= theory <= high, f"Erlang C {theory:.4f} outside [{low:.4f}, {high:.4f}]"
    spread = np.concatenate([mmc_waits(servers, rho, s) for s in SEEDS]).std(ddof=1)
    assert t_power(len(waits), spread, 0.25 * theory) >= SEED_POWER


@pytest.mark.parametrize("seed", SEEDS)
def test_mmc_share_waiting_matches_erlang_c(seed):
    """Share of arrivals that wait at all = C(c, a), from the per-referral records; a
    share 10% off would fail the check."""
    servers, rho = 3, 0.8
    scenario = sim.validate_scenario(mmc_data(servers, rho, horizon=1100.0))
    shares = []
    for replication in range(10):
        out = sim.run_replication(scenario, replication, seed=seed, records=True)
        records = out.records
        cohort = records[(records.arrival >= scenario.warmup_days) & records.assigned_at.notna()]
        shares.append(float((cohort.assigned_at - cohort.arrival > 1e-12).mean()))
    theory = erlang_c(servers, rho * servers)
    low, high = mean_interval(shares)
    assert low <= theory <= high
    assert t_power(len(shares), np.std(shares, ddof=1), 0.1 * theory) >= SEED_POWER


def little_gap(rows: pd.DataFrame, count: str, departures: str, time: str) -> np.ndarray:
    """``L - lambda * W`` of each replication: ``L`` the time average ``count``, ``lambda``
    the ``departures`` per day of the window, ``W`` the mean ``time`` of those departures."""
    return (rows[count] - rows[departures] / rows["window_days"] * rows[time]).to_numpy()


@functools.cache
def waiting_queue(seed: int) -> pd.DataFrame:
    scenario = sim.validate_scenario(mmc_data(4, 0.9, horizon=1600.0))
    return sim.run(scenario, replications=10, seed=seed).replications


@functools.cache
def full_office(seed: int) -> pd.DataFrame:
    """Open cases with contacts, case work and waits. The warm-up covers the risk window:
    re-referrals reach their steady rate only once a full window of past referrals is
    producing signals."""
    changes = {
        "horizon_days": 2000.0,
        "warmup_days": 500.0,
        "workforce.caseworkers": 4,
        "caps.count": 14,
    }
    return sim.run(
        sim.validate_scenario(small_office_data(**changes)), replications=6, seed=seed
    ).replications


LITTLE = {
    "waiting_queue": (waiting_queue, "waiting_mean", "assigned", "wait_mean_days"),
    "open_cases": (full_office, "open_cases_mean", "cases_closed", "case_duration_mean_days"),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("law", sorted(LITTLE))
def test_little_law(law, seed):
    """L = lambda * W: the interval of the gap over replications holds 0, and a gap of 5%
    of L would fail the check (each seed's power, from the sd of all five seeds' gaps, at
    least SEED_POWER). The gap of one replication is the window's edges: cases in the
    system at its start or end. (The office's waiting list swings too widely between
    replications, an overloaded spell feeding re-referrals, for a precise check there;
    the M/M/c queue covers queues.)"""
    runs, count, departures, time = LITTLE[law]
    rows = runs(seed)
    assert rows[count].min() > 1.0  # a real queue, a real caseload
    gap = little_gap(rows, count, departures, time)
    low, high = mean_interval(gap)
    assert low <= 0.0 <= high, f"L - lambda W in [{low:.4f}, {high:.4f}]"
    spread = np.concatenate([little_gap(runs(s), count, departures, time) for s in SEEDS])
    assert t_power(len(gap), spread.std(ddof=1), 0.05 * rows[count].mean()) >= SEED_POWER


@pytest.mark.fast
def test_the_mmc_scenario_never_consults_the_triage_rule():
    """With no contacts or case work there is nothing to triage: the rule is never called,
    so the Erlang C results above hold under every rule. (Comparing two named rules'
    runs could not fail.) The same rule is called once there is work."""
    calls = []

    def counting(case, kind, due):
        calls.append(kind)
        return (due, kind, case.id)

    mmc = sim.validate_scenario(mmc_data(3, 0.8, horizon=300.0, warmup=50.0))
    assert sim.run(mmc, replications=2, seed=1, triage=counting).replications.assigned.min() > 0
    assert calls == []
    office = sim.validate_scenario(small_office_data(horizon_days=60.0, warmup_days=0.0))
    sim.run(office, replications=1, seed=1, triage=counting)
    assert len(calls) > 100
