"""A self-contained HTML report of a results folder, from a parameterised notebook.

The template (``sim/analysis/templates/report.ipynb``) is executed with papermill on the
folder, then exported to HTML with the code hidden and every figure embedded as
a data URI, so the file can be mailed or published on its own. Needs the
``notebook`` extra: ``pip install "caseload-sim[notebook]"``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import ScenarioError
from ..experiments.results import load_manifest

__all__ = ["TEMPLATE", "render_report"]

TEMPLATE = Path(__file__).with_name("templates") / "report.ipynb"


def render_report(results: str | Path, out: str | Path, *, timeout: int = 600) -> Path:
    """Execute the report notebook on ``results`` and write self-contained HTML to ``out``."""
    load_manifest(results)  # a clear error before a kernel starts
    try:
        import nbformat
        import papermill
        from nbconvert import HTMLExporter
    except ImportError:
        raise ScenarioError(
            "report",
            None,
            "the notebook stack is not installed: pip install 'caseload-sim[notebook]'",
        ) from None
    with tempfile.TemporaryDirectory(prefix="caseload-report-") as work:
        executed = Path(work) / "report.ipynb"
        papermill.execute_notebook(
            str(TEMPLATE),
            str(executed),
            parameters={"RESULTS_DIR": str(Path(results).resolve())},
            progress_bar=False,
            execution_timeout=timeout,
            kernel_name="python3",
        )
        notebook = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    html, _ = exporter.from_notebook_node(notebook)
    target = Path(out)
    target.write_text(html, encoding="utf-8")
    return target
