"""Intake: the risk score with a configured AUC, the threshold, and the waiting list.

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

import heapq
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

if TYPE_CHECKING:
    from .referral import Referral

__all__ = ["ScreeningTool", "WaitingList", "auc_for_separation", "separation_for_auc"]

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


class WaitingList:
    """Screened-in cases waiting for a worker: highest score first, then earliest arrival.

    Re-prioritising (an escalation) pushes a fresh entry and leaves the old one
    to be skipped when it surfaces, so every operation is O(log n).
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, float, int, int, Referral]] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def _entry(self, referral: Referral) -> tuple[float, float, int, int, Referral]:
        referral.queue_version += 1
        return (-referral.score, referral.arrival, referral.id, referral.queue_version, referral)

    def push(self, referral: Referral) -> None:
        heapq.heappush(self._heap, self._entry(referral))
        self._count += 1

    def reprioritise(self, referral: Referral) -> None:
        """Re-rank a waiting referral whose score has changed."""
        heapq.heappush(self._heap, self._entry(referral))

    def peek(self) -> Referral:
        """The referral that would be assigned next."""
        heap = self._heap
        while heap[0][3] != heap[0][4].queue_version:
            heapq.heappop(heap)
        return heap[0][4]

    def pop(self) -> Referral:
        referral = self.peek()
        heapq.heappop(self._heap)
        referral.queue_version += 1
        self._count -= 1
        return referral

    def __iter__(self) -> Iterator[Referral]:
        """The waiting referrals, in no particular order."""
        return (entry[4] for entry in self._heap if entry[3] == entry[4].queue_version)
