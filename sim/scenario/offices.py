"""Several offices in one scenario: a region with one clock, one budget and case sharing.

A scenario with an ``offices`` list is a region. Each office is the rest of the scenario
(the base) with its own dotted-path ``overrides`` (the same machinery as ``--set`` and sweep
factors: local staff, referral rates, caps, thresholds), so that regional variation is the
differences written down::

    offices:
      - {name: north, overrides: {workforce.caseworkers: 12}}
      - {name: south, overrides: {case_types.0.arrivals.rate_per_year: 900}}
    sharing: {transfer_hours: 3, cost_per_case: 150}

Every office runs on the same clock, horizon, warm-up and seed (those cannot be overridden)
with random streams of its own (office 0 keeps a single office's streams). With a
``budget.per_year`` the region has one budget: office ``i`` is funded with its
``budget_share`` of it (equal shares by default). ``sharing`` lets an office whose workers
are all full by their caps send a new case to another office with room, at a handoff, travel
hours and a cost per case (:mod:`sim.core.sharing`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import ScenarioError
from .fields import STRICT, Name, NonNegativeFloat, Probability

if TYPE_CHECKING:
    from .schema import Scenario

__all__ = ["FIXED_FOR_THE_REGION", "Office", "Sharing", "office_scenarios"]

FIXED_FOR_THE_REGION = (
    "name",
    "horizon_days",
    "warmup_days",
    "replications",
    "seed",
    "offices",
    "sharing",
)
"""Fields every office shares with the region (one clock, one seed): no override may set them."""


class Office(BaseModel):
    """One office of a region: a name, changes to the base scenario, and its budget share."""

    model_config = STRICT
    name: Name
    overrides: dict[str, Any] = {}
    """``{dotted.path: value}`` changes to the base scenario (as ``--set``)."""
    budget_share: Probability | None = None
    """The office's share of the region's ``budget.per_year`` (default: equal shares)."""


class Sharing(BaseModel):
    """Case sharing: a full office sends a new case to another office with room.

    A shared case is a change of worker (a handoff: the service dose falls), costs its new
    worker ``transfer_hours`` of case work (travel and handover), and costs the sending
    office ``cost_per_case``.
    """

    model_config = STRICT
    enabled: bool = True
    transfer_hours: NonNegativeFloat = 2.0
    cost_per_case: NonNegativeFloat = 0.0


def check_offices(scenario: Scenario) -> None:
    """The checks on a region that need only the region's own fields (names, shares)."""
    from .fields import FieldIssue

    offices = scenario.offices
    if offices is None:
        if scenario.sharing is not None:
            raise FieldIssue(("sharing",), "expected an offices list to share cases between")
        return
    names = [office.name for office in offices]
    if len(set(names)) != len(names):
        raise FieldIssue(("offices",), f"expected unique office names, got {names}")
    for i, office in enumerate(offices):
        for path in office.overrides:
            if path.split(".")[0] in FIXED_FOR_THE_REGION:
                raise FieldIssue(
                    ("offices", i, "overrides", path),
                    f"expected a field an office may set; {FIXED_FOR_THE_REGION} are the region's",
                )
    shares = [office.budget_share for office in offices]
    given = [share for share in shares if share is not None]
    if given and scenario.budget.per_year is None:
        raise FieldIssue(("offices",), "expected budget_share only with budget.per_year")
    if given and len(given) != len(shares):
        raise FieldIssue(("offices",), "expected a budget_share for every office, or none")
    if given and not math.isclose(sum(given), 1.0, abs_tol=1e-6):
        raise FieldIssue(("offices",), f"expected budget shares summing to 1, got {sum(given):g}")


def office_scenarios(scenario: Scenario, source: str = "<scenario>") -> list[Scenario]:
    """The scenario of each office of a region: the base with the office's changes.

    Raises
    ------
    ScenarioError
        Naming ``offices[i].overrides`` and the field, if an office's changes do not make a
        valid scenario, or change its case types (the offices of a region share them).
    """
    from .loading import override, validate_scenario

    offices = scenario.offices or []
    base = scenario.model_dump(mode="python", exclude={"offices", "sharing"})
    result = []
    for i, office in enumerate(offices):
        data = {**base, "name": f"{scenario.name}/{office.name}"}
        changes = dict(office.overrides)
        if scenario.budget.per_year is not None and "budget.per_year" not in changes:
            share = office.budget_share if office.budget_share is not None else 1 / len(offices)
            changes = {"budget.per_year": scenario.budget.per_year * share, **changes}
        where = f"offices[{i}].overrides"
        try:
            result.append(validate_scenario(override(data, changes, source), source))
        except ScenarioError as exc:
            field = f"{where}.{exc.field}" if exc.field else where
            raise ScenarioError(source, field, exc.problem) from None
        types = [case_type.name for case_type in result[-1].case_types]
        expected = [case_type.name for case_type in scenario.case_types]
        if types != expected:
            raise ScenarioError(
                source, where, f"expected the region's case types {expected}, got {types}"
            )
    return result
