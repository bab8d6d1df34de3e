"""Where the difference comes from: prevention by service against detection by contact.

Two scenarios run on the same seeds see the same candidate signals (common random numbers),
and each candidate ends one way: prevented by service, caught by a contact, or missed. So
the paired difference of missed risk splits into what service prevented and what contacts
caught (docs/model.md, "Service that lowers risk"):

    missed_B - missed_A = -(prevented_B - prevented_A) - (caught_B - caught_A)

up to the few signals that straddle the ends of the statistics window. On
``child_protection.yaml`` (18 months, the last 12 counted, four replications: about a
minute), two comparisons: the screening threshold 0.52 against 0.65 at 32 caseworkers,
and 26 against 38 caseworkers at 0.52. Each term gets its paired 95% interval
(:func:`sim.analysis.paired_difference`). More staff deliver more dose, and service then
prevents more: a positive difference with an interval clear of zero (it is, on seeds 7, 11
and 23 as well as the scenario's own). The figures in docs/model.md come from
``python tests/test_outcomes.py``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.analysis import PairedDifference, paired_difference

ROOT = Path(__file__).resolve().parent.parent
REPLICATIONS = 4
SHORT = {"horizon_days": 550.0, "warmup_days": 185.0}
POINTS: dict[str, dict[str, object]] = {
    "threshold 0.52, 32 caseworkers": {},
    "threshold 0.65": {"intake.threshold.investigation": 0.65},
    "26 caseworkers": {"workforce.caseworkers": 26},
    "38 caseworkers": {"workforce.caseworkers": 38},
}
COMPARISONS = {
    "threshold": ("threshold 0.52, 32 caseworkers", "threshold 0.65"),
    "staffing": ("26 caseworkers", "38 caseworkers"),
}
TERMS = ("missed", "prevented", "caught", "service_dose_mean", "prevented_in_service")


def run_points(seed: int | None = None) -> dict[str, pd.DataFrame]:
    scenario = sim.load_scenario(ROOT / "scenarios" / "child_protection.yaml")
    base = sim.apply_overrides(scenario, SHORT)
    runs = {}
    for name, changes in POINTS.items():
        table = sim.run(sim.apply_overrides(base, changes), replications=REPLICATIONS, seed=seed)
        runs[name] = table.replications.assign(
            prevented_in_service=lambda t: t.prevented / t.signals_in_service
        )
    return runs


def difference(runs: dict[str, pd.DataFrame], comparison: str, figure: str) -> PairedDifference:
    """``figure`` at the comparison's second point minus its first, replication by replication."""
    a, b = COMPARISONS[comparison]
    table = pd.concat([runs[a].assign(point=0), runs[b].assign(point=1)])
    return paired_difference(table, 0, 1, figure)


@pytest.fixture(scope="module")
def runs() -> dict[str, pd.DataFrame]:
    return run_points()


@pytest.mark.parametrize("comparison", list(COMPARISONS))
def test_every_candidate_is_prevented_caught_or_missed_in_both(runs, comparison):
    """The split adds up: the paired difference of missed risk is minus the differences of
    prevented and caught, up to signals straddling the window's ends (under 1% of the
    candidates in each replication)."""
    a, b = (runs[name] for name in COMPARISONS[comparison])
    residual = (b.missed - a.missed) + (b.prevented - a.prevented) + (b.caught - a.caught)
    candidates = a.missed + a.prevented + a.caught
    assert (residual.abs() <= 0.01 * candidates).all(), residual.tolist()


def test_more_staff_deliver_more_dose_and_service_prevents_more(runs):
    """26 against 38 caseworkers: the delivered dose rises, and so do the signals prevented
    by service, in number and per signal while in service."""
    dose = difference(runs, "staffing", "service_dose_mean")
    prevented = difference(runs, "staffing", "prevented")
    per_signal = difference(runs, "staffing", "prevented_in_service")
    assert dose.ci_low > 0, dose
    assert prevented.ci_low > 0, prevented
    assert per_signal.ci_low > 0, per_signal
    # power: the interval is narrower than the effect, so a null effect would not pass
    assert prevented.ci_high - prevented.ci_low < 2 * prevented.mean


def test_prevention_follows_the_dose_in_the_threshold_comparison_too(runs):
    """Screening more out (0.65) opens fewer ongoing cases, but frees hours for the rest: the
    dose delivered rises, and with it prevention per signal while in service."""
    dose = difference(runs, "threshold", "service_dose_mean")
    per_signal = difference(runs, "threshold", "prevented_in_service")
    assert dose.ci_low > 0, dose
    assert per_signal.ci_low > 0, per_signal


def test_contacts_catch_more_with_more_staff(runs):
    caught = difference(runs, "staffing", "caught")
    missed = difference(runs, "staffing", "missed")
    assert caught.ci_low > 0 and missed.ci_high < 0, (caught, missed)


def table(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The comparisons' paired differences with their 95% intervals (for docs/model.md)."""
    rows = []
    for comparison in COMPARISONS:
        for figure in TERMS:
            d = difference(runs, comparison, figure)
            rows.append({"comparison": comparison, "figure": figure, **dataclasses.asdict(d)})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else None
    points = run_points(seed)
    for name, frame in points.items():
        means = frame[["service_dose_mean", "prevented", "caught", "missed"]].mean()
        print(name, means.round(3).to_dict())
    print(table(points).round(3).to_string(index=False))
