"""The ``caseload`` command: a thin layer over the Python API in :mod:`sim.experiments.runner`.

Bad input never shows a traceback: it prints one line naming the file, the field
and what was expected, and exits with status 2.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd
import yaml

from . import __version__
from .analysis.report import render_report
from .analysis.standards import StandardsReport, compare, staffing_standards
from .core import guards
from .core.guards import check_size
from .core.summary import FIGURES
from .errors import ScenarioError
from .experiments.design import load_sweep
from .experiments.engines import ENGINES
from .experiments.results import ResultsWriteError, load_results, summarise_results
from .experiments.runner import RunResult, run
from .experiments.sweep import SweepReport, run_sweep
from .scenario import Scenario, load_scenario

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"caseload: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _load(path: str, overrides: tuple[str, ...] = ()) -> Scenario:
    changes: dict[str, Any] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--set {item!r}: expected KEY=VALUE, e.g. workforce.caseworkers=12")
        try:
            changes[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            _fail(f"--set {item!r}: the value is not valid YAML")
    try:
        return load_scenario(path, changes)
    except ScenarioError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="caseload")
def main() -> None:
    """Discrete-event staffing simulator for public-service caseloads."""


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=True))
def validate(scenario_file: str) -> None:
    """Check a scenario file without running it."""
    scenario = _load(scenario_file)
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
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change a scenario field, e.g. --set workforce.caseworkers=12 (repeatable).",
)
@click.option(
    "--allow-large",
    is_flag=True,
    help="Run even if one replication would be absurdly large, or its queue grows without bound.",
)
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
) -> None:
    """Run a scenario and print its outcomes with 95% confidence intervals."""
    scenario = _load(scenario_file, overrides)
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
        )
    except ScenarioError as exc:  # found once running: an unstable queue, say
        _fail(str(ScenarioError(scenario_file, exc.field, exc.problem)))
    text = {"table": format_table, "json": format_json, "csv": format_csv}[fmt](result)
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
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change a scenario field, e.g. --set intake.threshold=0.5 (repeatable).",
)
def standards_command(
    scenario_file: str,
    hours_per_year: float | None,
    reps: int | None,
    seed: int | None,
    no_simulate: bool,
    overrides: tuple[str, ...],
) -> None:
    """The FTE the published standards call for, and the simulated outcomes at that FTE."""
    scenario = _load(scenario_file, overrides)
    report = staffing_standards(scenario, hours_per_year)
    click.echo(format_standards(scenario, report), nl=False)
    if not no_simulate:
        click.echo("")
        click.echo(format_comparison(compare(scenario, report, replications=reps, seed=seed)))


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


def format_comparison(table: pd.DataFrame) -> str:
    """Simulated outcomes at each method's staffing, with 95% confidence intervals."""
    lines = []
    for (method, fte, caseworkers), rows in table.groupby(
        ["method", "fte", "caseworkers"], sort=False
    ):
        lines.append(
            f"Simulated at the {method} standard: {fte:.2f} FTE -> {caseworkers} caseworkers"
        )
        width = max(len(label) for label in rows["label"]) + 2
        for _, row in rows.iterrows():
            unit = row["unit"]
            interval = (
                "-"
                if math.isnan(row["ci_low"])
                else f"[{_number(row['ci_low'], unit)}, {_number(row['ci_high'], unit)}]"
            )
            shown_unit = "" if unit == "share" else unit
            lines.append(
                f"  {row['label']:<{width}}{_number(row['mean'], unit):>10}  "
                f"{interval:<22}{shown_unit}"
            )
        lines.append("")
    return "\n".join(lines)


SWEEP_OUTCOMES = (
    "missed_per_1000_referrals",
    "caseload_mean",
    "burned_out_share",
    "turnover_rate",
    "total_cost",
)
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
    "--shard-rows",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Write a shard every this many rows (and at least every 30 s).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
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
    shard_rows: int,
    no_progress: bool,
    allow_large: bool,
) -> None:
    """Run every point and replication of a sweep into a results folder."""
    try:
        plan = load_sweep(sweep_file)
        check_size(plan.base, sweep_file, allow_large=allow_large)

        def announce(report: SweepReport) -> None:
            already = f", {report.skipped} of {report.total} already in {out}" if resume else ""
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
            progress=not no_progress,
            shard_rows=shard_rows,
            allow_large=allow_large,
            on_start=announce,
        )
        click.echo(
            f"{report.ran} run(s) done, {report.failed} failed, {report.skipped} already in {out}",
            err=True,
        )
        table = summarise_results(load_results(out), SWEEP_OUTCOMES)
    except ScenarioError as exc:
        _fail(str(exc))
    except ResultsWriteError as exc:  # no room, or the folder gone or not a folder
        when = "once there is room (or the folder can be written again), "
        _stop_sweep(out, f"cannot write results: {exc.strerror} ({exc.filename})", when)
    except OSError as exc:  # say, no more processes to be had
        _stop_sweep(out, f"the sweep stopped: {exc.strerror or exc}")
    click.echo(format_results(table))


def _stop_sweep(out: str, problem: str, when: str = "") -> None:
    """A sweep that cannot go on: one line, saying that what ran is kept and how to finish."""
    advice = f"the rows already written are kept: {when}run the same command with --resume"
    _fail(str(ScenarioError(out, None, f"{problem}; {advice}")))


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
    unknown = [o for o in outcomes if o not in FIGURES]
    if unknown:
        _fail(f"--outcome {unknown[0]!r}: expected a summary figure (see docs/outputs.md)")
    try:
        table = load_results(folder)
    except ScenarioError as exc:
        _fail(str(exc))
    chosen = list(outcomes) or (list(FIGURES) if fmt == "csv" else list(SWEEP_OUTCOMES))
    summary = summarise_results(table, chosen)
    click.echo(summary.to_csv(index=False) if fmt == "csv" else format_results(summary), nl=False)


def format_results(summary: pd.DataFrame) -> str:
    """Per point: factor values, then mean [95% CI] of each outcome."""
    if summary.empty:
        return "no results yet\n"
    factors = [
        c
        for c in summary.columns
        if c not in ("point", "outcome", "mean", "ci_low", "ci_high", "n", "failed")
    ]
    lines = []
    for outcome, rows in summary.groupby("outcome", sort=False):
        unit = FIGURES[outcome]["unit"]
        lines.append(f"{FIGURES[outcome]['label']} ({unit or 'share'})")
        header = "  " + "".join(f"{f:>24}" for f in factors) + f"{'mean':>12}  95% CI"
        lines.append(header)
        for _, row in rows.iterrows():
            values = "".join(f"{row[f]!s:>24}" for f in factors)
            interval = (
                "-"
                if math.isnan(row["ci_low"])
                else f"[{_number(row['ci_low'], unit)}, {_number(row['ci_high'], unit)}]"
            )
            failed = f"  ({row['failed']} failed)" if row["failed"] else ""
            lines.append(f"  {values}{_number(row['mean'], unit):>12}  {interval}{failed}")
        lines.append("")
    return "\n".join(lines)


@main.command("report")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option(
    "--out", "-o", required=True, type=click.Path(dir_okay=False), help="The HTML file to write."
)
def report_command(folder: str, out: str) -> None:
    """Render a results folder as a self-contained HTML report (needs the notebook extra)."""
    if not Path(out).resolve().parent.is_dir():
        _fail(f"{out}: the folder {str(Path(out).parent)!r} does not exist")
    try:
        path = render_report(folder, out)
    except ScenarioError as exc:
        _fail(str(exc))
    click.echo(f"wrote report to {path}", err=True)


# ---------------------------------------------------------------------- formats


def _number(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}" if value else "0"


def format_table(result: RunResult) -> str:
    """A readable table: figure, mean, 95% confidence interval, unit; by section."""
    table = result.summary()
    scenario = result.scenario
    n = len(result.replications)
    lines = [
        f"Scenario {scenario.name!r}: {n} replication(s), seed {result.seed}, "
        f"{scenario.horizon_days:g} days after a {scenario.warmup_days:g}-day warm-up "
        f"(statistics over days {scenario.warmup_days:g}-{scenario.horizon_days:g})",
    ]
    width = max(len(label) for label in table["label"]) + 2
    section = None
    for name, row in table.iterrows():
        if name == "window_days":
            continue
        if row["section"] != section:
            section = row["section"]
            lines.append("")
            lines.append(f"{section}".ljust(width) + f"{'mean':>12}  {'95% CI':<25}unit")
        unit = row["unit"]
        if math.isnan(row["ci_low"]):
            interval = "-" if n < 2 else "(no variation)"
        else:
            interval = f"[{_number(row['ci_low'], unit)}, {_number(row['ci_high'], unit)}]"
        shown_unit = "" if unit == "share" else unit
        lines.append(
            f"{row['label']:<{width}}{_number(row['mean'], unit):>12}  {interval:<25}{shown_unit}"
        )
    return "\n".join(lines) + "\n"


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
) -> None:
    """The best mix of LEVERS for a yearly BUDGET: a design over the budget simplex, a
    surrogate, then ranking and selection (KN) with a 95% guarantee (docs/levers.md)."""
    from .optimisation import OptimisationError, optimise

    scenario = _load(scenario_file, overrides)
    try:
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
        )
    except ScenarioError as exc:
        _fail(str(exc))
    except OptimisationError as exc:
        _fail(f"{scenario_file}: a run failed: {exc}")
    if fmt == "json":
        data = {
            "best": result.best.to_dict(),
            "candidates": result.candidates.reset_index().to_dict(orient="records"),
            "caseworkers_alone": result.caseworkers_alone,
            "indifference": result.indifference,
            "guaranteed": result.guaranteed,
            "runs": result.runs,
        }
        click.echo(json.dumps(data, indent=1, default=_json_default))
    else:
        click.echo(result.report())
