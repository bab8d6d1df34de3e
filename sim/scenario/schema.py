"""Scenario files: the pydantic schema, the YAML loader and its one-line errors.

A scenario is everything a run needs: case types and their arrivals, risk tiers,
intake screening, caps and overflow, the workforce, the triage rule, the
horizon and the seed. Every model forbids unknown keys and rejects NaN and
infinity; cross-references (tier names, case type names) are checked once the
whole file has been read. Values given "per tier" may be a single number for
every tier or a mapping from tier name to number.

Time is in days, work in hours, money in a currency-free unit.
"""

from __future__ import annotations

import copy
import math
import re
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ScenarioError
from .distributions import Duration, Fixed

__all__ = [
    "Arrivals",
    "Budget",
    "Caps",
    "CaseType",
    "ComplexityLevel",
    "Contacts",
    "FirstContact",
    "FreezeWindow",
    "Gatekeeping",
    "Hiring",
    "InitialState",
    "Intake",
    "Policies",
    "Risk",
    "RiskTier",
    "Scandal",
    "Scenario",
    "Staffing",
    "Standard",
    "Strain",
    "Supervision",
    "Support",
    "SurgeWindow",
    "Turnover",
    "Workforce",
    "apply_overrides",
    "load_scenario",
    "load_yaml",
]

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

TierHours = NonNegativeFloat | dict[Name, NonNegativeFloat]
"""Hours, one number for every tier or a mapping ``{tier: hours}``."""
TierDays = PositiveFloat | dict[Name, PositiveFloat]
"""Days, one number for every tier or a mapping ``{tier: days}``."""


class FieldIssue(ValueError):
    """A cross-field problem found by a model validator, with the path to blame."""

    def __init__(self, path: Sequence[str | int], message: str) -> None:
        self.path = tuple(path)
        super().__init__(f"{_format_path(self.path)}: {message}")
        self.message = message


def _format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --------------------------------------------------------------------------- arrivals


class SurgeWindow(BaseModel):
    """Referrals multiplied by ``multiplier`` from ``start_day`` (inclusive) to ``end_day``."""

    model_config = _STRICT
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

    model_config = _STRICT
    rate_per_year: PositiveFloat
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


# --------------------------------------------------------------------------- case types


class ComplexityLevel(BaseModel):
    """A share of a case type whose case work (and, optionally, weight) is scaled."""

    model_config = _STRICT
    name: Name
    share: Annotated[float, Field(gt=0, le=1)]
    work_multiplier: PositiveFloat = 1.0
    weight_multiplier: PositiveFloat = 1.0


class FirstContact(BaseModel):
    """The first contact: due within ``deadline_days`` of the referral, taking ``hours``."""

    model_config = _STRICT
    deadline_days: TierDays
    hours: NonNegativeFloat


class Contacts(BaseModel):
    """Recurring contacts every ``every_days`` (by assessed tier), taking ``hours`` each."""

    model_config = _STRICT
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

    model_config = _STRICT
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


class CaseType(BaseModel):
    """One kind of referral: how often it comes, its risk mix and the work it needs.

    ``duration`` is the minimum life of an open case from assignment (a court
    timeline, a probation term); ``work_hours`` the case work over that life.
    A case closes when both are done.
    """

    model_config = _STRICT
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
        return self


# --------------------------------------------------------------------------- risk and intake


class RiskTier(BaseModel):
    """A latent risk tier and how often it produces risk signals."""

    model_config = _STRICT
    name: Name
    signals_per_year: NonNegativeFloat


class Risk(BaseModel):
    """Latent risk, its signals, and what it takes to catch a signal before it is harm.

    A signal becomes harm ``detection_window_days`` after it occurs unless a
    contact inside that window detects it (probability ``detection_probability``
    per contact). With probability ``rereport_probability`` a signal is also
    reported to the agency; the re-report raises the observed score by
    ``rereport_score_boost`` standard deviations.
    """

    model_config = _STRICT
    tiers: Annotated[list[RiskTier], Field(min_length=1)]
    window_days: PositiveFloat = 365.0
    detection_window_days: PositiveFloat = 14.0
    detection_probability: Probability = 0.8
    rereport_probability: Probability = 0.0
    rereport_score_boost: NonNegativeFloat = 1.0

    @model_validator(mode="after")
    def _unique(self) -> Risk:
        names = [tier.name for tier in self.tiers]
        if len(set(names)) != len(names):
            raise FieldIssue(("tiers",), f"expected unique tier names, got {names}")
        return self


class Intake(BaseModel):
    """Intake screening: a noisy risk score and a threshold on it.

    The score of a referral is its percentile among referrals of its type, so a
    threshold of 0.4 screens out about 40% of them. ``auc`` is the score's AUC
    against latent membership of ``high_risk_tiers`` (default: the top tier).
    """

    model_config = _STRICT
    auc: Annotated[float, Field(ge=0.5, le=0.999)] = 0.68
    high_risk_tiers: Annotated[list[Name], Field(min_length=1)] | None = None
    threshold: Probability | dict[Name, Probability] = 0.0


# --------------------------------------------------------------------------- capacity


class Caps(BaseModel):
    """Caseload caps per worker and what happens when every worker is full.

    ``overflow``: ``wait`` (the case waits for a free slot), ``over_cap`` (it is
    assigned to the least-loaded worker anyway, and the breach is counted) or
    ``external`` (it is sent to an external provider at ``external_cost_per_case``;
    the provider catches a signal with ``external_detection_probability``).
    """

    model_config = _STRICT
    count: PositiveInt | None = None
    weighted: PositiveFloat | None = None
    overflow: Literal["wait", "over_cap", "external"] = "wait"
    external_cost_per_case: NonNegativeFloat = 0.0
    external_detection_probability: Probability = 0.0


class Workforce(BaseModel):
    """Staff by role and their hours.

    Give headcounts here, or a ``budget`` with a staffing mix (then leave
    ``caseworkers``, ``supervisors`` and ``support_staff`` out: they are funded).
    Caseworkers carry cases; supervisors cover ``supervision.span`` caseworkers
    each; support staff absorb the delegable share of case work.
    """

    model_config = _STRICT
    caseworkers: PositiveInt | None = None
    supervisors: NonNegativeInt | None = None
    support_staff: NonNegativeInt | None = None
    hours_per_day: Annotated[float, Field(gt=0, le=24)]
    support_hours_per_day: Annotated[float, Field(gt=0, le=24)] | None = None
    working_days_per_week: Annotated[int, Field(ge=1, le=7)] = 5
    overtime_hours_per_day: Annotated[float, Field(ge=0, le=12)] = 0.0


class Supervision(BaseModel):
    """Span of control, and what a supervisor short of a full span costs.

    Coverage is ``supervisors * span / caseworkers in post`` (at most 1); below
    full coverage the detection probability of every contact is multiplied by
    ``1 - detection_penalty * (1 - coverage)`` and strain rises faster by the
    factor ``1 + strain_penalty * (1 - coverage)``.
    """

    model_config = _STRICT
    span: PositiveInt = 5
    detection_penalty: Probability = 0.2
    strain_penalty: NonNegativeFloat = 0.5


class Support(BaseModel):
    """Support staff (paralegals, aides): the share of case work they can take."""

    model_config = _STRICT
    delegable_share: Annotated[float, Field(ge=0, lt=1)] = 0.3


class Strain(BaseModel):
    """Strain and burnout per worker (see docs/workforce.md for the functional forms).

    Strain ``s`` (0 = rested; ``burnout_threshold`` = burned out; at most
    ``max_strain``) rises each working day by ``rise_per_day * (pressure - 1)``
    while the work asked exceeds the hours (pressure > 1) and falls by the share
    ``recovery_per_day`` otherwise (and on days off). Pressure is the day's new
    work plus the overdue work spread over ``catch_up_days``, over the hours
    available. A harm on the worker's caseload adds ``trauma_jump``. With
    ``x = s / burnout_threshold`` (capped at 1.5): hours are multiplied by
    ``1 - productivity_loss * min(x, 1)``, detection by ``1 - detection_loss *
    min(x, 1)``, the daily chance of absence is ``absence_base + (absence_at_burnout
    - absence_base) * min(x, 1)``, and the quit hazard by
    ``quit_multiplier_at_burnout ** x``.
    """

    model_config = _STRICT
    enabled: bool = True
    rise_per_day: NonNegativeFloat = 0.05
    recovery_per_day: Probability = 0.03
    trauma_jump: NonNegativeFloat = 0.1
    burnout_threshold: PositiveFloat = 1.0
    max_strain: PositiveFloat = 2.0
    catch_up_days: PositiveFloat = 5.0
    productivity_loss: Probability = 0.25
    detection_loss: Probability = 0.25
    absence_base: Probability = 0.02
    absence_at_burnout: Probability = 0.08
    quit_multiplier_at_burnout: Annotated[float, Field(ge=1, le=50)] = 3.0

    @model_validator(mode="after")
    def _levels(self) -> Strain:
        if self.max_strain < self.burnout_threshold:
            raise FieldIssue(
                ("max_strain",),
                f"expected at least burnout_threshold ({self.burnout_threshold:g}), "
                f"got {self.max_strain:g}",
            )
        if self.absence_at_burnout < self.absence_base:
            raise FieldIssue(
                ("absence_at_burnout",),
                f"expected at least absence_base ({self.absence_base:g}), "
                f"got {self.absence_at_burnout:g}",
            )
        return self


class Turnover(BaseModel):
    """Caseworkers leaving, and what happens to their cases.

    ``annual_rate`` is separations per caseworker-year in post without strain
    (the usual turnover rate: leavers / average headcount). A leaver's cases go
    to colleagues with room (each costing ``transfer_hours`` of extra case work,
    and with detection multiplied by ``continuity_detection`` for
    ``continuity_days``) or back to the waiting list.
    """

    model_config = _STRICT
    annual_rate: Annotated[float, Field(ge=0, le=5)] = 0.0
    transfer_hours: NonNegativeFloat = 2.0
    continuity_days: NonNegativeFloat = 30.0
    continuity_detection: Probability = 0.8


class FreezeWindow(BaseModel):
    """No new hire starts between ``start_day`` and ``end_day``."""

    model_config = _STRICT
    start_day: NonNegativeFloat
    end_day: PositiveFloat

    @model_validator(mode="after")
    def _ordered(self) -> FreezeWindow:
        if self.start_day >= self.end_day:
            raise FieldIssue(
                ("end_day",), f"expected end_day > start_day ({self.start_day}), got {self.end_day}"
            )
        return self


class Hiring(BaseModel):
    """Filling a vacancy: the lag, training, a graduated caseload, experience.

    A vacancy is filled after a ``lag`` (drawn per vacancy); the new hire trains
    for ``training_days`` with no cases, then carries a cap rising linearly from
    ``ramp_start_share`` of the full cap to the full cap over ``ramp_days``.
    Productivity (hours) and detection rise linearly from ``novice_productivity``
    and ``novice_detection`` to full over ``experience_days`` of tenure.
    ``freeze`` stops hiring for the whole run, ``freeze_window`` for a period.
    A share ``agency_cover_share`` of vacancies is covered by an agency (temporary)
    caseworker who starts after ``agency_lag`` and leaves when the permanent hire starts.
    """

    model_config = _STRICT
    lag: Duration = Fixed(distribution="fixed", value=60.0)
    training_days: NonNegativeFloat = 30.0
    ramp_days: NonNegativeFloat = 180.0
    ramp_start_share: Probability = 0.3
    experience_days: NonNegativeFloat = 365.0
    novice_productivity: Annotated[float, Field(gt=0, le=1)] = 0.7
    novice_detection: Annotated[float, Field(gt=0, le=1)] = 0.8
    initial_tenure_days: NonNegativeFloat = 1095.0
    freeze: bool = False
    freeze_window: FreezeWindow | None = None
    agency_cover_share: Probability = 0.0
    agency_lag: Duration = Fixed(distribution="fixed", value=14.0)


class Budget(BaseModel):
    """Money: the yearly budget (optional), cost per FTE by role, and other costs.

    With ``per_year`` and ``mix`` (budget shares by role, summing to 1) the
    funded positions are ``floor(per_year * share / cost of the role)``.
    """

    model_config = _STRICT
    per_year: PositiveFloat | None = None
    mix: dict[Literal["caseworker", "supervisor", "support"], Probability] | None = None
    caseworker_cost: NonNegativeFloat = 0.0
    supervisor_cost: NonNegativeFloat = 0.0
    support_cost: NonNegativeFloat = 0.0
    overtime_premium: Annotated[float, Field(ge=1, le=5)] = 1.5
    hiring_cost: NonNegativeFloat = 0.0
    training_cost: NonNegativeFloat = 0.0
    agency_cost: NonNegativeFloat = 0.0
    """Yearly cost of an agency caseworker covering a vacancy."""

    @model_validator(mode="after")
    def _mix(self) -> Budget:
        if (self.per_year is None) != (self.mix is None):
            raise FieldIssue(("mix",), "expected per_year and mix together (or neither)")
        if self.mix is not None:
            total = sum(self.mix.values())
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise FieldIssue(("mix",), f"expected shares summing to 1, got {total:g}")
            for role, share in self.mix.items():
                if share > 0 and getattr(self, f"{role}_cost") <= 0:
                    raise FieldIssue(
                        (f"{role}_cost",),
                        f"expected a cost > 0 for a role with budget share {share:g}",
                    )
        return self


class Gatekeeping(BaseModel):
    """Adaptive gatekeeping: intake tightens while caseloads stay high.

    When the mean caseload of caseworkers in post stays above ``trigger_caseload``
    for ``persistence_days`` days in a row, every screening threshold rises by
    ``step`` (up to ``max_threshold``); when it stays below ``release_caseload``
    as long, the thresholds fall back by ``step`` (never below the scenario's).
    """

    model_config = _STRICT
    enabled: bool = True
    trigger_caseload: PositiveFloat
    release_caseload: NonNegativeFloat
    step: Annotated[float, Field(gt=0, le=1)] = 0.05
    max_threshold: Probability = 0.9
    persistence_days: PositiveInt = 14

    @model_validator(mode="after")
    def _levels(self) -> Gatekeeping:
        if self.release_caseload > self.trigger_caseload:
            raise FieldIssue(
                ("release_caseload",),
                f"expected at most trigger_caseload ({self.trigger_caseload:g}), "
                f"got {self.release_caseload:g}",
            )
        return self


class Scandal(BaseModel):
    """Scandal response: a missed harm on a high-risk subject becomes public.

    Each harm to a subject in a high-risk tier becomes public with
    ``publicity_probability``; then for ``duration_days`` every screening
    threshold is lowered by ``threshold_drop`` and referrals of every type
    arrive at ``surge_multiplier`` times their rate.
    """

    model_config = _STRICT
    enabled: bool = True
    publicity_probability: Probability = 0.05
    threshold_drop: Probability = 0.2
    surge_multiplier: Annotated[float, Field(ge=1, le=10)] = 1.3
    duration_days: PositiveFloat = 365.0


class Policies(BaseModel):
    """Feedback policies; each is off unless its block is present and enabled."""

    model_config = _STRICT
    gatekeeping: Gatekeeping | None = None
    scandal: Scandal | None = None


class InitialState(BaseModel):
    """Start from an existing office instead of an empty one."""

    model_config = _STRICT
    open_cases_per_worker: NonNegativeInt = 0
    waiting: NonNegativeInt = 0


# --------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Staffing:
    """Positions by role."""

    caseworkers: int
    supervisors: int
    support_staff: int


class Scenario(BaseModel):
    """A complete, validated scenario. Build it with :func:`load_scenario` or directly."""

    model_config = _STRICT
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
    strain: Strain | None = None
    turnover: Turnover = Turnover()
    hiring: Hiring = Hiring()
    budget: Budget = Budget()
    policies: Policies = Policies()
    triage: Literal["risk_first", "deadline_first", "new_cases_first", "fifo"] = "deadline_first"
    initial_state: InitialState | None = None

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        self._check_staffing()
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
            _check_keys(case_type.risk_mix, tiers, (*where, "risk_mix"), "tier", every=False)
            if case_type.first_contact is not None:
                _check_per_tier(
                    case_type.first_contact.deadline_days,
                    tiers,
                    (*where, "first_contact", "deadline_days"),
                )
            if isinstance(case_type.weight, dict):
                _check_per_tier(case_type.weight, tiers, (*where, "weight"))
            standard = case_type.standard
            if standard is not None and isinstance(standard.open_cases, dict):
                _check_per_tier(standard.open_cases, tiers, (*where, "standard", "open_cases"))
            if case_type.contacts is not None:
                for field in ("every_days", "hours"):
                    _check_per_tier(
                        getattr(case_type.contacts, field), tiers, (*where, "contacts", field)
                    )
        if isinstance(self.intake.threshold, dict):
            _check_keys(self.intake.threshold, type_names, ("intake", "threshold"), "case type")
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


def _check_keys(
    mapping: Mapping[str, Any],
    allowed: Sequence[str],
    path: Sequence[str | int],
    what: str,
    *,
    every: bool = True,
) -> None:
    unknown = [key for key in mapping if key not in allowed]
    if unknown:
        raise FieldIssue((*path, unknown[0]), f"unknown {what}; expected one of {list(allowed)}")
    missing = [key for key in allowed if key not in mapping]
    if every and missing:
        raise FieldIssue(path, f"expected a value for every {what}; missing {missing}")


def _check_per_tier(value: Any, tiers: Sequence[str], path: Sequence[str | int]) -> None:
    if isinstance(value, Mapping):
        _check_keys(value, tiers, path, "tier")


# --------------------------------------------------------------------------- loading


MAX_VALUES = 1_000_000
"""Files whose values, with YAML aliases expanded, number more than this are refused."""


def _expanded_size(value: Any, limit: int) -> int:
    """How many values ``value`` holds once aliases (shared references) are expanded.

    Stops counting past ``limit``, so an alias bomb (the "billion laughs") is
    measured in a moment and never handed to validation.
    """
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(node)] = total
        return total

    return size(value)


MAX_FILE_BYTES = 5_000_000
"""Scenario and sweep files larger than this are refused before parsing."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (PyYAML keeps the last,
    so a colleague's file with ``caseworkers:`` twice would silently run the second)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<: *anchor``, which the safe loader merges itself
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the safe loader's own check refuses it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with the safe loader, turning every failure into a ScenarioError."""
    source = str(path)
    file = Path(path)
    if not file.exists():
        raise ScenarioError(source, None, "file not found")
    if not file.is_file():
        raise ScenarioError(source, None, "expected a YAML file, got a directory or special file")
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                source, None, f"file too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})"
            )
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            source, None, f"expected UTF-8 text, got invalid bytes at offset {exc.start}"
        ) from None
    except OSError as exc:
        raise ScenarioError(source, None, f"cannot read file: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: never arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(source, None, f"YAML syntax error at {where}{exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, None, f"YAML error: {exc}") from None
    except RecursionError:
        raise ScenarioError(source, None, "YAML nested too deeply") from None
    try:
        values = _expanded_size(data, MAX_VALUES)
    except RecursionError:
        raise ScenarioError(source, None, "YAML nested too deeply") from None
    if values > MAX_VALUES:
        raise ScenarioError(
            source, None, f"YAML aliases expand to more than {MAX_VALUES:,} values (an alias bomb?)"
        )
    return data


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file.
    overrides
        Optional ``{"dotted.path": value}`` changes applied before validation,
        e.g. ``{"workforce.caseworkers": 12, "intake.threshold": 0.5}``.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the field and what was expected.
    """
    data = load_yaml(path)
    if overrides:
        data = _override(data, overrides, str(path))
    return validate_scenario(data, str(path))


def validate_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise ScenarioError(source, None, f"expected a mapping of scenario fields, got {kind}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _as_scenario_error(exc, source, data) from None
    except RecursionError:
        raise ScenarioError(source, None, "structure nested too deeply") from None


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """Return a copy of ``scenario`` with ``{"dotted.path": value}`` changes, re-validated."""
    data = _override(scenario.model_dump(mode="python"), overrides, scenario.name)
    return validate_scenario(data, f"{scenario.name} (with overrides)")


def _override(data: Any, overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        return data
    result = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = result
        for depth, part in enumerate(parts[:-1]):
            key: Any = int(part) if isinstance(node, list) and part.isdecimal() else part
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                node = None
            if not isinstance(node, dict | list):
                where = ".".join(parts[: depth + 1])
                raise ScenarioError(
                    source, dotted, f"no such field in the scenario ({where!r} is not a section)"
                )
        last: Any = (
            int(parts[-1]) if isinstance(node, list) and parts[-1].isdecimal() else parts[-1]
        )
        if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
            where = ".".join(parts[:-1])
            raise ScenarioError(
                source, dotted, f"no such item in the scenario ({where!r} is a list of {len(node)})"
            )
        node[last] = value
    return result


def _as_scenario_error(exc: ValidationError, source: str, data: Any = None) -> ScenarioError:
    errors = exc.errors(include_url=False)
    # A field that accepts "a number or a mapping" fails once per alternative: report
    # the alternative that matches what the file gave.
    relevant = [error for error in errors if _matches_input(error["loc"], data)] or errors
    first = relevant[0]
    loc: tuple[Any, ...] = tuple(first["loc"])
    issue = (first.get("ctx") or {}).get("error")
    if isinstance(issue, FieldIssue):
        loc, message = loc + issue.path, issue.message
    else:
        message = _describe(first)
    loc = _strip_tags(loc)
    others = len(relevant) - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return ScenarioError(source, _format_path(loc) or None, message)


_UNION_TAG = re.compile(
    r"^(constrained-(float|int|str)|(dict|list|function-\w+|is-instance)\[.*\]|float|int|str|bool)$"
)
_DISTRIBUTIONS = {"fixed", "exponential", "lognormal", "gamma", "uniform", "triangular"}
_DURATION_FIELDS = {"duration", "lag", "agency_lag"}


def _is_tag(loc: tuple[Any, ...], i: int) -> bool:
    part = loc[i]
    if not isinstance(part, str):
        return False
    if i > 0 and loc[i - 1] in _DURATION_FIELDS and part in _DISTRIBUTIONS:
        return True
    if part == "[key]":  # pydantic's marker for a mapping key that failed
        return True
    return bool(_UNION_TAG.match(part))


def _strip_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(part for i, part in enumerate(loc) if not _is_tag(loc, i))


def _matches_input(loc: Sequence[Any], data: Any) -> bool:
    """Whether an error from one alternative of a union is about the kind of value given."""
    node = data
    for i, part in enumerate(loc):
        if _is_tag(tuple(loc), i) and isinstance(part, str) and _UNION_TAG.match(part):
            return part.startswith("dict[") == isinstance(node, Mapping)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return True
    return True


_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _short(error.get("input"))
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "too_short":
        return f"expected at least {ctx['min_length']} item(s), got {ctx['actual_length']}"
    if kind == "too_long":
        return f"expected at most {ctx['max_length']} item(s), got {ctx['actual_length']}"
    if kind == "union_tag_invalid":
        return (
            f"unknown {ctx['discriminator']} {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
        )
    if kind == "union_tag_not_found":
        return f"expected a {ctx['discriminator']} key"
    if kind == "string_pattern_mismatch":
        return f"expected a name of letters, digits, '_' or '-' starting with a letter, got {got}"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    message = message[0].lower() + message[1:] if message else message
    if kind in _BOUNDS:
        message = f"a value {message}"
    if not message.startswith("expected"):
        message = f"expected {message}"
    return message if "got " in message else f"{message}, got {got}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
