"""Durations with right-censoring: how long cases stay open, how long vacancies stay empty.

A case still open at the end of the history has lasted *at least* its time so far; leaving
it out shortens the mean (the long cases are the ones still open), and counting it as closed
at the end does too. The likelihood takes it as what it is, a right-censored duration:
``scipy.stats.CensoredData`` with each candidate's ``fit`` (exponential, lognormal and gamma,
located at 0), compared by AIC. A duration of 0 whole days (closed the day it was assigned)
is taken as lying between 0 and 1 day (interval-censored), which the lognormal and gamma
need.

The scenario gives durations by their mean and sd, so the chosen fit is written that way.
The 95% intervals of the mean and sd come from the observed information: the numerical
Hessian (``scipy.differentiate.hessian``) of the censored log-likelihood in (log mean,
log sd) at the maximum, and the Wald interval on the log scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.differentiate import hessian

from .estimates import Estimate

__all__ = ["FAMILIES", "DurationFit", "fit_duration"]

FAMILIES = ("exponential", "lognormal", "gamma")
_SCIPY = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}
_Z = float(stats.norm.ppf(0.975))


def frozen(family: str, mean: float, sd: float) -> stats.rv_continuous:
    """The scipy distribution of ``family`` with this mean and sd (the scenario's terms)."""
    if family == "exponential":
        return stats.expon(scale=mean)
    if family == "lognormal":
        sigma2 = np.log1p((sd / mean) ** 2)
        return stats.lognorm(np.sqrt(sigma2), scale=mean * np.exp(-sigma2 / 2))
    shape = (mean / sd) ** 2
    return stats.gamma(shape, scale=mean / shape)


@dataclass(frozen=True)
class DurationFit:
    """The fit of one set of durations: the family chosen by AIC, its mean and sd.

    Attributes
    ----------
    family
        ``exponential``, ``lognormal`` or ``gamma``: the least AIC.
    mean, sd
        The chosen fit's mean and sd with 95% intervals (for the exponential, sd = mean).
    aic
        AIC of each family (lower is better).
    moments
        Each family's fitted ``(mean, sd)``.
    durations, censored
        The data: days, and whether each is right-censored (still open at the end).
    """

    family: str
    mean: Estimate
    sd: Estimate
    aic: dict[str, float]
    moments: dict[str, tuple[float, float]]
    durations: np.ndarray
    censored: np.ndarray

    def distribution(self, digits: int = 4) -> dict[str, object]:
        """The scenario's ``duration`` mapping."""
        mean = float(f"{self.mean.value:.{digits}g}")
        if self.family == "exponential":
            return {"distribution": "exponential", "mean": mean}
        return {
            "distribution": self.family,
            "mean": mean,
            "sd": float(f"{self.sd.value:.{digits}g}"),
        }

    def describe_choice(self) -> str:
        """``lognormal by AIC (gamma +12.3, exponential +840)``."""
        best = self.aic[self.family]
        others = ", ".join(
            f"{f} +{self.aic[f] - best:.1f}"
            for f in sorted(self.aic, key=self.aic.get)
            if f != self.family
        )
        return f"{self.family} by AIC ({others})"

    def frozen(self, family: str | None = None) -> stats.rv_continuous:
        family = family or self.family
        return frozen(family, *self.moments[family])


def _data(durations: np.ndarray, censored: np.ndarray) -> stats.CensoredData:
    exact = durations[~censored]
    zero = exact <= 0
    interval = np.column_stack([np.zeros(zero.sum()), np.ones(zero.sum())])
    return stats.CensoredData(uncensored=exact[~zero], right=durations[censored], interval=interval)


def _log_likelihood(
    family: str, mean: np.ndarray, sd: np.ndarray, durations: np.ndarray, censored: np.ndarray
) -> np.ndarray:
    """The censored log-likelihood at each of many ``(mean, sd)``, vectorised over them."""
    mean, sd = np.atleast_1d(mean)[None, :], np.atleast_1d(sd)[None, :]
    if family == "exponential":
        args: tuple[np.ndarray, ...] = ()
        scale = mean
    elif family == "lognormal":
        sigma2 = np.log1p((sd / mean) ** 2)
        args, scale = (np.sqrt(sigma2),), mean * np.exp(-sigma2 / 2)
    else:
        shape = (mean / sd) ** 2
        args, scale = (shape,), mean / shape
    dist = _SCIPY[family]
    exact = durations[~censored]
    zero = exact <= 0
    total = dist.logpdf(exact[~zero][:, None], *args, scale=scale).sum(axis=0)
    total += dist.logsf(durations[censored][:, None], *args, scale=scale).sum(axis=0)
    if zero.any():
        total += zero.sum() * np.log(dist.cdf(1.0, *args, scale=scale)[0])
    return total


def _start(family: str, durations: np.ndarray) -> tuple[float, ...]:
    """Starting values for the optimiser: the moments of all durations, censored or not
    (a low start; the search is then short)."""
    positive = durations[durations > 0]
    m, s = float(positive.mean()), float(max(positive.std(), 1e-3 * positive.mean()))
    if family == "exponential":
        return ()
    if family == "lognormal":
        return (float(np.sqrt(np.log1p((s / m) ** 2))),)
    return ((m / s) ** 2,)


def _moments(family: str, params: tuple[float, ...]) -> tuple[float, float]:
    dist = _SCIPY[family](*params)
    return float(dist.mean()), float(dist.std())


def _intervals(
    family: str, mean: float, sd: float, durations: np.ndarray, censored: np.ndarray
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Wald intervals of the mean and sd on the log scale, from the observed information."""
    free = 1 if family == "exponential" else 2

    def negative(theta: np.ndarray) -> np.ndarray:
        flat = np.exp(theta.reshape(free, -1))
        sds = flat[0] if free == 1 else flat[1]
        return -_log_likelihood(family, flat[0], sds, durations, censored).reshape(theta.shape[1:])

    point = np.log([mean] if free == 1 else [mean, sd])
    result = hessian(negative, point, initial_step=0.02, order=4, maxiter=3)
    try:
        covariance = np.linalg.inv(np.atleast_2d(result.ddf))
    except np.linalg.LinAlgError:
        covariance = np.full((free, free), np.inf)
    se = np.sqrt(np.clip(np.diag(covariance), 0, np.inf))
    se = np.where(np.isfinite(se), se, np.inf)
    mean_ci = (mean * np.exp(-_Z * se[0]), mean * np.exp(_Z * se[0]))
    if free == 1:
        return mean_ci, mean_ci
    return mean_ci, (sd * np.exp(-_Z * se[1]), sd * np.exp(_Z * se[1]))


def fit_duration(
    durations: np.ndarray,
    censored: np.ndarray,
    *,
    figure: str = "duration",
    case_type: str | None = None,
    basis: str = "cases",
    families: tuple[str, ...] = FAMILIES,
) -> DurationFit:
    """Fit each family to right-censored durations and keep the least AIC.

    Parameters
    ----------
    durations
        Days: the time to closure, or for a censored one the time observed so far.
    censored
        True where the duration is right-censored (still open at the end).
    figure, case_type, basis
        How the resulting :class:`Estimate` objects are labelled.
    """
    durations = np.asarray(durations, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    if (~censored).sum() < 2:
        raise ValueError("expected at least two completed durations")
    data = _data(durations, censored)
    aic, moments = {}, {}
    for family in families:
        with np.errstate(all="ignore"):
            params = _SCIPY[family].fit(data, *_start(family, durations), floc=0)
        m, s = _moments(family, params)
        loglik = float(_log_likelihood(family, m, s, durations, censored)[0])
        k = 1 if family == "exponential" else 2
        aic[family] = 2 * k - 2 * loglik
        moments[family] = (m, s)
    family = min(aic, key=aic.get)
    m, s = moments[family]
    (m_low, m_high), (s_low, s_high) = _intervals(family, m, s, durations, censored)
    n, open_ = len(durations), int(censored.sum())
    words = f"{basis}; {open_:,} still open, censored"
    return DurationFit(
        family,
        Estimate(f"{figure}.mean", case_type, m, m_low, m_high, "days", n, words),
        Estimate(f"{figure}.sd", case_type, s, s_low, s_high, "days", n, words),
        aic,
        moments,
        durations,
        censored,
    )
