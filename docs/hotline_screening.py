"""A hotline's screening AUC from Allegheny's figures, and row 2 of docs/validation.md at it.

Before its screening tool, Allegheny County's call screeners screened out 27% of the
referrals the tool later scored highest risk and screened in 48% of those it scored lowest
(Dalton 2017; ../shared/calibration-research.md, section 2.5 [V]). Read as a screener whose
score ``S = rho * L + sqrt(1 - rho**2) * e`` (latent risk ``L`` and noise ``e`` standard
normal) screens in above a cut ``c``, with the highest and lowest risk the top and bottom
twentieth of ``L`` (the tool's 20 ventiles), the two shares fix ``rho`` and ``c``. The AUC
of that score against the child-protection scenario's high-risk fifth is the AUC a
hotline's decisions would have in the model: set from Allegheny, never from the
Putnam-Hornstein figure that row 2 checks.

Run from the repository's root::

    python docs/hotline_screening.py          # rho, the cut and the AUC
    python docs/hotline_screening.py --run    # and row 2 with intake.auc at that AUC
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, stats

HIGHEST_SCREENED_OUT = 0.27
LOWEST_SCREENED_IN = 0.48
BAND = 0.05  # a ventile
HIGH_RISK_SHARE = 0.2  # child_protection.yaml's risk mix: high 0.2


def screened_in(rho: float, cut: float, low: float, high: float) -> float:
    """The share screened in among referrals whose latent risk lies between two quantiles."""
    spread = np.sqrt(1.0 - rho**2)

    def density(risk: float) -> float:
        return stats.norm.pdf(risk) * stats.norm.sf((cut - rho * risk) / spread)

    inside = integrate.quad(density, stats.norm.ppf(low), stats.norm.ppf(high))[0]
    return inside / (high - low)


def screener() -> tuple[float, float]:
    """The correlation and cut that give Allegheny's two shares exactly."""

    def misses(x: np.ndarray) -> list[float]:
        rho, cut = x
        return [
            screened_in(rho, cut, 1.0 - BAND, 1.0) - (1.0 - HIGHEST_SCREENED_OUT),
            screened_in(rho, cut, 0.0, BAND) - LOWEST_SCREENED_IN,
        ]

    rho, cut = optimize.fsolve(misses, [0.3, 0.0])
    return float(rho), float(cut)


def auc(rho: float, share: float = HIGH_RISK_SHARE, draws: int = 1_000_000) -> float:
    """The AUC of the screener's score against latent risk in the top ``share`` (Monte Carlo,
    fixed seed: about 0.001 either way)."""
    rng = np.random.default_rng(2026)
    risk = rng.standard_normal(draws)
    score = rho * risk + np.sqrt(1.0 - rho**2) * rng.standard_normal(draws)
    high = risk > stats.norm.ppf(1.0 - share)
    pairs = high.sum() * (~high).sum()
    return float(stats.mannwhitneyu(score[high], score[~high]).statistic / pairs)


def row_2(hotline_auc: float, replications: int = 16) -> tuple[float, float, float, float, float]:
    """Row 2's settings with ``intake.auc`` at the hotline's: the two re-referral shares and
    the paired difference's mean and 95% interval."""
    import sim
    from sim.analysis import confidence_interval

    path = Path(__file__).resolve().parent.parent / "scenarios" / "child_protection.yaml"
    changes = {"horizon_days": 550.0, "warmup_days": 185.0, "intake.auc": round(hotline_auc, 2)}
    scenario = sim.apply_overrides(sim.load_scenario(path), changes)
    table = sim.run(scenario, replications=replications).replications
    out = table.rereferred_6m_after_screen_out
    closed = table.rereferred_6m_after_closure_without_services
    return (out.mean(), closed.mean(), *confidence_interval(out - closed))


if __name__ == "__main__":
    rho, cut = screener()
    hotline = auc(rho)
    print(f"correlation {rho:.3f}, screened in {stats.norm.sf(cut):.1%}, AUC {hotline:.3f}")
    if "--run" in sys.argv:
        out, closed, mean, low, high = row_2(hotline)
        print(
            f"re-referred in 6 months: {out:.1%} after a screen-out, {closed:.1%} after closure "
            f"without services; difference {mean * 100:+.1f} points "
            f"({low * 100:+.1f} to {high * 100:+.1f})"
        )
