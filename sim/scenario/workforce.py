"""Capacity and the workforce: caps and overflow, roles and hours, supervision, support
staff, strain, turnover, hiring and the budget (every form and default in
docs/workforce.md).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from .distributions import Duration, Fixed
from .fields import (
    STRICT,
    FieldIssue,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Probability,
)

__all__ = [
    "Budget",
    "Caps",
    "FreezeWindow",
    "Hiring",
    "Strain",
    "Supervision",
    "Support",
    "Technology",
    "Turnover",
    "Workforce",
]


class Caps(BaseModel):
    """Caseload caps per worker and what happens when every worker is full.

    ``overflow``: ``wait`` (the case waits for a free slot), ``over_cap`` (it is
    assigned to the least-loaded worker anyway, and the breach is counted) or
    ``external`` (it is sent to an external provider at ``external_cost_per_case``;
    the provider catches a signal with ``external_detection_probability``).
    """

    model_config = STRICT
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

    model_config = STRICT
    caseworkers: PositiveInt | None = None
    supervisors: NonNegativeInt | None = None
    support_staff: NonNegativeInt | None = None
    hours_per_day: Annotated[float, Field(gt=0, le=24)]
    support_hours_per_day: Annotated[float, Field(gt=0, le=24)] | None = None
    working_days_per_week: Annotated[int, Field(ge=1, le=7)] = 5
    overtime_hours_per_day: Annotated[float, Field(ge=0, le=12)] = 0.0
    non_case_share: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Share of each caseworker's hours that goes to administration, documentation,
    training and meetings rather than to cases (time studies: docs/workforce.md)."""


class Supervision(BaseModel):
    """Span of control, and what a supervisor short of a full span costs.

    Coverage is ``supervisors * span / caseworkers in post`` (at most 1); below
    full coverage the detection probability of every contact is multiplied by
    ``1 - detection_penalty * (1 - coverage)`` and strain rises faster by the
    factor ``1 + strain_penalty * (1 - coverage)``.
    """

    model_config = STRICT
    span: PositiveInt = 5
    detection_penalty: Probability = 0.2
    strain_penalty: NonNegativeFloat = 0.5


class Support(BaseModel):
    """Support staff (paralegals, aides): the share of case work they can take."""

    model_config = STRICT
    delegable_share: Annotated[float, Field(ge=0, lt=1)] = 0.3


class Technology(BaseModel):
    """A lever that buys hours: technology or administrative support that cuts the
    non-case share of every caseworker's hours by the share ``non_case_cut``, at
    ``cost_per_worker_year`` for each caseworker position. Bought in part (``level`` below
    1), the cut and the cost scale with the level."""

    model_config = STRICT
    non_case_cut: Probability
    cost_per_worker_year: NonNegativeFloat = 0.0
    level: Probability = 1.0


class Strain(BaseModel):
    """Strain and burnout per worker (see docs/workforce.md for the functional forms).

    Strain ``s`` (0 = rested; at most ``max_strain``) moves each working day toward the
    day's pressure ``p``: up by ``rise_per_day * (p - s)`` when the pressure is above
    it, down by ``recovery_per_day * (s - p)`` when below; on days off it falls by
    the share ``recovery_per_day``. Pressure is the day's new work plus the overdue
    work spread over ``catch_up_days``, over the hours available. A harm on the
    worker's caseload adds ``trauma_jump``. Workers' tolerances are lognormal around
    ``burnout_threshold`` with log-sd ``tolerance_spread``, so a share
    ``b(s) = Phi(ln(s / burnout_threshold) / tolerance_spread)`` of a workforce at
    strain ``s`` is burned out; hours are multiplied by ``1 - productivity_loss *
    b(s)``, detection by ``1 - detection_loss * b(s)``, the daily chance of absence
    is ``absence_base + (absence_at_burnout - absence_base) * b(s)``, and the quit
    hazard by ``1 + (quit_multiplier_at_burnout - 1) * b(s)``.
    """

    model_config = STRICT
    enabled: bool = True
    rise_per_day: NonNegativeFloat = 0.05
    recovery_per_day: Probability = 0.03
    trauma_jump: NonNegativeFloat = 0.1
    burnout_threshold: PositiveFloat = 1.0
    tolerance_spread: PositiveFloat = 1.0
    max_strain: PositiveFloat = 2.0
    catch_up_days: PositiveFloat = 5.0
    productivity_loss: Probability = 0.25
    detection_loss: Probability = 0.25
    absence_base: Probability = 0.02
    absence_at_burnout: Probability = 0.08
    quit_multiplier_at_burnout: Annotated[float, Field(ge=1, le=50)] = 3.0

    @model_validator(mode="after")
    def _levels(self) -> Strain:
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

    model_config = STRICT
    annual_rate: Annotated[float, Field(ge=0, le=5)] = 0.0
    transfer_hours: NonNegativeFloat = 2.0
    continuity_days: NonNegativeFloat = 30.0
    continuity_detection: Probability = 0.8


class FreezeWindow(BaseModel):
    """No new hire starts between ``start_day`` and ``end_day``."""

    model_config = STRICT
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
    Recruitment goes in rounds of one ``lag`` each, and a round fills the post with
    ``fill_probability`` (a hard-to-fill post is advertised again until a round does).
    A share ``agency_cover_share`` of vacancies is covered by an agency (temporary)
    caseworker who starts after ``agency_lag`` and leaves when the permanent hire starts.
    """

    model_config = STRICT
    lag: Duration = Fixed(distribution="fixed", value=60.0)
    fill_probability: Annotated[float, Field(gt=0, le=1)] = 1.0
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

    model_config = STRICT
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
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    """The ISO 4217 code of every amount (``USD``, ``GBP``, ``EUR``): how money is labelled
    in tables, plots and reports. A label only: nothing is converted."""

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
