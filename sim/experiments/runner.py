"""Run a scenario: replications, their summaries, and the mean with its confidence interval.

This is the Python API the command line and the notebooks share::

    import sim
    result = sim.run("scenarios/minimal.yaml", replications=20, seed=1)
    result.summary()          # mean and 95% CI of every figure
    result.replications       # one row per replication
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from ..core import guards
from ..core.model import CaseloadModel, ReplicationOutput
from ..core.region import Region
from ..core.summary import CASE_TYPE_FIGURES, FIGURES, ReplicationSummary
from ..core.work import TriageRule
from ..scenario import Scenario, load_scenario
from .intervals import summarise
from .presentation import display_summary
from .progress import Progress

__all__ = ["RunResult", "run", "run_replication"]


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def run_replication(
    scenario: Scenario | str | Path,
    replication: int = 0,
    seed: int | None = None,
    *,
    until: float | None = None,
    timeseries: bool = False,
    records: bool = False,
    triage: TriageRule | None = None,
    max_in_system: int | None = guards.MAX_IN_SYSTEM,
) -> ReplicationOutput:
    """Run one replication. Replication ``r`` with seed ``s`` is the same in every scenario.

    A run whose cases waiting or open pass ``max_in_system`` stops with
    :class:`~sim.core.guards.RunawayError`, which reports the growth (``None``: no limit).
    A scenario with ``offices`` runs as a region (:class:`~sim.core.region.Region`): the
    summary is the whole region's, ``by_office`` has a row per office.
    """
    scenario = _as_scenario(scenario)
    build = Region if scenario.offices else CaseloadModel  # several offices, or one
    model = build(
        scenario,
        replication=replication,
        seed=seed,
        timeseries=timeseries,
        records=records,
        triage=triage,
        max_in_system=max_in_system,
    )
    return model.run(until)


@dataclass(frozen=True)
class RunResult:
    """The replications of one scenario.

    Attributes
    ----------
    scenario
        The scenario that was run.
    seed
        The seed; replication ``r`` used random streams ``(seed, r)``.
    replications
        One row per replication: ``replication`` then every summary figure.
    state_counts
        One row per replication: referrals by final state.
    timeseries
        Daily readings, with a ``replication`` column (if requested).
    records
        Every referral at the end of the run, with a ``replication`` column (if requested).
    by_case_type
        One row per replication and case type: the figures of
        :data:`~sim.core.summary.CASE_TYPE_FIGURES`.
    by_office
        A region's offices: one row per replication and office (``office``, ``replication``,
        then every figure); ``None`` for a single office.
    """

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    state_counts: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    records: pd.DataFrame | None = None
    by_case_type: pd.DataFrame | None = None
    by_office: pd.DataFrame | None = None

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean, ``level`` confidence interval, sd and n of every figure, with labels and units.

        Each interval stays within its figure's natural range
        (:func:`sim.experiments.intervals.natural_range`).
        """
        table = summarise(self.replications, list(FIGURES), level)
        table.insert(0, "label", [FIGURES[f]["label"] for f in table.index])
        table.insert(1, "unit", [FIGURES[f]["unit"] for f in table.index])
        table.insert(2, "section", [FIGURES[f]["section"] for f in table.index])
        return table

    def summary_by_case_type(self, level: float = 0.95) -> pd.DataFrame:
        """:meth:`summary` of each figure of :data:`~sim.core.summary.CASE_TYPE_FIGURES`, per
        case type: one row per (case type, figure)."""
        return _grouped_summary(self.by_case_type, "case_type", list(CASE_TYPE_FIGURES), level)

    def summary_by_office(self, level: float = 0.95) -> pd.DataFrame:
        """:meth:`summary` of every figure for each office of a region: one row per (office,
        figure)."""
        if self.by_office is None:
            raise ValueError(f"{self.scenario.name}: not a region (no offices)")
        return _grouped_summary(self.by_office, "office", list(FIGURES), level)

    def __repr__(self) -> str:
        n = len(self.replications)
        scenario = self.scenario
        return (
            f"<RunResult {scenario.name!r}: {n} replication{'s' if n != 1 else ''}, seed "
            f"{self.seed}, figures over days {scenario.warmup_days:g}-{scenario.horizon_days:g}; "
            ".summary() for the table>"
        )

    def _repr_html_(self) -> str:
        """The summary as a table by section (what a notebook shows for a bare ``result``)."""
        n = len(self.replications)
        scenario = self.scenario
        caption = (
            f"Scenario {scenario.name!r}: {n} replication{'s' if n != 1 else ''}, seed "
            f"{self.seed}; figures over days {scenario.warmup_days:g} to "
            f"{scenario.horizon_days:g}, the mean over replications and its 95% confidence "
            "interval"
        )
        table = display_summary(self.summary(), scenario.budget.currency)
        cell = html.escape
        lines = [
            "<table>",
            f"<caption>{cell(caption)}</caption>",
            "<thead><tr><th>figure</th><th>mean</th><th>95% CI</th><th>unit</th></tr></thead>",
            "<tbody>",
        ]
        for section, rows in table.groupby("section", sort=False):
            lines.append(f'<tr><th colspan="4" style="text-align:left">{cell(section)}</th></tr>')
            for _, row in rows.iterrows():
                lines.append(
                    f'<tr><td style="text-align:left">{cell(row["figure"])}</td>'
                    f"<td>{cell(row['mean'])}</td><td>{cell(row['95% CI'])}</td>"
                    f"<td>{cell(row['unit'])}</td></tr>"
                )
        lines += ["</tbody>", "</table>"]
        return "\n".join(lines)


def _grouped_summary(
    table: pd.DataFrame, column: str, figures: list[str], level: float
) -> pd.DataFrame:
    """The mean and interval of ``figures`` for each value of ``column``, labelled."""
    tables = []
    for key, rows in table.groupby(column, sort=False):
        summary = summarise(rows, figures, level)
        summary.insert(0, column, key)
        summary.insert(1, "label", [FIGURES[f]["label"] for f in summary.index])
        tables.append(summary)
    return pd.concat(tables)


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    timeseries: bool = False,
    records: bool = False,
    triage: TriageRule | None = None,
    max_in_system: int | None = guards.MAX_IN_SYSTEM,
    progress: bool | None = None,
) -> RunResult:
    """Run ``replications`` replications of ``scenario`` (defaults from the scenario).

    Parameters
    ----------
    scenario
        A :class:`~sim.scenario.Scenario` or the path of a scenario file.
    replications, seed
        Override the scenario's ``replications`` and ``seed``.
    timeseries
        Also collect the daily time series of every replication.
    records
        Also keep a per-referral table (memory grows with the number of referrals).
    triage
        A custom triage rule instead of the scenario's (see :mod:`sim.core.work`).
    max_in_system
        Stop with :class:`~sim.core.guards.RunawayError` once more cases than this are
        waiting or open (an unstable queue); ``None``: no limit.
    progress
        Show a progress bar of the replications: by default in a notebook or when standard
        error is a terminal, never for one replication (:mod:`sim.experiments.progress`).
    """
    scenario = _as_scenario(scenario)
    count = scenario.replications if replications is None else replications
    if count < 1:
        raise ValueError(f"replications: expected at least 1, got {count}")
    seed = scenario.seed if seed is None else seed
    rows, counts, series, tables, types, offices = [], [], [], [], [], []
    shown = count if count > 1 else 0
    with Progress(shown, desc=scenario.name, unit="replication", enabled=progress) as bar:
        for replication in bar.over(range(count)):
            output = run_replication(
                scenario,
                replication,
                seed,
                timeseries=timeseries,
                records=records,
                triage=triage,
                max_in_system=max_in_system,
            )
            rows.append({"replication": replication, **output.summary.as_dict()})
            counts.append({"replication": replication, **output.state_counts})
            types.append(output.by_case_type.assign(replication=replication))
            if output.by_office is not None:
                offices.append(output.by_office.assign(replication=replication))
            if output.timeseries is not None:
                series.append(output.timeseries.assign(replication=replication))
            if output.records is not None:
                tables.append(output.records.assign(replication=replication))
    columns = ["replication", *(f.name for f in fields(ReplicationSummary))]
    return RunResult(
        scenario=scenario,
        seed=seed,
        replications=pd.DataFrame(rows, columns=columns),
        state_counts=pd.DataFrame(counts),
        timeseries=pd.concat(series, ignore_index=True) if series else None,
        records=pd.concat(tables, ignore_index=True) if tables else None,
        by_case_type=pd.concat(types, ignore_index=True),
        by_office=_office_rows(offices),
    )


def _office_rows(tables: list[pd.DataFrame]) -> pd.DataFrame | None:
    """The offices' rows of every replication: ``office``, ``replication``, every figure."""
    if not tables:
        return None
    rows = pd.concat(tables, ignore_index=True)
    return rows[["office", "replication", *FIGURES]]
