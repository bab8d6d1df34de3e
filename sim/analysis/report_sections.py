"""The sections of the HTML report, as HTML the report notebook displays.

Each section is a figure (embedded as a PNG data URI, with alternative text) and its one-line
reading (:mod:`.readings`), or a table of every setting; the opening holds the title, the
headline answer and, if runs failed, why. The notebook
(``sim/analysis/templates/report.ipynb``) only calls these, so that what the page says is
tested here without a kernel. Every text is escaped.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import yaml
from matplotlib.figure import Figure

from ..experiments.presentation import HEADLINE_FIGURES, factor_label, figure_label
from ..experiments.results import load_manifest, load_results, short_hash
from . import plots
from .failures import failure_reasons
from .readings import (
    Sweep,
    Target,
    causes_reading,
    frontier_reading,
    headline,
    settings_table,
    workforce_reading,
)
from .statistics import first_order_indices

__all__ = [
    "Results",
    "about",
    "causes",
    "frontier",
    "heatmap",
    "open_results",
    "opening",
    "sensitivity",
    "settings",
    "workforce",
]


@dataclass(frozen=True)
class Results:
    """A results folder as the report reads it."""

    manifest: dict[str, Any]
    sweep: Sweep

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", "sweep"))

    @property
    def description(self) -> str:
        try:
            data = yaml.safe_load(self.manifest.get("sweep") or "") or {}
        except yaml.YAMLError:
            return ""
        return str(data.get("description", "")) if isinstance(data, dict) else ""

    @property
    def numeric(self) -> list[str]:
        """The varying factors whose values are numbers (axes of a heatmap, inputs of the
        sensitivity indices)."""
        table = self.sweep.table
        return [f for f in self.sweep.varying if pd.api.types.is_numeric_dtype(table[f])]


def open_results(folder: str | Path) -> Results:
    """Read a results folder: its manifest, its rows, its factors and its currency."""
    manifest = load_manifest(folder)
    base = manifest.get("base_scenario") or {}
    currency = str((base.get("budget") or {}).get("currency", "USD"))
    sweep = Sweep(load_results(folder), list(manifest.get("factors", [])), currency)
    return Results(manifest, sweep)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def image(fig: Figure, alt: str, caption: str = "", dpi: int = 110) -> str:
    """A figure as an embedded PNG with its alternative text and caption; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    figcaption = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="chart"><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
        f"{figcaption}</figure>"
    )


def opening(results: Results, target: Target | None) -> str:
    """The title, what the sweep is, the headline answer, and failed runs if any."""
    manifest = results.manifest
    sweep = results.sweep
    points = len(manifest.get("design", []))
    factors = ", ".join(factor_label(f) for f in sweep.varying) or "no factor"
    subtitle = (
        f"{points} settings of {factors}, each run {manifest.get('replications')} times "
        f"on the same random numbers; base scenario "
        f"'{(manifest.get('base_scenario') or {}).get('name', '')}'."
    )
    parts = [f"<h1>{_e(results.name)}: what each setting buys</h1>"]
    if results.description:
        parts.append(f'<p class="subtitle">{_e(results.description)}</p>')
    parts.append(f'<p class="subtitle">{_e(subtitle)}</p>')
    parts.append(f'<div class="headline" id="headline">{_e(headline(sweep, target))}</div>')
    reasons = failure_reasons(sweep.table)
    if reasons:
        runs = sum(r.runs for r in reasons)
        items = "".join(
            f"<li>{r.runs} run(s) at {_e(', '.join(sweep.name(p) for p in r.points))}: "
            f"{_e(r.reason)}</li>"
            for r in reasons
        )
        parts.append(
            f'<div class="failures" id="failures"><p>{runs} of {len(sweep.table)} runs failed; '
            f"the figures below leave them out:</p><ul>{items}</ul></div>"
        )
    return "\n".join(parts)


def frontier(results: Results) -> str:
    sweep = results.sweep
    if not sweep.has_costs:
        return f'<p class="reading">{_e(frontier_reading(sweep))}</p>'
    fig = plots.frontier(sweep.table, factors=sweep.varying, currency=sweep.currency)
    alt = "Total cost against missed risk per 1,000 referrals for each setting"
    return image(fig, alt, frontier_reading(sweep))


def causes(results: Results) -> str:
    sweep = results.sweep
    many = sweep.table.point.nunique() > 12 and sweep.varying
    by = sweep.varying[0] if many else None
    fig = plots.missed_by_cause(sweep.table, by, factors=sweep.varying)
    return image(fig, "Missed risk by cause for each setting", causes_reading(sweep))


def workforce(results: Results) -> str:
    sweep = results.sweep
    fig = plots.workforce(sweep.table, factors=sweep.varying, currency=sweep.currency)
    return image(fig, "Annual turnover and burnout for each setting", workforce_reading(sweep))


def settings(results: Results, figures: tuple[str, ...] = HEADLINE_FIGURES) -> str:
    """Every setting's headline figures as a table: each mean, its 95% interval beneath."""
    table = settings_table(results.sweep, figures)
    head = "".join(f"<th>{_e(column)}</th>" for column in table.columns)
    rows = []
    for setting, row in table.iterrows():
        cells = []
        for value in row:
            mean, _, interval = str(value).partition(" [")
            below = f'<br><span class="ci">[{_e(interval)}</span>' if interval else ""
            cells.append(f"<td>{_e(mean)}{below}</td>")
        rows.append(f"<tr><th>{_e(setting)}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="settings" id="settings"><thead><tr><th>setting</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def heatmap(results: Results, outcome: str = "missed_per_1000_referrals") -> str:
    numeric = results.numeric
    if len(numeric) < 2:
        return '<p class="note">Fewer than two numeric factors vary: no heatmap.</p>'
    sweep = results.sweep
    x, y = numeric[0], numeric[1]
    fig = plots.heatmap(sweep.table, x, y, outcome, sweep.currency)
    others = [factor_label(f) for f in numeric[2:]]
    note = f" (averaged over {', '.join(others)})" if others else ""
    caption = (
        f"{figure_label(outcome, sweep.currency, unit=False)} for each combination of "
        f"{factor_label(x)} and {factor_label(y)}{note}."
    )
    return image(fig, caption, caption)


def sensitivity(results: Results, outcome: str = "missed_per_1000_referrals") -> str:
    numeric = results.numeric
    if not numeric or results.sweep.table.point.nunique() < 4:
        return '<p class="note">Too few settings for sensitivity indices.</p>'
    indices = first_order_indices(results.sweep.ok, numeric, outcome)
    shown = pd.DataFrame(
        {
            "factor": [factor_label(f) for f in indices.index],
            "S1 (share of variance, alone)": [
                f"{s:.2f} ± {c:.2f}" for s, c in zip(indices.S1, indices.S1_conf, strict=True)
            ],
            "delta": [
                f"{d:.2f} ± {c:.2f}" for d, c in zip(indices.delta, indices.delta_conf, strict=True)
            ],
        }
    )
    notes = "".join(
        f'<p class="note">SALib: {_e(note)}</p>' for note in indices.attrs.get("notes", [])
    )
    return shown.to_html(classes="settings", border=0, index=False, escape=True) + notes


def _model_code(manifest: dict) -> str:
    """The model's code hash, as the report names it (nothing for a folder without one)."""
    code = manifest.get("model_code")
    return "" if code is None else f" (model code {short_hash(code)})"


def about(results: Results) -> str:
    """Where the figures come from: seed, base scenario and its hash, package version and
    model code hash."""
    manifest = results.manifest
    sweep = results.sweep
    ok = int((sweep.table.status == "ok").sum()) if "status" in sweep.table else len(sweep.table)
    text = (
        f"{len(manifest.get('design', []))} design point(s) x {manifest.get('replications')} "
        f"replication(s), seed {manifest.get('seed')} (common random numbers: replication r of "
        f"every setting draws from the same random streams, so differences between settings "
        f"are paired). Base scenario '{(manifest.get('base_scenario') or {}).get('name', '')}' "
        f"(SHA-256 {short_hash(manifest.get('scenario_hash', ''))}), caseload-sim "
        f"{manifest.get('package_version')}{_model_code(manifest)}; {ok} of "
        f"{len(sweep.table)} runs succeeded. "
        f"Figures cover the statistics window of {sweep.window_days:,.0f} days after the "
        "warm-up; intervals are 95% confidence intervals over replications, kept within what "
        f"each figure can be (docs/outputs.md). Money is in {sweep.currency}."
    )
    return f'<p class="about">{_e(text)}</p>'
