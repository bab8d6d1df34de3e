"""The ``caseload`` command: a thin layer over the Python API in :mod:`sim.experiments.runner`.

Bad input never shows a traceback: it prints one line naming the file, the field
and what was expected, and exits with status 2. A sweep (or a results folder) in which
runs failed prints each distinct reason with its count and exits with status 3. A sweep
stopped by Ctrl-C (SIGINT) or SIGTERM prints one line saying how many runs are done and how
to resume, and exits with 130 or 143 (128 + the signal's number, as a shell reports it).
Ctrl-C anywhere else (loading a scenario, a single run, the table after a sweep) also
prints one line, never a traceback or click's bare "Aborted!", and exits with 130.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd
import yaml

from . import __version__
from .analysis.compare import Comparison, describe, display_comparison
from .analysis.compare import compare as compare_scenarios
from .analysis.failures import failure_reasons, format_failures
from .analysis.report import parse_target, render_report
from .analysis.standards import StandardsReport, compare, staffing_standards
from .core import guards
from .core.guards import check_size
from .core.summary import FIGURES
from .errors import ScenarioError
from .experiments.design import load_sweep
from .experiments.engines import ENGINES
from .experiments.presentation import (
    HEADLINE_FIGURES,
    display_summary,
    estimate,
    factor_label,
    factor_value,
    figure_label,
)
from .experiments.results import (
    ResultsWriteError,
    load_manifest,
    load_results,
    summarise_results,
)
from .experiments.runner import RunResult, run
from .experiments.sweep import StopSignals, SweepInterrupted, SweepReport, run_sweep
from .scenario import Scenario, load_scenario
from .scenario.messages import did_you_mean

EXIT_BAD_INPUT = 2
"""A file, option or folder that cannot be used: one line on standard error."""
EXIT_RUNS_FAILED = 3
"""``caseload sweep`` and ``caseload results``: runs of the sweep failed (the table is
printed all the same; each distinct reason, with its count, goes to standard error)."""
EXIT_INTERRUPTED = 128 + signal.SIGINT
"""Ctrl-C (SIGINT): the status a shell gives a command that the signal ended."""
_ON_INTERRUPT = "caseload.on_interrupt"
"""``click.Context.meta`` key: what a command has finished, for the line Ctrl-C prints."""


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> None:
    click.echo(f"caseload: {message}", err=True)
    sys.exit(status)


def _refuse(exc: ScenarioError, all_errors: bool = False) -> None:
    """A file that cannot be used: its first problem, or with ``all_errors`` every one."""
    for line in exc.lines() if all_errors else [str(exc)]:
        click.echo(f"caseload: {line}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _changes(overrides: tuple[str, ...], option: str = "--set") -> dict[str, Any]:
    """``KEY=VALUE`` items as ``{key: value}``, each value read as YAML."""
    changes: dict[str, Any] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"{option} {item!r}: expected KEY=VALUE, e.g. workforce.caseworkers=12")
        try:
            changes[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            _fail(f"{option} {item!r}: the value is not valid YAML")
    return changes


def _load(path: str, overrides: tuple[str, ...] = (), all_errors: bool = False) -> Scenario:
    try:
        return load_scenario(path, _changes(overrides))
    except ScenarioError as exc:
        _refuse(exc, all_errors)
    raise AssertionError("unreachable")


def _check_figures(names: tuple[str, ...], option: str = "--outcome") -> None:
    for name in names:
        if name not in FIGURES:
            hint = did_you_mean(name, FIGURES, "the figures of docs/outputs.md")
            _fail(f"{option} {name!r}: unknown figure{hint}")


def _set_option(example: str) -> Any:
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help=f"Change a scenario field, e.g. --set {example} (repeatable).",
    )


_all_errors_option = click.option(
    "--all-errors",
    is_flag=True,
    help="List every problem of a file that cannot be used, one a line (default: the first "
    "and how many more).",
)
_no_progress_option = click.option(
    "--no-progress",
    is_flag=True,
    help="No progress bar (there is none anyway unless standard error is a terminal).",
)


class _Caseload(click.Group):
    """The command group: Ctrl-C that a command does not handle itself (a sweep's runs do)
    ends with one line saying what is done, and status 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            done = ctx.meta.get(_ON_INTERRUPT, "before it finished: run the same command again")
            _fail(f"stopped by SIGINT (Ctrl-C) {done}", EXIT_INTERRUPTED)


@click.group(cls=_Caseload, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="caseload")
def main() -> None:
    """Discrete-event staffing simulator for public-service caseloads."""


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=True))
@_set_option("workforce.caseworkers=12")
@_all_errors_option
def validate(scenario_file: str, overrides: tuple[str, ...], all_errors: bool) -> None:
    """Check a scenario file without running it."""
    scenario = _load(scenario_file, overrides, all_errors)
    types = ", ".join(case_type.name for case_type in scenario.case_types)
    click.echo(
        f"{scenario_file}: valid scenario {scenario.name!r} ({len(scenario.case_types)} case "
        f"type(s): {types}; {scenario.staffing.caseworkers} caseworkers; "
        f"{scenario.horizon_days:g} days, warm-up {scenario.warmup_days:g})"
    )


@main.command("run")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=True))
@click.option(
    "--reps", "-r", type=click.IntRange(min=1), help="Replications (default: the scenario's)."
)
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format of the summary.",
)
@click.option(
    "--out", "-o", type=click.Path(dir_okay=False), help="Write the summary here instead of stdout."
)
@click.option(
    "--timeseries",
    type=click.Path(dir_okay=False),
    help="Write the daily time series of every replication to this CSV file.",
)
@click.option(
    "--replications-out",
    type=click.Path(dir_okay=False),
    help="Write one row per replication to this CSV file.",
)
@_set_option("workforce.caseworkers=12")
@click.option(
    "--allow-large",
    is_flag=True,
    help="Run even if one replication would be absurdly large, or its queue grows without bound.",
)
@_all_errors_option
@_no_progress_option
def run_command(
    scenario_file: str,
    reps: int | None,
    seed: int | None,
    fmt: str,
    out: str | None,
    timeseries: str | None,
    replications_out: str | None,
    overrides: tuple[str, ...],
    allow_large: bool,
    all_errors: bool,
    no_progress: bool,
) -> None:
    """Run a scenario and print its outcomes with 95% confidence intervals."""
    scenario = _load(scenario_file, overrides, all_errors)
    try:
        check_size(scenario, scenario_file, allow_large=allow_large)
    except ScenarioError as exc:
        _fail(str(exc))
    for target in (out, timeseries, replications_out):
        if target is not None and not Path(target).parent.is_dir():
            _fail(f"{target}: the folder {str(Path(target).parent)!r} does not exist")
    try:
        result = run(
            scenario,
            replications=reps,
            seed=seed,
            timeseries=timeseries is not None,
            max_in_system=None if allow_large else guards.MAX_IN_SYSTEM,
            progress=False if no_progress else None,
        )
    except ScenarioError as exc:  # found once running: an unstable queue, say
        _fail(str(ScenarioError(scenario_file, exc.field, exc.problem)))
    if fmt == "table":
        text = format_table(result, overrides)
    else:
        text = {"json": format_json, "csv": format_csv}[fmt](result)
    try:
        if out is None:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            Path(out).write_text(text, encoding="utf-8")
            click.echo(f"wrote {fmt} summary to {out}", err=True)
        if timeseries is not None and result.timeseries is not None:
            result.timeseries.to_csv(timeseries, index=False)
            click.echo(f"wrote daily time series to {timeseries}", err=True)
        if replications_out is not None:
            result.replications.to_csv(replications_out, index=False)
            click.echo(f"wrote replications to {replications_out}", err=True)
    except OSError as exc:
        _fail(f"cannot write output: {exc.strerror} ({exc.filename})")


@main.command("standards")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=True))
@click.option(
    "--hours-per-year",
    type=click.FloatRange(min=0, min_open=True),
    help="Available hours per FTE a year (default: the scenario's contracted hours).",
)
@click.option(
    "--reps", "-r", type=click.IntRange(min=1), help="Replications (default: the scenario's)."
)
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@click.option("--no-simulate", is_flag=True, help="Print the static figures only.")
@_set_option("intake.threshold=0.5")
@_all_errors_option
@_no_progress_option
def standards_command(
    scenario_file: str,
    hours_per_year: float | None,
    reps: int | None,
    seed: int | None,
    no_simulate: bool,
    overrides: tuple[str, ...],
    all_errors: bool,
    no_progress: bool,
) -> None:
    """The FTE the published standards call for, and the simulated outcomes at that FTE."""
    scenario = _load(scenario_file, overrides, all_errors)
    report = staffing_standards(scenario, hours_per_year)
    click.echo(format_standards(scenario, report), nl=False)
    if not no_simulate:
        click.echo("")
        table = compare(
            scenario,
            report,
            replications=reps,
            seed=seed,
            progress=False if no_progress else None,
        )
        click.echo(format_comparison(table, scenario.budget.currency))


def format_standards(scenario: Scenario, report: StandardsReport) -> str:
    """The static figures: demand, hours and FTE by case type and method."""
    lines = [
        f"Scenario {scenario.name!r}: static staffing standards "
        f"({report.available_hours_per_fte:,.0f} available hours per FTE a year)",
        "",
        f"{'case type':<22}{'opened/yr':>10}{'h/case':>9}{'cases/FTE-yr':>14}"
        f"{'FTE (hours)':>13}  {'cap':<14}{'FTE (cap)':>10}",
    ]
    for row in report.case_types:
        cap_fte = "-" if row.cap_fte is None else f"{row.cap_fte:.2f}"
        cap = "" if row.cap is None else row.cap.describe()
        lines.append(
            f"{row.case_type:<22}{row.opened_per_year:>10,.0f}{row.hours_per_case:>9.1f}"
            f"{row.cases_per_fte_year:>14.1f}{row.weighted_fte:>13.2f}  {cap:<14}{cap_fte:>10}"
        )
    cap_total = "-" if report.cap_fte is None else f"{report.cap_fte:.2f}"
    lines.append(
        f"{'total':<22}{sum(r.opened_per_year for r in report.case_types):>10,.0f}"
        f"{'':>9}{'':>14}{report.weighted_fte:>13.2f}  {'':<14}{cap_total:>10}"
    )
    sources = sorted({row.cap.source for row in report.case_types if row.cap and row.cap.source})
    lines.extend(f"  cap: {source}" for source in sources)
    return "\n".join(lines) + "\n"


def format_comparison(table: pd.DataFrame, currency: str = "USD") -> str:
    """Simulated outcomes at each method's staffing, with 95% confidence intervals."""
    lines = []
    for (method, fte, caseworkers), rows in table.groupby(
        ["method", "fte", "caseworkers"], sort=False
    ):
        lines.append(
            f"Simulated at the {method} standard: {fte:.2f} FTE -> {caseworkers} caseworkers"
        )
        labels = [figure_label(o, currency) for o in rows["outcome"]]
        width = max(len(label) for label in labels) + 2
        for label, (_, row) in zip(labels, rows.iterrows(), strict=True):
            mean, interval = estimate(
                row["mean"], row["ci_low"], row["ci_high"], row["unit"], currency
            )
            lines.append(f"  {label:<{width}}{mean:>10}  {interval}")
        lines.append("")
    return "\n".join(lines)


SWEEP_OUTCOMES = HEADLINE_FIGURES
"""Outcomes in the closing table of ``caseload sweep`` (``caseload results`` shows any)."""


@main.command("sweep")
@click.argument("sweep_file", metavar="SWEEP", type=click.Path(dir_okay=True))
@click.option("--out", "-o", required=True, type=click.Path(), help="Results folder.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="processes",
    show_default=True,
    help="Where the runs go: this process, local processes, or a Dask cluster.",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Processes or Dask workers (default: cores)."
)
@click.option("--scheduler", help="Dask scheduler address (default: a local cluster).")
@click.option("--resume", is_flag=True, help="Run only what the results folder still lacks.")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="With --resume: run the folder's failed runs again (their rows are replaced).",
)
@click.option(
    "--run-timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop a run that takes longer and record it as failed; 0: no limit. "
    "[default: from each point's size estimate, at least 60]",
)
@click.option(
    "--shard-rows",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Write a shard every this many rows (and at least every 30 s).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_all_errors_option
@click.option(
    "--allow-large",
    is_flag=True,
    help="Run the base and every point even if absurdly large or their queue grows without "
    "bound (otherwise such points are failed rows).",
)
def sweep_command(
    sweep_file: str,
    out: str,
    engine: str,
    jobs: int | None,
    scheduler: str | None,
    resume: bool,
    retry_failed: bool,
    run_timeout: float | None,
    shard_rows: int,
    no_progress: bool,
    all_errors: bool,
    allow_large: bool,
) -> None:
    """Run every point and replication of a sweep into a results folder.

    Ctrl-C (SIGINT) or SIGTERM stops it: the rows written are kept, exit status 130 or 143;
    --resume finishes it.
    """
    if retry_failed and not resume:
        _fail("--retry-failed: expected --resume as well (it runs a folder's failed runs again)")
    try:
        plan = load_sweep(sweep_file)
        check_size(plan.base, sweep_file, allow_large=allow_large)

        def announce(report: SweepReport) -> None:
            if report.taken_over is not None:
                click.echo(f"caseload: {out}: {report.taken_over}", err=True)
            already = f", {report.skipped} of {report.total} already in {out}" if resume else ""
            if retry_failed:
                already += f" ({report.retried} failed run(s) to run again)"
            click.echo(
                f"Sweep {plan.sweep.name!r}: {len(plan.design)} point(s) x "
                f"{plan.sweep.replications} replication(s), seed {plan.sweep.seed} "
                f"(common random numbers), engine {engine}{already}",
                err=True,
            )

        report = run_sweep(
            plan,
            out,
            engine=engine,
            jobs=jobs,
            scheduler=scheduler,
            resume=resume,
            retry_failed=retry_failed,
            run_timeout="auto" if run_timeout is None else (run_timeout or None),
            progress=False if no_progress else None,
            shard_rows=shard_rows,
            allow_large=allow_large,
            on_start=announce,
        )
        click.echo(
            f"{report.ran} run(s) done, {report.failed} failed, {report.skipped} already in {out}",
            err=True,
        )
        click.get_current_context().meta[_ON_INTERRUPT] = (
            f"after every run was done: the rows are in {out}; `caseload results {out}` "
            "prints the table"
        )
        rows = load_results(out)
        table = summarise_results(rows, SWEEP_OUTCOMES)
    except ScenarioError as exc:
        _refuse(exc, all_errors)
    except SweepInterrupted as exc:
        _interrupted(out, exc)
    except ResultsWriteError as exc:  # no room, or the folder gone or not a folder
        when = "once there is room (or the folder can be written again), "
        _stop_sweep(out, f"cannot write results: {exc.strerror} ({exc.filename})", when)
    except OSError as exc:  # say, no more processes to be had
        _stop_sweep(out, f"the sweep stopped: {exc.strerror or exc}")
    click.echo(format_results(table, plan.base.budget.currency))
    _exit_if_runs_failed(rows)


def _optimisation_kept(out: str | None, when: str = "") -> str:
    """What an optimisation stopped early leaves, and how to go on."""
    if out is None:
        return "; run the same command again (with --out DIR, a stopped optimisation resumes)"
    return f"; the runs done are kept in {out}: {when}run the same command with --resume"


def _stop_sweep(out: str, problem: str, when: str = "") -> None:
    """A sweep that cannot go on: one line, saying that what ran is kept and how to finish."""
    advice = f"the rows already written are kept: {when}run the same command with --resume"
    _fail(str(ScenarioError(out, None, f"{problem}; {advice}")))


def _interrupted(out: str, stop: SweepInterrupted) -> None:
    """A sweep stopped by a signal: one line, how many runs are done, how to finish; the
    exit status a shell gives a command that the signal ended (130, 143)."""
    report = stop.report
    if report is None:
        problem = f"stopped by {stop.name} before any run"
        advice = "run the same command again"
    else:
        problem = f"stopped by {stop.name}: {report.kept} of {report.total} run(s) done"
        advice = "the rows written are kept: run the same command with --resume to finish it"
        if report.kept == report.total:
            advice = "the rows written are kept, and the sweep is complete"
    _fail(str(ScenarioError(out, None, f"{problem}; {advice}")), stop.exit_status)


@main.command("results")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@click.option(
    "--outcome",
    "outcomes",
    multiple=True,
    metavar="FIGURE",
    help="A summary figure to show (repeatable; default: a few headline ones, all for csv).",
)
def results_command(folder: str, fmt: str, outcomes: tuple[str, ...]) -> None:
    """Summarise a results folder: mean and 95% CI per point and outcome."""
    _check_figures(outcomes)
    try:
        table = load_results(folder)
    except ScenarioError as exc:
        _fail(str(exc))
    chosen = list(outcomes) or (list(FIGURES) if fmt == "csv" else list(SWEEP_OUTCOMES))
    summary = summarise_results(table, chosen)
    if fmt == "csv":
        text = summary.to_csv(index=False)
    else:
        text = format_results(summary, _currency_of(folder))
    click.echo(text, nl=False)
    _exit_if_runs_failed(table)


def _currency_of(folder: str) -> str:
    """The currency of a results folder's base scenario."""
    base = load_manifest(folder).get("base_scenario") or {}
    return str((base.get("budget") or {}).get("currency", "USD"))


def _exit_if_runs_failed(rows: pd.DataFrame) -> None:
    """Print each distinct reason runs failed, with its count, and exit 3 if any did."""
    reasons = failure_reasons(rows)
    if reasons:
        click.echo(format_failures(reasons), err=True, nl=False)
        sys.exit(EXIT_RUNS_FAILED)


def format_results(summary: pd.DataFrame, currency: str = "USD") -> str:
    """Per outcome, one row per point: its factors, then the mean and 95% CI."""
    if summary.empty:
        return "no results yet\n"
    summary = summary.reset_index(drop=True)
    factors = [
        c
        for c in summary.columns
        if c not in ("point", "outcome", "mean", "ci_low", "ci_high", "n", "failed")
    ]
    headers = [factor_label(f) for f in factors]
    values = {f: [factor_value(v) for v in summary[f]] for f in factors}
    widths = [
        max(len(h), *(len(v) for v in values[f])) + 2 for h, f in zip(headers, factors, strict=True)
    ]
    lines = []
    for outcome, rows in summary.groupby("outcome", sort=False):
        unit = FIGURES[outcome]["unit"]
        texts = [
            estimate(r["mean"], r["ci_low"], r["ci_high"], unit, currency)
            for _, r in rows.iterrows()
        ]
        mean_width = max(len("mean"), *(len(m) for m, _ in texts)) + 2
        lines.append(figure_label(outcome, currency))
        lines.append(
            "  "
            + "".join(f"{h:>{w}}" for h, w in zip(headers, widths, strict=True))
            + f"{'mean':>{mean_width}}  95% CI"
        )
        for (index, row), (mean, interval) in zip(rows.iterrows(), texts, strict=True):
            cells = "".join(
                f"{values[f][index]:>{w}}" for f, w in zip(factors, widths, strict=True)
            )
            failed = f"  ({row['failed']} failed)" if row["failed"] else ""
            lines.append(f"  {cells}{mean:>{mean_width}}  {interval}{failed}")
        lines.append("")
    return "\n".join(lines)


@main.command("report")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--out", "-o", required=True, type=click.Path(dir_okay=False), help="The HTML file to write."
)
@click.option(
    "--target",
    metavar="FIGURE=VALUE",
    help="Open with the least-cost point that keeps FIGURE under VALUE with 95% confidence, "
    "e.g. --target missed_per_1000_referrals=150.",
)
@_no_progress_option
def report_command(folder: str, out: str, target: str | None, no_progress: bool) -> None:
    """Render a results folder as a self-contained HTML report (needs the notebook extra)."""
    if not Path(out).resolve().parent.is_dir():
        _fail(f"{out}: the folder {str(Path(out).parent)!r} does not exist")
    goal = None
    if target is not None:
        try:
            goal = parse_target(target)
        except ScenarioError as exc:
            _fail(str(exc))
    try:
        path = render_report(folder, out, target=goal, progress=False if no_progress else None)
    except ScenarioError as exc:
        _fail(str(exc))
    click.echo(f"wrote report to {path}", err=True)


@main.command("compare")
@click.argument("scenario_a", metavar="A", type=click.Path(dir_okay=True))
@click.argument("scenario_b", metavar="B", type=click.Path(dir_okay=True))
@click.option(
    "--reps", "-r", type=click.IntRange(min=2), help="Replications of each (default: A's)."
)
@click.option("--seed", "-s", type=click.IntRange(min=0), help="The seed of both (default: A's).")
@click.option(
    "--outcome",
    "outcomes",
    multiple=True,
    metavar="FIGURE",
    help="A figure to compare (repeatable; default: the headline figures).",
)
@click.option("--all", "every", is_flag=True, help="Compare every figure.")
@_set_option("horizon_days=365 (applied to both)")
@click.option("--set-a", "overrides_a", multiple=True, metavar="KEY=VALUE", help="Change A only.")
@click.option("--set-b", "overrides_b", multiple=True, metavar="KEY=VALUE", help="Change B only.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
)
@_all_errors_option
@_no_progress_option
def compare_command(
    scenario_a: str,
    scenario_b: str,
    reps: int | None,
    seed: int | None,
    outcomes: tuple[str, ...],
    every: bool,
    overrides: tuple[str, ...],
    overrides_a: tuple[str, ...],
    overrides_b: tuple[str, ...],
    fmt: str,
    all_errors: bool,
    no_progress: bool,
) -> None:
    """Run A and B on the same seeds; print the paired differences B - A with 95% CIs."""
    _check_figures(outcomes)
    a = _load(scenario_a, (*overrides, *overrides_a), all_errors)
    b = _load(scenario_b, (*overrides, *overrides_b), all_errors)
    for path, scenario in ((scenario_a, a), (scenario_b, b)):
        try:
            check_size(scenario, path)
        except ScenarioError as exc:
            _fail(str(exc))
    count = a.replications if reps is None else reps
    if count < 2:
        _fail(f"{scenario_a}: replications: expected at least 2 to compare, got {count} (--reps)")
    figures = list(FIGURES) if every else (list(outcomes) or list(HEADLINE_FIGURES))
    try:
        comparison = compare_scenarios(
            a,
            b,
            replications=count,
            seed=seed,
            figures=figures,
            progress=False if no_progress else None,
        )
    except ScenarioError as exc:  # found once running: an unstable queue, say
        _fail(str(exc))
    if fmt == "csv":
        click.echo(comparison.table.to_csv(index_label="figure"), nl=False)
    else:
        click.echo(format_compare(comparison, scenario_a, scenario_b))


def format_compare(comparison: Comparison, path_a: str = "A", path_b: str = "B") -> str:
    """The paired comparison as a table, with what it means."""
    table = display_comparison(comparison)
    a, b = comparison.a.scenario, comparison.b.scenario
    lines = [
        f"A: {a.name!r} ({path_a}), figures over days {a.warmup_days:g}-{a.horizon_days:g}",
        f"B: {b.name!r} ({path_b}), figures over days {b.warmup_days:g}-{b.horizon_days:g}",
        describe(comparison) + ".",
        "",
    ]
    widths = {c: max(len(c), *(len(str(v)) for v in table[c])) + 2 for c in table.columns}
    first = table.columns[0]
    lines.append(
        f"{first:<{widths[first]}}"
        + "".join(f"{c:>{widths[c]}}" for c in table.columns[1:-1])
        + f"  {table.columns[-1]}"
    )
    for _, row in table.iterrows():
        lines.append(
            f"{row[first]:<{widths[first]}}"
            + "".join(f"{row[c]:>{widths[c]}}" for c in table.columns[1:-1])
            + f"  {row[table.columns[-1]]}"
        )
    significant = len(comparison.significant)
    lines += [
        "",
        f"{significant} of {len(table)} differ significantly: the 95% interval of B - A "
        "excludes zero (a paired t-test with p < 0.05).",
    ]
    return "\n".join(lines)


@main.command("fit")
@click.argument("referrals", metavar="REFERRALS", type=click.Path(dir_okay=True))
@click.option("--staff", type=click.Path(dir_okay=True), help="The staff table (CSV or Parquet).")
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="The scenario file to write.",
)
@click.option("--base", help="The scenario giving what the data cannot (default: minimal).")
@click.option("--mapping", type=click.Path(dir_okay=True), help="A mapping file (docs/fit.md).")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="NAME=COLUMN",
    help="The referrals table's column for NAME, e.g. --column received=DateIn (repeatable).",
)
@click.option(
    "--staff-column",
    "staff_columns",
    multiple=True,
    metavar="NAME=COLUMN",
    help="The staff table's column for NAME, e.g. --staff-column start=HireDate (repeatable).",
)
@click.option("--start", help="The history's first day (default: see docs/fit.md).")
@click.option("--end", help="The day after the history's last (default: after the latest date).")
@click.option("--report", type=click.Path(file_okay=False), help="Write the fit report here.")
@click.option(
    "--backtest-reps",
    type=click.IntRange(min=0),
    default=19,
    show_default=True,
    help="Replications of the back-test (0: no back-test; 19 or 39 give a 90% band).",
)
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Seed (default: the base's).")
def fit_command(
    referrals: str,
    staff: str | None,
    out: str,
    base: str | None,
    mapping: str | None,
    columns: tuple[str, ...],
    staff_columns: tuple[str, ...],
    start: str | None,
    end: str | None,
    report: str | None,
    backtest_reps: int,
    seed: int | None,
) -> None:
    """Fit a scenario to an agency's history of referrals (and staff), and back-test it."""
    from .fitting import fit
    from .fitting.tables import REFERRAL_COLUMNS, STAFF_COLUMNS, ColumnMapping, load_mapping

    if not Path(out).resolve().parent.is_dir():
        _fail(f"{out}: the folder {str(Path(out).parent)!r} does not exist")
    if backtest_reps == 1:
        _fail("--backtest-reps: expected 0 (no back-test) or at least 2, got 1")
    try:
        chosen = load_mapping(mapping) if mapping else ColumnMapping()
        data = chosen.model_dump()
        for option, table, known, items in (
            ("--column", "referrals", REFERRAL_COLUMNS, columns),
            ("--staff-column", "staff", STAFF_COLUMNS, staff_columns),
        ):
            for item in items:
                name, sep, column = (part.strip() for part in item.partition("="))
                if not sep or not name or not column:
                    _fail(f"{option} {item!r}: expected NAME=COLUMN, e.g. received=DateIn")
                if name not in known:
                    _fail(f"{option} {item!r}: expected NAME to be one of {', '.join(known)}")
                data[table]["columns"][name] = column
        chosen = ColumnMapping.model_validate(data)
        result = fit(referrals, staff, base=base, mapping=chosen, start=start, end=end)
        result.write(out)
        test = result.backtest(backtest_reps, seed) if backtest_reps else None
        written = result.report(report, test) if report else []
    except ScenarioError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write output: {exc.strerror} ({exc.filename})")
    click.echo(format_fit(result.estimates()))
    for odd in result.odd:
        click.echo(f"odd rows: {odd.describe()}")
    if test is not None:
        click.echo(test.describe())
    click.echo(f"wrote the fitted scenario to {out}", err=True)
    if written:
        click.echo(f"wrote the fit report ({len(written)} files) to {report}", err=True)


def format_fit(estimates: pd.DataFrame) -> str:
    """Every fitted figure: value and 95% interval, the rows it came from."""
    lines = [f"{'figure':<36}{'case type':<16}{'value':>12}  {'95% CI':<24}rows"]
    for row in estimates.itertuples(index=False):
        interval = f"[{row.low:.4g}, {row.high:.4g}]"
        case_type = row.case_type if isinstance(row.case_type, str) else ""
        lines.append(
            f"{row.figure:<36}{case_type:<16}{row.value:>12.4g}  {interval:<24}{row.rows:,}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------- formats


def run_header(result: RunResult, overrides: tuple[str, ...] = ()) -> list[str]:
    """What a run's table shows: the scenario and its changes, the replications and seed,
    and the days its figures cover."""
    scenario = result.scenario
    n = len(result.replications)
    changes = [item.strip() for item in overrides]
    changed = f", with {', '.join(changes)}" if changes else ""
    horizon, warmup = scenario.horizon_days, scenario.warmup_days
    if warmup > 0:
        window = (
            f"the figures cover days {warmup:g} to {horizon:g} ({horizon - warmup:g} days), "
            f"after a {warmup:g}-day warm-up"
        )
    else:
        window = "the figures cover all of them (no warm-up)"
    meaning = (
        "mean: over the replications; 95% CI: its 95% confidence interval"
        if n > 1
        else "one replication: its figures, with no interval (--reps 2 or more for one)"
    )
    return [
        f"Scenario {scenario.name!r}{changed}: {n} replication{'s' if n != 1 else ''}, "
        f"seed {result.seed}.",
        f"Each replication simulates {horizon:g} days; {window}.",
        f"{meaning}.",
    ]


def format_table(result: RunResult, overrides: tuple[str, ...] = ()) -> str:
    """A readable table: figure, mean, 95% confidence interval, unit; by section."""
    lines = run_header(result, overrides)
    table = display_summary(result.summary(), result.scenario.budget.currency)
    width = max(len(label) for label in table["figure"]) + 2
    mean_width = max(len("mean"), *(len(m) for m in table["mean"])) + 2
    ci_width = max(len("95% CI"), *(len(c) for c in table["95% CI"])) + 2
    for section, rows in table.groupby("section", sort=False):
        lines.append("")
        lines.append(f"{section:<{width}}{'mean':>{mean_width}}  {'95% CI':<{ci_width}}unit")
        for _, row in rows.iterrows():
            lines.append(
                f"{row['figure']:<{width}}{row['mean']:>{mean_width}}  "
                f"{row['95% CI']:<{ci_width}}{row['unit']}".rstrip()
            )
    if (table["mean"] == "-").any():
        lines += ["", NO_VALUE]
    return "\n".join(lines) + "\n"


NO_VALUE = (
    "-: no value, as the runs have nothing to count for it: no such case or exit in the "
    "statistics window (a shorter warm-up or a longer horizon may give some), or a follow-up "
    "(6 or 12 months, or a risk window) that does not end within the run; docs/outputs.md."
)
"""The table's last line when a figure has no value in any replication."""


def format_json(result: RunResult) -> str:
    table = result.summary()
    figures = {
        name: {
            key: (None if isinstance(value, float) and math.isnan(value) else value)
            for key, value in row.items()
        }
        for name, row in table.to_dict(orient="index").items()
    }
    payload = {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replications": len(result.replications),
        "confidence_level": 0.95,
        "figures": figures,
    }
    return json.dumps(payload, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def format_csv(result: RunResult) -> str:
    table: pd.DataFrame = result.summary()
    return table.to_csv(index_label="figure")


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command("optimise")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=True))
@click.option("--budget", "-b", required=True, type=float, help="Money a year to spend.")
@click.option(
    "--levers",
    "-l",
    required=True,
    help="Comma-separated levers, e.g. caseworkers,support_staff,wellbeing,retention_pay.",
)
@click.option(
    "--target",
    "-t",
    default="missed_per_1000_referrals",
    show_default=True,
    help="The figure to minimise.",
)
@click.option("--maximise", is_flag=True, help="Maximise the target instead.")
@click.option(
    "--indifference", type=float, help="KN's indifference zone (default: 5% of the design mean)."
)
@click.option("--design-points", type=click.IntRange(min=1), help="Space-filling points.")
@click.option("--design-reps", type=click.IntRange(min=2), default=5, show_default=True)
@click.option("--first-stage", type=click.IntRange(min=2), default=10, show_default=True)
@click.option("--max-reps", type=click.IntRange(min=2), default=100, show_default=True)
@click.option("--candidates", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--engine", type=click.Choice(ENGINES), default="processes", show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes or Dask workers.")
@click.option("--scheduler", help="Dask scheduler address (default: a local cluster).")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Seed (default: the scenario's).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Change a field.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False),
    help="A folder to write every run into as it ends (journal.jsonl), so that a stopped "
    "optimisation can resume.",
)
@click.option("--resume", is_flag=True, help="With --out: read the runs already there.")
def optimise_command(
    scenario_file: str,
    budget: float,
    levers: str,
    target: str,
    maximise: bool,
    indifference: float | None,
    design_points: int | None,
    design_reps: int,
    first_stage: int,
    max_reps: int,
    candidates: int,
    engine: str,
    jobs: int | None,
    scheduler: str | None,
    seed: int | None,
    overrides: tuple[str, ...],
    fmt: str,
    out: str | None,
    resume: bool,
) -> None:
    """The best mix of LEVERS for a yearly BUDGET: a design over the budget simplex, a
    surrogate, then ranking and selection (KN) with a 95% guarantee (docs/levers.md).

    With --out, every run is written to the folder as it ends: an optimisation stopped by
    Ctrl-C, SIGTERM, a kill or a full disk goes on from there with --resume.
    """
    from .optimisation import OptimisationError, optimise

    if resume and out is None:
        _fail("--resume: expected --out as well (the folder of the runs to read)")
    scenario = _load(scenario_file, overrides)
    try:
        with StopSignals():
            result = optimise(
                scenario,
                budget,
                [lever.strip() for lever in levers.split(",") if lever.strip()],
                target,
                minimise=not maximise,
                indifference=indifference,
                design_points=design_points,
                design_replications=design_reps,
                first_stage=first_stage,
                max_replications=max_reps,
                candidates=candidates,
                engine=engine,
                jobs=jobs,
                scheduler=scheduler,
                seed=seed,
                on_step=lambda step: click.echo(step, err=True),
                journal=out,
                resume=resume,
            )
    except ScenarioError as exc:
        _fail(str(exc))
    except OptimisationError as exc:
        _fail(f"{scenario_file}: a run failed: {exc}{_optimisation_kept(out)}")
    except SweepInterrupted as exc:
        _fail(f"{scenario_file}: stopped by {exc.name}{_optimisation_kept(out)}", exc.exit_status)
    except ResultsWriteError as exc:  # no room, or the folder gone
        kept = _optimisation_kept(out, "once there is room, ")
        _fail(f"{out}: cannot write the journal: {exc.strerror} ({exc.filename}){kept}")
    if fmt == "json":
        data = {
            "best": result.best.to_dict(),
            "candidates": result.candidates.reset_index().to_dict(orient="records"),
            "caseworkers_alone": result.caseworkers_alone,
            "indifference": result.indifference,
            "guaranteed": result.guaranteed,
            "runs": result.runs,
            "runs_from_journal": result.runs_from_journal,
        }
        click.echo(json.dumps(data, indent=1, default=_json_default))
    else:
        click.echo(result.report())
