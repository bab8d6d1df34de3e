"""Faults in sweeps: bad sweep files, a killed worker, an output folder that fails.

Bad sweep files live in tests/bad_inputs/sweeps/, each starting with
``# expect: FIELD | FRAGMENT`` like the scenario corpus: FIELD is the field path the
message must name, ``<file>`` for a problem of the file as a whole, and ``<base>
FIELD`` (or ``<base> <file>``) when the message must name the sweep's base scenario
file instead of the sweep file. Base paths in them are relative to the sweep file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, small_office_data

import sim
from sim.cli import main

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
KILL_MARKER = "CASELOAD_TEST_KILL_MARKER"


def kills_its_worker_once(task):
    """Run a task, but SIGKILL the worker process the first time point 1, replication 0
    comes (module level, so the workers can unpickle it; the marker file records it)."""
    if (task.point, task.replication) == (1, 0):
        try:
            marker = os.open(os.environ[KILL_MARKER], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass  # killed once already: run it
        else:
            os.write(marker, str(os.getpid()).encode())
            os.close(marker)
            os.kill(os.getpid(), signal.SIGKILL)
    return RUN_TASK(task)


def test_a_sweep_whose_worker_is_killed_completes_with_all_rows(
    tmp_path, monkeypatch, uninterrupted
):
    """A worker process dies by a real SIGKILL mid-sweep: the pool is recreated, the tasks
    in flight run again, and the folder ends with exactly the uninterrupted rows."""
    marker = tmp_path / "killed"
    monkeypatch.setenv(KILL_MARKER, str(marker))
    monkeypatch.setattr(sim.experiments.engines, "run_task", kills_its_worker_once)
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
        workers = [c for c in sweep.children() if _is_worker(c, sweep)] if written else []
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


def _is_worker(child, parent) -> bool:
    """A forked worker runs the parent's command line, a spawned one ``spawn_main``
    (multiprocessing's resource tracker, if any, neither)."""
    try:
        command = child.cmdline()
        return command == parent.cmdline() or "spawn_main" in " ".join(command)
    except Exception:  # psutil.NoSuchProcess: it ended meanwhile
        return False


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
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
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


@pytest.mark.skipif(sys.platform == "win32", reason="the folder's lock is POSIX flock")
def test_a_second_sweep_into_a_running_sweeps_folder_is_refused(tmp_path, uninterrupted):
    """While a sweep runs, the same command again (with or without --resume) gets one line
    and exit 2 and writes nothing; once the running sweep is killed (SIGKILL: its lock goes
    with it), --resume completes the folder with exactly the uninterrupted rows."""
    path = write_sweep(tmp_path)
    out = tmp_path / "out"
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--shard-rows", "1"]
    arguments.append("--no-progress")
    first = subprocess.Popen(
        [sys.executable, "-c", SLOW, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
            assert refused.stderr == (
                f"caseload: {out}: another sweep is writing into this folder: wait for it to "
                "end, or use a new folder\n"
            )
            assert first.poll() is None, "the refusal came while the first sweep ran"
            assert set(shards) <= set((out / "shards").iterdir())  # nothing removed
    finally:
        first.kill()
        first.wait()
    resumed = CliRunner().invoke(main, [*arguments, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert_rows_of_an_uninterrupted_sweep(out, uninterrupted)
