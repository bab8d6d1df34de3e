"""A self-contained HTML report of a results folder, for a board, from a parameterised notebook.

The template (``sim/analysis/templates/report.ipynb``) is executed with papermill on the
folder, then exported to HTML with the code hidden, every figure embedded as a data URI and
nothing fetched from the network (the ``board`` nbconvert template drops the require.js,
MathJax and Mermaid scripts of the stock one), so the file can be mailed or published on its
own and renders with the network off. It opens with the answer to ``target`` (the least-cost
setting that keeps a figure under a value with 95% confidence, :mod:`.readings`), then the
frontier, the causes of missed risk and the workforce, each with a one-line reading, and a
table of every setting. The kernel talks to papermill over IPC (local sockets, not TCP) and
keeps its own log out of the command's output unless the report fails; anything a cell
writes to standard error goes to the command's standard error, never into the page.
Needs the ``notebook`` extra: ``pip install "caseload-sim[notebook]"``.
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..core.summary import FIGURES
from ..errors import ScenarioError
from ..experiments.progress import wanted
from ..experiments.results import load_manifest
from ..scenario.messages import did_you_mean
from .readings import Target

__all__ = ["TEMPLATE", "Target", "parse_target", "render_report"]

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = TEMPLATES / "report.ipynb"


def parse_target(text: str) -> Target:
    """``FIGURE=VALUE`` as a :class:`Target`; a share may be given as a percentage (``5%``).

    Raises
    ------
    ScenarioError
        Naming ``--target`` and what was expected (the closest figure names for a misspelt one).
    """
    where = f"--target {text!r}"
    figure, sep, given = text.partition("=")
    figure = figure.strip()
    if not sep or not figure:
        raise ScenarioError(
            where, None, "expected FIGURE=VALUE, e.g. missed_per_1000_referrals=150"
        )
    if figure not in FIGURES:
        hint = did_you_mean(figure, FIGURES, "the figures of docs/outputs.md")
        raise ScenarioError(where, None, f"unknown figure {figure!r}{hint}")
    given = given.strip()
    percent = given.endswith("%")
    try:
        value = float(given.removesuffix("%"))
    except ValueError:
        raise ScenarioError(where, None, f"expected a number after '=', got {given!r}") from None
    if not math.isfinite(value):
        raise ScenarioError(where, None, f"expected a finite number, got {given!r}")
    if percent:
        value /= 100
    return Target(figure, value)


def kernel_config() -> Any:
    """The kernel's connection over IPC: local sockets need no encryption, and the kernel
    then has no warning about unencrypted TCP to print."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    return config


def quiet_kernel_manager(log: Path) -> type:
    """A kernel manager whose kernel writes its own log (not what cells print, which goes
    into the notebook) to ``log`` instead of this process's standard error: a kernel that
    is interrupted at shutdown on a loaded machine, say, says so in the log, not on the
    command line. :func:`render_report` shows the log only if the report fails."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            with open(log, "ab") as handle:  # the kernel keeps its own descriptor
                kw.setdefault("stdout", handle)
                kw.setdefault("stderr", handle)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def render_report(
    results: str | Path,
    out: str | Path,
    *,
    target: Target | None = None,
    timeout: int = 600,
    progress: bool | None = None,
) -> Path:
    """Execute the report notebook on ``results`` and write self-contained HTML to ``out``.

    Parameters
    ----------
    results
        A results folder (:func:`sim.run_sweep`).
    out
        The HTML file to write.
    target
        Open with the least-cost setting that keeps ``target.figure`` under ``target.value``
        with 95% confidence (:func:`parse_target` reads ``FIGURE=VALUE``).
    timeout
        Seconds a cell may run.
    progress
        A progress bar of the cells on standard error (default: when it is a terminal).
    """
    manifest = load_manifest(results)  # a clear error before a kernel starts
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
    parameters: dict[str, Any] = {"RESULTS_DIR": str(Path(results).resolve())}
    if target is not None:
        parameters.update(TARGET_FIGURE=target.figure, TARGET_VALUE=float(target.value))
    with tempfile.TemporaryDirectory(prefix="caseload-report-") as work:
        executed, log = Path(work) / "report.ipynb", Path(work) / "kernel.log"
        try:
            papermill.execute_notebook(
                str(TEMPLATE),
                str(executed),
                parameters=parameters,
                progress_bar=wanted(progress),
                execution_timeout=timeout,
                kernel_name="python3",
                cwd=work,
                config=kernel_config(),
                kernel_manager_class=quiet_kernel_manager(log),
            )
        except BaseException:
            if log.exists():
                sys.stderr.write(log.read_text(encoding="utf-8", errors="replace"))
            raise
        notebook = nbformat.read(executed, as_version=4)
    for text in _take_stderr(notebook):
        sys.stderr.write(text)
    notebook.metadata["title"] = f"{manifest.get('name', 'Sweep')}: sweep report"
    notebook.metadata.pop("widgets", None)
    exporter = HTMLExporter(
        template_name="board",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    page, _ = exporter.from_notebook_node(notebook)
    target_path = Path(out)
    target_path.write_text(page, encoding="utf-8")
    return target_path


def _take_stderr(notebook: Any) -> list[str]:
    """Remove what cells wrote to standard error from ``notebook``, returning it: a warning
    is for whoever runs the report, not for its readers."""
    taken = []
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                taken.append(str(output.get("text", "")))
            else:
                kept.append(output)
        cell["outputs"] = kept
    return taken
