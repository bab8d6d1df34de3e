"""Case types compiled for the simulation: per-tier tables and the screening tool.

The scenario says things the way people write them (a number or a mapping per
tier, signals per year); a :class:`CaseProfile` holds the same facts the way the
model reads them on every referral (tuples indexed by tier, rates per day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import CaseType, Scenario
from ..scenario.distributions import Duration
from .randomness import stable_key
from .screening import ScreeningTool, separation_for_auc

__all__ = ["CaseProfile", "PathwayRule", "build_profiles"]

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class PathwayRule:
    """A compiled pathway: open a case of type ``target`` at closure with ``probability[tier]``
    (or ``if_caught`` when a signal was caught during the case)."""

    target: int
    probability: tuple[float, ...]
    if_caught: float | None


@dataclass(frozen=True, eq=False)
class CaseProfile:
    """Everything the model needs to know about one case type."""

    index: int
    name: str
    key: int
    spec: CaseType
    mix: np.ndarray
    complexity_shares: np.ndarray
    duration: Duration
    work_hours: float
    weights: tuple[float, ...]
    """Weight under the weighted cap, by assessed tier."""
    case_weights: tuple[tuple[float, ...], ...]
    """A case's weight by assessed tier and complexity level: ``weights`` x multiplier."""
    case_work_hours: tuple[float, ...]
    """A case's work in hours by complexity level: ``work_hours`` x multiplier."""
    risk_window: float
    signal_rates: np.ndarray
    """Risk signals per day while in the risk window, by latent tier."""
    first_contact_deadline: tuple[float, ...] | None
    first_contact_hours: float
    contact_every: tuple[float, ...] | None
    contact_hours: tuple[float, ...]
    screening: ScreeningTool
    threshold: float
    closes_on_schedule: bool = False
    service_effect: float = 0.0
    """The relative cut of the signal rate at full dose (0 without evidence-based service)."""
    provides_services: bool = False
    """The type is a service case (it has a ``service`` block), effective or not."""
    pathways: tuple[PathwayRule, ...] = ()
    reassess_every: float | None = None
    thinned: bool = False
    """Some case type of the scenario has a service effect: every candidate signal of this
    type's subjects carries a uniform for its prevention (the subject may be served by a
    case of another type, through a pathway)."""

    @property
    def rate_per_year(self) -> float:
        return self.spec.arrivals.rate_per_year


def build_profiles(scenario: Scenario) -> list[CaseProfile]:
    """Compile every case type of ``scenario``, in the order of the file."""
    high = [name in scenario.high_risk_tiers for name in scenario.tier_names]
    mixes = [np.asarray(scenario.risk_mix(ct)) for ct in scenario.case_types]
    rates = np.array([ct.arrivals.rate_per_year for ct in scenario.case_types])
    pooled = (rates[:, None] * np.vstack(mixes)).sum(axis=0) / rates.sum()
    pooled_separation = separation_for_auc(scenario.intake.auc, pooled, high)
    signal_rates = np.array([tier.signals_per_year for tier in scenario.risk.tiers]) / DAYS_PER_YEAR

    names = [ct.name for ct in scenario.case_types]
    thinned = any(_effect(spec) > 0 for spec in scenario.case_types)
    profiles = []
    for index, (spec, mix) in enumerate(zip(scenario.case_types, mixes, strict=True)):
        has_both = mix[np.array(high)].sum() > 0 and mix[~np.array(high)].sum() > 0
        separation = (
            separation_for_auc(scenario.intake.auc, mix, high) if has_both else pooled_separation
        )
        first, contacts = spec.first_contact, spec.contacts
        weights = scenario.per_tier(spec.weight)
        levels = spec.complexity
        profiles.append(
            CaseProfile(
                index=index,
                name=spec.name,
                key=stable_key(spec.name),
                spec=spec,
                mix=mix,
                complexity_shares=np.array([level.share for level in spec.complexity]),
                duration=spec.duration,
                work_hours=spec.work_hours,
                weights=weights,
                case_weights=tuple(
                    tuple(weight * level.weight_multiplier for level in levels)
                    for weight in weights
                ),
                case_work_hours=tuple(spec.work_hours * level.work_multiplier for level in levels),
                risk_window=spec.risk_window_days or scenario.risk.window_days,
                signal_rates=signal_rates,
                first_contact_deadline=scenario.per_tier(first.deadline_days) if first else None,
                first_contact_hours=first.hours if first else 0.0,
                contact_every=scenario.per_tier(contacts.every_days) if contacts else None,
                contact_hours=scenario.per_tier(contacts.hours) if contacts else (),
                screening=ScreeningTool(mix, separation),
                threshold=scenario.threshold_for(spec.name),
                closes_on_schedule=spec.closes_on_schedule,
                service_effect=_effect(spec),
                provides_services=spec.service is not None,
                pathways=tuple(
                    PathwayRule(
                        names.index(pathway.to),
                        scenario.per_tier(pathway.probability),
                        pathway.if_caught,
                    )
                    for pathway in spec.pathways
                ),
                reassess_every=spec.reassessment.every_days if spec.reassessment else None,
                thinned=thinned,
            )
        )
    return profiles


def _effect(spec: CaseType) -> float:
    """The service effect in force: nil without a service block or without evidence-based
    practice."""
    service = spec.service
    return service.effect if service is not None and service.evidence_based else 0.0
