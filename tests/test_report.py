"""The report a board reads: the headline answer against known values, its sentences, and
the page itself, rendered by the real command (papermill, a real kernel, nbconvert) and
opened in a real headless Chromium with the network cut off."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy import stats

import sim
from sim.analysis import least_cost_point, points_meeting
from sim.analysis import report_sections as section
from sim.analysis.readings import (
    Sweep,
    Target,
    causes_reading,
    frontier_reading,
    headline,
    settings_table,
    workforce_reading,
)
from sim.analysis.report import parse_target

EXAMPLE = ROOT / "scenarios" / "sweeps" / "budget_vs_threshold.yaml"
SCRIPT = shutil.which("caseload") or str(Path(sys.executable).with_name("caseload"))
CHROMIUM = Path("/usr/bin/chromium")


# ------------------------------------------------------------ the answer, on known values


def known_table() -> pd.DataFrame:
    """Four settings of staffing, five replications each, with chosen missed risk and cost.

    Point 0 (9 workers) is cheap and bad; point 1 (12) has a low mean but so much spread
    that its upper bound is above the target; point 2 (15) meets it; point 3 (18) meets
    it too and costs more. The answer to "under 200" is point 2.
    """
    missed = {
        0: [260.0, 250.0, 255.0, 265.0, 270.0],
        1: [120.0, 300.0, 140.0, 260.0, 130.0],  # mean 190, sd 82
        2: [170.0, 180.0, 175.0, 165.0, 185.0],
        3: [150.0, 160.0, 155.0, 145.0, 150.0],
    }
    cost = {0: 0.9e6, 1: 1.2e6, 2: 1.5e6, 3: 1.8e6}
    rows = []
    for point, values in missed.items():
        for replication, value in enumerate(values):
            row = dict.fromkeys(sim.FIGURES, 0.0)
            row.update(
                point=point,
                replication=replication,
                status="ok",
                error="",
                **{"workforce.caseworkers": 9 + 3 * point, "intake.threshold": 0.5},
            )
            row.update(
                missed_per_1000_referrals=value,
                total_cost=cost[point] + 1000.0 * replication,
                window_days=730.0,
                caseload_mean=20.0 - 2 * point,
                burned_out_share=0.4 / (1 + point),
                turnover_rate=0.3 - 0.05 * point,
                missed_waitlist=10.0 - point,
                missed_screened_out=5.0,
            )
            rows.append(row)
    return pd.DataFrame(rows)


def upper_bound(values: list[float]) -> float:
    data = np.asarray(values)
    return data.mean() + stats.t.ppf(0.95, data.size - 1) * stats.sem(data)


@pytest.mark.fast
def test_points_meeting_a_target_use_scipys_one_sided_bound():
    table = known_table()
    points = points_meeting(table, "missed_per_1000_referrals", 200.0).set_index("point")
    for point, runs in table.groupby("point"):
        values = runs.missed_per_1000_referrals.tolist()
        assert points.loc[point, "upper"] == pytest.approx(upper_bound(values), rel=1e-12)
        assert points.loc[point, "meets"] == (upper_bound(values) < 200.0)
        assert points.loc[point, "cost"] == pytest.approx(runs.total_cost.mean())
    assert points.meets.tolist() == [False, False, True, True]
    assert points.loc[1, "mean"] < 200.0  # a low mean alone is not enough


@pytest.mark.fast
def test_the_least_cost_point_that_meets_the_target():
    table = known_table()
    best = least_cost_point(table, "missed_per_1000_referrals", 200.0)
    assert best["point"] == 2
    assert best["cost"] == pytest.approx(1.502e6)
    assert least_cost_point(table, "missed_per_1000_referrals", 160.0)["point"] == 3
    assert least_cost_point(table, "missed_per_1000_referrals", 100.0) is None
    # Failed runs are left out: with point 2's runs failed, point 3 is the answer.
    failed = table.assign(status=np.where(table.point == 2, "failed", "ok"))
    assert least_cost_point(failed, "missed_per_1000_referrals", 200.0)["point"] == 3


def known_sweep() -> Sweep:
    return Sweep(known_table(), ["workforce.caseworkers", "intake.threshold"], "GBP")


def test_the_headline_says_the_answer_what_it_costs_and_buys():
    text = headline(known_sweep(), Target("missed_per_1000_referrals", 200.0))
    upper = upper_bound([170.0, 180.0, 175.0, 165.0, 185.0])
    assert text == (
        "The least-cost setting that keeps missed risk per 1,000 referrals under 200 with 95% "
        "confidence is caseworkers 15. It costs £1.5 million over the 730-day statistics "
        "window (about £751,000 a year) and buys missed risk per 1,000 referrals at 175.0 "
        f"(95% upper bound {upper:.1f}); caseload per worker, mean 16.0; worker-days burned "
        "out 13.3%; annual turnover (leavers per worker-year) 0.200. That is £600,000 more "
        "than the cheapest setting (caseworkers 9), whose missed risk per 1,000 referrals is "
        "260.0."
    )


def test_the_headline_when_no_setting_meets_the_target():
    text = headline(known_sweep(), Target("missed_per_1000_referrals", 100.0))
    assert text.startswith(
        "No setting in this sweep keeps missed risk per 1,000 referrals under 100 with 95% "
        "confidence. The closest is caseworkers 18, where it is 152.0 (95% upper bound "
    )
    assert text.endswith(
        "costing £1.8 million: meeting the target needs settings beyond those the sweep tried."
    )


def test_the_headline_without_a_target_reads_the_frontier():
    text = headline(known_sweep(), None)
    assert text.startswith(
        "4 of 4 settings are on the frontier, where no other setting is both cheaper and "
        "safer. Along it, going from caseworkers 9 (£902,000) to caseworkers 18 (£1.8 million) "
        "costs £900,000 more and takes missed risk from 260.0 to 152.0 per 1,000 referrals."
    )
    assert "--target missed_per_1000_referrals=150" in text


def test_the_readings_of_the_figures():
    sweep = known_sweep()
    assert frontier_reading(sweep).startswith("4 of 4 settings are on the frontier")
    # Waiting-list harms 10, 9, 8, 7 against 5 screened out: the waiting list leads.
    assert causes_reading(sweep) == (
        "Where the most risk is missed (caseworkers 9), the largest cause is “on the waiting "
        "list” (66.7% of the harms); where the least is missed (caseworkers 18), it is “on "
        "the waiting list” (58.3% of the harms)."
    )
    assert workforce_reading(sweep) == (
        "Annual turnover (leavers per worker-year) runs from 0.150 (caseworkers 18) to 0.300 "
        "(caseworkers 9); worker-days burned out runs from 10.0% (caseworkers 18) to 40.0% "
        "(caseworkers 9)."
    )
    table = settings_table(sweep)
    assert list(table.index) == [f"caseworkers {n}" for n in (9, 12, 15, 18)]
    cell = table.loc["caseworkers 15", "Missed risk per 1,000 referrals"]
    low, high = stats.t.interval(0.95, 4, loc=175.0, scale=stats.sem([170, 180, 175, 165, 185]))
    assert cell == f"175.0 [{low:.1f}, {high:.1f}]"
    assert table.loc["caseworkers 9", "Worker-days burned out (%)"] == "40.0% [40.0%, 40.0%]"
    assert table.loc["caseworkers 9", "Total cost (GBP)"].startswith("£902,000 [£900,")


def test_a_target_as_the_command_line_gives_it():
    assert parse_target("missed_per_1000_referrals=150") == Target("missed_per_1000_referrals", 150)
    assert parse_target("burned_out_share=5%") == Target("burned_out_share", 0.05)
    for bad, fragment in [
        ("missed_per_1000_referrals", "expected FIGURE=VALUE"),
        ("missed=many", "expected a number after '=', got 'many'"),
        ("missed=nan", "expected a finite number"),
        ("burnout=0.1", "unknown figure 'burnout'"),
    ]:
        with pytest.raises(sim.ScenarioError, match=re.escape(fragment)):
            parse_target(bad)


def test_failed_runs_are_listed_under_the_headline(tmp_path):
    base = sim.apply_overrides(
        sim.load_scenario(ROOT / "scenarios" / "minimal.yaml"),
        {"horizon_days": 60.0, "warmup_days": 10.0},
    )
    plan = sim.sweep_over(base, replications=2, factors=[{"path": "caps.count", "values": [0, 17]}])
    sim.run_sweep(plan, tmp_path / "out", engine="serial")
    opening = section.opening(section.open_results(tmp_path / "out"), None)
    assert '<div class="failures" id="failures"><p>2 of 4 runs failed;' in opening
    assert "2 run(s) at caps count 0: caps.count: expected a value greater than or equal" in (
        html.unescape(opening)
    )


# ------------------------------------------------------------ the page, end to end


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The example sweep's report, written by the installed command with a target."""
    pytest.importorskip("papermill")
    if not Path(SCRIPT).exists():
        pytest.skip("the console script is not installed")
    folder = tmp_path_factory.mktemp("report")
    sim.run_sweep(sim.load_sweep(EXAMPLE), folder / "results", engine="serial")
    out = folder / "budget.html"
    target = "missed_per_1000_referrals=300"
    completed = subprocess.run(
        [SCRIPT, "report", str(folder / "results"), "--out", str(out), "--target", target],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr
    return folder, out, completed


def test_the_command_writes_nothing_else_to_stderr(report):
    _, out, completed = report
    assert completed.stdout == ""
    assert completed.stderr == f"wrote report to {out}\n"  # no kernel warning, no SALib notes


def test_the_page_opens_with_the_answer_and_is_self_contained(report):
    folder, out, _ = report
    page = out.read_text(encoding="utf-8")
    assert "<title>budget_vs_threshold: sweep report</title>" in page
    results = section.open_results(folder / "results")
    expected = headline(results.sweep, Target("missed_per_1000_referrals", 300.0))
    assert expected.startswith("The least-cost setting that keeps")
    found = re.search(r'<div class="headline" id="headline">(.*?)</div>', page, re.S)
    assert found and html.unescape(found.group(1)) == expected
    # Every figure embedded, nothing to fetch: no script, style sheet or image from elsewhere.
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', page)) == 4
    assert not re.search(r'<img[^>]+src="(?!data:)', page)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "require.js" not in page and "MathJax.js" not in page and "mathjax" not in page
    assert "Traceback" not in page and "Bin Merge" not in page
    # The table names settings by every factor that varies, with labels in words.
    assert "caseworkers 9, intake threshold 0.3" in page
    assert "burned_out_share" not in page and "Total cost (USD)" in page
    table = re.search(r'<table class="settings" id="settings">.*?</table>', page, re.S).group(0)
    assert table.count("<tr>") == 1 + 9


def test_the_page_says_what_made_its_figures(report):
    """Its provenance paragraph: the seed, the base scenario's hash, the package version and
    the hash of the model's code, each as the folder's manifest records it."""
    folder, out, _ = report
    manifest = json.loads((folder / "results" / "manifest.json").read_text())
    found = re.search(r'<p class="about">(.*?)</p>', out.read_text(encoding="utf-8"), re.S)
    about = html.unescape(found.group(1))
    assert f", seed {manifest['seed']} (common random numbers" in about
    assert f"(SHA-256 {manifest['scenario_hash'][:12]}...), caseload-sim " in about
    assert (
        f"caseload-sim {manifest['package_version']} (model code {manifest['model_code'][:12]}...);"
    ) in about


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")
def test_the_page_renders_in_a_browser_with_the_network_off(report, tmp_path):
    """Headless Chromium (Playwright, the system's browser), offline, every request but the
    file itself aborted: the headline, every figure and the table render, nothing leaves
    the page, and the console stays clean. The screenshot is kept as an artefact."""
    playwright = pytest.importorskip("playwright.sync_api")
    _, out, _ = report
    url = out.resolve().as_uri()
    requests, blocked, errors = [], [], []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()

            def route(request_route):
                requests.append(request_route.request.url)
                if request_route.request.url == url:
                    request_route.continue_()
                else:
                    blocked.append(request_route.request.url)
                    request_route.abort()

            page.route("**/*", route)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda r: blocked.append(r.url))
            page.goto(url, wait_until="load")
            assert page.title() == "budget_vs_threshold: sweep report"
            headline_box = page.locator("#headline")
            assert headline_box.is_visible()
            assert headline_box.inner_text().startswith("The least-cost setting that keeps")
            images = page.locator("img")
            assert images.count() == 4
            for i in range(images.count()):
                image = images.nth(i)
                image.scroll_into_view_if_needed()
                assert image.is_visible()
                loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
                assert loaded, f"figure {i} did not render"
                assert image.get_attribute("alt")
            table = page.locator("#settings")
            assert table.is_visible()
            assert table.locator("tbody tr").count() == 9
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert requests == [url], requests  # the page asked for nothing but itself
    assert blocked == [] and errors == [], (blocked, errors)
    assert shot.stat().st_size > 50_000
    print(f"screenshot of the report: {shot}")


def test_each_burnout_interval_is_scipys_t_interval_kept_within_0_to_100(report):
    """The settings table shows, for each setting, scipy's 95% t-interval of the burned-out
    share over its runs, clipped to [0%, 100%], to the decimals shown; nothing below zero."""
    folder, out, _ = report
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert not re.search(r"\[-\d", page), "an interval below zero"
    results = section.open_results(folder / "results")
    table = settings_table(results.sweep)
    cells = list(table["Worker-days burned out (%)"])
    runs = results.sweep.table
    points = sorted(runs.point.unique())
    assert len(cells) == len(points) > 1
    for cell, point in zip(cells, points, strict=True):
        values = runs[(runs.point == point) & (runs.status == "ok")].burned_out_share * 100
        low, high = stats.t.interval(
            0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
        )
        shown = re.fullmatch(r"(\d+\.?\d*)% \[(\d+\.?\d*)%, (\d+\.?\d*)%\]", cell)
        assert shown, cell
        half_digit = 0.5 * 10.0 ** -len(shown.group(1).partition(".")[2])
        assert float(shown.group(2)) == pytest.approx(max(low, 0.0), abs=half_digit), cell
        assert float(shown.group(3)) == pytest.approx(min(high, 100.0), abs=half_digit), cell


def test_report_of_a_folder_that_is_not_a_sweep(tmp_path):
    from click.testing import CliRunner

    from sim.cli import main

    result = CliRunner().invoke(main, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "manifest.json" in result.stderr
    assert not (tmp_path / "r.html").exists()
