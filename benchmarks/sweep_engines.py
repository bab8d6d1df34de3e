"""Engines side by side: the speed-up of processes over serial, and Dask's per-task overhead.

Run:  python benchmarks/sweep_engines.py [--jobs N] [--reps R]

Prints, measured in one run on this machine:
- wall time of the same sweep (runs of about a second each) on serial, processes and a local
  Dask cluster, and the speed-ups over serial;
- Dask's overhead per task: a sweep of near-empty runs (a 1-day horizon) on Dask against serial.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import sim
from sim.experiments.engines import default_jobs

MINIMAL = Path(__file__).resolve().parent.parent / "scenarios" / "minimal.yaml"


def sweep_plan(replications: int, horizon: float) -> sim.experiments.design.SweepPlan:
    return sim.sweep_over(
        sim.load_scenario(MINIMAL),
        name="bench",
        replications=replications,
        seed=1,
        factors=[{"path": "workforce.caseworkers", "values": [10, 12, 14, 16]}],
        overrides={"horizon_days": horizon, "warmup_days": min(180.0, horizon / 2)},
    )


def timed(plan, engine: str, jobs: int, scheduler: str | None = None) -> float:
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        start = time.perf_counter()
        sim.run_sweep(plan, folder / "out", engine=engine, jobs=jobs, scheduler=scheduler)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--reps", type=int, default=4)
    args = parser.parse_args()

    from dask.distributed import LocalCluster

    plan = sweep_plan(args.reps, 1460.0)
    tasks = plan.size
    print(f"{tasks} runs of minimal.yaml over 4 years; {args.jobs} jobs")
    serial = timed(plan, "serial", 1)
    print(f"  serial     {serial:7.2f} s   {serial / tasks:.3f} s per run")
    processes = timed(plan, "processes", args.jobs)
    print(f"  processes  {processes:7.2f} s   speed-up over serial {serial / processes:.2f}x")

    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=args.jobs, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    startup = time.perf_counter() - start
    try:
        address = cluster.scheduler_address
        dask = timed(plan, "dask", args.jobs, address)
        print(f"  dask       {dask:7.2f} s   speed-up over serial {serial / dask:.2f}x")
        print(f"  (starting the local Dask cluster took {startup:.2f} s, not counted above)")
        tiny = sweep_plan(50, 1.0)
        tiny_serial = timed(tiny, "serial", 1)
        tiny_dask = timed(tiny, "dask", args.jobs, address)
        overhead = 1000 * (tiny_dask - tiny_serial) / tiny.size
        print(
            f"{tiny.size} near-empty runs: serial {tiny_serial:.2f} s, dask {tiny_dask:.2f} s: "
            f"Dask overhead {overhead:.1f} ms per task"
        )
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
