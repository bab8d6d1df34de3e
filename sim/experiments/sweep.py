"""Run a sweep: every design point, every replication, on an engine, into a results folder.

The Python API mirrors ``caseload sweep``::

    import sim
    plan = sim.load_sweep("scenarios/sweeps/budget_vs_threshold.yaml")
    sim.run_sweep(plan, "out/budget", engine="processes", jobs=2)
    table = sim.load_results("out/budget")          # one row per (point, replication)
    sim.summarise_results(table, ["missed_per_1000_referrals"])
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .design import SweepPlan
from .engines import run_tasks
from .progress import Progress
from .results import ResultStore

__all__ = ["SweepReport", "run_sweep"]


class SweepReport:
    """What a call of :func:`run_sweep` did."""

    def __init__(self, folder: Path, total: int, skipped: int) -> None:
        self.folder = folder
        self.total = total
        """Tasks in the sweep: points x replications."""
        self.skipped = skipped
        """Tasks already in the folder (a resumed sweep)."""
        self.ran = 0
        self.failed = 0


def run_sweep(
    plan: SweepPlan,
    out: str | Path,
    *,
    engine: str = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = None,
    shard_rows: int = 100,
    shard_seconds: float = 30.0,
    allow_large: bool = False,
    on_start: Callable[[SweepReport], None] | None = None,
) -> SweepReport:
    """Run every (point, replication) of ``plan`` not yet in ``out``, writing rows as they come.

    Parameters
    ----------
    plan
        A loaded sweep (:func:`sim.experiments.design.load_sweep`).
    out
        The results folder (new, or the same sweep's with ``resume``).
    engine
        ``serial``, ``processes`` (``jobs`` local processes, default: the cores)
        or ``dask`` (the cluster at ``scheduler``, or a local one on loopback).
    progress
        Show a progress bar (tasks done, rate, time left): by default in a notebook or when
        standard error is a terminal, and never when nothing is left to run
        (:mod:`sim.experiments.progress`).
    allow_large
        Run points that are absurdly large or whose queue grows without bound;
        without it such a point becomes a failed row saying why (:mod:`sim.core.guards`).
    on_start
        Called with the report once the folder is open and its rows counted, before the
        first run: a folder that cannot be used has been refused by then.

    Raises
    ------
    sim.experiments.results.ResultsWriteError
        If the folder stops taking rows (no room, the folder gone or not a folder):
        the shards already written are kept, and ``resume`` completes the sweep.
    sim.errors.ScenarioError
        If ``out`` cannot be used (another sweep's results, a shard that cannot be read).
    """
    with ResultStore(
        out, plan, resume=resume, shard_rows=shard_rows, shard_seconds=shard_seconds
    ) as store:
        done = store.done()
        report = SweepReport(Path(out), plan.size, len(done))
        if on_start is not None:
            on_start(report)
        rows = run_tasks(
            plan.tasks(done, allow_large=allow_large), engine, jobs=jobs, scheduler=scheduler
        )
        bar = Progress(plan.size - len(done), desc=plan.sweep.name, unit="run", enabled=progress)
        try:
            for row in rows:
                store.add(row)  # a folder that fails raises ResultsWriteError here
                report.ran += 1
                report.failed += row["status"] != "ok"
                bar.advance()
        finally:
            bar.close()  # end the bar's line before any message
            rows.close()  # stop the engine now, whatever happened (its pool, its cluster)
    return report
