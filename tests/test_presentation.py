"""How figures are shown: labels with their unit once, percentages, thousands, currency, the
same decimals for a mean and its interval, factors in words (sim/experiments/presentation.py)."""

from __future__ import annotations

import math
import re

import pytest
from conftest import ROOT

import sim
from sim.experiments import presentation as shown


@pytest.mark.parametrize("figure", list(sim.FIGURES))
def test_no_label_says_its_unit_twice(figure):
    label = shown.figure_label(figure, "GBP")
    unit = sim.FIGURES[figure]["unit"]
    assert label == label.strip()
    assert not re.search(r"\((per year|per 1,000|count|share|money)\)", label), label
    words = shown.unit_text(unit, "GBP")
    if words:
        assert label.count(f"({words})") <= 1
    if unit == "money":
        assert label.endswith("(GBP)")
    if unit == "share":
        assert label.endswith("(%)")


def test_labels_read_as_a_person_would_write_them():
    assert shown.figure_label("turnover_rate") == "Annual turnover (leavers per worker-year)"
    assert shown.figure_label("missed_per_1000_referrals") == "Missed risk per 1,000 referrals"
    assert shown.figure_label("caseload_mean") == "Caseload per worker, mean (cases)"
    assert shown.figure_label("wait_mean_days") == "Time to assignment, mean (days)"
    assert shown.figure_label("waiting_mean") == "Cases waiting, time average"
    assert shown.figure_label("total_cost", "EUR") == "Total cost (EUR)"
    assert shown.figure_label("total_cost", unit=False) == "Total cost"
    assert shown.figure_label("missed_waitlist") == "missed: on the waiting list"


def test_factors_in_words():
    assert shown.factor_label("workforce.caseworkers") == "caseworkers"
    assert shown.factor_label("intake.threshold") == "intake threshold"
    assert shown.factor_label("hiring.lag") == "hiring lag"
    assert shown.factor_label("case_types.0.arrivals.rate_per_year") == "arrivals rate per year"
    assert shown.factor_value(12) == "12" and shown.factor_value(0.35) == "0.35"
    assert shown.factor_value(True) == "on" and shown.factor_value(None) == "none"
    lag = {"distribution": "gamma", "mean": 20.0, "sd": 7.0}
    assert shown.factor_value(lag) == "gamma (mean 20, sd 7)"
    assert shown.factor_value({"trigger_caseload": 12}) == "trigger caseload 12"
    row = {"workforce.caseworkers": 9, "intake.threshold": 0.3, "caps.count": 17}
    design = [row, {**row, "workforce.caseworkers": 12}, {**row, "intake.threshold": 0.5}]
    factors = shown.varying(design, list(row))
    assert factors == ["workforce.caseworkers", "intake.threshold"]
    assert shown.point_label(row, factors) == "caseworkers 9, intake threshold 0.3"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.471, "share", "47.1%"),
        (0.0023, "share", "0.23%"),
        (0.0, "share", "0.0%"),
        (903.94, "count", "903.9"),
        (89.0, "count", "89.0"),
        (0.2114, "per year", "0.211"),
        (0.03057, "per year", "0.0306"),
        (12345.6, "hours", "12,346"),
        (1832750.4, "money", "$1,832,750"),
        (45.678, "money", "$45.68"),
        (math.nan, "days", "-"),
    ],
)
def test_numbers(value, unit, text):
    assert shown.number(value, unit) == text


def test_a_mean_and_its_interval_have_the_same_decimals():
    assert shown.estimate(98.1, 89.0, 107.2, "count") == ("98.1", "[89.0, 107.2]")
    assert shown.estimate(0.211, 0.143, 0.279, "per year") == ("0.211", "[0.143, 0.279]")
    assert shown.estimate(0.025, 0.0, 0.1046, "share") == ("2.5%", "[0.0%, 10.5%]")
    assert shown.estimate(2.0, math.nan, math.nan, "count") == ("2.00", "-")
    cost = shown.estimate(1832750.0, 1819752.0, 1845747.0, "money", "GBP")
    assert cost == ("£1,832,750", "[£1,819,752, £1,845,747]")


def test_money_in_the_scenarios_currency():
    assert shown.money(1832750, "USD", short=True) == "$1.83 million"
    assert shown.money(2_400_000_000, "EUR", short=True) == "€2.4 billion"
    assert shown.money(950_123, "GBP", short=True) == "£950,000"
    assert shown.money(1200, "CHF") == "1,200 CHF"
    assert shown.money(-2400, "GBP") == "-£2,400"


def test_the_currency_is_a_scenario_setting(minimal):
    assert minimal.budget.currency == "USD"
    england = sim.load_scenario(ROOT / "scenarios" / "england_child_protection.yaml")
    assert england.budget.currency == "GBP"
    with pytest.raises(sim.ScenarioError, match=r"budget\.currency"):
        sim.apply_overrides(minimal, {"budget.currency": "pounds"})


def test_a_run_result_shows_itself_briefly_and_as_a_table(minimal):
    short = sim.apply_overrides(minimal, {"horizon_days": 120.0, "warmup_days": 30.0})
    result = sim.run(short, replications=3, seed=4)
    assert repr(result) == (
        "<RunResult 'minimal': 3 replications, seed 4, figures over days 30-120; "
        ".summary() for the table>"
    )
    page = result._repr_html_()
    assert page.startswith("<table>\n<caption>Scenario &#x27;minimal&#x27;: 3 replications")
    summary = result.summary()
    sections = list(dict.fromkeys(summary.section.drop("window_days")))
    assert page.count('<th colspan="4"') == len(sections)
    assert page.count("<tr><td") == len(sim.FIGURES) - 1  # every figure but the window
    share = summary.loc["screened_out_share"]
    mean, interval = shown.estimate(share["mean"], share["ci_low"], share["ci_high"], "share")
    row = f"<td>{mean}</td><td>{interval}</td><td></td></tr>"
    assert f'<td style="text-align:left">Share screened out</td>{row}' in page
    assert "$" in page and "screened_out_share" not in page
