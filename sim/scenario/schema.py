"""The scenario: every section together, and the checks that need the whole file.

Cross-references (tier names, case type names, high-risk tiers) are checked once the
whole file has been read; a few derived views (positions funded, tier names, per-tier
values in tier order) are what the model reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from .casetypes import CaseType
from .fields import (
    STRICT,
    FieldIssue,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    check_keys,
    check_per_tier,
)
from .levers import Levers
from .offices import Office, Sharing, check_offices
from .policies import InitialState, Policies
from .risk import Intake, Risk
from .workforce import (
    Budget,
    Caps,
    Hiring,
    Strain,
    Supervision,
    Support,
    Technology,
    Turnover,
    Workforce,
)

__all__ = ["Scenario", "Staffing"]


@dataclass(frozen=True)
class Staffing:
    """Positions by role."""

    caseworkers: int
    supervisors: int
    support_staff: int


class Scenario(BaseModel):
    """A complete, validated scenario. Build it with :func:`load_scenario` or directly."""

    model_config = STRICT
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    horizon_days: PositiveFloat
    warmup_days: NonNegativeFloat = 0.0
    replications: PositiveInt = 10
    seed: NonNegativeInt = 20261122
    risk: Risk
    intake: Intake = Intake()
    case_types: Annotated[list[CaseType], Field(min_length=1)]
    caps: Caps = Caps()
    workforce: Workforce
    supervision: Supervision | None = None
    support: Support = Support()
    technology: Technology | None = None
    levers: Levers = Levers()
    strain: Strain | None = None
    turnover: Turnover = Turnover()
    hiring: Hiring = Hiring()
    budget: Budget = Budget()
    policies: Policies = Policies()
    triage: Literal["risk_first", "deadline_first", "new_cases_first", "fifo"] = "deadline_first"
    initial_state: InitialState | None = None
    offices: Annotated[list[Office], Field(min_length=1)] | None = None
    """A region: the offices, each the rest of the scenario with its own changes."""
    sharing: Sharing | None = None
    """Case sharing between the offices of a region."""

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        self._check_staffing()
        check_offices(self)
        if self.warmup_days >= self.horizon_days:
            raise FieldIssue(
                ("warmup_days",),
                f"expected less than horizon_days ({self.horizon_days:g}), "
                f"got {self.warmup_days:g}",
            )
        tiers = self.tier_names
        type_names = [case_type.name for case_type in self.case_types]
        if len(set(type_names)) != len(type_names):
            raise FieldIssue(("case_types",), f"expected unique names, got {type_names}")
        for i, case_type in enumerate(self.case_types):
            where = ("case_types", i)
            check_keys(case_type.risk_mix, tiers, (*where, "risk_mix"), "tier", every=False)
            if case_type.first_contact is not None:
                check_per_tier(
                    case_type.first_contact.deadline_days,
                    tiers,
                    (*where, "first_contact", "deadline_days"),
                )
            if isinstance(case_type.weight, dict):
                check_per_tier(case_type.weight, tiers, (*where, "weight"))
            standard = case_type.standard
            if standard is not None and isinstance(standard.open_cases, dict):
                check_per_tier(standard.open_cases, tiers, (*where, "standard", "open_cases"))
            if case_type.contacts is not None:
                for field in ("every_days", "hours"):
                    check_per_tier(
                        getattr(case_type.contacts, field), tiers, (*where, "contacts", field)
                    )
            self._check_pathways(i, case_type, type_names, tiers)
        targets = {p.to for ct in self.case_types for p in ct.pathways}
        for i, case_type in enumerate(self.case_types):
            if case_type.arrivals.rate_per_year == 0 and case_type.name not in targets:
                raise FieldIssue(
                    ("case_types", i, "arrivals", "rate_per_year"),
                    "expected a rate > 0, or a pathway into this case type from another",
                )
        if all(ct.arrivals.rate_per_year == 0 for ct in self.case_types):
            raise FieldIssue(("case_types",), "expected at least one case type with referrals")
        if isinstance(self.intake.threshold, dict):
            check_keys(self.intake.threshold, type_names, ("intake", "threshold"), "case type")
        high = self.high_risk_tiers
        for name in high:
            if name not in tiers:
                raise FieldIssue(
                    ("intake", "high_risk_tiers"), f"expected tier names from {tiers}, got {name!r}"
                )
        if set(high) == set(tiers):
            raise FieldIssue(
                ("intake", "high_risk_tiers"),
                "expected at least one tier that is not high risk (the AUC needs both kinds)",
            )
        if set(high) != set(tiers[len(tiers) - len(high) :]):
            raise FieldIssue(
                ("intake", "high_risk_tiers"),
                f"expected the highest tiers (tiers run from low to high risk: {tiers}), "
                f"got {high}",
            )
        shares = [ct.risk_mix for ct in self.case_types]
        if not any(mix.get(name, 0) > 0 for mix in shares for name in high):
            raise FieldIssue(("case_types",), f"expected some referrals in a high-risk tier {high}")
        if not any(share > 0 for mix in shares for name, share in mix.items() if name not in high):
            raise FieldIssue(("case_types",), "expected some referrals outside the high-risk tiers")
        return self

    def _check_pathways(
        self, i: int, case_type: CaseType, type_names: list[str], tiers: list[str]
    ) -> None:
        where = ("case_types", i, "pathways")
        totals = [0.0] * len(tiers)
        for j, pathway in enumerate(case_type.pathways):
            if pathway.to not in type_names:
                raise FieldIssue(
                    (*where, j, "to"),
                    f"unknown case type {pathway.to!r}; expected one of {type_names}",
                )
            if isinstance(pathway.probability, dict):
                check_keys(pathway.probability, tiers, (*where, j, "probability"), "tier")
            for k, share in enumerate(self.per_tier(pathway.probability)):
                totals[k] += share
        if any(total > 1.0 + 1e-9 for total in totals):
            raise FieldIssue(
                where, f"expected probabilities summing to at most 1 per tier, got {totals}"
            )

    def _check_staffing(self) -> None:
        staff, budget = self.workforce, self.budget
        counts = ("caseworkers", "supervisors", "support_staff")
        if budget.per_year is not None:
            given = [name for name in counts if getattr(staff, name) is not None]
            if given:
                raise FieldIssue(
                    ("workforce", given[0]),
                    "expected no headcount when budget.per_year funds the positions",
                )
            if self.staffing.caseworkers < 1:
                raise FieldIssue(
                    ("budget", "per_year"),
                    "expected enough budget to fund at least one caseworker",
                )
        elif staff.caseworkers is None:
            raise FieldIssue(
                ("workforce", "caseworkers"), "required field is missing (or give budget.per_year)"
            )

    # ---- derived views used by the model -------------------------------------------------

    @property
    def staffing(self) -> Staffing:
        """Positions by role: the headcounts given, or those the budget funds."""
        staff, budget = self.workforce, self.budget
        if budget.per_year is None or budget.mix is None:
            return Staffing(
                staff.caseworkers or 0, staff.supervisors or 0, staff.support_staff or 0
            )

        def funded(role: str) -> int:
            share = budget.mix.get(role, 0.0)
            cost = getattr(budget, f"{role}_cost")
            return math.floor(budget.per_year * share / cost + 1e-9) if share > 0 else 0

        return Staffing(funded("caseworker"), funded("supervisor"), funded("support"))

    @property
    def tier_names(self) -> list[str]:
        return [tier.name for tier in self.risk.tiers]

    @property
    def high_risk_tiers(self) -> list[str]:
        return self.intake.high_risk_tiers or [self.risk.tiers[-1].name]

    def threshold_for(self, case_type: str) -> float:
        """The screening threshold (score percentile) in force for ``case_type``."""
        threshold = self.intake.threshold
        return threshold[case_type] if isinstance(threshold, dict) else threshold

    def per_tier(self, value: float | Mapping[str, float]) -> tuple[float, ...]:
        """Expand a per-tier value into one number per tier, in tier order."""
        if isinstance(value, Mapping):
            return tuple(float(value[name]) for name in self.tier_names)
        return (float(value),) * len(self.risk.tiers)

    def risk_mix(self, case_type: CaseType) -> tuple[float, ...]:
        """The share of each latent tier among referrals of ``case_type``, in tier order."""
        return tuple(float(case_type.risk_mix.get(name, 0.0)) for name in self.tier_names)
