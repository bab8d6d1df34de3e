"""Ranking and selection: procedure KN (Kim and Nelson 2001) with common random numbers.

Given ``k`` systems that can each be run for one more replication at a time, KN selects one
whose mean is within the indifference zone ``delta`` of the best with probability at least
``1 - alpha`` (for normal outputs; common random numbers allowed: it works on the variances of
the paired differences). After ``n0`` replications of each system it estimates ``S2_il``, the
variance of ``X_i - X_l``, and sets

    eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2,   h2 = 2 eta (n0 - 1),
    N = max over pairs of floor(h2 S2_il / delta**2).

At each replication count ``r`` a system is eliminated when its mean falls behind another
survivor's by more than ``W_il(r) = max(0, delta / (2r) (h2 S2_il / delta**2 - r))``; the
procedure stops when one survivor is left, or at ``r = N + 1`` with the survivor of best mean.

Why not ``sim-tools``' ``KN``: its elimination distance looks the pair's variance up at index
``i (k - 1) + l - 1``, which is the wrong pair whenever ``l < i`` (an earlier system), it stops
only when one survivor is left (two systems with identical outputs never stop), and it asks
for one replication at a time through an observer, which cannot feed replications run in
parallel on the sweep engines. docs/levers.md says more.

Replications may be fetched ``batch`` at a time (to keep the engines busy); screening still
reads them one at a time, so the procedure is KN exactly, with at most ``batch - 1`` extra
replications of a system eliminated inside a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Selection", "kim_nelson", "probability_of_correct_selection"]

Sampler = Callable[[Sequence[int], int, int], np.ndarray]
"""``sample(systems, first, count)``: outputs of replications ``first .. first + count - 1`` of
each system, as an array of shape ``(len(systems), count)`` (replication ``j`` on the same
random numbers for every system)."""


@dataclass
class Selection:
    """What KN did."""

    best: int
    """The system selected."""
    observations: dict[int, list[float]]
    """Every output of each system, in replication order."""
    eliminated_at: dict[int, int] = field(default_factory=dict)
    """The replication count at which each system but the best was eliminated (screened out,
    or left behind by the best mean when KN stopped)."""
    guaranteed: bool = True
    """Whether KN stopped by its own rule (the probability of correct selection holds);
    ``False`` if the replication cap stopped it first."""
    replications: int = 0
    """Replications of the selected system."""


def kim_nelson(
    sample: Sampler,
    k: int,
    delta: float,
    *,
    alpha: float = 0.05,
    n0: int = 10,
    minimise: bool = True,
    max_replications: int = 1000,
    batch: int = 1,
) -> Selection:
    """Select the best of ``k`` systems with procedure KN.

    Parameters
    ----------
    sample
        Runs replications of systems (see :data:`Sampler`).
    k
        The number of systems (``0 .. k - 1``).
    delta
        The indifference zone, in the output's units (> 0).
    alpha
        One minus the probability of correct selection.
    n0
        The first-stage replications (at least 2).
    minimise
        Smaller is better.
    max_replications
        Stop (without the guarantee) if a survivor reaches this many replications.
    batch
        Replications fetched at a time for the survivors.
    """
    if k < 1 or delta <= 0 or not 0 < alpha < 1 or n0 < 2:
        raise ValueError(
            f"expected k >= 1, delta > 0, 0 < alpha < 1, n0 >= 2; got {k}, {delta}, {alpha}, {n0}"
        )
    sign = -1.0 if minimise else 1.0
    first = np.asarray(sample(list(range(k)), 0, n0), dtype=float)
    observations = {i: list(first[i]) for i in range(k)}
    if k == 1:
        return Selection(0, observations, replications=n0)
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    h2 = 2.0 * eta * (n0 - 1)
    differences = first[:, None, :] - first[None, :, :]
    s2 = differences.var(axis=2, ddof=1)
    last = int(np.floor(h2 * s2 / delta**2).max()) + 1
    """The replication count at which KN stops at the latest (N + 1)."""
    alive = list(range(k))
    eliminated: dict[int, int] = {}
    sums = {i: sign * float(first[i].sum()) for i in range(k)}
    r = n0
    guaranteed = True
    while True:
        if r >= last:  # r = N + 1 (or n0 > N at once): select the best mean
            break
        means = {i: sums[i] / r for i in alive}
        keep = [
            i
            for i in alive
            if all(
                means[i] >= means[j] - max(0.0, delta / (2 * r) * (h2 * s2[i, j] / delta**2 - r))
                for j in alive
                if j != i
            )
        ]
        for i in alive:
            if i not in keep:
                eliminated[i] = r
        alive = keep
        if len(alive) == 1:
            break
        if r >= max_replications:
            guaranteed = False
            break
        if len(observations[alive[0]]) == r:  # the survivors need more replications
            count = max(1, min(batch, last - r, max_replications - r))
            more = np.asarray(sample(alive, r, count), dtype=float)
            for row, i in enumerate(alive):
                observations[i].extend(more[row].tolist())
        for i in alive:
            sums[i] += sign * observations[i][r]
        r += 1
    best = max(alive, key=lambda i: (sums[i] / r, -i))
    for i in alive:  # survivors not selected lose at the last count
        if i != best:
            eliminated[i] = r
    return Selection(best, observations, eliminated, guaranteed, r)


def probability_of_correct_selection(
    selections: Sequence[int], best: int
) -> tuple[float, float, float]:
    """The share of ``selections`` equal to ``best``, with its Clopper-Pearson 95% interval."""
    from scipy.stats import binomtest

    hits = sum(1 for s in selections if s == best)
    interval = binomtest(hits, len(selections)).proportion_ci(0.95, method="exact")
    return hits / len(selections), float(interval.low), float(interval.high)
