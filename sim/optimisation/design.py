"""Allocations of a budget across levers: a space-filling design over the simplex, and a
surrogate of the target fitted to it.

An allocation gives each of ``L`` levers a share of the budget, the shares summing to 1: a
point of the simplex. A scrambled Sobol sequence in ``L - 1`` dimensions (scipy.stats.qmc)
is mapped onto it by sorting each point's coordinates and taking the gaps between them (the
spacings of ``L - 1`` uniforms are uniform on the simplex), which keeps the sequence's even
spread; the ``L`` vertices (everything on one lever) and the centre are always added.

The surrogate is a thin-plate spline over the first ``L - 1`` shares
(scipy.interpolate.RBFInterpolator) whose smoothing is chosen by leave-one-out
cross-validation, since each design point's mean is noisy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import RBFInterpolator
from scipy.stats import qmc

__all__ = ["Surrogate", "simplex_design", "simplex_points"]


def simplex_points(levers: int, count: int, seed: int) -> np.ndarray:
    """``count`` points of the simplex in ``levers`` dimensions from a scrambled Sobol
    sequence (rows sum to 1)."""
    if levers == 1:
        return np.ones((count, 1))
    sampler = qmc.Sobol(d=levers - 1, scramble=True, seed=seed)
    cube = sampler.random_base2(max(1, math.ceil(math.log2(max(count, 2)))))[:count]
    edges = np.hstack([np.zeros((count, 1)), np.sort(cube, axis=1), np.ones((count, 1))])
    return np.diff(edges, axis=1)


def simplex_design(levers: int, count: int, seed: int) -> np.ndarray:
    """The vertices, the centre, then ``count`` space-filling points of the simplex."""
    corners = np.eye(levers)
    centre = np.full((1, levers), 1.0 / levers)
    points = [corners] if levers == 1 else [corners, centre, simplex_points(levers, count, seed)]
    return np.vstack(points)


class Surrogate:
    """A smoothing thin-plate spline of the target over the simplex.

    Parameters
    ----------
    shares
        Design points (rows summing to 1).
    values
        The target's mean at each point.
    """

    SMOOTHING = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)

    def __init__(self, shares: np.ndarray, values: np.ndarray) -> None:
        x = np.asarray(shares, dtype=float)[:, :-1]
        y = np.asarray(values, dtype=float)
        self._constant = x.shape[1] == 0 or len(y) < x.shape[1] + 3
        if self._constant:  # one lever, or too few points for a spline: the mean
            self._mean = float(np.mean(y))
            self.smoothing = math.nan
            return
        scale = float(np.var(y)) or 1.0
        errors = [self._loo_error(x, y, s * scale) for s in self.SMOOTHING]
        self.smoothing = self.SMOOTHING[int(np.argmin(errors))] * scale
        self._spline = RBFInterpolator(x, y, smoothing=self.smoothing, degree=1)

    @staticmethod
    def _loo_error(x: np.ndarray, y: np.ndarray, smoothing: float) -> float:
        total = 0.0
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            try:
                spline = RBFInterpolator(x[keep], y[keep], smoothing=smoothing, degree=1)
                total += float((spline(x[i : i + 1])[0] - y[i]) ** 2)
            except (np.linalg.LinAlgError, ValueError):
                return math.inf
        return total

    def __call__(self, shares: np.ndarray) -> np.ndarray:
        """The predicted target at each row of ``shares``."""
        shares = np.asarray(shares, dtype=float)
        if self._constant:
            return np.full(len(shares), self._mean)
        return self._spline(shares[:, :-1])
