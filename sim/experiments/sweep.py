"""Run a sweep: every design point, every replication, on an engine, into a results folder.

The Python API mirrors ``caseload sweep``::

    import sim
    plan = sim.load_sweep("scenarios/sweeps/budget_vs_threshold.yaml")
    sim.run_sweep(plan, "out/budget", engine="processes", jobs=2)
    table = sim.load_results("out/budget")          # one row per (point, replication)
    sim.summarise_results(table, ["missed_per_1000_referrals"])

A sweep stops cleanly on SIGINT (Ctrl-C) and SIGTERM: the rows that ran are written, the
workers are stopped, and :class:`SweepInterrupted` says how many runs the folder holds;
``resume`` then runs the rest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from ..core.guards import estimate_size, run_time_limit
from ..errors import ScenarioError
from ..scenario import apply_overrides
from .design import SweepPlan
from .engines import run_tasks
from .progress import Progress
from .results import ResultStore

__all__ = ["StopSignals", "SweepInterrupted", "SweepReport", "run_sweep"]


class SweepReport:
    """What a call of :func:`run_sweep` did."""

    def __init__(self, folder: Path, total: int, skipped: int, retried: int = 0) -> None:
        self.folder = folder
        self.total = total
        """Tasks in the sweep: points x replications."""
        self.skipped = skipped
        """Tasks already in the folder (a resumed sweep)."""
        self.retried = retried
        """Failed rows removed from the folder to be run again (``retry_failed``)."""
        self.ran = 0
        self.failed = 0
        self.kept = skipped
        """Rows in the folder when the sweep ended (all of them unless it was stopped)."""
        self.taken_over: str | None = None
        """Set when the folder's lock was left behind by a sweep that no longer exists
        (processes it started still held it): who that was."""


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by SIGINT (Ctrl-C) or SIGTERM; the rows that ran are kept.

    ``signal`` is the signal's number, ``report`` what the sweep did (``None`` if it was
    stopped before its folder was open) and ``exit_status`` the conventional status of a
    command ended by that signal (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, signum: int, report: SweepReport | None = None) -> None:
        super().__init__(signum)
        self.signal = signum
        self.report = report

    @property
    def exit_status(self) -> int:
        return 128 + self.signal

    @property
    def name(self) -> str:
        """The signal's name, and the key that sends it when there is one."""
        name = signal.Signals(self.signal).name
        return f"{name} (Ctrl-C)" if self.signal == signal.SIGINT else name


class StopSignals:
    """While a sweep (or an optimisation) runs in the main thread, SIGINT and SIGTERM raise
    :class:`SweepInterrupted`, except inside :meth:`held` (a shard being written), where
    the signal waits for the end of it. Once one is raised the sweep is stopping: further
    signals are ignored until it has stopped, so the stop itself is not cut short."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.pending: int | None = None
        self.holding = 0
        self.stopping = False
        self.previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self.previous[signum] = signal.signal(signum, self.handle)
        return self

    def __exit__(self, *_: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            return
        if self.holding:
            self.pending = signum
            return
        self.stopping = True
        raise SweepInterrupted(signum)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.holding += 1
        try:
            yield
        finally:
            self.holding -= 1
        if not self.holding and self.pending is not None and not self.stopping:
            self.stopping = True
            raise SweepInterrupted(self.pending)


def _time_limits(
    plan: SweepPlan, run_timeout: float | Literal["auto"] | None
) -> Callable[[int], float | None]:
    """The time limit of each point's runs, in seconds (``None``: none).

    ``"auto"``: :func:`sim.core.guards.run_time_limit` of the point's size estimate (of the base
    scenario's if the point's values are refused: its runs then fail at once).
    """
    if run_timeout is None:
        return lambda point: None
    if run_timeout != "auto":
        if not run_timeout > 0:  # NaN too
            raise ValueError(f"run_timeout: expected seconds > 0, 'auto' or None: {run_timeout}")
        seconds = None if math.isinf(run_timeout) else float(run_timeout)
        return lambda point: seconds
    base = run_time_limit(estimate_size(plan.base))
    limits: dict[int, float] = {}

    def limit(point: int) -> float | None:
        if point not in limits:
            limits.clear()  # tasks come point by point: one point's limit is enough to keep
            try:
                size = estimate_size(apply_overrides(plan.base, plan.changes(point)))
                limits[point] = run_time_limit(size)
            except ScenarioError:
                limits[point] = base
        return None if math.isinf(limits[point]) else limits[point]

    return limit


def run_sweep(
    plan: SweepPlan,
    out: str | Path,
    *,
    engine: str = "processes",
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    run_timeout: float | Literal["auto"] | None = "auto",
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
    resume
        Run only what the folder does not hold yet.
    retry_failed
        With ``resume``: remove the folder's failed rows first, so that their runs run again
        (the folder keeps one row per (point, replication)).
    run_timeout
        The time a run may take, in seconds, before it is stopped and recorded as a failed
        row: ``"auto"`` (default) derives it from each point's size estimate
        (:func:`sim.core.guards.run_time_limit`, at least a minute); ``None``: no limit.
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
    SweepInterrupted
        On SIGINT (Ctrl-C) or SIGTERM, in the main thread: the rows that ran are written,
        the workers stopped; ``report`` says how many runs the folder holds.
    sim.experiments.results.ResultsWriteError
        If the folder stops taking rows (no room, the folder gone or not a folder):
        the shards already written are kept, and ``resume`` completes the sweep.
    sim.errors.ScenarioError
        If ``out`` cannot be used (another sweep's results or a running sweep's folder, a
        shard that cannot be read).
    """
    if retry_failed and not resume:
        raise ValueError("retry_failed: expected resume=True as well (it reruns failed rows)")
    limit = _time_limits(plan, run_timeout)
    report: SweepReport | None = None
    with StopSignals() as stop:
        try:
            with ResultStore(
                out,
                plan,
                resume=resume,
                retry_failed=retry_failed,
                shard_rows=shard_rows,
                shard_seconds=shard_seconds,
            ) as store:
                done = store.done()
                report = SweepReport(Path(out), plan.size, len(done), store.retried)
                report.taken_over = store.taken_over
                if on_start is not None:
                    on_start(report)
                tasks = (
                    dataclasses.replace(task, time_limit=limit(task.point))
                    for task in plan.tasks(done, allow_large=allow_large)
                )
                rows = run_tasks(tasks, engine, jobs=jobs, scheduler=scheduler)
                _store_rows(rows, store, report, stop, progress, plan.sweep.name)
        except SweepInterrupted as exc:
            exc.report = report
            raise
        finally:
            if report is not None:
                report.kept = report.skipped + store.written
    return report


def _store_rows(
    rows: Iterator[dict[str, Any]],
    store: ResultStore,
    report: SweepReport,
    stop: StopSignals,
    progress: bool | None,
    name: str,
) -> None:
    """Write the engine's rows into the folder as they come, then stop the engine."""
    bar = Progress(report.total - report.skipped, desc=name, unit="run", enabled=progress)
    try:
        for row in rows:
            with stop.held():  # a shard is written whole, and its rows are not kept twice
                store.add(row)  # a folder that fails raises ResultsWriteError here
                report.ran += 1
                report.failed += row["status"] != "ok"
            bar.advance()
        with stop.held():
            store.flush()
    except BaseException:
        with contextlib.suppress(OSError):  # keep what ran before the engine is stopped
            store.flush()
        raise
    finally:
        bar.close()  # end the bar's line before any message
        rows.close()  # stop the engine now, whatever happened (its workers, its cluster)
