"""The notebooks run top to bottom (papermill, a real kernel) on a reduced setting, and the
report command writes HTML with every figure embedded."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

import sim
from sim.cli import main

papermill = pytest.importorskip("papermill")
nbformat = pytest.importorskip("nbformat")

REDUCED = {
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
        "LHS_SAMPLES": 12,
        "ENGINE": "serial",
    },
    "turnover_spiral": {"REPLICATIONS": 2, "HORIZON_DAYS": 300, "ENGINE": "serial"},
}
FIGURES_AT_LEAST = {
    "budget_mix": 4,
    "budget_frontier": 3,
    "intake_threshold_tradeoff": 2,
    "turnover_spiral": 4,
}


def test_every_notebook_is_tested():
    assert {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")} == set(REDUCED)


@pytest.mark.parametrize("name", sorted(REDUCED))
def test_notebook_runs_top_to_bottom(name, tmp_path):
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(executed),
        parameters={**REDUCED[name], "RESULTS_DIR": str(tmp_path / "results")},
        progress_bar=False,
        kernel_name="python3",
    )
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= FIGURES_AT_LEAST[name]
    prose = [c for c in notebook.cells if c.cell_type == "markdown"]
    assert len(prose) >= 4, "each notebook tells its story in prose"


def test_report_is_one_html_file_with_every_figure_embedded(tmp_path):
    out = tmp_path / "results"
    sim.run_sweep(
        sim.load_sweep(ROOT / "scenarios" / "sweeps" / "budget_vs_threshold.yaml"),
        out,
        engine="serial",
    )
    html = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(out), "--out", str(html)])
    assert result.exit_code == 0, result.output
    text = html.read_text(encoding="utf-8")
    assert "Sweep report: budget_vs_threshold" in text
    embedded = re.findall(r'<img[^>]+src="data:image/png;base64,', text)
    assert len(embedded) >= 3  # frontier, causes, heatmap
    assert not re.search(r'<img[^>]+src="(?!data:)', text), "no figure is a separate file"
    assert "Traceback" not in text


def test_report_of_a_folder_that_is_not_a_sweep(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "manifest.json" in result.stderr
    assert not (tmp_path / "r.html").exists()
