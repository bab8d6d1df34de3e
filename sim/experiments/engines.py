"""Evaluators: run a sweep's tasks serially, on local processes, or on a Dask cluster.

Every engine runs the same pure function, :func:`run_task`, on the same tasks, so
the rows are the same bit for bit whichever engine ran them; only the order in
which they arrive differs. Engines yield rows as tasks finish and keep a bounded
number of tasks in flight, so memory stays flat however long the sweep.

A worker process that dies (the out-of-memory killer, a SIGKILL, a crash in native
code) does not stop a sweep. On ``processes`` each worker runs one task at a time, so
the task a dead worker held is known: it runs again in a new worker, and if that one
dies too the task is recorded as a failed row saying how its process died; the others
complete. On ``dask``, the scheduler reruns the tasks of a dead worker itself and gives
up on a task after ``distributed.scheduler.allowed-failures`` deaths (``KilledWorker``),
which is recorded as a failed row in the same way.

No run hangs a sweep: a task's ``time_limit`` stops a run that takes longer and records
it as a failed row saying so. ``processes`` kill the worker (SIGKILL reaches a stopped
process too) and start another; ``dask`` cancels the task and has the worker's process
killed and restarted; ``serial`` interrupts the run with an interval timer (SIGALRM),
which reaches any run whose time goes by in Python code (the whole model) but not one
stuck inside native code or stopped: runs that need that bound belong on ``processes``.

Workers end with their sweep however it ends. Worker processes are spawned (a fresh
interpreter, by ``exec``), so they inherit nothing of the sweep's process: not its results
folder's lock, nor the state of its threads. Each asks Linux for a SIGKILL when its
parent, the sweep's process, ends (``PR_SET_PDEATHSIG``), which reaches a worker that is
stuck or stopped too; elsewhere an idle worker ends on the end of its task pipe, a busy one
when its run ends. A local Dask cluster's worker processes do the same (:func:`dask_setup`,
which Dask runs in each), on top of Dask's own watch, a thread that cannot run in a stuck
process. Workers ignore SIGINT, which a Ctrl-C sends to the whole process group: the sweep's
process stops them.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_connections
from multiprocessing.process import BaseProcess
from typing import Any

from ..core.guards import MAX_IN_SYSTEM, check_size
from ..core.summary import FIGURES
from ..errors import ScenarioError
from ..scenario import apply_overrides, validate_scenario
from .design import Task
from .runner import run_replication

__all__ = ["ENGINES", "dask_setup", "default_jobs", "run_task", "run_tasks"]

ENGINES = ("serial", "processes", "dask")
DASK_POLL_SECONDS = 0.5
"""How often the Dask engine asks the scheduler which runs are running where (time limits)."""

Function = Callable[[Task], dict[str, Any]]


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
        return _failed(row, _raised(exc))
    return {**row, **summary}


def _raised(exc: BaseException) -> str:
    """What a failed row says of a run that raised: the exception and where it came from."""
    last = traceback.extract_tb(exc.__traceback__)[-1]
    where = f" ({os.path.basename(last.filename)}:{last.lineno})"
    return f"{type(exc).__name__}: {exc}{where}"


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


def _timed_out(task: Task, how: str) -> dict[str, Any]:
    """The failed row of a run stopped at its time limit."""
    return _failed(
        _row(task),
        f"the run was stopped at its time limit of {task.time_limit:g} s (--run-timeout): it "
        f"hung, or ran far slower than its size predicts; {how}",
    )


def run_tasks(
    tasks: Iterable[Task],
    engine: str = "processes",
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one row per task as it finishes, on ``engine``; each within its ``time_limit``."""
    function = run_task  # looked up now, so that a replacement (tests) reaches the workers
    if engine == "serial":
        return (_within_time_limit(function, task) for task in tasks)
    if engine == "processes":
        return _processes(tasks, jobs or default_jobs(), function)
    if engine == "dask":
        return _dask(tasks, jobs or default_jobs(), scheduler, function)
    raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")


# ---------------------------------------------------------------------- serial


class _RunTimedOut(BaseException):
    """Raised into a serial run by its timer (a BaseException: a run's own ``except
    Exception`` does not take it for the run's failure)."""


def _alarm(signum: int, frame: object) -> None:
    raise _RunTimedOut()


def _within_time_limit(function: Function, task: Task) -> dict[str, Any]:
    """Run ``task`` in this process, interrupted by SIGALRM at its time limit.

    The timer needs the main thread (Python runs signal handlers there); elsewhere the
    run has no limit, with a warning.
    """
    limit = task.time_limit
    if limit is None or not math.isfinite(limit):
        return function(task)
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        warnings.warn(
            "the serial engine limits a run's time only in the main thread (SIGALRM): this "
            "run has no time limit; use the processes engine for one",
            RuntimeWarning,
            stacklevel=2,
        )
        return function(task)
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, min(limit, 1e9))  # (a timer's range: 30 years)
        try:
            return function(task)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _RunTimedOut:
        return _timed_out(task, "it was interrupted in this process (serial engine)")
    finally:
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------- processes


WORKER_START_SECONDS = 120.0
"""How long a new worker process may take to be ready (it imports the package: about 2 s)."""
READY = "ready"
"""What a worker process sends once it is ready for tasks."""
STARTS_KILLED = 3
"""New worker processes killed before they were ready, in a row, that stop a sweep."""


@dataclass
class _Worker:
    """A worker process and the pipe its tasks and rows go through, one task at a time."""

    process: BaseProcess
    connection: Connection
    ready: bool = False
    task: Task | None = None
    since: float = dataclasses.field(default_factory=time.monotonic)
    """When it was started, then when it was handed its task (``time.monotonic``)."""

    def deadline(self) -> float:
        """When it must be ready, or done with its task."""
        if not self.ready:
            return self.since + WORKER_START_SECONDS
        limit = None if self.task is None else self.task.time_limit
        return math.inf if limit is None else self.since + limit

    def end(self) -> None:
        """Kill the process (SIGKILL: it ends even if stopped or hung) and wait for it (not
        for ever: a process stuck in the kernel, on a dead network disk say, is left)."""
        self.process.kill()
        self.process.join(timeout=10)
        self.connection.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process for a moment (in the main thread; elsewhere nothing).

    A process started meanwhile ignores it from its first instruction (an ignored signal
    stays ignored through ``exec``, and Python leaves it so): a Ctrl-C, which a terminal
    sends to the whole process group, then reaches only the sweep's process, which stops
    its workers. A Ctrl-C in that moment (the milliseconds of a ``fork`` and ``exec``) is
    lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_worker(function: Function) -> _Worker:
    """A new worker process, spawned: its parent is this process, and it shares nothing
    with it but the pipe of its tasks."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(
        target=_work, args=(function, theirs), name="caseload-sweep-worker", daemon=True
    )
    with _sigint_ignored():
        process.start()
    theirs.close()  # the worker holds the only other end: its death reads as EOF here
    return _Worker(process, mine)


def _work(function: Function, connection: Connection) -> None:
    """A worker process: run the tasks that come through ``connection``, one at a time,
    until it is closed."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (already, where it was started ignoring it)
    connection.send(READY)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):  # the sweep closed the pipe, or its process ended
            return
        try:
            row = function(task)
        except Exception as exc:  # run_task records its failures; another function may not
            row = _failed(_row(task), _raised(exc))
        try:
            connection.send(row)
        except OSError:  # the sweep's process ended meanwhile
            return


def _die_with_parent() -> None:
    """Have Linux SIGKILL this process when the one that started it ends
    (``prctl(PR_SET_PDEATHSIG)``; strictly, when the thread that started it does); nothing
    elsewhere. Should the parent have ended already, the pipe from it has too."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)


def _processes(tasks: Iterable[Task], jobs: int, function: Function) -> Iterator[dict[str, Any]]:
    """Run tasks on ``jobs`` worker processes, each with one task at a time.

    Because a worker holds one task, what happens to it is that task's: a worker that
    dies has its task run again in a new worker, and a second death makes it a failed
    row; a worker past its task's time limit, counted from when it was handed the task
    (once ready), is killed, the task a failed row. Whatever stops the sweep (the end, an
    error, Ctrl-C), every worker is killed before this generator returns.

    Raises
    ------
    OSError
        If a new worker process exits before it is ready (it cannot import what it is to
        run), is killed before it is ready ``STARTS_KILLED`` times in a row, or is not ready
        in ``WORKER_START_SECONDS``: workers cannot be had, and the sweep cannot go on.
    """
    remaining = iter(tasks)
    again: deque[Task] = deque()  # taken out, waiting for a worker; or their worker died once
    died_once: set[tuple[int, int]] = set()
    starts_killed = 0  # new workers killed (by a signal) before they were ready, in a row
    idle: list[_Worker] = []
    running: dict[Connection, _Worker] = {}  # starting, or busy with a task
    try:
        while True:
            while len(running) < jobs:
                if not idle:  # start a worker, if a task waits that no starting one will take
                    starting = sum(not worker.ready for worker in running.values())
                    while len(again) <= starting and (task := next(remaining, None)):
                        again.append(task)
                    if len(again) <= starting:
                        break
                    worker = _start_worker(function)
                    running[worker.connection] = worker
                    continue
                task = again.popleft() if again else next(remaining, None)
                if task is None:
                    break
                worker = idle.pop()
                try:
                    worker.connection.send(task)
                except OSError:  # it died while idle (killed from outside)
                    worker.end()
                    again.appendleft(task)
                    continue
                worker.task, worker.since = task, time.monotonic()
                running[worker.connection] = worker
            if not running:
                break
            deadline = min(worker.deadline() for worker in running.values())
            timeout = None if deadline == math.inf else max(0.0, deadline - time.monotonic())
            for connection in wait_for_connections(list(running), timeout):
                worker = running.pop(connection)
                try:
                    message = connection.recv()
                except (EOFError, OSError):  # its process died
                    worker.end()
                    if not worker.ready:  # killed as it started (out of memory)? try again
                        starts_killed += 1
                        exitcode = worker.process.exitcode
                        if exitcode is None or exitcode >= 0 or starts_killed >= STARTS_KILLED:
                            raise OSError(_not_started(exitcode)) from None
                        continue
                    task = worker.task
                    if (task.point, task.replication) in died_once:
                        yield _failed(_row(task), _death(worker.process.exitcode))
                    else:
                        died_once.add((task.point, task.replication))
                        again.append(task)
                    continue
                if worker.ready:
                    worker.task = None
                    idle.append(worker)
                    yield message  # the task's row
                else:  # message == READY
                    worker.ready = True
                    starts_killed = 0
                    idle.append(worker)
            now = time.monotonic()
            for connection, worker in list(running.items()):
                if now >= worker.deadline():
                    del running[connection]
                    worker.end()
                    if not worker.ready:
                        raise OSError(
                            f"a worker process was not ready {WORKER_START_SECONDS:g} s after it "
                            "started"
                        )
                    yield _timed_out(worker.task, "its worker process was killed")
    finally:
        for worker in [*running.values(), *idle]:
            worker.end()


def _how(exitcode: int | None) -> str:
    """How a process ended, from its exit code."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
        if exitcode == -signal.SIGKILL:
            how += " (out of memory, or killed)"
        return how
    if exitcode:
        return f"exited with status {exitcode}"
    return "exited without a result"


def _not_started(exitcode: int | None) -> str:
    """Why the sweep stops when new worker processes end before they are ready."""
    message = f"a worker process ended before it was ready: {_how(exitcode)}"
    if exitcode is not None and exitcode < 0:
        message = f"{STARTS_KILLED} worker processes in a row ended before they were ready: "
        message += f"{_how(exitcode)}"
    if exitcode == 1:  # a Python error, printed above
        message += (
            " (its error is above; a script that runs a sweep on processes must be importable "
            "by its workers: the sweep under if __name__ == '__main__', the script in a file)"
        )
    return message


def _death(exitcode: int | None) -> str:
    """What a failed row says of a task whose worker process died twice running it."""
    return (
        f"the worker process died running it, twice (each time in a new process): {_how(exitcode)}"
    )


# ---------------------------------------------------------------------- dask


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in each worker process of the local cluster a sweep
    starts (``preload=["sim.experiments.engines"]``).

    Ignore SIGINT, which a Ctrl-C sends to the whole process group (the sweep's process
    stops the cluster itself), and have Linux SIGKILL the worker when the sweep's process
    ends. Dask's own watch, a thread that exits the worker when a pipe from its parent
    closes, cannot run in a worker that is stopped or stuck in native code; the signal
    reaches it there too. (The worker's parent is the thread of the sweep's process that
    started it, which Dask keeps until the worker has ended.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _ready_for_runs() -> None:
    """Run by every worker of a cluster given by ``--scheduler``, present or to come, before
    its first task: to unpickle it, the worker imports this module, and so the package
    (about 2 s), which would otherwise count against its first run's time limit."""


def local_cluster(jobs: int) -> Any:
    """A Dask cluster of ``jobs`` one-thread worker processes on loopback, made as the sweeps
    need it (the optimiser's too): the caller closes it.

    Its workers are born ignoring SIGINT (:func:`_workers_born_ignoring_sigint`), so that a
    Ctrl-C while they start reaches only the sweep's process; a cluster whose start is
    stopped that way is closed here, not left to Dask's own close at exit (which fails on a
    cluster still starting, with a traceback)."""
    dask, _, LocalCluster = _dask_modules()
    from distributed.deploy.spec import SpecCluster

    started = set(getattr(SpecCluster, "_instances", ()))
    # One task per worker thread, none queued behind it (Dask's default, 1.1, lets a
    # one-thread worker take two): a run's time limit counts from when the scheduler lists
    # it as processing, so it must be running then, not queued behind a run that hangs.
    try:
        with (
            dask.config.set({"distributed.scheduler.worker-saturation": 1.0}),
            _workers_born_ignoring_sigint(),
        ):
            return LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # No dashboard, and the scheduler's HTTP server (health, metrics) on a free
                # port, not on 8787, which another cluster may hold (Dask then warns).
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                preload=[__name__],
                # What happens to the runs (a worker killed, restarted) is in the rows;
                # Dask's own account of it would only interleave with the sweep's lines.
                silence_logs=logging.CRITICAL,
            )
    except BaseException:
        # Its nannies' tasks fail as it closes, and Dask's loop logs them (and its own
        # closing) on its thread, later: the process is stopping, so they stay quiet.
        for name in ("distributed", "asyncio"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        instances = getattr(SpecCluster, "_instances", set())
        for cluster in set(instances) - started:  # made before the stop: half started
            instances.discard(cluster)
            with contextlib.suppress(BaseException):
                cluster.close(timeout=5)
        raise


@contextlib.contextmanager
def _workers_born_ignoring_sigint() -> Iterator[None]:
    """While a local cluster starts, spawn Python through a wrapper that ignores SIGINT
    before it runs Python (POSIX, main thread; elsewhere nothing changes).

    A Ctrl-C, which a terminal sends to the whole process group, would otherwise reach the
    worker processes while they import the package (about 3 s, before :func:`dask_setup`
    can ignore it) and fill the terminal with their tracebacks. An ignored signal stays
    ignored through ``exec``, and Python then leaves it so. The sweep's own process keeps
    its handler, so the Ctrl-C is not lost. A worker that Dask starts again later (after a
    death) is spawned plainly.
    """
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        yield
        return
    import shlex
    import shutil
    import subprocess
    import tempfile
    from multiprocessing import spawn

    python = spawn.get_executable()
    folder = tempfile.mkdtemp(prefix="caseload-")
    wrapper = os.path.join(folder, "python")
    try:
        with open(wrapper, "w") as handle:
            command = shlex.quote(os.fsdecode(python))
            handle.write(f"#!/bin/sh\ntrap '' INT\nexec {command} \"$@\"\n")
        os.chmod(wrapper, 0o700)
        check = subprocess.run([wrapper, "-c", ""], check=False, timeout=30, capture_output=True)
        usable = check.returncode == 0
    except (OSError, subprocess.SubprocessError):  # no sh, or a temporary folder not executable
        usable = False
    if usable:
        multiprocessing.set_executable(wrapper)
    try:
        yield
    finally:
        if usable:
            multiprocessing.set_executable(python)
        shutil.rmtree(folder, ignore_errors=True)


def _dask_modules() -> tuple[Any, Any, Any]:
    """``dask``, ``Client`` and ``LocalCluster``, or one line saying how to install them."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the extra
        raise ScenarioError(
            "--engine dask", None, "dask is not installed: pip install 'caseload-sim[dask]'"
        ) from None
    return dask, Client, LocalCluster


def _dask(
    tasks: Iterable[Task], jobs: int, scheduler: str | None, function: Function
) -> Iterator[dict[str, Any]]:
    _, Client, _ = _dask_modules()
    cluster = client = None
    finished = False
    try:
        if scheduler is None:
            cluster = local_cluster(jobs)
        client = Client(scheduler or cluster)
        if cluster is None:  # (a local cluster's workers import this module as a preload)
            client.register_worker_callbacks(setup=_ready_for_runs)
        yield from _DaskRuns(client, cluster, function).rows(tasks)
        finished = True
    finally:
        if cluster is not None and not finished:  # stopped early: no run is waited for
            # The kills close the scheduler's connections to the workers, and Dask logs each
            # (a traceback at INFO) on its event loop's thread, sometimes after closing the
            # cluster has put back the log level `silence_logs` lowered: its lines would come
            # between the sweep's. Dask's loggers stay quiet in this process from here on.
            logging.getLogger("distributed").setLevel(logging.CRITICAL)
            for nanny in list(cluster.workers.values()):
                with contextlib.suppress(Exception):
                    os.kill(nanny.pid, signal.SIGKILL)
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


class _DaskRuns:
    """Tasks on a Dask cluster, at most one per worker thread in flight, each within its
    time limit.

    With no more tasks in flight than the cluster has threads, the scheduler hands each
    one to a free thread, so a task's run starts when the scheduler first lists it as
    processing on a worker; its time limit is counted from then (and again from its new
    worker if its first one died). Every ``DASK_POLL_SECONDS`` the engine asks which
    tasks are processing where. A task past its limit is cancelled, then its worker's
    process is killed (a local cluster's: the nanny starts another) or restarted by its
    nanny (another cluster's; a worker without a nanny cannot be stopped from here).

    A run's result stays on its worker until fetched, and a worker hung by a later run
    cannot hand it over: no fetch waits longer than ``DASK_POLL_SECONDS``, and a result
    not handed over within the run's time limit has its worker killed, so that Dask
    computes it again elsewhere (:meth:`fetch`, :meth:`overdue`). Which of a worker's runs
    stopped it cannot be told from here, so a run past its limit on a worker that is also
    not handing a result over is computed again elsewhere too, once, before it is a failed
    row. Whenever a worker is killed, the clocks of the runs it held start again on the
    workers Dask gives them next.
    """

    def __init__(self, client: Any, cluster: Any, function: Function) -> None:
        self.client = client
        self.cluster = cluster
        self.function = function
        self.started: dict[str, tuple[str, float]] = {}
        """Key -> (the worker it was last seen processing on, since when)."""
        self.unfetched: dict[str, tuple[str | None, float]] = {}
        """Key of a run that ended -> (the worker holding its result, since when it was
        first asked for it), while the worker does not hand it over."""
        self.refetched: set[str] = set()
        """Keys whose worker was killed once for not handing their result over."""
        self.rerun: set[str] = set()
        """Keys past their limit on a worker not handing a result over, run again once."""
        self.threads = 1
        self.polled = -math.inf

    def rows(self, tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
        from dask.distributed import wait

        remaining = iter(tasks)
        exhausted = False
        in_flight: dict[Any, Task] = {}
        self.poll(in_flight)
        while True:
            while not exhausted and len(in_flight) < self.threads:
                task = next(remaining, None)
                if task is None:
                    exhausted = True
                else:
                    in_flight[self.client.submit(self.function, task, pure=False)] = task
            if not in_flight:
                return
            try:
                done, _ = wait(
                    list(in_flight), timeout=DASK_POLL_SECONDS, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:
                done = set()
            for future in done:
                if future.done():  # (not "lost": its result went with its worker, rerun)
                    row = self.fetch(future, in_flight[future])
                    if row is not None:
                        del in_flight[future]
                        yield row
            if time.monotonic() - self.polled >= DASK_POLL_SECONDS:
                self.poll(in_flight)
                yield from self.overdue(in_flight)

    def overdue(self, in_flight: dict[Any, Task]) -> Iterator[dict[str, Any]]:
        """Stop what is past its time limit: the failed rows of runs that hung.

        A run is past its limit counted from when it was first seen processing. A result
        not handed over (:meth:`fetch`) is past it counted from when it was first asked
        for: its worker's process is killed, so that Dask computes it again elsewhere;
        if the next result is not handed over either, it is a failed row. A run past its
        limit on a worker that is not handing a result over may be the victim of the run
        that stopped the worker, not the culprit: the worker is killed and the run computed
        again, once.
        """
        now = time.monotonic()
        for future, task in list(in_flight.items()):
            if task.time_limit is None:
                continue
            if future.key in self.unfetched:
                worker, since = self.unfetched[future.key]
                if now - since < task.time_limit:
                    continue
                del self.unfetched[future.key]
                how = self.kill(worker)
                if future.key not in self.refetched:
                    self.refetched.add(future.key)
                    continue
                future.cancel()
                del in_flight[future]
                yield _failed(
                    _row(task),
                    f"its result could not be fetched: its Dask worker ({worker}) stopped "
                    f"answering after the run ended, and again after it was run again; {how}",
                )
                continue
            worker, since = self.started.get(future.key, (None, math.inf))
            if now - since < task.time_limit:
                continue
            unanswering = {holder for holder, _ in self.unfetched.values()}
            if worker in unanswering and future.key not in self.rerun:
                self.rerun.add(future.key)
                self.kill(worker)
                continue
            del in_flight[future]
            yield _timed_out(task, self.stop(future, worker))

    def fetch(self, future: Any, task: Task) -> dict[str, Any] | None:
        """The row of a run that ended, or None while its worker does not hand it over.

        The result stays on the worker that ran it until fetched; a worker that stops
        answering meanwhile (another run of ours hung it: a run stopped, or stuck in
        native code holding the GIL) would hold the sweep with it, so each attempt waits
        ``DASK_POLL_SECONDS`` at most, and :meth:`overdue` acts at the time limit.
        """
        try:
            row = self.row(future, task)
        except TimeoutError:
            if future.key not in self.unfetched:
                holders = self.client.who_has([future]).get(future.key, ())
                worker = holders[0] if holders else None
                self.unfetched[future.key] = (worker, time.monotonic())
            return None
        self.unfetched.pop(future.key, None)
        return row

    def poll(self, in_flight: dict[Any, Task]) -> None:
        """Learn the cluster's threads and where each task in flight is processing."""
        self.threads = max(1, sum(self.client.nthreads().values()))
        now = time.monotonic()
        processing = {
            key: worker for worker, keys in self.client.processing().items() for key in keys
        }
        keys = {future.key for future in in_flight}
        self.started = {
            key: self.started[key]
            if key in self.started and self.started[key][0] == worker
            else (worker, now)
            for key, worker in processing.items()
            if key in keys
        }
        self.polled = now

    def stop(self, future: Any, worker: str) -> str:
        """Cancel a task past its time limit and stop its run: how, for its row."""
        future.cancel()
        deadline = time.monotonic() + 10
        # (every worker's list: one that has left is missing, and asked by name, an error)
        while future.key in self.client.processing().get(worker, ()):  # not yet
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return self.kill(worker)

    def kill(self, worker: str | None) -> str:
        """Kill a worker's process (a local cluster's) or have its nanny restart it
        (another cluster's): how, for a row.

        The runs it held are computed again by Dask: their clocks start afresh where they
        are seen processing next, and a result it did not hand over counts as refetched.
        """
        self.started = {key: seen for key, seen in self.started.items() if seen[0] != worker}
        for key, (holder, _) in list(self.unfetched.items()):
            if holder == worker:
                del self.unfetched[key]
                self.refetched.add(key)
        if self.cluster is not None:
            for nanny in list(self.cluster.workers.values()):
                if nanny.worker_address == worker and nanny.pid:
                    with contextlib.suppress(OSError):
                        os.kill(nanny.pid, signal.SIGKILL)
                    return f"its Dask worker's process was killed ({worker}) and started again"
            return f"its Dask worker ({worker}) had already gone"
        try:
            self.client.restart_workers([worker], raise_for_error=True)
        except Exception as exc:  # no nanny, or it did not answer
            reason = " ".join(str(exc).split()) or type(exc).__name__
            return (
                f"its Dask worker ({worker}) could not be restarted ({reason}) and may still "
                "be running it"
            )
        return f"its Dask worker ({worker}) was restarted by its nanny"

    def row(self, future: Any, task: Task) -> dict[str, Any]:
        from distributed import KilledWorker

        self.started.pop(future.key, None)
        try:
            return future.result(timeout=DASK_POLL_SECONDS)
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
