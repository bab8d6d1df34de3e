"""Strain and burnout: how load wears a worker down, and what that costs.

Strain ``s`` follows the work asked of a worker: on each working day it moves toward the
day's **pressure** ``p`` (work asked over the hours available), quickly when the pressure
is above it and slowly when below; days off let it fall toward 0. **Burnout** is not a
line that every worker crosses at the same strain: workers differ in how much they can
take. Each worker's tolerance is lognormal around ``burnout_threshold`` with log-sd
``tolerance_spread``, so at strain ``s`` a share

    b(s) = Phi(ln(s / burnout_threshold) / tolerance_spread)

of a workforce is burned out (0 at rest, one half at the threshold, rising smoothly).
Nobody knows a worker's tolerance, so a worker at strain ``s`` counts as burned out with
weight ``b(s)``, and the effects of burnout apply in that proportion: the expected effect
over the workforce's tolerances.

=================  ==================================================================
pressure           ``p = (new work per working day + overdue work / catch_up_days)
                   / hours available``
working day        ``s += rise_per_day * (p - s) * supervision_factor`` if ``p > s``,
                   else ``s -= recovery_per_day * (s - p)``; at most ``max_strain``
day off            ``s -= recovery_per_day * s``
harm on a case     ``s += trauma_jump`` (secondary trauma), at most ``max_strain``
burned out         ``b(s)`` above (the weight a worker-day counts in
                   ``burned_out_share``)
hours              ``* (1 - productivity_loss * b(s))``
detection          ``* (1 - detection_loss * b(s))``
absence            daily probability ``absence_base + (absence_at_burnout -
                   absence_base) * b(s)``
quit hazard        ``* (1 + (quit_multiplier_at_burnout - 1) * b(s))``: burned-out
                   workers leave ``quit_multiplier_at_burnout`` times as often
=================  ==================================================================

docs/workforce.md gives the parameters' meaning, defaults and sources.
:class:`NoStrain` is the same interface with every effect off.
"""

from __future__ import annotations

import math

from ..scenario import Strain

__all__ = ["NoStrain", "StrainModel"]

_SQRT2 = math.sqrt(2.0)


class StrainModel:
    """The strain dynamics and effects of one scenario."""

    enabled = True

    def __init__(self, spec: Strain) -> None:
        self.spec = spec
        self._log_threshold = math.log(spec.burnout_threshold)
        self._spread = spec.tolerance_spread * _SQRT2
        self._cache = (-1.0, 0.0)

    def burned_out(self, strain: float) -> float:
        """The share of a workforce at ``strain`` that is burned out (0 to 1)."""
        cached, share = self._cache
        if strain == cached:
            return share
        if strain <= 0.0:
            share = 0.0
        else:
            share = 0.5 * math.erfc((self._log_threshold - math.log(strain)) / self._spread)
        self._cache = (strain, share)
        return share

    def pressure(self, new_per_day: float, backlog: float, hours: float) -> float:
        """Work asked of a working day over the hours available."""
        return (new_per_day + backlog / self.spec.catch_up_days) / hours

    def after_working_day(self, strain: float, pressure: float, supervision_factor: float) -> float:
        spec = self.spec
        if pressure > strain:
            rise = spec.rise_per_day * (pressure - strain) * supervision_factor
            return min(strain + rise, spec.max_strain)
        return strain - spec.recovery_per_day * (strain - pressure)

    def after_day_off(self, strain: float) -> float:
        return strain * (1.0 - self.spec.recovery_per_day)

    def after_harm(self, strain: float) -> float:
        return min(strain + self.spec.trauma_jump, self.spec.max_strain)

    def hours_factor(self, strain: float) -> float:
        return 1.0 - self.spec.productivity_loss * self.burned_out(strain)

    def detection_factor(self, strain: float) -> float:
        return 1.0 - self.spec.detection_loss * self.burned_out(strain)

    def absence_probability(self, strain: float) -> float:
        spec = self.spec
        return spec.absence_base + (spec.absence_at_burnout - spec.absence_base) * (
            self.burned_out(strain)
        )

    def quit_multiplier(self, strain: float) -> float:
        return 1.0 + (self.spec.quit_multiplier_at_burnout - 1.0) * self.burned_out(strain)


class NoStrain(StrainModel):
    """Strain effects off: strain stays 0, no absence, hours and hazards unchanged."""

    enabled = False

    def __init__(self) -> None:
        self.spec = None

    def burned_out(self, strain: float) -> float:
        return 0.0

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
