"""Evaluators: run a sweep's tasks serially, on local processes, or on a Dask cluster.

Every engine runs the same pure function, :func:`run_task`, on the same tasks, so
the rows are the same bit for bit whichever engine ran them; only the order in
which they arrive differs. Engines yield rows as tasks finish and keep a bounded
number of tasks in flight, so memory stays flat however long the sweep.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from .design import Task
from .errors import ScenarioError
from .metrics import FIGURES
from .runner import run_replication
from .scenario import apply_overrides, validate_scenario

__all__ = ["ENGINES", "default_jobs", "run_task", "run_tasks"]

ENGINES = ("serial", "processes", "dask")


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_task(task: Task) -> dict[str, Any]:
    """Run one replication of one design point; a failure becomes a row with its message."""
    row: dict[str, Any] = {
        "point": task.point,
        "replication": task.replication,
        "seed": task.seed,
        "status": "ok",
        "error": "",
    }
    try:
        scenario = apply_overrides(validate_scenario(task.scenario), task.changes)
        summary = run_replication(scenario, task.replication, task.seed).summary.as_dict()
    except ScenarioError as exc:  # a point's values that the scenario refuses
        message = exc.problem if exc.field is None else f"{exc.field}: {exc.problem}"
        return _failed(row, message)
    except Exception as exc:  # a run that raises is recorded, and the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f" ({os.path.basename(last.filename)}:{last.lineno})"
        return _failed(row, f"{type(exc).__name__}: {exc}{where}")
    return {**row, **summary}


def _failed(row: dict[str, Any], message: str) -> dict[str, Any]:
    return {**row, "status": "failed", "error": message, **dict.fromkeys(FIGURES, math.nan)}


def run_tasks(
    tasks: Iterable[Task],
    engine: str = "processes",
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one row per task as it finishes, on ``engine``."""
    if engine == "serial":
        yield from map(run_task, tasks)
    elif engine == "processes":
        yield from _processes(tasks, jobs or default_jobs())
    elif engine == "dask":
        yield from _dask(tasks, jobs or default_jobs(), scheduler)
    else:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")


def _processes(tasks: Iterable[Task], jobs: int) -> Iterator[dict[str, Any]]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: set = set()
        for task in tasks:
            pending.add(pool.submit(run_task, task))
            if len(pending) >= 4 * jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


def _dask(tasks: Iterable[Task], jobs: int, scheduler: str | None) -> Iterator[dict[str, Any]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the extra
        raise ScenarioError(
            "--engine dask", None, "dask is not installed: pip install 'caseload-sim[dask]'"
        ) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    client = Client(scheduler or cluster)
    try:
        queue = as_completed()
        in_flight = 0
        for task in tasks:
            queue.add(client.submit(run_task, task, pure=False))
            in_flight += 1
            if in_flight >= 4 * jobs:
                yield next(queue).result()
                in_flight -= 1
        for future in queue:
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
