"""Risk tiers, risk signals and intake screening.

Latent risk tiers make risk signals at a rate per year over a risk window after the
referral; a signal becomes harm after the detection window unless a contact detects it.
Intake screening reads a score whose AUC against latent high risk is ``auc``, and screens
out referrals below ``threshold`` (a percentile, so the share screened out).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from .fields import (
    STRICT,
    FieldIssue,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    Probability,
)

__all__ = ["Intake", "Risk", "RiskTier"]


class RiskTier(BaseModel):
    """A latent risk tier and how often it produces risk signals."""

    model_config = STRICT
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

    model_config = STRICT
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

    model_config = STRICT
    auc: Annotated[float, Field(ge=0.5, le=0.999)] = 0.68
    high_risk_tiers: Annotated[list[Name], Field(min_length=1)] | None = None
    threshold: Probability | dict[Name, Probability] = 0.0
