"""The benchmark suite: the simulator measured against SimPy itself, side by side, in one run.

Run:  python benchmarks/run.py [--quick]

Everything is timed in this one process, one after the other, so the figures and
their ratios are comparable on a shared, noisy machine:

1. the reference: a bare SimPy process yielding 1,000,000 timeouts;
2. one replication of 3 simulated years of each calibrated scenario: wall time,
   referrals and worker-days per second, SimPy events, peak memory (tracemalloc, a
   second run), and the time as a multiple of the bare loop's time for 3,000,000
   timeouts (the target is at most 1);
3. scaling: horizon x2 and workforce x2 (with referrals x2), and memory as the
   horizon grows with the daily time series off;
4. the M/M/c validation scenario against an idiomatic SimPy M/M/c written here
   (customers per second, both).
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy

import sim
from sim.model import CaseloadModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from queueing_theory import mmc_data  # noqa: E402

CALIBRATED = ("child_protection", "probation", "england_child_protection", "public_defender")
THREE_YEARS = 1095.0


def bare_loop(n: int) -> float:
    """Seconds for a SimPy process to yield ``n`` timeouts."""
    env = simpy.Environment()

    def ticker(env):
        for _ in range(n):
            yield env.timeout(1)

    env.process(ticker(env))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def events_of(env: simpy.Environment) -> int:
    """Events the environment scheduled (read off its id counter, at no cost to the run)."""
    return int(re.search(r"\d+", repr(env._eid)).group())


def one_run(scenario: sim.Scenario, timeseries: bool = False) -> dict[str, float]:
    model = CaseloadModel(scenario, replication=0, timeseries=timeseries)
    gc.collect()
    start = time.perf_counter()
    summary = model.run().summary
    seconds = time.perf_counter() - start
    worker_days = summary.headcount_mean * scenario.horizon_days
    return {
        "seconds": seconds,
        "referrals": summary.referrals * scenario.horizon_days / max(summary.window_days, 1e-9),
        "worker_days": worker_days,
        "events": events_of(model.env),
    }


def memory(scenario: sim.Scenario, timeseries: bool = False) -> tuple[float, float]:
    """Traced memory of one run in MB: held by the model at the end, and at its peak
    (a separate, slower run)."""
    gc.collect()
    tracemalloc.start()
    model = CaseloadModel(scenario, replication=0, timeseries=timeseries)
    model.env.run(until=scenario.horizon_days)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held / 1e6, peak / 1e6


def at_horizon(scenario: sim.Scenario, days: float) -> sim.Scenario:
    return sim.apply_overrides(
        scenario, {"horizon_days": days, "warmup_days": min(365.0, days / 3)}
    )


def doubled(scenario: sim.Scenario) -> sim.Scenario:
    """Twice the agency: every role and every referral stream doubled."""
    changes = {
        f"case_types.{i}.arrivals.rate_per_year": 2 * ct.arrivals.rate_per_year
        for i, ct in enumerate(scenario.case_types)
    }
    staff = scenario.workforce
    changes["workforce.caseworkers"] = 2 * scenario.staffing.caseworkers
    if staff.supervisors:
        changes["workforce.supervisors"] = 2 * staff.supervisors
    if staff.support_staff:
        changes["workforce.support_staff"] = 2 * staff.support_staff
    return sim.apply_overrides(scenario, changes)


def idiomatic_mmc(servers: int, rho: float, customers: int, seed: int = 1) -> float:
    """Seconds for a textbook SimPy M/M/c (Resource, one process per customer) that, like
    any simulation meant to be read, records each customer's wait."""
    rng = np.random.default_rng(seed)
    rate = rho * servers
    gaps = rng.exponential(1 / rate, customers).tolist()
    services = rng.exponential(1.0, customers).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)

    waits = []

    def customer(env, service):
        arrived = env.now
        with desk.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def arrivals(env):
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(env, service))

    env.process(arrivals(env))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def mmc_scenario(servers: int, rho: float, days: float) -> sim.Scenario:
    """The M/M/c scenario of the queueing tests (tests/queueing_theory.py), from day 0."""
    return sim.validate_scenario(mmc_data(servers, rho, horizon=days, warmup=0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller M/M/c")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3

    reference = min(bare_loop(1_000_000) for _ in range(repeats))
    budget = 3 * reference
    print(
        f"Reference: bare SimPy loop, 1,000,000 timeouts: {reference:.2f} s "
        f"({1e6 / reference:,.0f} events/s); target per scenario: {budget:.2f} s (3M timeouts)"
    )
    print()
    print(
        f"{'scenario (3 years, 1 replication)':<36}{'seconds':>8}{'x target':>9}"
        f"{'referrals/s':>13}{'worker-days/s':>15}{'events':>10}{'peak MB':>9}"
    )
    scenarios = {}
    for name in CALIBRATED:
        scenario = at_horizon(sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml"), THREE_YEARS)
        scenarios[name] = scenario
        runs = [one_run(scenario) for _ in range(repeats)]
        best = min(runs, key=lambda r: r["seconds"])
        _, peak = memory(scenario)
        print(
            f"{name:<36}{best['seconds']:>8.2f}{best['seconds'] / budget:>9.2f}"
            f"{best['referrals'] / best['seconds']:>13,.0f}"
            f"{best['worker_days'] / best['seconds']:>15,.0f}"
            f"{best['events']:>10,}{peak:>9.1f}"
        )

    print()
    print("Scaling (child_protection): time and SimPy events as multiples of the smaller run")
    base = scenarios["child_protection"]
    pairs = {
        "horizon 3 -> 6 years (includes the fill-up year)": (
            base,
            at_horizon(base, 2 * THREE_YEARS),
        ),
        "horizon 6 -> 12 years (steady state)": (
            at_horizon(base, 2 * THREE_YEARS),
            at_horizon(base, 4 * THREE_YEARS),
        ),
        "workforce and referrals x2 (3 years)": (base, doubled(base)),
    }
    for label, (small, large) in pairs.items():
        a = min((one_run(small) for _ in range(repeats)), key=lambda r: r["seconds"])
        b = min((one_run(large) for _ in range(repeats)), key=lambda r: r["seconds"])
        print(
            f"  {label:<50} time {b['seconds'] / a['seconds']:.2f}x, "
            f"events {b['events'] / a['events']:.2f}x  (linear: 2)"
        )
    print("Memory as the horizon grows, daily time series off (child_protection):")
    for years in (1, 3, 6) if args.quick else (1, 3, 6, 12, 24):
        held, peak = memory(at_horizon(base, 365.0 * years))
        print(f"  {years:>2} year(s): held at the end {held:5.1f} MB, peak {peak:5.1f} MB")

    print()
    servers, rho = 5, 0.8
    days = 2_000.0 if args.quick else 10_000.0
    customers = int(rho * servers * days)
    ours = min(one_run(mmc_scenario(servers, rho, days))["seconds"] for _ in range(repeats))
    theirs = min(idiomatic_mmc(servers, rho, customers) for _ in range(repeats))
    print(f"M/M/{servers} at rho {rho}, about {customers:,} customers:")
    print(f"  idiomatic SimPy: {customers / theirs:,.0f} customers/s")
    print(
        f"  caseload-sim:    {customers / ours:,.0f} customers/s "
        f"({theirs / ours:.2f} of SimPy's speed; target at least 0.5)"
    )


if __name__ == "__main__":
    main()
