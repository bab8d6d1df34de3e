"""Strain and burnout: how overload wears a worker down, and what that costs.

The functional forms, with ``x = strain / burnout_threshold`` capped at 1.5:

=================  ==================================================================
strain update      working day with pressure ``p`` above 1:
                   ``s += rise_per_day * (p - 1) * supervision_factor``, at most
                   ``max_strain``; ``p = (new work per working day + overdue
                   work / catch_up_days) / hours available``;
                   otherwise, and on every day off: ``s -= recovery_per_day * s``;
                   a harm on the worker's caseload: ``s += trauma_jump``
hours              ``* (1 - productivity_loss * min(x, 1))``
detection          ``* (1 - detection_loss * min(x, 1))``
absence            daily probability ``base + (at_burnout - base) * min(x, 1)``
quit hazard        ``* quit_multiplier_at_burnout ** x``
burned out         ``s >= burnout_threshold``
=================  ==================================================================

docs/workforce.md gives the parameters' meaning, defaults and sources.
:class:`NoStrain` is the same interface with every effect off.
"""

from __future__ import annotations

from ..scenario import Strain

__all__ = ["NoStrain", "StrainModel"]

_X_CAP = 1.5


class StrainModel:
    """The strain dynamics and effects of one scenario."""

    enabled = True

    def __init__(self, spec: Strain) -> None:
        self.spec = spec
        self._threshold = spec.burnout_threshold

    def level(self, strain: float) -> float:
        """Strain relative to the burnout threshold, capped."""
        return min(strain / self._threshold, _X_CAP)

    def pressure(self, new_per_day: float, backlog: float, hours: float) -> float:
        """Work asked of a working day over the hours available."""
        return (new_per_day + backlog / self.spec.catch_up_days) / hours

    def after_working_day(self, strain: float, pressure: float, supervision_factor: float) -> float:
        spec = self.spec
        if pressure > 1.0:
            rise = spec.rise_per_day * (pressure - 1.0) * supervision_factor
            return min(strain + rise, spec.max_strain)
        return strain * (1.0 - spec.recovery_per_day)

    def after_day_off(self, strain: float) -> float:
        return strain * (1.0 - self.spec.recovery_per_day)

    def after_harm(self, strain: float) -> float:
        return min(strain + self.spec.trauma_jump, self.spec.max_strain)

    def burned_out(self, strain: float) -> bool:
        return strain >= self._threshold

    def hours_factor(self, strain: float) -> float:
        return 1.0 - self.spec.productivity_loss * min(self.level(strain), 1.0)

    def detection_factor(self, strain: float) -> float:
        return 1.0 - self.spec.detection_loss * min(self.level(strain), 1.0)

    def absence_probability(self, strain: float) -> float:
        spec = self.spec
        return spec.absence_base + (spec.absence_at_burnout - spec.absence_base) * min(
            self.level(strain), 1.0
        )

    def quit_multiplier(self, strain: float) -> float:
        return self.spec.quit_multiplier_at_burnout ** self.level(strain)


class NoStrain(StrainModel):
    """Strain effects off: strain stays 0, no absence, hours and hazards unchanged."""

    enabled = False

    def __init__(self) -> None:
        self.spec = None
        self._threshold = 1.0

    def pressure(self, new_per_day: float, backlog: float, hours: float) -> float:
        return 0.0

    def after_working_day(self, strain: float, pressure: float, supervision_factor: float) -> float:
        return 0.0

    def after_day_off(self, strain: float) -> float:
        return 0.0

    def after_harm(self, strain: float) -> float:
        return 0.0

    def hours_factor(self, strain: float) -> float:
        return 1.0

    def detection_factor(self, strain: float) -> float:
        return 1.0

    def absence_probability(self, strain: float) -> float:
        return 0.0

    def quit_multiplier(self, strain: float) -> float:
        return 1.0


def strain_model(spec: Strain | None) -> StrainModel:
    """The strain model of a scenario's ``strain`` block (off when absent or disabled)."""
    return StrainModel(spec) if spec is not None and spec.enabled else NoStrain()
