"""Faults in sweeps: bad sweep files, a killed worker, an output folder that fails.

Bad sweep files live in tests/bad_inputs/sweeps/, each starting with
``# expect: FIELD | FRAGMENT`` like the scenario corpus: FIELD is the field path the
message must name, ``<file>`` for a problem of the file as a whole, and ``<base>
FIELD`` (or ``<base> <file>``) when the message must name the sweep's base scenario
file instead of the sweep file. Base paths in them are relative to the sweep file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, small_office_data

import sim
from sim.cli import main

pytestmark = pytest.mark.timeout(300)  # a fault that hangs a sweep fails its test, in 5 minutes

SWEEP_CORPUS = sorted((ROOT / "tests" / "bad_inputs" / "sweeps").glob("*.yaml"))


def sweep_expectation(path: Path) -> tuple[Path, str | None, str]:
    """The file the message must name, the field (None: the file as a whole), the fragment."""
    header = path.read_text(encoding="utf-8").splitlines()[0]
    field, fragment = (part.strip() for part in header.removeprefix("# expect:").split("|", 1))
    named = path
    if field.startswith("<base>"):
        named = (path.parent / yaml.safe_load(path.read_text(encoding="utf-8"))["base"]).resolve()
        field = field.removeprefix("<base>").strip()
    return named, None if field == "<file>" else field, fragment


def test_the_sweep_corpus_is_large_enough():
    assert len(SWEEP_CORPUS) >= 40
    fields = {sweep_expectation(path)[1] for path in SWEEP_CORPUS}
    assert len(fields) >= 20  # many different fields, not one mistake repeated


@pytest.mark.parametrize("path", SWEEP_CORPUS, ids=lambda p: p.stem)
def test_bad_sweep_file(path, tmp_path):
    """One line naming the file and the field, exit 2, no traceback, nothing written."""
    named, field, fragment = sweep_expectation(path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), "--engine", "serial"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    prefix = f"caseload: {named}: " + (f"{field}: " if field else "")
    assert lines[0].startswith(prefix), lines[0]
    if field is None:  # the file as a whole: no field path before the problem
        assert not lines[0].removeprefix(prefix).split(" ")[0].endswith(":"), lines[0]
    assert fragment in lines[0], lines[0]
    assert not out.exists()


# ------------------------------------------------------------------ a killed worker

SWEEP = {
    "name": "faults",
    "replications": 3,
    "seed": 5,
    "design": "grid",
    "factors": [
        {"path": "workforce.caseworkers", "values": [4, 6]},
        {"path": "intake.threshold", "values": [0.3, 0.6]},
    ],
    "overrides": {"horizon_days": 200.0, "warmup_days": 30.0},
}


def write_sweep(folder: Path, **changes) -> Path:
    """A small sweep file (4 points x 3 replications) and its base scenario in ``folder``."""
    (folder / "base.yaml").write_text(yaml.safe_dump(small_office_data()))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({**SWEEP, "base": "base.yaml", **changes}))
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> pd.DataFrame:
    """The rows of the sweep run serially, start to end: what every faulty run must end with."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    sim.run_sweep(sim.load_sweep(write_sweep(folder)), folder / "out", engine="serial")
    return sim.load_results(folder / "out")


def assert_rows_of_an_uninterrupted_sweep(out: Path, expected: pd.DataFrame) -> None:
    rows = sim.load_results(out)
    assert not rows.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(rows, expected)


RUN_TASK = sim.experiments.engines.run_task


def first_time(marker: Path) -> bool:
    """Whether this is the first time here: create ``marker`` (atomically: one process of
    several wins) with this process's id in it; False if it exists already."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


@dataclass(frozen=True)
class KillsItsWorkerOnce:
    """Run a task, but SIGKILL the worker process the first time point 1, replication 0
    comes; the marker file records it (a module-level class: the workers unpickle it, with
    the marker's path)."""

    marker: Path

    def __call__(self, task):
        if (task.point, task.replication) == (1, 0) and first_time(self.marker):
            os.kill(os.getpid(), signal.SIGKILL)
        return RUN_TASK(task)


def test_a_sweep_whose_worker_is_killed_completes_with_all_rows(
    tmp_path, monkeypatch, uninterrupted
):
    """A worker process dies by a real SIGKILL mid-sweep: its task runs again in a new
    worker, and the folder ends with exactly the uninterrupted rows."""
    marker = tmp_path / "killed"
    monkeypatch.setattr(sim.experiments.engines, "run_task", KillsItsWorkerOnce(marker))
    plan = sim.load_sweep(write_sweep(tmp_path))
    report = sim.run_sweep(plan, tmp_path / "out", engine="processes", jobs=2, shard_rows=1)
    killed = int(marker.read_text())
    assert killed != os.getpid(), "the kill must land in a worker process"
    assert (report.ran, report.failed, report.skipped) == (12, 0, 0)
    assert_rows_of_an_uninterrupted_sweep(tmp_path / "out", uninterrupted)


def test_a_worker_killed_from_outside_does_not_stop_the_sweep(tmp_path, uninterrupted):
    """``caseload sweep`` in its own process; one of its worker processes is sent SIGKILL
    from outside while the sweep runs. The command still ends normally with every row."""
    psutil = pytest.importorskip("psutil")
    path = write_sweep(tmp_path, overrides={"horizon_days": 200.0, "warmup_days": 30.0})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out)]
    options = ["--jobs", "2", "--shard-rows", "1", "--no-progress"]
    process = subprocess.Popen([*command, *options], stderr=subprocess.PIPE, text=True)
    sweep = psutil.Process(process.pid)
    killed, written = None, 0
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and process.poll() is None:
        written = len(list(out.glob("shards/part-*.parquet")))
        workers = sweep_workers(sweep) if written else []
        for worker in workers:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                continue  # it ended on its own meanwhile
            killed = worker.pid
            break
        time.sleep(0.01)
    _, stderr = process.communicate(timeout=300)
    assert killed is not None and written < 12, "the kill must land in a worker, mid-sweep"
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "12 run(s) done, 0 failed" in stderr, stderr
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


def sweep_workers(sweep) -> list:
    """The worker processes of a sweep's process (psutil): those it spawned (they run
    multiprocessing's ``spawn_main``; its resource tracker does not); those of a local Dask
    cluster too, which rename themselves ``dask worker [address]`` where the
    ``setproctitle`` package is installed (mutmut brings it)."""
    workers = []
    for process in sweep.children(recursive=True):
        with contextlib.suppress(Exception):  # psutil.NoSuchProcess: it ended meanwhile
            command = " ".join(process.cmdline())
            if "spawn_main" in command or command.startswith("dask worker"):
                workers.append(process)
    return workers


def test_workers_that_cannot_start_stop_the_sweep_in_one_line(tmp_path, monkeypatch):
    """A worker process that ends before it is ready (here: the run function's module exists
    only in the sweep's process, so the worker cannot import it) stops the sweep with one
    line and exit 2, instead of failing every run or starting workers for ever."""
    module = types.ModuleType("only_in_the_sweeps_process")
    exec("def run(task):\n    raise AssertionError('never run')\n", module.__dict__)
    module.run.__module__ = module.__name__
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(sim.experiments.engines, "run_task", module.run)
    path = write_sweep(tmp_path, replications=1)
    out = tmp_path / "out"
    options = ["--out", str(out), "--jobs", "1", "--no-progress"]
    result = CliRunner().invoke(main, ["sweep", str(path), *options])
    assert result.exit_code == 2, result.output
    banner, line = result.stderr.splitlines()  # (the worker's own error went to fd 2)
    assert banner.startswith("Sweep 'faults'")
    assert line == (
        f"caseload: {out}: the sweep stopped: a worker process ended before it was ready: "
        "exited with status 1 (its error is above; a script that runs a sweep on processes "
        "must be importable by its workers: the sweep under if __name__ == '__main__', the "
        "script in a file); the rows already written are kept: run the same command with "
        "--resume"
    )
    assert sim.load_results(out).empty


def test_a_worker_killed_as_it_starts_is_replaced(tmp_path, monkeypatch, uninterrupted):
    """A worker process killed before it is ready (the out-of-memory killer does not wait)
    is replaced, and the sweep ends with exactly the uninterrupted rows; workers killed
    that way again and again (3 in a row) stop the sweep in one line."""
    start_worker = sim.experiments.engines._start_worker
    started = []

    def killed_as_it_starts(kill_every_one):
        def start(function):
            worker = start_worker(function)
            if kill_every_one or not started:
                worker.process.kill()
            started.append(worker)
            return worker

        return start

    monkeypatch.setattr(sim.experiments.engines, "_start_worker", killed_as_it_starts(False))
    path = write_sweep(tmp_path)
    options = ["--jobs", "2", "--no-progress"]
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    assert len(started) == 3 and "12 run(s) done, 0 failed" in result.stderr
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)

    monkeypatch.setattr(sim.experiments.engines, "_start_worker", killed_as_it_starts(True))
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(out), *options])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        f"caseload: {out}: the sweep stopped: 3 worker processes in a row ended before they "
        "were ready: killed by SIGKILL (out of memory, or killed); the rows already written "
        "are kept: run the same command with --resume"
    )


def kills_its_worker_on_point_1(task):
    """SIGKILL the worker process every time point 1 comes (module level: picklable)."""
    if task.point == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return RUN_TASK(task)


def test_a_task_that_kills_every_dask_worker_is_a_failed_row(tmp_path, monkeypatch):
    """On Dask the scheduler reruns a dead worker's tasks itself and gives up on a task
    after its allowed failures (here none) with KilledWorker: the task becomes a failed
    row instead of an exception that stops the sweep, and every other row is written."""
    distributed = pytest.importorskip("distributed")
    import dask

    monkeypatch.setattr(sim.experiments.engines, "run_task", kills_its_worker_on_point_1)
    plan = sim.load_sweep(write_sweep(tmp_path, replications=1))
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # 8787 may be held
        ) as cluster,
    ):
        report = sim.run_sweep(
            plan, tmp_path / "out", engine="dask", scheduler=cluster.scheduler_address
        )
    rows = sim.load_results(tmp_path / "out")
    assert report.ran == 4 and sorted(rows.point) == [0, 1, 2, 3]
    failed = rows[rows.status == "failed"]
    # Dask also charges the tasks queued on the dead worker: with no failure allowed,
    # they may fail with it. The task that kills its worker always does.
    assert 1 in set(failed.point) and report.failed == len(failed)
    assert failed.error.str.startswith(
        "the worker process died running it, 1 time(s) (Dask gave up on it after its "
        "distributed.scheduler.allowed-failures, the last at tcp://127.0.0.1:"
    ).all()


# ------------------------------------------------------------------ a folder that fails

FULL_DISK = """
import resource, sys
import sim.experiments.engines
from sim.cli import main

run_task = sim.experiments.engines.run_task


def fills_the_disk_at_point_2(task):
    if (task.point, task.replication) == (2, 0):  # from now on no file may pass 1 KiB
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))
    return run_task(task)


sim.experiments.engines.run_task = fills_the_disk_at_point_2
main(sys.argv[1:], prog_name="caseload")
"""


def rows_kept(folder: Path, expected: pd.DataFrame, points: set[int]) -> None:
    """``folder`` holds whole shards with exactly the uninterrupted rows of ``points``."""
    rows = sim.load_results(folder)
    assert set(rows.point) == points
    pd.testing.assert_frame_equal(rows, expected[expected.point.isin(points)])
    assert not list(folder.glob("**/.tmp-*")), "no temporary file is left behind"


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_stops_the_sweep_with_one_line_and_resume_completes(tmp_path, uninterrupted):
    """Mid-sweep the file size limit drops to 1 KiB (RLIMIT_FSIZE: the kernel refuses the
    shard's writes with EFBIG, as a full disk refuses them with ENOSPC). One line, exit 2,
    the shards already written kept whole; --resume then ends with exactly the rows of
    an uninterrupted sweep."""
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--shard-rows", "1"]
    arguments.append("--no-progress")
    full = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *arguments], capture_output=True, text=True, timeout=300
    )
    assert full.returncode == 2, full.stderr
    banner, line = full.stderr.splitlines()  # the banner, then the one-line error
    assert banner.startswith("Sweep 'faults'") and "Traceback" not in full.stderr
    assert line.startswith(f"caseload: {out}: cannot write results: File too large ({out}/shards/")
    assert line.endswith(
        "; the rows already written are kept: once there is room (or the folder can be "
        "written again), run the same command with --resume"
    )
    rows_kept(out, uninterrupted, {0, 1})  # the 6 rows of points 0 and 1 came first

    resumed = CliRunner().invoke(main, [*arguments, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "6 run(s) done, 0 failed, 6 already in" in resumed.stderr
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


@pytest.mark.parametrize("fault", ["replaced_by_a_file", "removed"])
def test_a_results_folder_that_cannot_be_written_stops_with_one_line(
    fault, tmp_path, monkeypatch, uninterrupted
):
    """When point 2 comes, the shards folder is moved away (as an unmounted share or a
    cleaning script would) and, in one case, a file put in its place: the next shard
    fails with a real ENOTDIR or ENOENT. One line, exit 2, the shards written kept
    whole; with the folder back (or a new one), --resume completes the sweep exactly."""
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    shards, moved = out / "shards", tmp_path / "shards_moved"

    def loses_its_folder_at_point_2(task):
        if (task.point, task.replication) == (2, 0):
            shards.rename(moved)
            if fault == "replaced_by_a_file":
                shards.write_text("not a folder")
        return RUN_TASK(task)

    monkeypatch.setattr(sim.experiments.engines, "run_task", loses_its_folder_at_point_2)
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--shard-rows", "1"]
    arguments.append("--no-progress")
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.stderr
    _, line = result.stderr.splitlines()
    reason = "Not a directory" if fault == "replaced_by_a_file" else "No such file or directory"
    assert line.startswith(f"caseload: {out}: cannot write results: {reason} ({shards}/part-")
    assert "the rows already written are kept" in line and line.endswith("with --resume")
    monkeypatch.undo()

    (tmp_path / "rows_written").mkdir()
    (tmp_path / "rows_written" / "manifest.json").write_bytes((out / "manifest.json").read_bytes())
    (tmp_path / "rows_written" / "shards").symlink_to(moved)
    rows_kept(tmp_path / "rows_written", uninterrupted, {0, 1})
    if fault == "replaced_by_a_file":  # the share comes back
        shards.unlink()
        moved.rename(shards)
    resumed = CliRunner().invoke(main, [*arguments, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    ran = 6 if fault == "replaced_by_a_file" else 12
    assert f"{ran} run(s) done, 0 failed, {12 - ran} already in" in resumed.stderr
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


def test_an_interrupted_write_a_leftover_and_a_corrupt_shard(tmp_path, uninterrupted):
    """What a crash or a disk error leaves: a temporary file cut short, a shard cut in
    half. The corrupt shard stops results and --resume with one line naming it (nothing
    is set aside or deleted behind the user's back); moved out of shards/ as the line
    says, --resume runs its rows again and the temporary file is cleaned away."""
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--shard-rows", "2"]
    arguments.append("--no-progress")
    runner = CliRunner()
    assert runner.invoke(main, arguments).exit_code == 0
    shards = sorted((out / "shards").glob("part-*.parquet"))
    assert len(shards) == 6
    for lost in shards[3:]:  # the sweep had not got this far
        lost.unlink()
    corrupt = shards[1]
    whole = corrupt.read_bytes()
    corrupt.write_bytes(whole[: len(whole) // 2])
    leftover = out / "shards" / f".tmp-{'0' * 32}-part-00000000000000000000-deadbeef.parquet"
    leftover.write_bytes(whole[:100])

    for command in (["results", str(out)], [*arguments, "--resume"]):
        refused = runner.invoke(main, command)
        assert refused.exit_code == 2, refused.output
        assert isinstance(refused.exception, SystemExit) and "Traceback" not in refused.stderr
        (line,) = refused.stderr.splitlines()  # refused before the sweep's banner
        assert line.startswith("caseload:")
        assert line.startswith(f"caseload: {corrupt}: expected a shard of result rows, got a ")
        assert f"move it out of {out / 'shards'} and run the sweep again with --resume" in line
        assert len(list((out / "shards").glob("part-*.parquet"))) == 3  # nothing written

    corrupt.rename(tmp_path / corrupt.name)  # as the message says
    resumed = runner.invoke(main, [*arguments, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "8 run(s) done, 0 failed, 4 already in" in resumed.stderr
    assert not leftover.exists()
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


def test_a_corrupt_manifest_is_one_line(tmp_path):
    out = tmp_path / "out"
    path = write_sweep(tmp_path, replications=1)
    sim.run_sweep(sim.load_sweep(path), out, engine="serial")
    (out / "manifest.json").write_text('{"format": 1, "name": "cut sh')
    for command in (["results", str(out)], ["sweep", str(path), "--out", str(out), "--resume"]):
        refused = CliRunner().invoke(main, command)
        assert refused.exit_code == 2, refused.output
        (line,) = [line for line in refused.stderr.splitlines() if line.startswith("caseload:")]
        assert refused.stderr.endswith(line + "\n") and "Traceback" not in refused.stderr
        assert line.startswith(f"caseload: {out / 'manifest.json'}: expected the JSON manifest")


def test_a_crash_while_writing_the_manifest_does_not_block_the_folder(tmp_path):
    """A folder holding only the manifest's temporary file is a new folder; a folder
    holding anything else is refused, and nothing in it is deleted."""
    plan = sim.load_sweep(write_sweep(tmp_path, replications=1))
    out = tmp_path / "out"
    out.mkdir()
    leftover = out / f".tmp-{'1' * 32}-manifest.json"
    leftover.write_text('{"form')
    sim.run_sweep(plan, out, engine="serial")
    assert not leftover.exists() and len(sim.load_results(out)) == 4

    other = tmp_path / "other"
    other.mkdir()
    (other / ".tmp-mine").write_text("someone else's")
    with pytest.raises(sim.ScenarioError, match="new or empty folder"):
        sim.run_sweep(plan, other, engine="serial")
    assert (other / ".tmp-mine").read_text() == "someone else's"
    assert list(other.iterdir()) == [other / ".tmp-mine"], "no lock left in a foreign folder"


# ------------------------------------------------------------------ two sweeps, one folder

SLOW = """
import sys, time
import sim.experiments.engines
from sim.cli import main

run_task = sim.experiments.engines.run_task


def slowly(task):
    time.sleep(0.5)
    return run_task(task)


sim.experiments.engines.run_task = slowly
main(sys.argv[1:], prog_name="caseload")
"""

SINCE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
"""When a lock was taken, as the lock file records it."""


@pytest.mark.skipif(sys.platform == "win32", reason="the folder's lock is POSIX flock")
def test_a_second_sweep_into_a_running_sweeps_folder_is_refused(tmp_path, uninterrupted):
    """While a sweep runs, the same command again (with or without --resume) gets one line
    naming the running sweep's process and command line, as it recorded them in the lock,
    and exit 2, and writes nothing; once the running sweep is killed (SIGKILL: its lock goes
    with it), --resume completes the folder with exactly the uninterrupted rows."""
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--shard-rows", "1"]
    arguments.append("--no-progress")
    script = tmp_path / "slow_caseload.py"
    script.write_text(SLOW)
    command = [sys.executable, str(script), *arguments]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "shards").glob("part-*.parquet")):  # running, a row written
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        runner = CliRunner()
        for again in (arguments, [*arguments, "--resume"]):
            shards = sorted((out / "shards").iterdir())
            refused = runner.invoke(main, again)
            assert refused.exit_code == 2, refused.output
            assert re.fullmatch(
                re.escape(
                    f"caseload: {out}: another sweep or optimisation is writing into this "
                    f"folder: process "
                    f"{first.pid} ({shlex.join(command)}), since "
                )
                + SINCE
                + re.escape(": wait for it to end, or use a new folder\n"),
                refused.stderr,
            ), refused.stderr
            assert first.poll() is None, "the refusal came while the first sweep ran"
            assert set(shards) <= set((out / "shards").iterdir())  # nothing removed
    finally:
        first.kill()
        first.wait()
    resumed = CliRunner().invoke(main, [*arguments, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


LEAVES_A_CHILD = """
import os, sys, time
import sim.experiments.engines
from sim.cli import main

run_task = sim.experiments.engines.run_task


def leaves_a_child_holding_the_lock(task):
    if (task.point, task.replication) == (1, 0):
        child = os.fork()
        if child == 0:  # a copy of the sweep's process: every descriptor, the lock's too
            time.sleep(600)
            os._exit(0)
        with open(sys.argv[1], "w") as marker:
            marker.write(str(child))
    return run_task(task)


sim.experiments.engines.run_task = leaves_a_child_holding_the_lock
main(sys.argv[2:], prog_name="caseload")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; POSIX flock")
def test_a_lock_left_behind_by_a_sweep_that_no_longer_exists_is_taken_over(tmp_path, uninterrupted):
    """The bug of issue 14: processes started by a killed sweep outlived it and kept its lock
    (a child it forked here, as its workers were once forked), so every --resume was refused
    as if a sweep were running. The next sweep finds the process recorded in the lock gone:
    it says so in one line, takes the folder over, and completes it exactly."""
    import fcntl

    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--shard-rows", "1"]
    arguments.append("--no-progress")
    script, marker = tmp_path / "forks.py", tmp_path / "child"
    script.write_text(LEAVES_A_CHILD)
    command = [sys.executable, str(script), str(marker), *arguments]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = None
    try:
        deadline = time.monotonic() + 120
        while not (marker.exists() and marker.read_text()):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        child = int(marker.read_text())
        first.kill()
        first.wait()
        with open(out / ".lock", "rb") as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the child still holds it
        resumed = CliRunner().invoke(main, [*arguments, "--resume"])
    finally:
        first.kill()
        first.wait()
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
    assert resumed.exit_code == 0, resumed.output
    notice, banner, *_ = resumed.stderr.splitlines()
    assert re.fullmatch(
        re.escape(f"caseload: {out}: process {first.pid} ({shlex.join(command)}), since ")
        + SINCE
        + re.escape(
            ", which locked this folder, no longer exists, but processes it left behind still "
            "hold its lock: taking the folder over"
        ),
        notice,
    ), notice
    assert banner.startswith("Sweep 'faults'") and "Traceback" not in resumed.stderr
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


def test_the_lock_owner_is_told_from_a_process_that_reused_its_pid(tmp_path):
    """The recorded owner exists only while a process of that pid that started at that time
    does; on another machine it cannot be told."""
    me = sim.experiments.results.LockOwner.this_process()
    assert me.pid == os.getpid() and me.exists() is True
    assert f"process {os.getpid()} (" in me.describe()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert dataclasses.replace(me, pid=ended.pid).exists() is False
    if me.started is not None:  # Linux: a pid given to a later process is not the owner
        assert dataclasses.replace(me, started=me.started - 1).exists() is False
    elsewhere = dataclasses.replace(me, host=me.host + "-elsewhere")
    assert elsewhere.exists() is None
    assert f"process {os.getpid()} on {elsewhere.host} (" in elsewhere.describe()
    with open(tmp_path / "lock", "a+b") as handle:
        me.write(handle)
        assert sim.experiments.results.LockOwner.read(handle) == me


# ------------------------------------------------------------------ a sweep stopped from outside

LONG = {"replications": 4, "overrides": {"horizon_days": 1000.0, "warmup_days": 30.0}}
"""16 runs of about 0.2 s each: a sweep long enough to be stopped in its middle."""


@pytest.fixture(scope="module")
def long_uninterrupted(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("long")
    sim.run_sweep(sim.load_sweep(write_sweep(folder, **LONG)), folder / "out", engine="serial")
    return sim.load_results(folder / "out")


SWEEP_COMMAND = (sys.executable, "-m", "sim.cli", "sweep")


def start_sweep(
    path: Path, out: Path, *options: str, command: tuple[str, ...] = SWEEP_COMMAND
) -> subprocess.Popen:
    """``caseload sweep`` in a session of its own, so that its process group is the sweep's
    processes alone (what Ctrl-C in a terminal signals); one row per shard."""
    options = ("--shard-rows", "1", "--no-progress", *options)
    return subprocess.Popen(
        [*command, str(path), "--out", str(out), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_rows(sweep: subprocess.Popen, out: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(list(out.glob("shards/part-*.parquet"))) < count:
        assert sweep.poll() is None, sweep.communicate()[1]
        assert time.monotonic() < deadline, "no rows written in two minutes"
        time.sleep(0.01)


def still_running(processes: list, until: float) -> list:
    """Those of ``processes`` (psutil) still running at ``until`` (``time.monotonic``), or as
    soon as none is. A zombie has ended: it holds nothing, and waits only to be reaped."""
    import psutil

    while True:
        running = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.status() != psutil.STATUS_ZOMBIE:
                    running.append(process)
        if not running or time.monotonic() >= until:
            return running
        time.sleep(0.02)


def kill_everything(popens: list[subprocess.Popen], others: list = ()) -> None:
    """End every process a test started, whatever happened: each one started in a session of
    its own with its process group while it runs (once it has ended and been reaped, its pid
    may be another's), and ``others`` (psutil, which checks a process is the same one)."""
    for popen in popens:
        if popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            popen.kill()
            popen.communicate(timeout=30)
    for process in others:
        with contextlib.suppress(Exception):
            process.kill()


STOPS_A_WORKER = """
import os, signal, sys
import sim.experiments.engines
from sim.cli import main

run_task = sim.experiments.engines.run_task


def stops_its_worker_on_point_1(task):
    if (task.point, task.replication) == (1, 0):  # stuck for good: nothing in it moves
        os.kill(os.getpid(), signal.SIGSTOP)
    return run_task(task)


sim.experiments.engines.run_task = stops_its_worker_on_point_1
if __name__ == "__main__":  # the workers import this file too
    main(sys.argv[1:], prog_name="caseload")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("engine", ["serial", "processes", "dask"])
def test_a_sweep_whose_main_process_is_killed_leaves_nothing_behind_and_resumes(
    engine, tmp_path, long_uninterrupted
):
    """SIGKILL to the sweep's main process only, not its group, mid-sweep (as the
    out-of-memory killer would), while one of its workers is stuck for good (stopped by
    SIGSTOP: it can neither notice nor act): within 3 seconds no process it started is
    left (workers, the stuck one included, the local Dask cluster), and
    --resume started at once is accepted and completes the folder with exactly the rows of
    an uninterrupted sweep."""
    psutil = pytest.importorskip("psutil")
    if engine == "dask":
        pytest.importorskip("distributed")
    path = write_sweep(tmp_path, **LONG)
    out = tmp_path / "out"
    command = SWEEP_COMMAND
    if engine != "serial":  # serial has no workers: its own process would stop
        (tmp_path / "stops.py").write_text(STOPS_A_WORKER)
        command = (sys.executable, str(tmp_path / "stops.py"), "sweep")
    sweep = start_sweep(path, out, "--engine", engine, "--jobs", "2", command=command)
    started, popens = [], [sweep]
    try:
        wait_for_rows(sweep, out, 2)
        main_process = psutil.Process(sweep.pid)
        deadline = time.monotonic() + 120
        while engine != "serial" and not any(
            worker.status() == psutil.STATUS_STOPPED for worker in sweep_workers(main_process)
        ):
            assert sweep.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        started = main_process.children(recursive=True)
        assert len(sweep_workers(main_process)) == (0 if engine == "serial" else 2), started
        os.kill(sweep.pid, signal.SIGKILL)
        killed = time.monotonic()
        sweep.wait(timeout=30)
        written = len(sim.load_results(out))
        resumed = start_sweep(path, out, "--engine", "serial", "--resume")  # same rows anywhere
        popens.append(resumed)
        assert time.monotonic() - killed < 3, "the resume must start within 3 s of the kill"
        left = still_running(started, until=killed + 3)
        assert not left, f"still running 3 s after the sweep was killed: {left}"
        _, stderr = resumed.communicate(timeout=300)
    finally:
        kill_everything(popens, started)
    assert sweep.returncode == -signal.SIGKILL and 2 <= written < 16
    assert resumed.returncode == 0, stderr
    assert f"{16 - written} run(s) done, 0 failed, {written} already in" in stderr, stderr
    assert_rows_of_an_uninterrupted_sweep(out, long_uninterrupted)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
@pytest.mark.parametrize(
    ("engine", "signum"),
    [
        ("processes", signal.SIGINT),
        ("processes", signal.SIGTERM),
        ("dask", signal.SIGINT),
        ("serial", signal.SIGTERM),
    ],
    ids=["processes-ctrl-c", "processes-sigterm", "dask-ctrl-c", "serial-sigterm"],
)
def test_ctrl_c_and_sigterm_stop_a_sweep_in_one_line_and_resume_completes_it(
    engine, signum, tmp_path, long_uninterrupted
):
    """Mid-sweep, SIGINT to the sweep's whole process group (what Ctrl-C in a terminal sends:
    the workers get it too) or SIGTERM to its main process: the rows written are kept, one
    line says how many runs are done and how to finish, the exit status is 130 or 143, no
    process of the sweep is left; --resume then ends with exactly the uninterrupted rows."""
    psutil = pytest.importorskip("psutil")
    if engine == "dask":
        pytest.importorskip("distributed")
    path = write_sweep(tmp_path, **LONG)
    out = tmp_path / "out"
    options = ["--engine", engine, "--jobs", "2"]
    sweep = start_sweep(path, out, *options)
    started = []
    try:
        wait_for_rows(sweep, out, 2)
        started = psutil.Process(sweep.pid).children(recursive=True)
        if signum == signal.SIGINT:
            os.killpg(sweep.pid, signal.SIGINT)
        else:
            os.kill(sweep.pid, signal.SIGTERM)
        _, stderr = sweep.communicate(timeout=120)
        left = still_running(started, until=time.monotonic() + 3)
    finally:
        kill_everything([sweep], started)
    assert sweep.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum], stderr
    assert len(stderr.splitlines()) == 2, stderr
    banner, line = stderr.splitlines()  # the banner, then the one line
    assert banner.startswith("Sweep 'faults'"), stderr
    done = len(sim.load_results(out))
    name = "SIGINT (Ctrl-C)" if signum == signal.SIGINT else "SIGTERM"
    assert line == (
        f"caseload: {out}: stopped by {name}: {done} of 16 run(s) done; the rows written are "
        "kept: run the same command with --resume to finish it"
    )
    assert 2 <= done < 16
    assert not left, f"still running after the sweep ended: {left}"

    resumed = subprocess.run(  # serial: the quickest to start, and the rows are the same
        [*SWEEP_COMMAND, str(path), "--out", str(out), "--engine", "serial", "--resume"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{16 - done} run(s) done, 0 failed, {done} already in" in resumed.stderr
    assert_rows_of_an_uninterrupted_sweep(out, long_uninterrupted)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
def test_ctrl_c_while_dask_workers_start_is_one_line(tmp_path):
    """Ctrl-C (SIGINT to the whole process group) while the local cluster's worker processes
    are still importing the package, before any of them could set SIGINT aside: they are
    born ignoring it, so only the sweep's process hears it. Two lines (the banner and the
    one line), exit 130, no process left. The signal goes half a second after the first
    worker process appears. Before the workers were born ignoring it, each printed its
    KeyboardInterrupt traceback, and Dask's close at exit of the half-started cluster one
    more: this test failed 4 times in 4 without the fix, and passed 4 in 4 with it."""
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("distributed")
    path = write_sweep(tmp_path, **LONG)
    out = tmp_path / "out"
    sweep = start_sweep(path, out, "--engine", "dask", "--jobs", "2")
    started = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sweep.poll() is None:
            with contextlib.suppress(psutil.Error):
                started = psutil.Process(sweep.pid).children(recursive=True)
                if any("spawn_main" in " ".join(p.cmdline()) for p in started):
                    break  # a worker process exists
            time.sleep(0.01)
        time.sleep(0.5)  # and is importing (about 2 s), Python's own handler in place
        assert not list(out.glob("shards/part-*")), "a run has ended: the workers had started"
        os.killpg(sweep.pid, signal.SIGINT)
        _, stderr = sweep.communicate(timeout=120)
        left = still_running(started, until=time.monotonic() + 3)
    finally:
        kill_everything([sweep], started)
    assert sweep.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    banner, line = stderr.splitlines()
    assert banner.startswith("Sweep 'faults'")
    assert line.startswith(f"caseload: {out}: stopped by SIGINT (Ctrl-C): "), line
    assert not left, f"still running after the sweep ended: {left}"


def interrupt(*args, **kwargs):
    """What SIGINT raises in the main thread, wherever it lands (Python's default handler)."""
    raise KeyboardInterrupt


def test_ctrl_c_after_a_sweeps_runs_says_every_row_is_kept(tmp_path, monkeypatch, uninterrupted):
    """Ctrl-C after the last run, while the table is read: one line saying the rows are all
    there and how to see them (not click's "Aborted!"), status 130, the rows complete."""
    path, out = write_sweep(tmp_path), tmp_path / "out"
    monkeypatch.setattr(sim.cli, "load_results", interrupt)
    options = ["--out", str(out), "--engine", "serial", "--no-progress"]
    result = CliRunner().invoke(main, ["sweep", str(path), *options])
    assert result.exit_code == 130, result.output
    assert result.stdout == ""
    *_, done, line = result.stderr.splitlines()
    assert done == f"12 run(s) done, 0 failed, 0 already in {out}"
    assert line == (
        f"caseload: stopped by SIGINT (Ctrl-C) after every run was done: the rows are in {out}; "
        f"`caseload results {out}` prints the table"
    )
    monkeypatch.undo()
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)
    assert CliRunner().invoke(main, ["results", str(out)]).exit_code == 0


@pytest.mark.parametrize(
    ("command", "where"),
    [("run", "run"), ("sweep", "load_sweep"), ("validate", "load_scenario")],
    ids=["during-a-run", "loading-a-sweep", "loading-a-scenario"],
)
def test_ctrl_c_anywhere_else_is_one_line_and_status_130(tmp_path, monkeypatch, command, where):
    path = write_sweep(tmp_path) if command == "sweep" else tmp_path / "base.yaml"
    if command != "sweep":
        path.write_text(yaml.safe_dump(small_office_data()))
    monkeypatch.setattr(sim.cli, where, interrupt)
    options = ["--out", str(tmp_path / "out")] if command == "sweep" else []
    result = CliRunner().invoke(main, [command, str(path), *options])
    assert result.exit_code == 130, result.output
    assert result.stderr == (
        "caseload: stopped by SIGINT (Ctrl-C) before it finished: run the same command again\n"
    )
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ a run that hangs


@dataclass(frozen=True)
class HangsOnPoint1:
    """Run a task, but hang for good on point 1, replication 0, writing when to ``marker``:
    ``SIGSTOP`` stops the run's own process (nothing in it moves again); ``wait`` waits for
    an event that never comes (serial: a SIGSTOP would stop the sweep itself)."""

    marker: Path
    how: str

    def __call__(self, task):
        if (task.point, task.replication) == (1, 0):
            self.marker.write_text(repr(time.time()))
            if self.how == "SIGSTOP":
                os.kill(os.getpid(), signal.SIGSTOP)
            threading.Event().wait()
        return RUN_TASK(task)


TIME_LIMIT = 3.0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGSTOP, SIGALRM")
@pytest.mark.parametrize(
    ("engine", "how", "stopped"),
    [
        ("serial", "wait", "it was interrupted in this process (serial engine)"),
        ("processes", "SIGSTOP", "its worker process was killed"),
        ("dask", "SIGSTOP", "its Dask worker's process was killed (tcp://127.0.0.1:"),
    ],
    ids=["serial", "processes", "dask"],
)
def test_a_run_that_hangs_is_a_failed_row_at_its_time_limit_and_retry_failed_reruns_it(
    engine, how, stopped, tmp_path, monkeypatch, uninterrupted
):
    """A run hangs for good. At its time limit it becomes a failed row saying so, and its
    process is stopped; the other runs complete. --resume --retry-failed then reruns it
    and the folder ends with exactly the uninterrupted rows, one per (point, replication)."""
    psutil = pytest.importorskip("psutil")
    if engine == "dask":
        pytest.importorskip("distributed")
    marker = tmp_path / "hung"
    arrived: dict[tuple[int, int], float] = {}
    add = sim.experiments.results.ResultStore.add

    def add_noting_when(store, row):
        arrived[(row["point"], row["replication"])] = time.time()
        add(store, row)

    monkeypatch.setattr(sim.experiments.results.ResultStore, "add", add_noting_when)
    monkeypatch.setattr(sim.experiments.engines, "run_task", HangsOnPoint1(marker, how))
    plan = sim.load_sweep(write_sweep(tmp_path))
    out = tmp_path / "out"
    report = sim.run_sweep(plan, out, engine=engine, jobs=2, run_timeout=TIME_LIMIT)
    assert (report.ran, report.failed) == (12, 1)
    waited = arrived[(1, 0)] - float(marker.read_text())
    assert TIME_LIMIT - 0.5 <= waited <= TIME_LIMIT + 5, waited
    stopped_processes = [
        child
        for child in psutil.Process().children(recursive=True)
        if child.status() == psutil.STATUS_STOPPED
    ]
    assert not stopped_processes, "the hung run's process is stopped for good"
    rows = sim.load_results(out)
    failed = rows[rows.status == "failed"]
    assert list(zip(failed.point, failed.replication, strict=True)) == [(1, 0)]
    assert failed.error.iloc[0].startswith(
        "the run was stopped at its time limit of 3 s (--run-timeout): it hung, or ran far "
        f"slower than its size predicts; {stopped}"
    ), failed.error.iloc[0]
    expected = uninterrupted[
        (uninterrupted.point != 1) | (uninterrupted.replication != 0)
    ].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows.drop(failed.index).reset_index(drop=True), expected)

    monkeypatch.undo()  # the run no longer hangs; the same rows come from every engine
    again = sim.run_sweep(plan, out, engine="serial", resume=True, retry_failed=True)
    assert (again.retried, again.skipped, again.ran, again.failed) == (1, 11, 1, 0)
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


class StopsWhenSent(float):
    """A figure whose worker process stops itself (SIGSTOP) as it pickles the figure to
    send it, the first time only (the marker file records it; every time with no marker): a
    worker that stops answering after its run ended, with the run's result still on it."""

    marker: Path | None

    def __reduce__(self):
        if self.marker is None or first_time(self.marker):
            os.kill(os.getpid(), signal.SIGSTOP)
        return float, (float(self),)


@dataclass(frozen=True)
class StopsAsPoint1IsFetched:
    """Run a task; on point 1, replication 0, its row's first figure is a StopsWhenSent."""

    marker: Path | None

    def __call__(self, task):
        row = RUN_TASK(task)
        if (task.point, task.replication) == (1, 0):
            figure = next(iter(sim.core.summary.FIGURES))
            row[figure] = StopsWhenSent(row[figure])
            row[figure].marker = self.marker
        return row


def test_the_local_dask_cluster_gives_each_worker_thread_one_run_at_a_time():
    """The local cluster (the sweeps' and the optimiser's, `engines.local_cluster`) has
    one-thread workers whose scheduler hands each at most one task (worker-saturation 1.0;
    Dask's default, 1.1, would let a worker take a second, queued behind the first): a run's
    time limit counts from when the scheduler lists it as processing, so it must be running
    then."""
    pytest.importorskip("distributed")
    from distributed import Client

    cluster = sim.experiments.engines.local_cluster(2)
    try:
        with Client(cluster) as client:
            saturation = client.run_on_scheduler(
                lambda dask_scheduler: dask_scheduler.WORKER_SATURATION
            )
            threads = client.nthreads()
    finally:
        cluster.close()
    assert saturation == 1.0
    assert sorted(threads.values()) == [1, 1]


def test_a_dask_worker_that_stops_answering_with_a_runs_result_does_not_hang_the_sweep(
    tmp_path, monkeypatch, uninterrupted
):
    """A run ends, and its Dask worker stops as its result is fetched (as if another run
    had hung it first). The sweep neither hangs nor loses the row: at the run's time limit
    the worker's process is killed, Dask computes the run again on a worker that answers,
    and the folder ends with exactly the uninterrupted rows."""
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    marker = tmp_path / "stopped"
    monkeypatch.setattr(sim.experiments.engines, "run_task", StopsAsPoint1IsFetched(marker))
    plan = sim.load_sweep(write_sweep(tmp_path))
    report = sim.run_sweep(plan, tmp_path / "out", engine="dask", jobs=2, run_timeout=TIME_LIMIT)
    assert int(marker.read_text()) != os.getpid(), "the worker stopped, not the sweep"
    assert (report.ran, report.failed) == (12, 0)
    stopped = [
        child
        for child in psutil.Process().children(recursive=True)
        if child.status() == psutil.STATUS_STOPPED
    ]
    assert not stopped, "the stopped worker is stopped for good"
    assert_rows_of_an_uninterrupted_sweep(tmp_path / "out", uninterrupted)


def test_a_dask_worker_that_never_hands_a_result_over_makes_a_failed_row(
    tmp_path, monkeypatch, uninterrupted
):
    """The worker holding a run's result stops as it sends it, and so does every worker that
    runs it again: the run is a failed row saying so, the sweep ends, and no stopped process
    is left. (Where Dask reruns it, the second worker may stop before the scheduler hears the
    run ended: then the row says the run was stopped at its limit. A run whose result was on
    a worker it stopped may be lost twice, and fail too, saying so.)"""
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    monkeypatch.setattr(sim.experiments.engines, "run_task", StopsAsPoint1IsFetched(None))
    plan = sim.load_sweep(write_sweep(tmp_path))
    out = tmp_path / "out"
    report = sim.run_sweep(plan, out, engine="dask", jobs=2, run_timeout=TIME_LIMIT)
    assert report.ran == 12 and report.failed >= 1
    rows = sim.load_results(out)
    failed = rows[rows.status == "failed"]
    assert (1, 0) in set(zip(failed.point, failed.replication, strict=True))
    for error in failed.error:
        assert error.startswith(
            "its result could not be fetched: its Dask worker (tcp://127.0.0.1:"
        ) or error.startswith("the run was stopped at its time limit of 3 s"), error
        assert "its Dask worker's process was killed (tcp://127.0.0.1:" in error, error
    stopped = [
        child
        for child in psutil.Process().children(recursive=True)
        if child.status() == psutil.STATUS_STOPPED
    ]
    assert not stopped
    done = rows[rows.status == "ok"].set_index(["point", "replication"])
    expected = uninterrupted.set_index(["point", "replication"]).loc[done.index]
    pd.testing.assert_frame_equal(done, expected)


def test_run_timeout_and_retry_failed_on_the_command_line(tmp_path, monkeypatch, uninterrupted):
    """--run-timeout sets the limit; --retry-failed needs --resume (one line, exit 2), and
    with it the banner says how many failed runs run again."""
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--no-progress"]
    runner = CliRunner()
    refused = runner.invoke(main, [*arguments, "--retry-failed"])
    assert refused.exit_code == 2 and not out.exists()
    assert refused.stderr == (
        "caseload: --retry-failed: expected --resume as well (it runs a folder's failed runs "
        "again)\n"
    )
    monkeypatch.setattr(
        sim.experiments.engines, "run_task", HangsOnPoint1(tmp_path / "hung", "wait")
    )
    hung = runner.invoke(main, [*arguments, "--run-timeout", "1.5"])
    assert hung.exit_code == 3, hung.output  # runs failed: each reason printed
    assert "12 run(s) done, 1 failed, 0 already in" in hung.stderr
    (error,) = sim.load_results(out).query("status == 'failed'").error
    assert error.startswith("the run was stopped at its time limit of 1.5 s (--run-timeout)")
    monkeypatch.undo()
    retried = runner.invoke(main, [*arguments, "--resume", "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    assert f"11 of 12 already in {out} (1 failed run(s) to run again)\n" in retried.stderr
    assert "1 run(s) done, 0 failed, 11 already in" in retried.stderr
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)


def test_the_default_time_limit_comes_from_each_points_size_estimate(tmp_path):
    """run_timeout="auto": ten times what the point's size estimate predicts at the documented
    costs (1 ms a referral, 0.5 ms a caseworker-day, 1 ms a risk signal), at least 60 s; a
    point whose values are refused gets the base scenario's; None: no limit."""
    plan = sim.load_sweep(
        write_sweep(
            tmp_path,
            replications=1,
            factors=[{"path": "horizon_days", "values": [200.0, 40_000.0, -1.0]}],
        )
    )
    limits = sim.experiments.sweep._time_limits(plan, "auto")
    assert limits(0) == 60.0  # a short run: the floor
    big = sim.core.guards.estimate_size(sim.apply_overrides(plan.base, {"horizon_days": 40_000.0}))
    predicted = big.referrals * 1e-3 + big.worker_days * 5e-4 + big.signals * 1e-3
    assert predicted > 6 and limits(1) == pytest.approx(10 * predicted)
    base = sim.core.guards.estimate_size(plan.base)  # the 400-day base: under the floor too
    assert limits(2) == max(60.0, 10 * (base.referrals * 1e-3 + base.worker_days * 5e-4))
    assert sim.experiments.sweep._time_limits(plan, None)(1) is None
    assert sim.experiments.sweep._time_limits(plan, 2.5)(1) == 2.5


# ------------------------------------------------------------------ a Dask cluster of processes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups, psutil")
def test_a_dask_cluster_of_separate_processes_loses_a_worker_and_gives_the_serial_rows(
    tmp_path, long_uninterrupted
):
    """A scheduler and two workers started as separate processes with Dask's own command
    line (``dask scheduler``, ``dask worker``) on 127.0.0.1, free ports; a sweep through
    --scheduler; one worker process SIGKILLed mid-sweep. Its nanny starts another, the
    scheduler reruns its task, and the folder ends with exactly the serial rows. Every
    process the test started is ended, whatever happens."""
    psutil = pytest.importorskip("psutil")
    distributed = pytest.importorskip("distributed")
    scheduler_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "dask.log", "w")  # noqa: SIM115 (closed in finally)
    popens, started = [], []

    def dask(*arguments: str) -> subprocess.Popen:
        popen = subprocess.Popen(
            [sys.executable, "-m", "dask", *arguments],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        popens.append(popen)
        return popen

    try:
        scheduler_options = ["--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
        scheduler = dask("scheduler", *scheduler_options, "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + 120
        while not (scheduler_file.exists() and scheduler_file.read_text()):
            assert scheduler.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker_options = ["--scheduler-file", str(scheduler_file), "--host", "127.0.0.1"]
        worker_options += ["--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
        workers = [dask("worker", *worker_options, "--name", f"w{i}") for i in range(2)]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)

        path = write_sweep(tmp_path, **LONG)
        out = tmp_path / "out"
        sweep = start_sweep(path, out, "--engine", "dask", "--scheduler", address)
        popens.append(sweep)
        wait_for_rows(sweep, out, 2)
        (worker,) = sweep_workers(psutil.Process(workers[0].pid))  # the nanny's worker
        started = [child for w in workers for child in psutil.Process(w.pid).children()]
        os.kill(worker.pid, signal.SIGKILL)
        written = len(list(out.glob("shards/part-*.parquet")))
        _, stderr = sweep.communicate(timeout=300)
    finally:
        kill_everything(popens, started)
        log.close()
    assert written < 16, "the kill must land mid-sweep"
    assert sweep.returncode == 0, stderr
    assert "16 run(s) done, 0 failed" in stderr and "Traceback" not in stderr, stderr
    assert_rows_of_an_uninterrupted_sweep(out, long_uninterrupted)
