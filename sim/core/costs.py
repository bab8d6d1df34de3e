"""What staff and services cost: rates per day, per hour and per event.

Salaries accrue per day in post at ``cost / 365`` (caseworkers in post, trainees
included; supervisors and support staff as staffed); overtime is paid at the
caseworker's hourly rate times the premium, the hourly rate being the yearly
cost over the contracted hours of a year (``hours_per_day * 365 *
working_days_per_week / 7``); each hire costs ``hiring_cost + training_cost``;
each case sent out ``external_cost_per_case``; an agency worker accrues ``agency_cost / 365``
a day in post; technology (the non-case time lever) accrues ``cost_per_worker_year / 365`` a
day for each funded caseworker position (times its level). The levers of the ``levers`` block:
wellbeing support and retention pay accrue ``level * cost_per_worker_year / 365`` a day for
each caseworker in post (agency workers are not on the payroll); a faster hiring pipeline
costs ``level * cost_per_hire`` for each hire; rebalancing ``cost_per_audit`` per audit; a case
shared with another office ``sharing.cost_per_case``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import Scenario
from .casetypes import DAYS_PER_YEAR

__all__ = ["CostRates", "contracted_hours_per_year"]


def contracted_hours_per_year(scenario: Scenario) -> float:
    """A caseworker's contracted hours a year.

    ``hours_per_day * 365 * working_days_per_week / 7``: the overtime rate's base and
    the standards' available hours per FTE.
    """
    staff = scenario.workforce
    return staff.hours_per_day * DAYS_PER_YEAR * staff.working_days_per_week / 7


@dataclass(frozen=True)
class CostRates:
    """The money side of a scenario, as rates the model applies."""

    caseworker_per_day: float
    other_staff_per_day: float
    """Supervisors and support staff together, per day."""
    overtime_per_hour: float
    per_hire: float
    per_external_case: float
    agency_per_day: float = 0.0
    technology_per_day: float = 0.0
    """The technology lever's cost per day, for every funded caseworker position."""
    wellbeing_per_worker_day: float = 0.0
    """Wellbeing support, per caseworker in post per day."""
    retention_per_worker_day: float = 0.0
    """Retention pay, per caseworker in post per day."""
    pipeline_per_hire: float = 0.0
    """A faster hiring pipeline, per hire."""
    per_audit: float = 0.0
    """A rebalancing audit."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> CostRates:
        budget, staffing = scenario.budget, scenario.staffing
        hours_per_year = contracted_hours_per_year(scenario)
        return cls(
            caseworker_per_day=budget.caseworker_cost / DAYS_PER_YEAR,
            other_staff_per_day=(
                staffing.supervisors * budget.supervisor_cost
                + staffing.support_staff * budget.support_cost
            )
            / DAYS_PER_YEAR,
            overtime_per_hour=budget.caseworker_cost / hours_per_year * budget.overtime_premium,
            per_hire=budget.hiring_cost + budget.training_cost,
            per_external_case=scenario.caps.external_cost_per_case,
            agency_per_day=budget.agency_cost / DAYS_PER_YEAR,
            technology_per_day=(
                scenario.technology.cost_per_worker_year
                * scenario.technology.level
                * staffing.caseworkers
                / DAYS_PER_YEAR
                if scenario.technology is not None
                else 0.0
            ),
            **_lever_rates(scenario),
        )


def _lever_rates(scenario: Scenario) -> dict[str, float]:
    """The cost rates of the ``levers`` block (absent: nothing)."""
    levers, rates = scenario.levers, {}
    if levers.wellbeing is not None:
        wellbeing = levers.wellbeing
        rates["wellbeing_per_worker_day"] = (
            wellbeing.level * wellbeing.cost_per_worker_year / DAYS_PER_YEAR
        )
    if levers.retention_pay is not None:
        pay = levers.retention_pay
        rates["retention_per_worker_day"] = pay.level * pay.cost_per_worker_year / DAYS_PER_YEAR
    if levers.faster_hiring is not None:
        rates["pipeline_per_hire"] = levers.faster_hiring.level * levers.faster_hiring.cost_per_hire
    if levers.rebalancing is not None:
        rates["per_audit"] = levers.rebalancing.cost_per_audit
    return rates
