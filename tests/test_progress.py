"""Progress bars: shown where someone is watching (a terminal, a notebook), silent in a pipe,
never empty. The terminal is a real pseudo-terminal on standard error; the notebook a real
Jupyter kernel."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import yaml
from conftest import MINIMAL, small_office_data

import sim
from sim.experiments.progress import Progress, wanted

SCRIPT = shutil.which("caseload") or str(Path(sys.executable).with_name("caseload"))
FAST = ["--set", "horizon_days=60", "--set", "warmup_days=10"]
BAR = re.compile(r"\d+/\d+ \[")  # tqdm's "3/3 [00:01<00:00, ...]"

pytestmark = pytest.mark.skipif(not Path(SCRIPT).exists(), reason="no console script")


def in_terminal(*args: str, timeout: float = 300) -> tuple[int, str, str]:
    """Run the command with standard error on a pseudo-terminal (stdout a pipe)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    environment = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    process = subprocess.Popen(
        [SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=environment,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout = process.stdout.read().decode()
    process.wait(timeout=timeout)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


def in_a_pipe(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    return subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, timeout=300, env=environment
    )


def test_a_run_of_several_replications_shows_a_bar_in_a_terminal():
    code, stdout, terminal = in_terminal("run", str(MINIMAL), "--reps", "3", *FAST)
    assert code == 0
    assert "3/3 [" in terminal and "replication" in terminal
    assert "Scenario 'minimal'" in stdout  # the table itself is on stdout, bar-free
    assert not BAR.search(stdout)


def test_no_bar_in_a_pipe_for_one_replication_or_when_asked():
    piped = in_a_pipe("run", str(MINIMAL), "--reps", "3", *FAST)
    assert piped.returncode == 0 and piped.stderr == ""  # a log holds only what was asked
    _, _, one = in_terminal("run", str(MINIMAL), "--reps", "1", *FAST)
    assert not BAR.search(one)
    _, _, asked = in_terminal("run", str(MINIMAL), "--reps", "3", "--no-progress", *FAST)
    assert not BAR.search(asked)


def test_standards_show_a_bar_for_each_staffing_level():
    """The county agency has two standards (hours and the CWLA caps): two bars, each ending
    its line when its replications are done."""
    child = MINIMAL.parent / "child_protection.yaml"
    code, stdout, terminal = in_terminal("standards", str(child), "--reps", "2", *FAST)
    assert code == 0 and stdout.count("Simulated at the") == 2
    assert len(re.findall(r"2/2 \[[^\r\n]*\r?\n", terminal)) == 2, terminal


def test_a_sweep_shows_a_bar_and_a_finished_one_resumed_shows_none(tmp_path):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(small_office_data()))
    sweep = {
        "name": "bars",
        "base": "base.yaml",
        "replications": 2,
        "factors": [{"path": "workforce.caseworkers", "values": [4, 6]}],
        "overrides": {"horizon_days": 60.0, "warmup_days": 10.0},
    }
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(sweep))
    out = tmp_path / "out"
    command = ["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out), "--engine", "serial"]
    code, _, terminal = in_terminal(*command)
    assert code == 0 and "4/4 [" in terminal and "bars" in terminal
    code, _, resumed = in_terminal(*command, "--resume")
    assert code == 0 and "0 run(s) done" in resumed
    assert "bars:" in terminal and "bars:" not in resumed  # no empty bar on resume
    piped = in_a_pipe(*command[:3], str(tmp_path / "again"), "--engine", "serial")
    assert piped.returncode == 0 and not BAR.search(piped.stderr)


def test_bars_are_on_in_a_notebook_by_default(tmp_path, monkeypatch):
    """A real kernel: sim.run and sim.run_sweep draw their bars without being asked."""
    nbformat = pytest.importorskip("nbformat")
    papermill = pytest.importorskip("papermill")
    from sim.analysis.report import kernel_config, quiet_kernel_manager

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import sim\n"
            f"base = sim.apply_overrides(sim.load_scenario({str(MINIMAL)!r}), "
            "{'horizon_days': 60.0, 'warmup_days': 10.0})\n"
            "result = sim.run(base, replications=3)"
        ),
        nbformat.v4.new_code_cell(
            "plan = sim.sweep_over(base, replications=2, "
            "factors=[{'path': 'workforce.caseworkers', 'values': [10, 12]}])\n"
            f"report = sim.run_sweep(plan, {str(tmp_path / 'out')!r}, engine='serial')"
        ),
    ]
    source = tmp_path / "bars.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(
        str(source),
        str(tmp_path / "ran.ipynb"),
        progress_bar=False,
        kernel_name="python3",
        config=kernel_config(),
        kernel_manager_class=quiet_kernel_manager(tmp_path / "kernel.log"),
    )
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)

    def shown(cell) -> str:
        return "".join(
            str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
            for o in cell.outputs
        )

    assert "3/3 [" in shown(ran.cells[0])
    assert "4/4 [" in shown(ran.cells[1])


def test_wanted_follows_the_setting_the_environment_and_the_terminal(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert wanted(True) and not wanted(False)
    assert not wanted(None)  # pytest's standard error is not a terminal
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", sys)  # as in a Jupyter kernel
    assert wanted(None)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert not wanted(None) and not wanted(True)
    with Progress(0, desc="nothing", unit="run", enabled=True) as bar:
        assert not bar.shown  # nothing to do: no bar


def test_a_run_in_python_is_quiet_unless_asked(capsys, minimal):
    short = sim.apply_overrides(minimal, {"horizon_days": 40.0, "warmup_days": 0.0})
    sim.run(short, replications=2)
    assert capsys.readouterr().err == ""
    sim.run(short, replications=2, progress=True)
    assert "2/2 [" in capsys.readouterr().err
