"""Screening: the risk score with a configured AUC, its percentile, and the assessed tier.

The observed score of a referral in latent tier ``t`` (tiers numbered 0, 1, ...
from low to high) is ``raw = s * t + z`` with ``z`` standard normal. The
separation ``s`` is solved so that the score's AUC against latent membership of
the high-risk tiers equals the configured value (a binormal model: the AUC of
tier ``h`` against tier ``t`` is ``Phi(s * (h - t) / sqrt(2))``).

Agencies reason in shares, not in standard deviations, so the score the model
works with is the raw score's percentile among referrals of the case type,
``u = sum_t p_t * Phi(raw - s * t)``: a threshold of 0.4 screens out about 40%
of referrals. The percentile is a monotone transform, so it has the same AUC.
The assessed tier (which sets response deadlines and contact frequency) is the
tier whose share of the percentile scale contains ``u``; assessed tiers thus
occur as often as latent ones, and agree with them as well as the AUC allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

__all__ = ["ScreeningTool", "auc_for_separation", "separation_for_auc"]

_SQRT2 = math.sqrt(2.0)


def auc_for_separation(separation: float, mix: Sequence[float], high: Sequence[bool]) -> float:
    """The AUC of the score against latent high risk for a given separation."""
    mix_arr = np.asarray(mix, dtype=float)
    high_arr = np.asarray(high, dtype=bool)
    p_high, p_low = mix_arr[high_arr].sum(), mix_arr[~high_arr].sum()
    if p_high <= 0 or p_low <= 0:
        raise ValueError("the AUC needs referrals both in and out of the high-risk tiers")
    tiers = np.arange(len(mix_arr))
    gaps = tiers[high_arr][:, None] - tiers[~high_arr][None, :]
    weights = mix_arr[high_arr][:, None] * mix_arr[~high_arr][None, :] / (p_high * p_low)
    return float((weights * ndtr(separation * gaps / _SQRT2)).sum())


def separation_for_auc(auc: float, mix: Sequence[float], high: Sequence[bool]) -> float:
    """Solve for the separation (in standard deviations per tier) that gives ``auc``."""
    if auc <= 0.5:
        return 0.0
    return float(brentq(lambda s: auc_for_separation(s, mix, high) - auc, 0.0, 60.0, xtol=1e-12))


class ScreeningTool:
    """The risk score of one case type: raw scores, percentiles and assessed tiers."""

    def __init__(self, mix: Sequence[float], separation: float) -> None:
        self.mix = np.asarray(mix, dtype=float)
        self.separation = float(separation)
        self._centres = self.separation * np.arange(len(self.mix))
        self._cumulative = np.cumsum(self.mix)[:-1]
        self._present = [
            (float(p), float(c)) for p, c in zip(self.mix, self._centres, strict=True) if p > 0
        ]

    def raw_scores(self, tiers: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Raw scores of referrals in latent ``tiers`` given standard normal ``noise``."""
        return self._centres[tiers] + noise

    def percentiles(self, raw: np.ndarray) -> np.ndarray:
        """Each raw score's percentile among referrals of this case type (vectorised)."""
        return ndtr(raw[:, None] - self._centres[None, :]) @ self.mix

    def percentile(self, raw: float) -> float:
        """The percentile of one raw score (a re-referral or an escalation)."""
        return float(sum(p * 0.5 * math.erfc((c - raw) / _SQRT2) for p, c in self._present))

    def assessed_tiers(self, percentiles: np.ndarray) -> np.ndarray:
        """The tier the agency assesses from each percentile (vectorised)."""
        return np.searchsorted(self._cumulative, percentiles, side="right")

    def assessed_tier(self, percentile: float) -> int:
        return int(np.searchsorted(self._cumulative, percentile, side="right"))
