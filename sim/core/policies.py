"""Feedback policies that move the intake threshold: gatekeeping and scandal response.

Both are off unless the scenario's ``policies`` block turns them on; when off
they draw no random numbers and change nothing, so a run is identical to the
same scenario without the block.

* **Adaptive gatekeeping** (budget pressure): when the mean caseload of the
  caseworkers in post stays above ``trigger_caseload`` for ``persistence_days``
  days in a row, every threshold rises by ``step`` (up to ``max_threshold``);
  when it stays below ``release_caseload`` as long, they fall back by ``step``,
  never below the scenario's own thresholds.
* **Scandal response**: each harm to a subject in a high-risk tier becomes
  public with ``publicity_probability``; for ``duration_days`` after the latest
  public harm every threshold is lowered by ``threshold_drop`` (not below 0)
  and referrals arrive at ``surge_multiplier`` times their rate.
"""

from __future__ import annotations

import math

from ..scenario import Scenario
from .randomness import Purpose, RandomStreams

__all__ = ["IntakePolicy"]


class IntakePolicy:
    """The screening thresholds in force over time."""

    def __init__(self, scenario: Scenario, streams: RandomStreams) -> None:
        self.base = [scenario.threshold_for(ct.name) for ct in scenario.case_types]
        policies = scenario.policies
        gate, scandal = policies.gatekeeping, policies.scandal
        self.gatekeeping = gate if gate is not None and gate.enabled else None
        self.scandal = scandal if scandal is not None and scandal.enabled else None
        self.offset = 0.0
        """The gatekeeping rise in force."""
        self.scandal_until = -math.inf
        self.scandals = 0
        """Harms that became public."""
        self._above = self._below = 0
        self._publicity = streams.generator(Purpose.POLICY) if self.scandal else None
        tiers = scenario.tier_names
        self.high_tiers = {tiers.index(name) for name in scenario.high_risk_tiers}

    def thresholds(self, now: float) -> list[float]:
        """The threshold of each case type in force at ``now``."""
        drop = self.scandal.threshold_drop if self.in_scandal(now) else 0.0
        return [min(max(base + self.offset - drop, 0.0), 1.0) for base in self.base]

    def in_scandal(self, now: float) -> bool:
        return now < self.scandal_until

    def surge_multiplier(self, now: float) -> float:
        return self.scandal.surge_multiplier if self.scandal and self.in_scandal(now) else 1.0

    def observe_caseload(self, mean_caseload: float) -> bool:
        """A day's mean caseload; returns whether the gatekeeping step changed."""
        gate = self.gatekeeping
        if gate is None or math.isnan(mean_caseload):
            return False
        self._above = self._above + 1 if mean_caseload > gate.trigger_caseload else 0
        self._below = self._below + 1 if mean_caseload < gate.release_caseload else 0
        ceiling = max(gate.max_threshold - max(self.base), 0.0)
        if self._above >= gate.persistence_days and self.offset < ceiling:
            self.offset = min(self.offset + gate.step, ceiling)
            self._above = 0
            return True
        if self._below >= gate.persistence_days and self.offset > 0:
            self.offset = max(self.offset - gate.step, 0.0)
            self._below = 0
            return True
        return False

    def harm(self, latent_tier: int, now: float) -> bool:
        """A harm happened; returns whether it became public (a scandal starts or goes on)."""
        if self.scandal is None or latent_tier not in self.high_tiers:
            return False
        if self._publicity.random() >= self.scandal.publicity_probability:
            return False
        self.scandals += 1
        self.scandal_until = now + self.scandal.duration_days
        return True
