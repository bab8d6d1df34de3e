"""What staff and services cost: rates per day, per hour and per event.

Salaries accrue per day in post at ``cost / 365`` (caseworkers in post, trainees
included; supervisors and support staff as staffed); overtime is paid at the
caseworker's hourly rate times the premium, the hourly rate being the yearly
cost over the contracted hours of a year (``hours_per_day * 365 *
working_days_per_week / 7``); each hire costs ``hiring_cost + training_cost``;
each case sent out ``external_cost_per_case``; an agency worker accrues ``agency_cost / 365``
a day in post; technology (the non-case time lever) accrues ``cost_per_worker_year / 365`` a
day for each funded caseworker position.
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
                scenario.technology.cost_per_worker_year * staffing.caseworkers / DAYS_PER_YEAR
                if scenario.technology is not None
                else 0.0
            ),
        )
