"""The menu of levers a budget can be spent on: what a sum of money buys of each, and the
changes to the scenario that buy it.

Money is a yearly sum on top of what the scenario already spends. A lever turns its share of
it into a whole number of positions, or into the level of a programme (0 to 1), at the
scenario's own prices, and into dotted-path changes for the sweep engines:

=================  ====================================  ==============================
lever              what its money buys                   planned yearly cost
=================  ====================================  ==============================
``caseworkers``    whole positions                       ``caseworker_cost`` each
``support_staff``  whole positions                       ``support_cost`` each
``supervisors``    whole positions                       ``supervisor_cost`` each
``technology``     its level                             level x price x caseworkers
``wellbeing``      its level                             level x price x caseworkers
``retention_pay``  its level                             level x price x caseworkers
``faster_hiring``  its level                             level x price x expected hires
``agency_cover``   the share of vacancies covered        share x agency_cost x expected
                                                         vacancy-years after the agency lag
``rebalancing``    audits a year (``every_days``)        audits x ``cost_per_audit``
=================  ====================================  ==============================

Costs that depend on what happens (hires, vacancies) are planned from the scenario's base
turnover: expected hires a year are ``caseworkers * turnover.annual_rate``; each vacancy is
covered from the agency lag to the mean hiring lag. The realised cost of a run is in its
``total_cost``. Money a lever cannot use (the part of a position, a programme past level 1)
is left unspent. Programmes are priced on the caseworkers after the positions bought, and a
chosen lever starts from nothing: the budget sets its level. External providers are a policy
for overflow, not something bought in advance, and are not on the menu.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ScenarioError
from ..scenario import Scenario

__all__ = ["LEVERS", "Purchase", "buy", "check_menu"]

POSITIONS = {
    "caseworkers": ("caseworker_cost", "caseworkers"),
    "support_staff": ("support_cost", "support_staff"),
    "supervisors": ("supervisor_cost", "supervisors"),
}
PROGRAMMES = ("technology", "wellbeing", "retention_pay", "faster_hiring")
LEVERS = (*POSITIONS, *PROGRAMMES, "agency_cover", "rebalancing")
"""Every lever the optimiser can spend on, in the order purchases are made."""


@dataclass(frozen=True)
class Purchase:
    """What one allocation of the budget buys."""

    spend: dict[str, float]
    """Money given to each lever (a year)."""
    amounts: dict[str, float]
    """Positions bought, or the level, share or audits a year of each lever."""
    planned_cost: dict[str, float]
    """What each lever's amount is planned to cost a year (at most its spend)."""
    changes: dict[str, Any]
    """The dotted-path changes to the scenario that make the purchase."""

    def describe(self) -> str:
        """``caseworkers +2, wellbeing 0.40``: what the money bought, lever by lever."""
        parts = []
        for lever, amount in self.amounts.items():
            if lever in POSITIONS:
                parts.append(f"{lever} +{int(amount)}")
            elif lever == "rebalancing":
                parts.append(f"rebalancing {amount:.1f}/year" if amount else "rebalancing 0")
            else:
                parts.append(f"{lever} {amount:.2f}")
        return ", ".join(parts)


def _price(scenario: Scenario, lever: str) -> float:
    """The yearly cost of one unit of ``lever`` (a position, level 1, full cover, one audit)."""
    budget, staffing, levers = scenario.budget, scenario.staffing, scenario.levers
    if lever in POSITIONS:
        return getattr(budget, POSITIONS[lever][0])
    if lever == "technology":
        return scenario.technology.cost_per_worker_year if scenario.technology else 0.0
    if lever in ("wellbeing", "retention_pay"):
        block = getattr(levers, lever)
        return block.cost_per_worker_year if block is not None else 0.0
    if lever == "faster_hiring":
        block = levers.faster_hiring
        hires = staffing.caseworkers * scenario.turnover.annual_rate
        return block.cost_per_hire * hires if block is not None else 0.0
    if lever == "agency_cover":
        hiring = scenario.hiring
        covered_days = max(hiring.lag.mean - hiring.agency_lag.mean, 0.0)
        vacancies = staffing.caseworkers * scenario.turnover.annual_rate
        return budget.agency_cost * vacancies * covered_days / 365.0
    if lever == "rebalancing":
        block = levers.rebalancing
        return block.cost_per_audit if block is not None else 0.0
    raise ValueError(f"unknown lever {lever!r}; expected one of {LEVERS}")


def check_menu(scenario: Scenario, levers: list[str], source: str = "--levers") -> None:
    """Refuse, in one line, a lever the scenario cannot price or apply.

    Raises
    ------
    ScenarioError
        For an unknown lever, a region (levers apply to one office), a budget-funded staff,
        a programme without its block in the scenario, or a lever with no price.
    """
    if not levers:
        raise ScenarioError(source, None, f"expected at least one lever from {list(LEVERS)}")
    for lever in levers:
        if lever not in LEVERS:
            raise ScenarioError(source, None, f"unknown lever {lever!r}; expected {list(LEVERS)}")
    if len(set(levers)) != len(levers):
        raise ScenarioError(source, None, f"expected each lever once, got {levers}")
    if scenario.offices:
        raise ScenarioError(
            source, None, "expected a single office (levers are bought for one office)"
        )
    if scenario.budget.per_year is not None:
        raise ScenarioError(
            source, None, "expected headcounts in workforce (a budget.per_year funds a fixed mix)"
        )
    blocks = {
        "technology": scenario.technology,
        "wellbeing": scenario.levers.wellbeing,
        "retention_pay": scenario.levers.retention_pay,
        "faster_hiring": scenario.levers.faster_hiring,
        "rebalancing": scenario.levers.rebalancing,
    }
    for lever in levers:
        if lever in blocks and blocks[lever] is None:
            where = "technology" if lever == "technology" else f"levers.{lever}"
            raise ScenarioError(
                scenario.name, where, "expected the lever's block (its effects and price) to buy it"
            )
        if _price(scenario, lever) <= 0:
            raise ScenarioError(
                scenario.name,
                lever,
                "expected a price above 0 (a cost, and for faster_hiring or agency_cover a "
                "turnover rate) to spend a budget on it",
            )


def buy(scenario: Scenario, spend: dict[str, float]) -> Purchase:
    """What ``spend`` (money a year per lever) buys on top of ``scenario``."""
    amounts: dict[str, float] = {}
    planned: dict[str, float] = {}
    changes: dict[str, Any] = {}
    staffing = scenario.staffing
    caseworkers = staffing.caseworkers
    for lever in LEVERS:
        if lever not in spend:
            continue
        money = max(spend[lever], 0.0)
        price = _price(scenario, lever)
        if lever in POSITIONS:
            count = math.floor(money / price + 1e-9)
            amounts[lever], planned[lever] = count, count * price
            field = POSITIONS[lever][1]
            changes[f"workforce.{field}"] = getattr(staffing, field) + count
            if lever == "caseworkers":
                caseworkers += count
            continue
        if lever in ("technology", "wellbeing", "retention_pay"):
            price *= caseworkers  # priced per caseworker, after the positions bought
        elif lever in ("faster_hiring", "agency_cover"):
            price *= caseworkers / max(staffing.caseworkers, 1)
        if lever == "rebalancing":
            audits = money / price
            every = 365.0 / audits if audits > 0 else math.inf
            if every > 3650.0:  # less than one audit in ten years: none
                amounts[lever], planned[lever] = 0.0, 0.0
                changes["levers.rebalancing"] = None
            else:
                every = max(every, 1.0)
                amounts[lever], planned[lever] = 365.0 / every, 365.0 / every * price
                changes["levers.rebalancing.every_days"] = every
            continue
        level = min(money / price, 1.0)
        amounts[lever], planned[lever] = level, level * price
        if lever == "technology":
            changes["technology.level"] = level
        elif lever == "agency_cover":
            changes["hiring.agency_cover_share"] = level
        else:
            changes[f"levers.{lever}.level"] = level
    return Purchase(dict(spend), amounts, planned, changes)
