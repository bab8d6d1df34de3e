"""An optimisation stopped part-way loses none of its runs and resumes to the same answer.

``caseload optimise --out DIR`` writes every run to DIR/journal.jsonl as it ends
(:mod:`sim.optimisation.journal`); ``--resume`` reads them back and runs only the rest. Each
fault is made for real in a process of its own: a SIGKILL of the main process, SIGTERM on
the process pool, a file-size limit that refuses the journal's next line mid-write (as a
full disk does). After each, the resumed optimisation prints exactly what an uninterrupted
one prints, having run only what the journal lacked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from test_optimisation import SMALL_OPTIMISATION, known_best_office

from sim.cli import main
from sim.optimisation.journal import JOURNAL

OPTIONS = [*SMALL_OPTIMISATION, "--format", "json"]


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("office") / "office.yaml"
    path.write_text(yaml.safe_dump(known_best_office().model_dump(mode="json")))
    return path


def command(office: Path, *more: str, engine: str = "serial") -> list[str]:
    return ["optimise", str(office), *OPTIONS, "--engine", engine, "--jobs", "2", *more]


@pytest.fixture(scope="module")
def uninterrupted(office) -> dict:
    """The answer with no fault and no journal."""
    result = CliRunner().invoke(main, command(office))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def journal_runs(folder: Path) -> list[dict]:
    """The journal's whole run lines (not its header)."""
    lines = (folder / JOURNAL).read_text().splitlines(keepends=True)
    return [json.loads(line) for line in lines[1:] if line.endswith("\n")]


def assert_resumes_to(uninterrupted: dict, office: Path, out: Path, engine: str = "serial"):
    """--resume prints the uninterrupted answer, having run only what the journal lacked;
    the journal then holds each run once."""
    kept = len(journal_runs(out))
    arguments = command(office, "--out", str(out), "--resume", engine=engine)
    resumed = CliRunner().invoke(main, arguments)
    assert resumed.exit_code == 0, resumed.output
    answer = json.loads(resumed.stdout)
    assert answer["runs_from_journal"] == kept > 0
    assert answer["runs"] + kept == uninterrupted["runs"]
    assert {**answer, "runs": 0, "runs_from_journal": 0} == {
        **uninterrupted,
        "runs": 0,
        "runs_from_journal": 0,
    }
    runs = journal_runs(out)
    assert len(runs) == uninterrupted["runs"]
    assert len({(run["mix"], run["replication"]) for run in runs}) == len(runs)


def start(arguments: list[str], script: str = "from sim.cli import main; main()"):
    return subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_runs(out: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (out / JOURNAL).exists() and len(journal_runs(out)) >= count:
            return
        time.sleep(0.005)
    pytest.fail(f"the optimisation ended or stalled before {count} runs: {process.poll()}")


def test_a_killed_optimisation_resumes_from_its_journal(tmp_path, office, uninterrupted):
    """SIGKILL of the main process part-way: no handler runs, nothing is tidied; the runs
    written before it are all there, and --resume ends with the uninterrupted answer."""
    out = tmp_path / "out"
    process = start(command(office, "--out", str(out)))
    wait_for_runs(out, 12, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert 12 <= len(journal_runs(out)) < uninterrupted["runs"]
    assert_resumes_to(uninterrupted, office, out)


def test_sigterm_stops_an_optimisation_in_one_line_and_resume_completes_it(
    tmp_path, office, uninterrupted
):
    """SIGTERM while the process pool runs: the pool is shut down, one line says what is
    kept and how to go on, exit status 143 (128 + 15)."""
    out = tmp_path / "out"
    process = start(command(office, "--out", str(out), engine="processes"))
    wait_for_runs(out, 6, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == (
        f"caseload: {office}: stopped by SIGTERM; the runs done are kept in {out}: run the "
        "same command with --resume"
    )
    assert_resumes_to(uninterrupted, office, out, engine="processes")


FILLS_THE_DISK = """
import resource, sys
import sim.experiments.engines
from sim.cli import main

run_task = sim.experiments.engines.run_task
journal = sys.argv[1]
done = []


def fills_the_disk_after_ten_runs(task):
    done.append(task)
    if len(done) == 11:  # the journal may grow by 10 bytes more: a run's line is cut there
        size = __import__("os").path.getsize(journal)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 10, resource.RLIM_INFINITY))
    return run_task(task)


sim.experiments.engines.run_task = fills_the_disk_after_ten_runs
main(sys.argv[2:], prog_name="caseload")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_stops_an_optimisation_in_one_line_and_resume_completes_it(
    tmp_path, office, uninterrupted
):
    """The journal's eleventh run line is refused 10 bytes in (RLIMIT_FSIZE: EFBIG, as a full
    disk gives ENOSPC): one line, exit 2, the ten runs before kept; --resume drops the cut
    line, runs that run again and ends with the uninterrupted answer."""
    out = tmp_path / "out"
    arguments = [str(out / JOURNAL), *command(office, "--out", str(out))]
    full = subprocess.run(
        [sys.executable, "-c", FILLS_THE_DISK, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    assert full.stderr.splitlines()[-1] == (
        f"caseload: {out}: cannot write the journal: File too large ({out / JOURNAL}); the runs "
        f"done are kept in {out}: once there is room, run the same command with --resume"
    )
    assert len(journal_runs(out)) == 10
    assert not (out / JOURNAL).read_text().endswith("\n"), "the eleventh line was cut"
    assert_resumes_to(uninterrupted, office, out)
    assert (out / JOURNAL).read_text().endswith("\n")


def refusal(office: Path, *more: str) -> str:
    """The one line an optimise command that cannot start prints (exit 2)."""
    result = CliRunner().invoke(main, command(office, *more))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    return result.stderr.strip()


def test_a_journal_is_never_mixed_with_another_optimisations_runs(tmp_path, office):
    """A folder with a journal needs --resume; a journal made with another seed, target or
    scenario is refused, naming the field; a damaged line is refused, naming it; --resume
    needs --out. Nothing is written in any of these."""
    out = tmp_path / "out"
    first = CliRunner().invoke(main, command(office, "--out", str(out), "--max-reps", "3"))
    assert first.exit_code == 0, first.output
    before = (out / JOURNAL).read_bytes()

    assert refusal(office, "--out", str(out)) == (
        f"caseload: {out}: holds an optimisation's runs already ({JOURNAL}): add --resume to go "
        "on with it, or use a new folder"
    )
    assert refusal(office, "--out", str(out), "--resume", "--seed", "5") == (
        f"caseload: {out / JOURNAL}: seed: made for another seed (11, this optimisation's is 5): "
        "its runs are not this optimisation's; use a new folder"
    )
    changed = refusal(office, "--out", str(out), "--resume", "--set", "workforce.caseworkers=6")
    assert changed == (
        f"caseload: {out / JOURNAL}: made for another scenario (its settings differ): its runs "
        "are not this optimisation's; use a new folder"
    )
    assert refusal(office, "--resume") == (
        "caseload: --resume: expected --out as well (the folder of the runs to read)"
    )
    assert (out / JOURNAL).read_bytes() == before

    lines = before.decode().splitlines(keepends=True)
    header = json.loads(lines[0])
    made_by = header["model_code"]
    (out / JOURNAL).write_text("".join([json.dumps({**header, "model_code": "0" * 64}) + "\n"]))
    assert refusal(office, "--out", str(out), "--resume") == (
        f"caseload: {out / JOURNAL}: model_code: made for another model code ('000000000000...', "
        f"this optimisation's is '{made_by[:12]}...'): its runs are not this optimisation's; use "
        "a new folder"
    )
    unrecorded = {key: value for key, value in header.items() if key != "model_code"}
    (out / JOURNAL).write_text(json.dumps(unrecorded) + "\n")
    assert refusal(office, "--out", str(out), "--resume") == (
        f"caseload: {out / JOURNAL}: model_code: made for another model code ('none: an earlier "
        f"version', this optimisation's is '{made_by[:12]}...'): its runs are not this "
        "optimisation's; use a new folder"
    )
    (out / JOURNAL).write_text("".join([*lines[:3], "{not a run\n", *lines[3:]]))
    assert refusal(office, "--out", str(out), "--resume") == (
        f"caseload: {out / JOURNAL}: line 4 is not a run: the journal is damaged"
    )


def test_one_journal_serves_two_budgets_on_the_same_office(tmp_path, office):
    """Runs are keyed by what a mix changes, not by the budget: a second budget reads the
    runs the first made of mixes both buy (the vertices' caseworkers-only and
    wellbeing-only mixes differ, the centre may not) and runs only the rest, with the
    answer it gives alone."""
    out = tmp_path / "out"
    first = CliRunner().invoke(main, command(office, "--out", str(out)))
    assert first.exit_code == 0, first.output
    alone = CliRunner().invoke(main, command(office, "--budget", "100000"))
    shared = CliRunner().invoke(
        main, command(office, "--budget", "100000", "--out", str(out), "--resume")
    )
    assert alone.exit_code == 0 and shared.exit_code == 0, shared.output
    alone, shared = json.loads(alone.stdout), json.loads(shared.stdout)
    assert shared["runs_from_journal"] > 0
    assert shared["runs"] + shared["runs_from_journal"] == alone["runs"]
    assert shared["best"] == alone["best"]


def test_a_second_optimisation_into_a_running_ones_folder_is_refused(tmp_path, office):
    """The folder is locked while an optimisation writes into it: a second one, even with
    --resume, gets one line naming the first's process, and writes nothing."""
    out = tmp_path / "out"
    first = start(command(office, "--out", str(out)))
    try:
        wait_for_runs(out, 2, first)
        before = len(journal_runs(out))
        line = refusal(office, "--out", str(out), "--resume")
        assert line.startswith(
            f"caseload: {out}: another sweep or optimisation is writing into this folder: "
            f"process {first.pid} ("
        ), line
        assert line.endswith("wait for it to end, or use a new folder")
        assert len(journal_runs(out)) >= before
    finally:
        first.kill()
        first.communicate(timeout=60)


def test_a_journal_cut_in_its_header_starts_afresh(tmp_path, office, uninterrupted):
    """Killed while writing its very first line, a journal holds part of a header and no
    run: --resume starts the optimisation afresh (nothing to read, nothing refused)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / JOURNAL).write_text('{"format": 1, "package_ver')
    resumed = CliRunner().invoke(main, command(office, "--out", str(out), "--resume"))
    assert resumed.exit_code == 0, resumed.output
    answer = json.loads(resumed.stdout)
    assert answer["runs"] == uninterrupted["runs"] and answer["runs_from_journal"] == 0
    assert len(journal_runs(out)) == uninterrupted["runs"]
