"""Evaluators: run a sweep's tasks serially, on local processes, or on a Dask cluster.

Every engine runs the same pure function, :func:`run_task`, on the same tasks, so
the rows are the same bit for bit whichever engine ran them; only the order in
which they arrive differs. Engines yield rows as tasks finish and keep a bounded
number of tasks in flight, so memory stays flat however long the sweep.

A worker process that dies (the out-of-memory killer, a SIGKILL, a crash in native
code) does not stop a sweep. On ``processes``, the pool is recreated and each task
that was in flight runs again in a process of its own, so that a second death is
that task's: it is then recorded as a failed row saying how its process died, and
the others complete. On ``dask``, the scheduler reruns the tasks of a dead worker
itself and gives up on a task after ``distributed.scheduler.allowed-failures``
deaths (``KilledWorker``), which is recorded as a failed row in the same way.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_connections
from typing import Any

from ..core.guards import MAX_IN_SYSTEM, check_size
from ..core.summary import FIGURES
from ..errors import ScenarioError
from ..scenario import apply_overrides, validate_scenario
from .design import Task
from .runner import run_replication

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
    row = _row(task)
    try:
        scenario = apply_overrides(validate_scenario(task.scenario), task.changes)
        check_size(scenario, "point", allow_large=task.allow_large)
        limit = None if task.allow_large else MAX_IN_SYSTEM
        output = run_replication(scenario, task.replication, task.seed, max_in_system=limit)
        summary = output.summary.as_dict()
    except ScenarioError as exc:  # a point's values that the scenario refuses
        message = exc.problem if exc.field is None else f"{exc.field}: {exc.problem}"
        return _failed(row, message)
    except Exception as exc:  # a run that raises is recorded, and the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f" ({os.path.basename(last.filename)}:{last.lineno})"
        return _failed(row, f"{type(exc).__name__}: {exc}{where}")
    return {**row, **summary}


def _row(task: Task) -> dict[str, Any]:
    return {
        "point": task.point,
        "replication": task.replication,
        "seed": task.seed,
        "status": "ok",
        "error": "",
    }


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
    """Run tasks on a pool of ``jobs`` processes, at most ``4 * jobs`` in flight.

    When a worker dies the pool breaks and every task in flight fails with
    :class:`BrokenProcessPool`, without telling which one the dead worker was
    running. Those tasks then run again each in a process of its own
    (:func:`_alone`), where a death can only be the task's own, and the sweep goes
    on in a new pool.
    """
    function = run_task  # looked up now, so that a replacement (tests) reaches the workers
    remaining = iter(tasks)
    exhausted = False
    while not exhausted:
        broken: list[Task] = []
        pool = ProcessPoolExecutor(max_workers=jobs)
        finished = False
        try:
            in_flight: dict[Future, Task] = {}
            while True:
                while not broken and not exhausted and len(in_flight) < 4 * jobs:
                    task = next(remaining, None)
                    if task is None:
                        exhausted = True
                    else:
                        try:
                            in_flight[pool.submit(function, task)] = task
                        except BrokenProcessPool:
                            broken.append(task)
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    task = in_flight.pop(future)
                    if isinstance(future.exception(), BrokenProcessPool):
                        broken.append(task)  # submit no more: the others will fail too
                    else:
                        yield future.result()
            finished = True
        finally:  # stopped early (a folder that fails, Ctrl-C): the running tasks end alone
            pool.shutdown(wait=finished, cancel_futures=True)
        yield from _alone(broken, jobs, function)


def _alone(
    tasks: Iterable[Task], jobs: int, function: Callable[[Task], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Run each task in a new process of its own, ``jobs`` at a time.

    These tasks were in flight when a pool's worker died. A task whose own process
    dies as well (the culprit has now killed its worker twice) becomes a failed row
    saying how the process died, instead of being tried again and again.
    """
    context = multiprocessing.get_context()
    waiting = deque(tasks)
    running: dict[Connection, tuple[Task, multiprocessing.process.BaseProcess]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                task = waiting.popleft()
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(
                    target=_run_and_send, args=(function, task, sender), daemon=True
                )
                process.start()
                sender.close()  # the child holds the only writer: its death reads as EOF
                running[receiver] = (task, process)
            for receiver in wait_for_connections(list(running)):
                task, process = running.pop(receiver)
                try:
                    row = receiver.recv()
                except EOFError:  # the process died before it sent its row
                    row = None
                receiver.close()
                process.join()
                yield row if row is not None else _failed(_row(task), _death(process.exitcode))
    finally:
        for receiver, (_, process) in running.items():  # the consumer stopped early
            process.kill()
            process.join()
            receiver.close()


def _run_and_send(
    function: Callable[[Task], dict[str, Any]], task: Task, sender: Connection
) -> None:
    sender.send(function(task))
    sender.close()


def _death(exitcode: int | None) -> str:
    """What a failed row says of a task whose own process died (see :func:`_alone`)."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
        if exitcode == -signal.SIGKILL:
            how += " (out of memory, or killed)"
    elif exitcode:
        how = f"exited with status {exitcode}"
    else:
        how = "exited without a result"
    return (
        f"the worker process died running it: {how}; it ran alone, after a worker had died "
        "with it in flight"
    )


def _dask(tasks: Iterable[Task], jobs: int, scheduler: str | None) -> Iterator[dict[str, Any]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
        from distributed import KilledWorker
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

    def result(future: Any) -> dict[str, Any]:
        task = in_flight.pop(future)
        try:
            return future.result()
        except KilledWorker as exc:  # the scheduler gave up after its allowed failures
            allowed = getattr(exc, "allowed_failures", None)
            times = "every time" if allowed is None else f"{allowed + 1} time(s)"
            address = getattr(getattr(exc, "last_worker", None), "address", None)
            last = "" if address is None else f", the last at {address}"
            message = (
                f"the worker process died running it, {times} (Dask gave up on it after its "
                f"distributed.scheduler.allowed-failures{last})"
            )
            return _failed(_row(task), message)

    try:
        queue = as_completed()
        in_flight: dict[Any, Task] = {}
        for task in tasks:
            future = client.submit(run_task, task, pure=False)
            in_flight[future] = task
            queue.add(future)
            if len(in_flight) >= 4 * jobs:
                yield result(next(queue))
        for future in queue:
            yield result(future)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
