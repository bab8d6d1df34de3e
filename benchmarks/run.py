"""The benchmark suite: the simulator measured against SimPy itself, side by side, in one run.

Run:  python benchmarks/run.py [--quick] [--repeats N] [--only scenarios|scaling|memory|mmc]

Everything is timed in this one process, so the figures and their ratios are
comparable on a shared, noisy machine; what is compared is measured in
alternation (A, B, A, B, ...) and reported as the median of the pairwise ratios
with their range:

1. the reference: a bare SimPy process yielding 1,000,000 timeouts;
2. one replication of 3 simulated years of each calibrated scenario: wall time,
   referrals and worker-days per second, SimPy events, peak memory (tracemalloc, a
   second run), and the time as a multiple of the bare loop's time for 3,000,000
   timeouts (the target is at most 1);
3. scaling: horizon x2 and workforce x2 (with referrals x2), with the work done
   (SimPy events and case-days: the working day visits every open case), on the
   calibrated child_protection scenario and on a stationary variant of it (no
   strain, no turnover: nothing drifts over the years); and memory as the horizon
   grows with the daily time series off;
4. the M/M/c validation scenario against an idiomatic SimPy M/M/c written here
   (customers per second, both).
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy

import sim
from sim.core.model import CaseloadModel

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
        "case_days": model.metrics.open_cases.area,  # after the warm-up (0 in the scaling runs)
    }


def alternating(a, b, repeats: int) -> tuple[list[dict], list[dict]]:
    """Call ``a()`` and ``b()`` in alternation, ``repeats`` times each."""
    runs_a, runs_b = [], []
    for _ in range(repeats):
        runs_a.append(a())
        runs_b.append(b())
    return runs_a, runs_b


def median_ratio(top: list[float], bottom: list[float]) -> str:
    """The median of the pairwise ratios, with their range."""
    ratios = [t / b for t, b in zip(top, bottom, strict=True)]
    return f"{statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"


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


def at_horizon(scenario: sim.Scenario, days: float, warmup: float | None = None) -> sim.Scenario:
    warmup = min(365.0, days / 3) if warmup is None else warmup
    return sim.apply_overrides(scenario, {"horizon_days": days, "warmup_days": warmup})


def stationary(scenario: sim.Scenario) -> sim.Scenario:
    """The scenario without strain and turnover: once the office has filled, nothing drifts."""
    return sim.apply_overrides(scenario, {"strain.enabled": False, "turnover.annual_rate": 0.0})


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


def calibrated(repeats: int) -> None:
    """Each calibrated scenario, 3 years, against 3 x the bare loop run right after it."""
    reference = statistics.median(bare_loop(1_000_000) for _ in range(repeats))
    print(
        f"Reference: bare SimPy loop, 1,000,000 timeouts: {reference:.2f} s (median of "
        f"{repeats}; {1e6 / reference:,.0f} events/s); target per scenario: {3 * reference:.2f} s"
        "\n(x target: each run against 3 x a bare loop of 1,000,000 timeouts run right after it)"
    )
    print()
    print(
        f"{'scenario (3 years, 1 replication)':<36}{'seconds':>8}{'x target':>9}"
        f"{'referrals/s':>13}{'worker-days/s':>15}{'events':>10}{'peak MB':>9}{'within':>8}"
    )
    for name in CALIBRATED:
        scenario = calibrated_scenario(name)
        runs, bare = alternating(
            lambda s=scenario: one_run(s), lambda: bare_loop(1_000_000), repeats
        )
        times = [r["seconds"] for r in runs]
        seconds = statistics.median(times)
        x_target = statistics.median(t / (3 * b) for t, b in zip(times, bare, strict=True))
        best = runs[0]
        _, peak = memory(scenario)
        print(
            f"{name:<36}{seconds:>8.2f}{x_target:>9.2f}"
            f"{best['referrals'] / seconds:>13,.0f}"
            f"{best['worker_days'] / seconds:>15,.0f}"
            f"{best['events']:>10,}{peak:>9.1f}{'yes' if x_target <= 1 else 'NO':>8}"
        )


def calibrated_scenario(name: str) -> sim.Scenario:
    return at_horizon(sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml"), THREE_YEARS)


def scaling(repeats: int) -> None:
    """Horizon x2 and agency x2, as calibrated and stationary, with the work each run does."""
    print(
        "Scaling (child_protection, no warm-up): the larger run as a multiple of the smaller "
        "(median of pairs [range]; linear is 2)"
    )
    base = at_horizon(calibrated_scenario("child_protection"), THREE_YEARS, warmup=0.0)
    steady = stationary(base)
    pairs = {
        "horizon 3 -> 6 years (the first year fills the office)": (
            base,
            at_horizon(base, 2 * THREE_YEARS, warmup=0.0),
        ),
        "horizon 6 -> 12 years": (
            at_horizon(base, 2 * THREE_YEARS, warmup=0.0),
            at_horizon(base, 4 * THREE_YEARS, warmup=0.0),
        ),
        "workforce and referrals x2 (3 years)": (base, doubled(base)),
        "stationary: horizon 6 -> 12 years": (
            at_horizon(steady, 2 * THREE_YEARS, warmup=0.0),
            at_horizon(steady, 4 * THREE_YEARS, warmup=0.0),
        ),
        "stationary: workforce and referrals x2": (steady, doubled(steady)),
    }
    for label, (small, large) in pairs.items():
        a, b = alternating(lambda s=small: one_run(s), lambda s=large: one_run(s), repeats)
        work = {key: b[0][key] / a[0][key] for key in ("events", "case_days")}
        seconds_b = [r["seconds"] for r in b]
        seconds_a = [r["seconds"] for r in a]
        print(
            f"  {label:<56} time {median_ratio(seconds_b, seconds_a)}; "
            f"events {work['events']:.2f}x, case-days {work['case_days']:.2f}x"
        )


def memory_growth(quick: bool) -> None:
    print("Memory as the horizon grows, daily time series off (child_protection):")
    for years in (1, 3, 6) if quick else (1, 3, 6, 12, 24):
        held, peak = memory(at_horizon(calibrated_scenario("child_protection"), 365.0 * years))
        print(f"  {years:>2} year(s): held at the end {held:5.1f} MB, peak {peak:5.1f} MB")


def mmc(repeats: int, quick: bool) -> None:
    """The M/M/c validation scenario against an idiomatic SimPy M/M/c."""
    servers, rho = 5, 0.8
    days = 2_000.0 if quick else 10_000.0
    customers = int(rho * servers * days)
    scenario = mmc_scenario(servers, rho, days)
    ours, theirs = alternating(
        lambda: one_run(scenario)["seconds"],
        lambda: idiomatic_mmc(servers, rho, customers),
        repeats,
    )
    print(f"M/M/{servers} at rho {rho}, about {customers:,} customers (median of {repeats}):")
    print(f"  idiomatic SimPy: {customers / statistics.median(theirs):,.0f} customers/s")
    print(
        f"  caseload-sim:    {customers / statistics.median(ours):,.0f} customers/s; "
        f"speed relative to SimPy {median_ratio(theirs, ours)} (target at least 0.5)"
    )


SECTIONS = ("scenarios", "scaling", "memory", "mmc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller M/M/c")
    parser.add_argument("--repeats", type=int, help="runs of each measurement (default 5; 3)")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable)"
    )
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)
    sections = {
        "scenarios": lambda: calibrated(repeats),
        "scaling": lambda: scaling(repeats),
        "memory": lambda: memory_growth(args.quick),
        "mmc": lambda: mmc(repeats, args.quick),
    }
    for name in args.only or SECTIONS:
        sections[name]()
        print()


if __name__ == "__main__":
    main()
