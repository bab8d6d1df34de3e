"""The notebooks run top to bottom (papermill, a real kernel) on a small setting, every run
of their sweeps succeeds, and the outputs stored in them are what the code gives.

The notebooks are committed with the outputs of that small run, so that they read on a
repository page. The test executes each with the parameters stored in it and compares what
is robust: every number of its tables and printed lines, from fixed seeds (not the bytes of
its images). When the model's figures change on purpose, write the outputs again:

    python tests/test_notebooks.py --write
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

SMALL = {
    "budget_mix": {
        "REPLICATIONS": 2,
        "HORIZON_DAYS": 150,
        "WARMUP_DAYS": 30,
        "LEVERS": ["caseworkers", "wellbeing", "retention_pay"],
        "DESIGN_POINTS": 2,
        "DESIGN_REPS": 2,
        "FIRST_STAGE": 3,
        "MAX_REPS": 5,
        "CANDIDATES": 3,
        "ENGINE": "serial",
    },
    "budget_frontier": {
        "REPLICATIONS": 2,
        "HORIZON_DAYS": 300,
        "WARMUP_DAYS": 60,
        "CASEWORKERS": [26, 30, 34],
        "ENGINE": "serial",
    },
    "intake_threshold_tradeoff": {
        "REPLICATIONS": 2,
        "HORIZON_DAYS": 240,
        "WARMUP_DAYS": 60,
        "THRESHOLDS": [0.3, 0.6],
        "CASEWORKERS": [9, 12],
        "LHS_SAMPLES": 32,
        "ENGINE": "serial",
    },
    "turnover_spiral": {"REPLICATIONS": 2, "HORIZON_DAYS": 300, "ENGINE": "serial"},
}
"""The small run whose outputs the notebooks store (and the tests repeat)."""
FIGURES_AT_LEAST = {
    "budget_mix": 4,
    "budget_frontier": 3,
    "intake_threshold_tradeoff": 2,
    "turnover_spiral": 4,
}
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?")


def execute(name: str, out: Path, parameters: dict):
    """Run a notebook with papermill (with ``TQDM_DISABLE=1`` in the environment, which the
    kernel inherits, the progress bars stay out of the outputs)."""
    import nbformat
    import papermill

    from sim.analysis.report import kernel_config, quiet_kernel_manager

    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(out),
        parameters=parameters,
        progress_bar=False,
        kernel_name="python3",
        config=kernel_config(),
        kernel_manager_class=quiet_kernel_manager(out.with_suffix(".kernel.log")),
    )
    return nbformat.read(out, as_version=4)


def numbers(notebook) -> list[tuple[int, list[float]]]:
    """Per code cell, every number of its printed lines and of its tables' text."""
    found = []
    for index, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        if "injected-parameters" in cell.metadata.get("tags", []):
            continue
        texts = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                texts.append(output.get("text", ""))
            elif "text/plain" in output.get("data", {}) and "image/png" not in output["data"]:
                texts.append(output["data"]["text/plain"])
        values = [float(token.replace(",", "")) for token in NUMBER.findall("\n".join(texts))]
        if values:
            found.append((index, values))
    return found


def test_every_notebook_is_tested():
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_and_its_stored_outputs_are_what_the_code_gives(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("papermill")
    import sim

    monkeypatch.setenv("TQDM_DISABLE", "1")

    stored = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    parameters = dict(stored.metadata.get("papermill", {}).get("parameters", {}))
    parameters.pop("RESULTS_DIR", None)
    assert parameters == SMALL[name], "the stored outputs are not those of the small run"
    results = tmp_path / "results"
    notebook = execute(
        name, tmp_path / f"{name}.ipynb", {**parameters, "RESULTS_DIR": str(results)}
    )
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "nothing on stderr"
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= FIGURES_AT_LEAST[name]
    prose = [c for c in notebook.cells if c.cell_type == "markdown"]
    assert len(prose) >= 4, "each notebook tells its story in prose"
    # Every run of every sweep the notebook ran succeeded: no row is silently missing.
    folders = [m.parent for m in results.rglob("manifest.json")]
    assert folders, "the notebook's sweeps write into RESULTS_DIR"
    for folder in folders:
        table = sim.load_results(folder)
        assert len(table) > 0 and (table.status == "ok").all(), table.error.unique()
    # The stored outputs are what the code gives, number for number.
    assert [i for i, _ in numbers(notebook)] == [i for i, _ in numbers(stored)]
    for (cell, got), (_, kept) in zip(numbers(notebook), numbers(stored), strict=True):
        assert got == pytest.approx(kept, rel=1e-9), f"code cell {cell} of {name}"


def test_the_number_check_sees_a_changed_table():
    """The comparison above is not vacuous: the stored tables hold many numbers, and a table
    with one number changed reads differently."""
    nbformat = pytest.importorskip("nbformat")
    stored = nbformat.read(NOTEBOOKS / "budget_frontier.ipynb", as_version=4)
    before = numbers(stored)
    assert sum(len(values) for _, values in before) > 20
    table = next(
        output
        for cell in stored.cells
        for output in cell.get("outputs", [])
        if NUMBER.search(output.get("data", {}).get("text/plain", ""))
    )
    table.data["text/plain"] = NUMBER.sub("9999", table.data["text/plain"], count=1)
    assert numbers(stored) != before


def write() -> None:
    """Run each notebook on the small setting and store its outputs in notebooks/."""
    import nbformat

    os.environ["TQDM_DISABLE"] = "1"
    for name, parameters in SMALL.items():
        target = NOTEBOOKS / f"{name}.ipynb"
        notebook = execute(
            name, target.with_suffix(".run.ipynb"), {**parameters, "RESULTS_DIR": None}
        )
        target.with_suffix(".run.ipynb").unlink()
        target.with_suffix(".run.kernel.log").unlink(missing_ok=True)
        kept = {"parameters": notebook.metadata.get("papermill", {}).get("parameters", {})}
        notebook.metadata["papermill"] = kept
        for cell in notebook.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            cell.source = cell.source.rstrip("\n")  # as ruff formats the injected cell
        nbformat.write(notebook, target)
        print(f"wrote the outputs of {target.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_notebooks.py --write")
    write()
