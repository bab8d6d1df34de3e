"""Referral arrivals and the attributes each referral is born with.

Arrivals of a case type form a Poisson process whose rate is constant between
breakpoints (month starts and surge edges): within each segment the number of
referrals is Poisson and their times are uniform, which is exact for a
piecewise-constant rate. Segments are generated one at a time, so memory does
not grow with the horizon, and all draws are numpy batches. The last month is
drawn whole and cut at the horizon, so a longer run sees the same first months.

Every attribute a referral carries (complexity, latent tier, score noise,
minimum duration, signal times and their detection and re-report draws) comes
from its own stream keyed by the case type, so no staffing or policy choice can
change the referrals a scenario sees.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .casetypes import DAYS_PER_YEAR, CaseProfile
from .randomness import Purpose, RandomStreams

__all__ = ["ArrivalProcess", "AttributeSampler", "ReferralBatch", "ReferralDraws", "month_of"]

MONTH_STARTS = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])
"""First day of each month in a 365-day year (day 0 is 1 January)."""
MONTH_LENGTHS = np.diff([*MONTH_STARTS, 365])


def month_of(day: float) -> int:
    """The month (0 = January) that a simulation day falls in."""
    return int(np.searchsorted(MONTH_STARTS, day % DAYS_PER_YEAR, side="right") - 1)


@dataclass(frozen=True, slots=True)
class ReferralDraws:
    """A batch of new referrals of one case type, as arrays (one row per referral).

    Signals are flattened: referral ``i`` owns ``signal_counts[i]`` consecutive
    entries of ``signal_times``, ``detect_draws`` and ``rereport_draws``.
    """

    times: np.ndarray
    complexity: np.ndarray
    tiers: np.ndarray
    raw_scores: np.ndarray
    scores: np.ndarray
    assessed: np.ndarray
    durations: np.ndarray
    signal_counts: np.ndarray
    signal_times: np.ndarray
    detect_draws: np.ndarray
    rereport_draws: np.ndarray
    prevent_draws: np.ndarray | None = None
    """Per signal: whether service prevents it (drawn only where service has an effect)."""
    pathway_draws: np.ndarray | None = None
    """Per referral: which follow-on case it opens at closure (drawn only with pathways)."""

    def __len__(self) -> int:
        return len(self.times)


class ReferralBatch:
    """A :class:`ReferralDraws` as Python lists, fast to read one referral at a time.

    ``signal_starts[i]`` is where referral ``i``'s signals begin in the flattened
    signal lists.
    """

    __slots__ = (
        "assessed",
        "complexity",
        "detect_draws",
        "durations",
        "pathway_draws",
        "prevent_draws",
        "raw_scores",
        "rereport_draws",
        "scores",
        "signal_counts",
        "signal_starts",
        "signal_times",
        "tiers",
        "times",
    )

    def __init__(self, draws: ReferralDraws) -> None:
        self.times = draws.times.tolist()
        self.complexity = draws.complexity.tolist()
        self.tiers = draws.tiers.tolist()
        self.raw_scores = draws.raw_scores.tolist()
        self.scores = draws.scores.tolist()
        self.assessed = draws.assessed.tolist()
        self.durations = draws.durations.tolist()
        self.signal_counts = draws.signal_counts.tolist()
        self.signal_starts = (np.cumsum(draws.signal_counts) - draws.signal_counts).tolist()
        self.signal_times = draws.signal_times.tolist()
        self.detect_draws = draws.detect_draws.tolist()
        self.rereport_draws = draws.rereport_draws.tolist()
        prevent, pathway = draws.prevent_draws, draws.pathway_draws
        self.prevent_draws = prevent.tolist() if prevent is not None else None
        self.pathway_draws = pathway.tolist() if pathway is not None else None


class AttributeSampler:
    """Draws the attributes of referrals of one case type, one stream per attribute."""

    def __init__(self, profile: CaseProfile, streams: RandomStreams, purpose: Purpose) -> None:
        self.profile = profile
        key = profile.key
        attributes = Purpose.ATTRIBUTES if purpose is Purpose.ARRIVALS else purpose
        signals = Purpose.SIGNALS if purpose is Purpose.ARRIVALS else purpose
        self._complexity = streams.generator(attributes, key, 0)
        self._tier = streams.generator(attributes, key, 1)
        self._noise = streams.generator(attributes, key, 2)
        self._duration = streams.generator(attributes, key, 3)
        self._signal_count = streams.generator(signals, key, 10)
        self._signal_time = streams.generator(signals, key, 11)
        self._detect = streams.generator(signals, key, 12)
        self._rereport = streams.generator(signals, key, 13)
        self._prevent = streams.generator(signals, key, 14) if profile.thinned else None
        self._pathway = streams.generator(attributes, key, 4) if profile.pathways else None

    def draw(self, times: np.ndarray) -> ReferralDraws:
        """Attributes for referrals arriving at ``times`` (sorted)."""
        profile = self.profile
        n = len(times)
        complexity = _categorical(self._complexity, profile.complexity_shares, n)
        tiers = _categorical(self._tier, profile.mix, n)
        raw = profile.screening.raw_scores(tiers, self._noise.standard_normal(n))
        scores = profile.screening.percentiles(raw)
        counts = self._signal_count.poisson(profile.signal_rates[tiers] * profile.risk_window)
        total = int(counts.sum())
        offsets = self._signal_time.uniform(0.0, profile.risk_window, total)
        return ReferralDraws(
            times=times,
            complexity=complexity,
            tiers=tiers,
            raw_scores=raw,
            scores=scores,
            assessed=profile.screening.assessed_tiers(scores),
            durations=profile.duration.sample(self._duration, n),
            signal_counts=counts,
            signal_times=np.repeat(times, counts) + offsets,
            detect_draws=self._detect.random(total),
            rereport_draws=self._rereport.random(total),
            prevent_draws=self._prevent.random(total) if self._prevent is not None else None,
            pathway_draws=self._pathway.random(n) if self._pathway is not None else None,
        )


def _categorical(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    if len(shares) == 1:
        rng.random(n)  # keep the stream's position independent of the number of levels
        return np.zeros(n, dtype=np.intp)
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right").clip(max=len(shares) - 1)


class ArrivalProcess:
    """The referral stream of one case type over ``[0, horizon)``."""

    def __init__(self, profile: CaseProfile, streams: RandomStreams, horizon: float) -> None:
        self.profile = profile
        self.horizon = horizon
        self._times = streams.generator(Purpose.ARRIVALS, profile.key)
        self._sampler = AttributeSampler(profile, streams, Purpose.ARRIVALS)

    def rate_per_day(self, time: float) -> float:
        """The arrival rate in force at ``time`` (referrals per day)."""
        arrivals = self.profile.spec.arrivals
        rate = arrivals.rate_per_year / DAYS_PER_YEAR
        if arrivals.seasonality is not None:
            season = np.asarray(arrivals.seasonality)
            rate *= season[month_of(time)] * DAYS_PER_YEAR / float(season @ MONTH_LENGTHS)
        for surge in arrivals.surges:
            if surge.start_day <= time < surge.end_day:
                rate *= surge.multiplier
        return rate

    def segments(self) -> list[tuple[float, float, float]]:
        """``(start, end, rate_per_day)`` pieces of constant rate, whole months to the horizon.

        Segments always break at month starts (and at surge edges), and the last
        month is drawn whole: the referrals of the first months are then the same
        whatever the horizon.
        """
        years = int(self.horizon // DAYS_PER_YEAR) + 1
        edges = {
            float(year * DAYS_PER_YEAR + start)
            for year in range(years + 1)
            for start in MONTH_STARTS
        }
        cover = min(edge for edge in edges if edge >= self.horizon)
        for surge in self.profile.spec.arrivals.surges:
            edges.update((surge.start_day, surge.end_day))
        cuts = sorted(edge for edge in edges if 0.0 <= edge <= cover)
        return [(a, b, self.rate_per_day(a)) for a, b in itertools.pairwise(cuts)]

    def batches(self) -> Iterator[ReferralDraws]:
        """Referral batches in time order, one per segment (empty segments skipped)."""
        for start, end, rate in self.segments():
            count = self._times.poisson(rate * (end - start))
            times = np.sort(self._times.uniform(start, end, count))
            times = times[times < self.horizon]
            if len(times):
                yield self._sampler.draw(times)
