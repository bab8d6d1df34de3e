"""Feedback policies (adaptive gatekeeping, scandal response) and the initial state.

Each policy is off unless its block is present and enabled; an initial state starts the
run from an existing office instead of an empty one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from .fields import (
    STRICT,
    FieldIssue,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Probability,
)

__all__ = ["Gatekeeping", "InitialState", "Policies", "Scandal"]


class Gatekeeping(BaseModel):
    """Adaptive gatekeeping: intake tightens while caseloads stay high.

    When the mean caseload of caseworkers in post stays above ``trigger_caseload``
    for ``persistence_days`` days in a row, every screening threshold rises by
    ``step`` (up to ``max_threshold``); when it stays below ``release_caseload``
    as long, the thresholds fall back by ``step`` (never below the scenario's).
    """

    model_config = STRICT
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

    model_config = STRICT
    enabled: bool = True
    publicity_probability: Probability = 0.05
    threshold_drop: Probability = 0.2
    surge_multiplier: Annotated[float, Field(ge=1, le=10)] = 1.3
    duration_days: PositiveFloat = 365.0


class Policies(BaseModel):
    """Feedback policies; each is off unless its block is present and enabled."""

    model_config = STRICT
    gatekeeping: Gatekeeping | None = None
    scandal: Scandal | None = None


class InitialState(BaseModel):
    """Start from an existing office instead of an empty one."""

    model_config = STRICT
    open_cases_per_worker: NonNegativeInt = 0
    waiting: NonNegativeInt = 0
