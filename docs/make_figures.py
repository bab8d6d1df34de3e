"""Draw the example figures in docs/figures from the shipped example sweep.

Run:  python docs/make_figures.py            (about a minute; needs only the base install)
      python docs/make_figures.py --report   (also the report and its screenshot,
                                              docs/figures/report.png: needs the notebook
                                              extra, Playwright and /usr/bin/chromium)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import sim
from sim.analysis import plots

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
TARGET = "missed_per_1000_referrals=300"
"""The question the screenshot's report answers."""


def main(report: bool = False) -> None:
    FIGURES.mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="figures-")) / "budget"
    plan = sim.load_sweep(ROOT / "scenarios" / "sweeps" / "budget_vs_threshold.yaml")
    sim.run_sweep(plan, out, engine="processes")
    table = sim.load_results(out)
    figures = {
        "frontier": plots.frontier(table),
        "heatmap": plots.heatmap(
            table, "workforce.caseworkers", "intake.threshold", "missed_per_1000_referrals"
        ),
        "missed_by_cause": plots.missed_by_cause(table),
        "workforce": plots.workforce(table),
    }
    scenario = sim.load_scenario(ROOT / "scenarios" / "minimal.yaml")
    standards = sim.staffing_standards(scenario)
    figures["budget_curve"] = plots.budget_curve(
        table[table["intake.threshold"] == 0.5],
        "workforce.caseworkers",
        standards={"weighted caseload": standards.weighted_fte},
    )
    understaffed = sim.apply_overrides(scenario, {"workforce.caseworkers": 9})
    series = sim.run(understaffed, replications=10, timeseries=True).timeseries
    figures["fan_chart"] = plots.fan_chart(series)
    figures["strain_distribution"] = plots.strain_distribution(series)
    for name, figure in figures.items():
        figure.savefig(FIGURES / f"{name}.png", dpi=90)
        print(f"wrote docs/figures/{name}.png")
    if report:
        screenshot(out)


def screenshot(results: Path) -> None:
    """The report of the example sweep with a target, photographed in headless Chromium
    (offline), its top part (the headline and the first figure) kept for the README."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from sim.analysis.report import parse_target, render_report

    page_file = results.parent / "report.html"
    render_report(results, page_file, target=parse_target(TARGET), progress=False)
    shot = FIGURES / "report.png"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        page = browser.new_context(
            offline=True, viewport={"width": 1100, "height": 1000}
        ).new_page()
        page.goto(page_file.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    with Image.open(shot) as image:
        top = image.crop((0, 0, image.width, min(image.height, 1250)))
        top.save(shot, optimize=True)
    print(f"wrote docs/figures/report.png (from {page_file})")


if __name__ == "__main__":
    main(report="--report" in sys.argv[1:])
