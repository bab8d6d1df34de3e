"""Case types: how referrals of a kind arrive, how risky they are, and the work a case needs.

A case type has a Poisson arrival stream (a yearly rate, optional monthly seasonality
and surge windows), a mix of latent risk tiers, complexity levels that scale its case
work, a minimum duration (a court timeline, a probation term), a first contact due
within a deadline by assessed tier, recurring contacts every ``k`` days by tier, and
the hours of case work over its life. A published caseload standard can be attached
for the standards calculator.
"""

from __future__ import annotations

import math
import sys
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from .distributions import Duration
from .fields import (
    STRICT,
    FieldIssue,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    Probability,
    TierDays,
    TierHours,
)

__all__ = [
    "STANDARD_PRESETS",
    "Arrivals",
    "CaseType",
    "ComplexityLevel",
    "Contacts",
    "FirstContact",
    "Pathway",
    "Reassessment",
    "Service",
    "Standard",
    "SurgeWindow",
]


class SurgeWindow(BaseModel):
    """Referrals multiplied by ``multiplier`` from ``start_day`` (inclusive) to ``end_day``."""

    model_config = STRICT
    start_day: NonNegativeFloat
    end_day: PositiveFloat
    multiplier: NonNegativeFloat

    @model_validator(mode="after")
    def _ordered(self) -> SurgeWindow:
        if self.start_day >= self.end_day:
            raise FieldIssue(
                ("end_day",), f"expected end_day > start_day ({self.start_day}), got {self.end_day}"
            )
        return self


class Arrivals(BaseModel):
    """A Poisson arrival process with optional seasonality and surge windows.

    ``seasonality`` holds 12 monthly multipliers (January first); they are
    normalised so that the year still brings ``rate_per_year`` referrals on
    average. Surge multipliers are applied on top and are not normalised.
    """

    model_config = STRICT
    rate_per_year: NonNegativeFloat
    """Referrals a year; 0 for a case type whose cases only open from another's closure
    (a pathway)."""
    seasonality: Annotated[list[PositiveFloat], Field(min_length=12, max_length=12)] | None = None
    surges: list[SurgeWindow] = []

    @model_validator(mode="after")
    def _normalisable(self) -> Arrivals:
        biggest = max(self.seasonality or [1.0])
        if not math.isfinite(biggest * 365.0):  # the normalisation would overflow
            raise FieldIssue(
                ("seasonality",),
                f"expected multipliers of at most {sys.float_info.max / 365.0:.3g}, "
                f"got {biggest:g}",
            )
        return self


class ComplexityLevel(BaseModel):
    """A share of a case type whose case work (and, optionally, weight) is scaled."""

    model_config = STRICT
    name: Name
    share: Annotated[float, Field(gt=0, le=1)]
    work_multiplier: PositiveFloat = 1.0
    weight_multiplier: PositiveFloat = 1.0


class FirstContact(BaseModel):
    """The first contact: due within ``deadline_days`` of the referral, taking ``hours``."""

    model_config = STRICT
    deadline_days: TierDays
    hours: NonNegativeFloat


class Contacts(BaseModel):
    """Recurring contacts every ``every_days`` (by assessed tier), taking ``hours`` each."""

    model_config = STRICT
    every_days: TierDays
    hours: TierHours

    @model_validator(mode="after")
    def _at_least_daily(self) -> Contacts:
        values = (
            self.every_days.values() if isinstance(self.every_days, dict) else [self.every_days]
        )
        if min(values) < 1:
            raise FieldIssue(("every_days",), f"expected at least 1 day, got {min(values)}")
        return self


STANDARD_PRESETS = (
    "nac_felony",
    "nac_misdemeanor",
    "nac_juvenile",
    "nac_appeal",
    "cwla_investigation",
    "cwla_ongoing_family",
    "appa_intensive",
    "appa_moderate_high",
    "appa_low",
)

"""Published caseload standards by name; their figures and sources are in
:mod:`sim.analysis.standards`."""


class Standard(BaseModel):
    """The published caseload standard of a case type, for ``caseload standards``.

    Give one count cap, ``preset`` (a published standard by name),
    ``cases_per_year`` (cases one worker can take a year, like NAC's 150 felonies)
    or ``open_cases`` (cases one worker holds at a time, like CWLA's 17 families;
    one number, or one per assessed tier like APPA's caps by risk level),
    and optionally ``hours_per_case`` (a workload study's figure) for the
    weighted-caseload method instead of the hours the scenario implies.
    Standards do not change the simulation; they are the static yardstick beside it.
    """

    model_config = STRICT
    preset: Literal[STANDARD_PRESETS] | None = None  # type: ignore[valid-type]
    cases_per_year: PositiveFloat | None = None
    open_cases: PositiveFloat | dict[Name, PositiveFloat] | None = None
    hours_per_case: PositiveFloat | None = None
    source: str = ""

    @model_validator(mode="after")
    def _one_cap(self) -> Standard:
        given = [
            f for f in ("preset", "cases_per_year", "open_cases") if getattr(self, f) is not None
        ]
        if len(given) > 1:
            raise FieldIssue(
                (given[1],), f"expected one of preset, cases_per_year, open_cases; got {given}"
            )
        return self


class Service(BaseModel):
    """The help an open case gives: it lowers its subject's risk signal rate.

    At full dose the rate falls by the share ``effect``. The dose is what was delivered
    against what was due: the share of contacts made on time (first and recurring) and
    the share of the case work accrued that was done, weighted ``1 - casework_share``
    and ``casework_share`` (a type with no contacts or no case work counts the other
    part alone), times ``handoff_factor`` for each change of worker. After closure the
    reduction reached at closure persists, halving every ``half_life_days`` (``null``:
    for the rest of the subject's risk window). Where ``evidence_based`` is false the
    effect is nil: more contact then only means more detection (the reduced-caseload
    probation trial). docs/model.md, "Service that lowers risk", has the sources.
    """

    model_config = STRICT
    effect: Probability
    evidence_based: bool = True
    half_life_days: PositiveFloat | None = 180.0
    casework_share: Probability = 0.5
    handoff_factor: Probability = 0.75


class Pathway(BaseModel):
    """A follow-on case that a closing case may open for the same subject.

    When a case of this type closes, a case of type ``to`` opens with ``probability``
    (one number, or one per assessed tier); if a signal was caught during the case,
    with ``if_caught`` instead (an investigation that finds danger opens services).
    """

    model_config = STRICT
    to: Name
    probability: Probability | dict[Name, Probability]
    if_caught: Probability | None = None


class Reassessment(BaseModel):
    """Open cases are reassessed every ``every_days``: the assessed tier is drawn again
    from the subject's current risk (after service) through the screening tool's noise."""

    model_config = STRICT
    every_days: PositiveFloat


class CaseType(BaseModel):
    """One kind of referral: how often it comes, its risk mix and the work it needs.

    ``duration`` is the minimum life of an open case from assignment (a court
    timeline, a probation term); ``work_hours`` the case work over that life.
    A case closes when both are done.
    """

    model_config = STRICT
    name: Name
    arrivals: Arrivals
    risk_mix: dict[Name, Probability]
    complexity: Annotated[list[ComplexityLevel], Field(min_length=1)] = [
        ComplexityLevel(name="standard", share=1.0)
    ]
    duration: Duration
    work_hours: NonNegativeFloat = 0.0
    weight: PositiveFloat | dict[Name, PositiveFloat] = 1.0
    """Weight under the weighted cap: one number, or one per assessed tier (APPA-style
    caps by risk level)."""
    first_contact: FirstContact | None = None
    contacts: Contacts | None = None
    risk_window_days: PositiveFloat | None = None
    closes_on_schedule: bool = False
    """Close at the end of ``duration`` even with case work left (a court disposition)."""
    standard: Standard | None = None
    service: Service | None = None
    pathways: list[Pathway] = []
    reassessment: Reassessment | None = None

    @model_validator(mode="after")
    def _shares(self) -> CaseType:
        total = sum(self.risk_mix.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise FieldIssue(("risk_mix",), f"expected shares summing to 1, got {total:g}")
        names = [level.name for level in self.complexity]
        if len(set(names)) != len(names):
            raise FieldIssue(("complexity",), f"expected unique names, got {names}")
        total = sum(level.share for level in self.complexity)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise FieldIssue(("complexity",), f"expected shares summing to 1, got {total:g}")
        if (
            self.service is not None
            and self.first_contact is None
            and self.contacts is None
            and self.work_hours == 0
        ):
            raise FieldIssue(
                ("service",),
                "expected a case type that delivers it: contacts, a first contact or "
                "work_hours (with none, its dose is 0 and its service prevents nothing)",
            )
        return self
