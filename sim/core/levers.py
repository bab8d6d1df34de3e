"""The levers a budget buys, as the factors the parts of the office apply.

The scenario's ``levers`` block (:mod:`sim.scenario.levers`) is read once into
:class:`LeverEffects`: plain multipliers that the working days and careers apply where they
already pass factors into the strain and quit models, so that the levers work whatever the
functional forms of :mod:`.strain` are:

=====================  ====================================================================
wellbeing support      the strain rise factor (beside supervision's) times ``strain_rise``;
                       every fall of strain ``1 + recovery`` times as large; the daily quit
                       hazard times ``quit``
retention pay          the base quit hazard times ``base_quit``
faster hiring          every hiring lag times ``hiring_lag``
=====================  ====================================================================

With a lever off, its factor is exactly 1 (or its boost exactly 0) and the parts skip it, so
a scenario without levers computes exactly what it did before they existed. Rebalancing is a
part of its own (:mod:`.rebalancing`); the costs are in :mod:`.costs`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import Scenario

__all__ = ["LeverEffects"]


@dataclass(frozen=True)
class LeverEffects:
    """The multipliers of a scenario's levers (1, or a boost of 0, when a lever is off)."""

    strain_rise: float = 1.0
    """Multiplies the rise of strain on an overloaded working day."""
    recovery: float = 0.0
    """A fall of strain is ``1 + recovery`` times as large (never below 0)."""
    quit: float = 1.0
    """Multiplies the daily quit hazard (wellbeing support)."""
    base_quit: float = 1.0
    """Multiplies the base quit hazard (retention pay)."""
    hiring_lag: float = 1.0
    """Multiplies every hiring lag drawn (a faster pipeline)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> LeverEffects:
        levers = scenario.levers
        effects: dict[str, float] = {}
        wellbeing = levers.wellbeing
        if wellbeing is not None and wellbeing.level > 0:
            level = wellbeing.level
            effects["strain_rise"] = 1.0 - wellbeing.strain_rise_cut * level
            effects["recovery"] = wellbeing.recovery_boost * level
            effects["quit"] = 1.0 - wellbeing.quit_cut * level
        pay = levers.retention_pay
        if pay is not None and pay.level > 0:
            effects["base_quit"] = 1.0 - pay.quit_cut * pay.level
        hiring = levers.faster_hiring
        if hiring is not None and hiring.level > 0:
            effects["hiring_lag"] = 1.0 - hiring.lag_cut * hiring.level
        return cls(**effects)

    def recovered(self, before: float, after: float) -> float:
        """Strain after a day whose own dynamics took it from ``before`` to ``after``: a
        fall is ``1 + recovery`` times as large (never below 0); a rise is left alone."""
        if self.recovery and after < before:
            after -= self.recovery * (before - after)
            return after if after > 0.0 else 0.0
        return after
