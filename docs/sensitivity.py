"""Global sensitivity of the calibrated scenarios' headline answers to their assumptions.

For each calibrated scenario, runs the sweep ``scenarios/sweeps/sensitivity_<name>.yaml`` (its
assumption-tagged [A] parameters over ranges around their values, a scrambled Sobol design, one
replication per point with common random numbers) through the ordinary sweep machinery, and
estimates for missed risk per 1,000 referrals and burned-out worker-days each parameter's
first-order Sobol index ``S1 = Var(E[Y | X_i]) / Var(Y)``, the share of the answer's variance
over the design that the parameter alone explains, with its bootstrap 95% half-width
(:func:`sim.analysis.first_order_indices`, SALib's given-data estimator, without Borgonovo's
delta, whose density estimates would take hours at this size). Two yardsticks come with each
table: a dummy factor (uniform numbers the model never reads), whose index is what this size
gives a parameter that does nothing, and the spread of the answers over seeds at the scenario's
own values (replications of the base point), the share of the design's variance that is the
seed's, not the parameters'.

Writes the tables into docs/sensitivity.md between its markers (the prose around them is
written by hand from them) and draws docs/figures/sensitivity.png.

Run:  python docs/sensitivity.py [--jobs 2] [--out DIR] [--only NAME]
(4 sweeps of 256 runs and 4 x 10 replications: about 30 minutes on two shared cores; the
results folders are kept in DIR, and a run that was stopped resumes where it was.)
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.analysis import first_order_indices
from sim.experiments.design import SweepPlan

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("child_protection", "probation", "england_child_protection", "public_defender")
OUTCOMES = {
    "missed_per_1000_referrals": "missed risk per 1,000",
    "burned_out_share": "burned-out worker-days",
}
DUMMY = "dummy (read by nothing)"
DOC = ROOT / "docs" / "sensitivity.md"
FIGURE = ROOT / "docs" / "figures" / "sensitivity.png"
BEGIN, END = "<!-- sensitivity tables: begin -->", "<!-- sensitivity tables: end -->"


@dataclass(frozen=True)
class Sensitivity:
    """The sensitivity of one scenario's headline answers to its swept assumptions."""

    name: str
    plan: SweepPlan
    runs: int
    """Runs of the design that finished (failed runs are left out of the indices)."""
    indices: pd.DataFrame
    """One row per (outcome, factor), the dummy last: S1 and its 95% half-width S1_conf."""
    design_mean: dict[str, float]
    design_sd: dict[str, float]
    """Each outcome's mean and standard deviation over the design's runs."""
    base_mean: dict[str, float]
    seed_sd: dict[str, float]
    """Each outcome's mean and standard deviation over seeds at the scenario's own values."""
    seeds: int


def sweep_plan(name: str) -> SweepPlan:
    """The sensitivity sweep of a calibrated scenario."""
    return sim.load_sweep(ROOT / "scenarios" / "sweeps" / f"sensitivity_{name}.yaml")


def run_design(plan: SweepPlan, folder: Path, jobs: int) -> pd.DataFrame:
    """Every run of the design, from ``folder`` (resumed where a run was stopped)."""
    done = (folder / "manifest.json").exists()
    sim.run_sweep(plan, folder, engine="processes", jobs=jobs, resume=done)
    return sim.load_results(folder)


def base_point(plan: SweepPlan, seeds: int) -> pd.DataFrame:
    """Replications ``0 .. seeds - 1`` of the scenario at its own values (the sweep's
    overrides only): how much of the answers' spread is the seed's."""
    scenario = sim.apply_overrides(plan.base, plan.sweep.overrides)
    return sim.run(scenario, replications=seeds, seed=plan.sweep.seed).replications


def analyse(
    name: str,
    plan: SweepPlan,
    table: pd.DataFrame,
    base: pd.DataFrame,
    *,
    resamples: int = 1000,
) -> Sensitivity:
    """First-order Sobol indices of each outcome, with a dummy factor's beside them."""
    factors = [factor.path for factor in plan.sweep.factors]
    finished = table[table.status == "ok"].sort_values("point")
    finished = finished.assign(**{DUMMY: _dummy(plan, finished.point.to_numpy())})
    frames = []
    for outcome in OUTCOMES:
        frame = first_order_indices(
            finished,
            [*factors, DUMMY],
            outcome,
            resamples=resamples,
            seed=plan.sweep.seed,
            delta=False,
        )
        frames.append(frame.reset_index().assign(outcome=outcome))
    return Sensitivity(
        name=name,
        plan=plan,
        runs=len(finished),
        indices=pd.concat(frames, ignore_index=True),
        design_mean={o: float(finished[o].mean()) for o in OUTCOMES},
        design_sd={o: float(finished[o].std()) for o in OUTCOMES},
        base_mean={o: float(base[o].mean()) for o in OUTCOMES},
        seed_sd={o: float(base[o].std()) for o in OUTCOMES},
        seeds=len(base),
    )


def _dummy(plan: SweepPlan, points: np.ndarray) -> np.ndarray:
    """A uniform number per design point that the model never reads (its own stream)."""
    rng = np.random.default_rng(np.random.SeedSequence([plan.sweep.seed, 1]))
    return rng.random(len(plan.design))[points]


def markdown(result: Sensitivity) -> str:
    """The scenario's table and yardsticks, for docs/sensitivity.md."""
    sweep = result.plan.sweep
    lines = [
        f"### `{result.name}.yaml`: {result.runs} runs",
        "",
        f"A scrambled Sobol design of {len(result.plan.design)} points over "
        f"{len(sweep.factors)} assumptions, one replication each (seed {sweep.seed}, common "
        f"random numbers), horizon {_days(result)}; first-order Sobol indices S1 with their "
        "bootstrap 95% half-widths.",
        "",
        "| answer | at the scenario's values (sd over seeds) | over the design: mean (sd) "
        "| seeds' share of the variance | sum of S1 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for outcome, label in OUTCOMES.items():
        rows = result.indices[
            (result.indices.outcome == outcome) & (result.indices.factor != DUMMY)
        ]
        share = (result.seed_sd[outcome] / result.design_sd[outcome]) ** 2
        lines.append(
            f"| {label} | {_figure(outcome, result.base_mean[outcome])} "
            f"({_figure(outcome, result.seed_sd[outcome])}, {result.seeds} seeds) "
            f"| {_figure(outcome, result.design_mean[outcome])} "
            f"({_figure(outcome, result.design_sd[outcome])}) | {share:.0%} "
            f"| {rows.S1.sum():.2f} |"
        )
    header, rule = "| assumption | value | range |", "| --- | --- | --- |"
    for label in OUTCOMES.values():
        header += f" {label}: S1 |"
        rule += " ---: |"
    lines += ["", header, rule]
    values = {f.path: _value(result.plan, f.path) for f in sweep.factors}
    for factor in [*(f.path for f in sweep.factors), DUMMY]:
        if factor == DUMMY:
            cells = f"| {DUMMY} | | 0 to 1 |"
        else:
            low, high = next(f.range for f in sweep.factors if f.path == factor)
            cells = f"| `{factor}` | {values[factor]:g} | {low:g} to {high:g} |"
        for outcome in OUTCOMES:
            row = result.indices[
                (result.indices.outcome == outcome) & (result.indices.factor == factor)
            ].iloc[0]
            cells += f" {row.S1:.2f} ± {row.S1_conf:.2f} |"
        lines.append(cells)
    return "\n".join(lines) + "\n"


def _figure(outcome: str, value: float) -> str:
    return f"{value:.1%}" if outcome == "burned_out_share" else f"{value:.0f}"


def _days(result: Sensitivity) -> str:
    overrides = result.plan.sweep.overrides
    horizon = overrides.get("horizon_days", result.plan.base.horizon_days)
    warmup = overrides.get("warmup_days", result.plan.base.warmup_days)
    return f"{horizon:g} days of which {warmup:g} warm-up"


def _value(plan: SweepPlan, path: str) -> float:
    """The base scenario's value at a dotted path (defaults included)."""
    node = plan.base.model_dump()
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return float(node)


def write_tables(sections: list[str], doc: Path = DOC) -> None:
    """Put ``sections`` between the markers of ``doc``, leaving the rest as it is."""
    text = doc.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc}: expected the markers {BEGIN} and {END}")
    block = f"{BEGIN}\n\n" + "\n".join(sections) + f"\n{END}"
    pattern = re.escape(BEGIN) + ".*?" + re.escape(END)
    doc.write_text(re.sub(pattern, lambda _: block, text, flags=re.S), encoding="utf-8")


def figure(results: list[Sensitivity], path: Path = FIGURE) -> None:
    """First-order indices with their 95% half-widths, a panel per scenario."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 1, figsize=(8, 2.8 * len(results)), squeeze=False)
    for ax, result in zip(axes[:, 0], results, strict=True):
        table = result.indices
        factors = list(dict.fromkeys(table.factor))[::-1]
        y = np.arange(len(factors))
        for k, (outcome, label) in enumerate(OUTCOMES.items()):
            rows = table[table.outcome == outcome].set_index("factor").loc[factors]
            ax.barh(
                y + (0.2 if k == 0 else -0.2),
                rows.S1,
                height=0.4,
                xerr=rows.S1_conf,
                label=label,
                capsize=2,
            )
        ax.set_yticks(y, factors, fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_title(f"{result.name} ({result.runs} runs)", fontsize=10)
        ax.set_xlabel("first-order Sobol index (share of the variance), 95% half-width")
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="processes (2)")
    parser.add_argument("--out", type=Path, default=None, help="results folders (kept)")
    parser.add_argument("--seeds", type=int, default=10, help="replications of the base (10)")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="these scenarios")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="sensitivity-"))
    results = []
    for name in args.only or SCENARIOS:
        plan = sweep_plan(name)
        table = run_design(plan, out / name, args.jobs)
        results.append(analyse(name, plan, table, base_point(plan, args.seeds)))
        print(f"{name}: done ({out / name})", file=sys.stderr, flush=True)
    if args.only:
        for result in results:
            print(markdown(result))
        return
    write_tables([markdown(result) for result in results])
    figure(results)


if __name__ == "__main__":
    main()
