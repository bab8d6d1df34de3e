"""Published caseload standards: the static staffing figure, to set beside the simulation.

Two static methods turn a scenario's yearly demand into full-time equivalents (FTE):

* **Weighted caseload** (the workload-study method): ``FTE = sum over case types of
  opened cases a year * hours per case / available hours per FTE a year``. Hours per
  case are the case type's ``standard.hours_per_case`` (a workload study's figure) or
  else those the scenario implies: the first contact, the recurring contacts over the
  mean duration (``duration / every_days`` contacts by assessed tier) and the case work.
* **Count cap** (NAC, CWLA, APPA): a yearly cap (``cases_per_year``: cases one worker
  can take a year) gives ``FTE = opened a year / cap``; a cap on cases held at once
  (``open_cases``) gives ``FTE = mean open cases / cap`` with Little's law, mean open
  cases = opened a day * mean duration. Caps by assessed tier combine as
  ``1 / sum(tier share / tier cap)``.

Opened cases a year are ``rate_per_year * (1 - threshold)``: the threshold is the
share screened out. Neither method sees waiting, variation, turnover or strain:
:func:`compare` runs the simulation at the FTE each method gives, so the user sees
what the static figure leaves out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.casetypes import DAYS_PER_YEAR
from ..core.costs import contracted_hours_per_year
from ..scenario import CaseType, Scenario, apply_overrides

__all__ = [
    "PRESETS",
    "CapStandard",
    "CaseTypeStandard",
    "StandardsReport",
    "cases_per_fte_year",
    "compare",
    "hours_per_case",
    "staffing_standards",
]


@dataclass(frozen=True)
class CapStandard:
    """A published count cap: per year (throughput) or at once (open cases)."""

    cases: float
    per: str
    """``"year"``: cases one worker can take a year; ``"open"``: cases held at once."""
    source: str

    def describe(self) -> str:
        """``"150/year"`` or ``"17 open"``."""
        return f"{self.cases:g}/year" if self.per == "year" else f"{self.cases:g} open"


PRESETS: dict[str, CapStandard] = {
    "nac_felony": CapStandard(150, "year", "NAC 1973, Standard 13.12: 150 felonies a year"),
    "nac_misdemeanor": CapStandard(
        400, "year", "NAC 1973, Standard 13.12: 400 misdemeanours a year"
    ),
    "nac_juvenile": CapStandard(200, "year", "NAC 1973, Standard 13.12: 200 juvenile cases a year"),
    "nac_appeal": CapStandard(25, "year", "NAC 1973, Standard 13.12: 25 appeals a year"),
    "cwla_investigation": CapStandard(144, "year", "CWLA: 12 investigations a month (144 a year)"),
    "cwla_ongoing_family": CapStandard(17, "open", "CWLA: 17 ongoing families at a time"),
    "appa_intensive": CapStandard(
        20, "open", "APPA 2006 issue paper as commonly cited (unverified): 20 intensive"
    ),
    "appa_moderate_high": CapStandard(
        50, "open", "APPA 2006 issue paper as commonly cited (unverified): 50 moderate-high risk"
    ),
    "appa_low": CapStandard(
        200, "open", "APPA 2006 issue paper as commonly cited (unverified): 200 low risk"
    ),
}
"""Published caps by preset name (``case_types[].standard.preset``)."""


def cases_per_fte_year(available_hours: float, hours_per_case: float) -> int:
    """Whole cases one FTE can take a year: 2,080 hours at 35 hours a case give 59."""
    return math.floor(available_hours / hours_per_case + 1e-9)


def hours_per_case(scenario: Scenario, case_type: CaseType) -> float:
    """Expected hours of one opened case of ``case_type`` as the scenario describes it.

    First contact, plus recurring contacts over the mean duration by assessed tier
    (the tier shares of screened-in referrals: the score percentile is uniform, and
    tiers are bands of it), plus case work times the mean complexity multiplier.
    """
    if case_type.standard is not None and case_type.standard.hours_per_case is not None:
        return case_type.standard.hours_per_case
    work = case_type.work_hours * sum(
        level.share * level.work_multiplier for level in case_type.complexity
    )
    first = case_type.first_contact.hours if case_type.first_contact is not None else 0.0
    contacts = 0.0
    if case_type.contacts is not None:
        shares = assessed_tier_shares(scenario, case_type)
        every = scenario.per_tier(case_type.contacts.every_days)
        hours = scenario.per_tier(case_type.contacts.hours)
        duration = case_type.duration.mean
        contacts = sum(
            share * hour * duration / period
            for share, hour, period in zip(shares, hours, every, strict=True)
        )
    return first + contacts + work


def assessed_tier_shares(scenario: Scenario, case_type: CaseType) -> tuple[float, ...]:
    """Share of each assessed tier among the screened-in referrals of ``case_type``."""
    threshold = scenario.threshold_for(case_type.name)
    bounds = np.concatenate([[0.0], np.cumsum(scenario.risk_mix(case_type))])
    bounds[-1] = 1.0
    kept = np.clip(bounds[1:], threshold, 1.0) - np.clip(bounds[:-1], threshold, 1.0)
    total = kept.sum()
    if total <= 0:
        return tuple(0.0 for _ in kept)
    return tuple(float(k / total) for k in kept)


@dataclass(frozen=True)
class CaseTypeStandard:
    """One case type's demand and the FTE each static method asks for it."""

    case_type: str
    opened_per_year: float
    hours_per_case: float
    cases_per_fte_year: float
    weighted_fte: float
    cap: CapStandard | None
    cap_fte: float | None


@dataclass(frozen=True)
class StandardsReport:
    """The static staffing figures of a scenario."""

    available_hours_per_fte: float
    case_types: tuple[CaseTypeStandard, ...]

    @property
    def weighted_fte(self) -> float:
        return sum(row.weighted_fte for row in self.case_types)

    @property
    def cap_fte(self) -> float | None:
        """FTE by the count caps, when every case type has one."""
        values = [row.cap_fte for row in self.case_types]
        return None if any(v is None for v in values) else sum(values)

    def table(self) -> pd.DataFrame:
        """One row per case type, and a total row."""
        rows = [
            {
                "case_type": r.case_type,
                "opened_per_year": r.opened_per_year,
                "hours_per_case": r.hours_per_case,
                "cases_per_fte_year": r.cases_per_fte_year,
                "weighted_fte": r.weighted_fte,
                "cap": "" if r.cap is None else r.cap.describe(),
                "cap_fte": math.nan if r.cap_fte is None else r.cap_fte,
            }
            for r in self.case_types
        ]
        cap_total = self.cap_fte
        rows.append(
            {
                "case_type": "total",
                "opened_per_year": sum(r.opened_per_year for r in self.case_types),
                "hours_per_case": math.nan,
                "cases_per_fte_year": math.nan,
                "weighted_fte": self.weighted_fte,
                "cap": "",
                "cap_fte": math.nan if cap_total is None else cap_total,
            }
        )
        return pd.DataFrame(rows).set_index("case_type")


def _cap_of(scenario: Scenario, case_type: CaseType) -> CapStandard | None:
    standard = case_type.standard
    if standard is None:
        return None
    if standard.preset is not None:
        return PRESETS[standard.preset]
    if standard.cases_per_year is not None:
        return CapStandard(standard.cases_per_year, "year", standard.source)
    if isinstance(standard.open_cases, dict):
        # Caps by assessed tier: a worker's mixed caseload, in the tier shares of the
        # cases kept, fills one worker at 1 / sum(share / cap) cases.
        shares = assessed_tier_shares(scenario, case_type)
        caps = scenario.per_tier(standard.open_cases)
        load = sum(share / cap for share, cap in zip(shares, caps, strict=True))
        return CapStandard(1.0 / load, "open", standard.source)
    if standard.open_cases is not None:
        return CapStandard(standard.open_cases, "open", standard.source)
    return None


def staffing_standards(scenario: Scenario, hours_per_year: float | None = None) -> StandardsReport:
    """The FTE the static methods call for.

    Parameters
    ----------
    scenario
        The scenario whose demand is measured.
    hours_per_year
        Available hours per FTE a year (default: the scenario's contracted hours,
        :func:`sim.core.costs.contracted_hours_per_year`; workload studies often use 2,080).
    """
    available = contracted_hours_per_year(scenario) if hours_per_year is None else hours_per_year
    if not available > 0:
        raise ValueError(f"hours_per_year: expected a number > 0, got {available}")
    rows = []
    for case_type in scenario.case_types:
        opened = case_type.arrivals.rate_per_year * (1.0 - scenario.threshold_for(case_type.name))
        hours = hours_per_case(scenario, case_type)
        cap = _cap_of(scenario, case_type)
        if cap is None:
            cap_fte = None
        elif cap.per == "year":
            cap_fte = opened / cap.cases
        else:
            cap_fte = opened / DAYS_PER_YEAR * case_type.duration.mean / cap.cases
        rows.append(
            CaseTypeStandard(
                case_type=case_type.name,
                opened_per_year=opened,
                hours_per_case=hours,
                cases_per_fte_year=available / hours if hours > 0 else math.inf,
                weighted_fte=opened * hours / available,
                cap=cap,
                cap_fte=cap_fte,
            )
        )
    return StandardsReport(available, tuple(rows))


OUTCOMES = (
    "missed_per_1000_referrals",
    "first_contact_mean_days",
    "first_contact_within_deadline_share",
    "wait_mean_days",
    "caseload_mean",
    "burned_out_share",
    "turnover_rate",
)
"""The simulated outcomes :func:`compare` reports at each staffing level."""


def compare(
    scenario: Scenario,
    report: StandardsReport,
    *,
    replications: int | None = None,
    seed: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Simulate the scenario at the FTE of each method (rounded up to whole caseworkers).

    Returns one row per (method, outcome) with the caseworkers, the mean and the
    95% confidence interval. Every run uses the same seed: common random numbers.
    ``progress`` shows a bar of each method's replications (by default in a notebook or a
    terminal, :mod:`sim.experiments.progress`).
    """
    from ..experiments.runner import run  # the runner imports the model; keep this module light

    levels = {"weighted caseload": report.weighted_fte}
    if report.cap_fte is not None:
        levels["count cap"] = report.cap_fte
    rows = []
    for method, fte in levels.items():
        caseworkers = max(1, math.ceil(fte - 1e-9))
        staffed = apply_overrides(scenario, _staffing_override(scenario, caseworkers))
        summary = run(staffed, replications=replications, seed=seed, progress=progress).summary()
        for outcome in OUTCOMES:
            figure = summary.loc[outcome]
            rows.append(
                {
                    "method": method,
                    "fte": fte,
                    "caseworkers": caseworkers,
                    "outcome": outcome,
                    "label": figure["label"],
                    "unit": figure["unit"],
                    "mean": figure["mean"],
                    "ci_low": figure["ci_low"],
                    "ci_high": figure["ci_high"],
                }
            )
    return pd.DataFrame(rows)


def _staffing_override(scenario: Scenario, caseworkers: int) -> dict[str, object]:
    """Set the caseworkers, keeping the other roles, whether given or funded."""
    changes: dict[str, object] = {"workforce.caseworkers": caseworkers}
    if scenario.budget.per_year is not None:
        staffing = scenario.staffing
        changes.update(
            {
                "budget.per_year": None,
                "budget.mix": None,
                "workforce.supervisors": staffing.supervisors,
                "workforce.support_staff": staffing.support_staff,
            }
        )
    return changes
