"""Bad input: one line naming the file, the field and what was expected; exit status 2.

Every file in tests/bad_inputs/ starts with ``# expect: FIELD | FRAGMENT``: the field
path the message must name (``<file>`` for a problem with the file as a whole) and
a fragment of what it must say was expected. Further cases (bytes that are not
UTF-8, an alias bomb, a huge file, a directory, a missing file) are built here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINIMAL, ROOT

import sim
from sim.cli import main

CORPUS = sorted((ROOT / "tests" / "bad_inputs").glob("*.yaml"))


def expectation(path: Path) -> tuple[str, str]:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    field, fragment = header.removeprefix("# expect:").split("|")
    return field.strip(), fragment.strip()


def check_refused(args: list[str], path: Path, field: str | None, fragment: str, tmp_path: Path):
    out = tmp_path / "summary.txt"
    result = CliRunner().invoke(
        main, [*args, str(path)] + (["--out", str(out)] if "run" in args else [])
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert "Traceback" not in result.stderr
    assert message.startswith(f"caseload: {path}: ")
    if field is not None:
        assert f": {field}: " in message, message
    assert fragment in message, message
    assert not out.exists()
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", [["validate"], ["run"]], ids=["validate", "run"])
def test_bad_scenario_file(path, command, tmp_path):
    field, fragment = expectation(path)
    check_refused(command, path, None if field == "<file>" else field, fragment, tmp_path)


def test_corpus_files_are_otherwise_valid():
    """Each corpus file differs from a valid scenario by its one defect: the header names it."""
    fields = [expectation(path)[0] for path in CORPUS]
    assert len(set(fields)) > 25  # many different fields, not one mistake repeated


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    base = MINIMAL.read_text()
    files = {}
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(base.replace("Twelve", "Douze caf\u00e9").encode("latin-1"))
    files["non_utf8"] = (latin1, "UTF-8")
    bomb = tmp_path / "alias_bomb.yaml"
    layers = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        layers.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    bomb.write_text("\n".join(layers) + "\n")
    files["alias_bomb"] = (bomb, "alias")
    huge = tmp_path / "huge.yaml"
    with huge.open("w") as handle:
        handle.write(base)
        handle.write("# " + "x" * 100 + "\n" * 1)
        for _ in range(60_000):
            handle.write("# padding " + "y" * 80 + "\n")
    files["huge"] = (huge, "too large")
    folder = tmp_path / "a_folder.yaml"
    folder.mkdir()
    files["directory"] = (folder, "directory")
    files["missing"] = (tmp_path / "nowhere.yaml", "not found")
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 5000 + "]" * 5000)
    files["deeply_nested"] = (deep, "")
    return files


@pytest.mark.parametrize(
    "case", ["non_utf8", "alias_bomb", "huge", "directory", "missing", "deeply_nested"]
)
@pytest.mark.parametrize("command", [["validate"], ["run"]], ids=["validate", "run"])
def test_bad_file(case, command, tmp_path):
    path, fragment = bad_files(tmp_path)[case]
    check_refused(command, path, None, fragment, tmp_path)


def test_bad_override_values_and_paths(tmp_path):
    runner = CliRunner()
    cases = [
        (["--set", "caps.count=0"], "caps.count", "greater than or equal to 1"),
        (["--set", "nosuch.field=3"], "nosuch.field", "no field 'nosuch' in the scenario"),
        (["--set", "workforce.caseworkers"], None, "expected KEY=VALUE"),
        (["--set", "workforce.nosuch=3"], "workforce.nosuch", "unknown field"),
    ]
    for extra, field, fragment in cases:
        result = runner.invoke(main, ["run", str(MINIMAL), *extra])
        assert result.exit_code == 2, (extra, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and fragment in lines[0], (extra, result.stderr)
        if field:
            assert field in lines[0]


def test_output_into_a_missing_folder(tmp_path):
    target = tmp_path / "no" / "such" / "summary.json"
    result = CliRunner().invoke(main, ["run", str(MINIMAL), "--out", str(target)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "does not exist" in result.stderr
    assert not target.parent.exists()


SCRIPT = shutil.which("caseload") or str(Path(sys.executable).with_name("caseload"))


@pytest.mark.skipif(not Path(SCRIPT).exists(), reason="the console script is not installed")
def test_installed_command_end_to_end():
    """The real console script: exit status 2, one line on stderr, no traceback."""
    bad = ROOT / "tests" / "bad_inputs" / "zero_count_cap.yaml"
    completed = subprocess.run(
        [SCRIPT, "run", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert "caps.count" in completed.stderr and "Traceback" not in completed.stderr


def test_an_absurdly_large_run_is_refused_with_an_estimate(tmp_path):
    text = MINIMAL.read_text().replace("rate_per_year: 600", "rate_per_year: 1000000000")
    path = tmp_path / "billion.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", str(path), "--reps", "1"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"caseload: {path}: case_types: ")
    assert "got about 2,000,000,000" in line and "--allow-large" in line


def test_the_size_guard_counts_referrals_and_worker_days():
    from sim.core.guards import MAX_WORKER_DAYS, check_size, estimate_size

    scenario = sim.load_scenario(MINIMAL)
    size = estimate_size(scenario)
    assert size.referrals == pytest.approx(600 * 730 / 365)
    assert size.worker_days == 12 * 730
    huge = sim.apply_overrides(scenario, {"workforce.caseworkers": MAX_WORKER_DAYS // 730 + 1})
    with pytest.raises(sim.ScenarioError, match="caseworker-days"):
        check_size(huge, "x.yaml")
    assert check_size(huge, "x.yaml", allow_large=True).worker_days > MAX_WORKER_DAYS


def test_anchors_and_merge_keys_still_load(tmp_path):
    """The duplicate-key check leaves YAML's own sharing alone: a merged mapping may
    override a key it merges."""
    text = MINIMAL.read_text().replace("workforce:", "workforce: &staff", 1)
    text += "other: {<<: *staff, caseworkers: 3}\n"
    path = tmp_path / "merged.yaml"
    path.write_text(text)
    data = sim.scenario.load_yaml(path)
    assert data["other"]["caseworkers"] == 3
    assert data["other"]["hours_per_day"] == data["workforce"]["hours_per_day"]
