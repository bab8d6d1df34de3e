"""Faults in sweeps: bad sweep files, a killed worker, an output folder that fails.

Bad sweep files live in tests/bad_inputs/sweeps/, each starting with
``# expect: FIELD | FRAGMENT`` like the scenario corpus: FIELD is the field path the
message must name, ``<file>`` for a problem of the file as a whole, and ``<base>
FIELD`` (or ``<base> <file>``) when the message must name the sweep's base scenario
file instead of the sweep file. Base paths in them are relative to the sweep file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT

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
