"""Draw the example figures in docs/figures from the shipped example sweep.

Run:  python docs/make_figures.py   (about a minute; needs only the base install)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import sim
from sim.analysis import plots

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"


def main() -> None:
    FIGURES.mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="figures-")) / "budget"
    plan = sim.load_sweep(ROOT / "scenarios" / "sweeps" / "budget_vs_threshold.yaml")
    sim.run_sweep(plan, out, engine="processes")
    table = sim.load_results(out)
    figures = {
        "frontier": plots.frontier(table, label="workforce.caseworkers"),
        "heatmap": plots.heatmap(
            table, "workforce.caseworkers", "intake.threshold", "missed_per_1000_referrals"
        ),
        "missed_by_cause": plots.missed_by_cause(table, "intake.threshold"),
    }
    scenario = sim.load_scenario(ROOT / "scenarios" / "minimal.yaml")
    report = sim.staffing_standards(scenario)
    figures["budget_curve"] = plots.budget_curve(
        table[table["intake.threshold"] == 0.5],
        "workforce.caseworkers",
        standards={"weighted caseload": report.weighted_fte},
    )
    understaffed = sim.apply_overrides(scenario, {"workforce.caseworkers": 9})
    series = sim.run(understaffed, replications=10, timeseries=True).timeseries
    figures["fan_chart"] = plots.fan_chart(series)
    figures["strain_distribution"] = plots.strain_distribution(series)
    for name, figure in figures.items():
        figure.savefig(FIGURES / f"{name}.png", dpi=90)
        print(f"wrote docs/figures/{name}.png")


if __name__ == "__main__":
    main()
