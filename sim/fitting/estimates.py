"""What the referrals table says about demand and intake, each figure with its 95% interval.

- **Arrival rate** of first reports by case type: a Poisson count over the period's exposure,
  with the exact (Garwood) interval. With a year of data or more, **seasonality** by calendar
  month is kept when a likelihood-ratio test of the month effects rejects a flat rate
  (p < 0.05); each month's multiplier has the exact binomial interval of its share of the
  count. A month whose count lies outside its Poisson band (two-sided, Bonferroni-corrected
  over the months at 5%) is **flagged as a surge** (or a dip) and left out of the rate.
- **Screen-out share** of first reports (the scenario's threshold: the score is a percentile),
  with the Clopper-Pearson interval.
- **Risk mix**: the share of first reports at each assessed level. When only opened cases carry
  a level, the shares above the lowest level seen are the opened cases at that level over all
  first reports (the model's assessed tiers are bands of the score percentile, so the screen
  cuts off the bottom band only); the rest goes to the lowest levels.
- **Re-referral shares**: the share of first reports whose subject was referred again within 6
  and 12 months of a screen-out or of a closure (subjects followed for the whole span only).

Every :class:`Estimate` names the rows it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..core.arrivals import MONTH_LENGTHS
from .tables import History

__all__ = [
    "ArrivalFit",
    "Estimate",
    "Surge",
    "binomial_interval",
    "fit_arrivals",
    "fit_rereferrals",
    "fit_risk_mix",
    "fit_screen_out",
    "poisson_interval",
]

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """One fitted figure with its 95% interval and where it came from."""

    figure: str
    """What it is, e.g. ``arrivals.rate_per_year``."""
    case_type: str | None
    value: float
    low: float
    high: float
    unit: str
    rows: int
    """How many rows of the table it was computed from."""
    basis: str
    """Which rows, in words."""

    def comment(self, digits: int = 4) -> str:
        """``fitted: 95% CI a-b; n rows (basis)``, for the scenario file."""
        return (
            f"fitted: 95% CI {_g(self.low, digits)}-{_g(self.high, digits)}; "
            f"{self.rows:,} rows ({self.basis})"
        )

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


def _g(value: float, digits: int) -> str:
    return "inf" if not np.isfinite(value) else f"{value:.{digits}g}"


def poisson_interval(count: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Garwood) interval of a Poisson mean from one count."""
    alpha = 1 - level
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low), float(high)


def binomial_interval(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a binomial share."""
    if trials == 0:
        return 0.0, 1.0
    ci = stats.binomtest(successes, trials).proportion_ci(level, method="exact")
    return float(ci.low), float(ci.high)


def first_reports(history: History, case_type: str | None = None) -> pd.DataFrame:
    """Referrals received in the period that are not re-referrals (of one case type)."""
    r = history.referrals
    chosen = (r["received"] >= history.start) & ~r["rereferral"]
    if case_type is not None:
        chosen &= r["case_type"] == case_type
    return r[chosen]


# ---------------------------------------------------------------------- arrivals


@dataclass(frozen=True)
class Surge:
    """A month far outside its Poisson band."""

    month: pd.Period
    start_day: float
    end_day: float
    observed: int
    expected: float
    p_value: float

    @property
    def multiplier(self) -> float:
        return self.observed / self.expected


@dataclass(frozen=True)
class ArrivalFit:
    """Arrivals of one case type: the rate, seasonality and flagged months."""

    case_type: str
    rate: Estimate
    seasonality: list[Estimate] | None
    """Multipliers by calendar month (January first), normalised so that a 365-day year
    brings the rate; ``None`` when the test keeps a flat rate or there is under a year."""
    season_p_value: float | None
    surges: list[Surge]
    monthly: pd.DataFrame
    """One row per month of the period: ``month``, ``days`` (in the period), ``observed``,
    ``expected``, ``low``, ``high`` (the 95% Poisson band), ``surge``."""

    def multipliers(self) -> np.ndarray:
        """Multipliers by calendar month (ones without seasonality)."""
        if self.seasonality is None:
            return np.ones(12)
        return np.array([e.value for e in self.seasonality])


def _month_table(history: History, received: pd.Series) -> pd.DataFrame:
    """One row per calendar month overlapping the period: days in it and referrals."""
    months = pd.period_range(history.start, history.end - pd.Timedelta(days=1), freq="M")
    first = months.to_timestamp(how="start")
    after = (months + 1).to_timestamp(how="start")
    lo = np.maximum(first, history.start)
    hi = np.minimum(after, history.end)
    counts = received.dt.to_period("M").value_counts()
    return pd.DataFrame(
        {
            "month": months,
            "calendar": months.month - 1,
            "start_day": (lo - history.start) / pd.Timedelta(days=1),
            "end_day": (hi - history.start) / pd.Timedelta(days=1),
            "days": (hi - lo) / pd.Timedelta(days=1),
            "observed": [int(counts.get(m, 0)) for m in months],
        }
    )


def _season_shape(table: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Multipliers by calendar month (the model's normalisation) and the LR test's p-value."""
    by_month = table.groupby("calendar")[["observed", "days"]].sum().reindex(range(12))
    observed = by_month["observed"].to_numpy(float)
    exposure = by_month["days"].to_numpy(float)
    seen = exposure > 0
    rate = np.where(seen, observed / np.where(seen, exposure, 1), np.nan)
    lengths = np.asarray(MONTH_LENGTHS, dtype=float)
    multipliers = rate * 365.0 / np.nansum(rate * lengths)
    expected = observed.sum() * exposure / exposure.sum()
    positive = observed > 0
    g = 2 * np.sum(observed[positive] * np.log(observed[positive] / expected[positive]))
    p_value = float(stats.chi2.sf(g, int(seen.sum()) - 1))
    return multipliers, p_value


def _flag(table: pd.DataFrame, flagged: np.ndarray, full_year: bool) -> dict:
    """Seasonality, expected counts and two-sided Poisson p-values, leaving out ``flagged``."""
    kept = table[~flagged]
    multipliers, p_value = _season_shape(kept) if full_year else (np.ones(12), 1.0)
    seasonal = full_year and p_value < 0.05 and bool(np.all(np.isfinite(multipliers)))
    shape = multipliers if seasonal else np.ones(12)
    weight = table["days"].to_numpy() * shape[table["calendar"].to_numpy()]
    expected = kept["observed"].sum() / weight[~flagged].sum() * weight
    observed = table["observed"].to_numpy()
    p = 2 * np.minimum(
        stats.poisson.cdf(observed, expected), stats.poisson.sf(observed - 1, expected)
    )
    return {
        "shape": shape,
        "seasonal": seasonal,
        "p_value": p_value,
        "weight": weight,
        "expected": expected,
        "p": np.minimum(p, 1.0),
    }


def fit_arrivals(history: History, case_type: str) -> ArrivalFit:
    """The arrival rate of first reports, seasonality and surges of ``case_type``."""
    reports = first_reports(history, case_type)
    table = _month_table(history, reports["received"])
    full_year = history.days >= 365
    flagged = np.zeros(len(table), dtype=bool)
    for _ in range(5):  # surges leave the rate; a changed rate may flag other months
        now = _flag(table, flagged, full_year)["p"] < 0.05 / len(table)
        if np.array_equal(now, flagged) or now.sum() > len(table) // 3:
            break
        flagged = now
    fitted = _flag(table, flagged, full_year)
    shape, seasonal, p_value = fitted["shape"], fitted["seasonal"], fitted["p_value"]
    weight, expected, p = fitted["weight"], fitted["expected"], fitted["p"]
    kept = table[~flagged]
    count = int(kept["observed"].sum())
    exposure = float(weight[~flagged].sum())  # multiplier-weighted days (days without seasonality)
    low, high = poisson_interval(count)
    years = f"{history.start:%Y-%m-%d} to {history.end - pd.Timedelta(days=1):%Y-%m-%d}"
    left = f", {int(flagged.sum())} flagged month(s) left out" if flagged.any() else ""
    rate = Estimate(
        "arrivals.rate_per_year",
        case_type,
        count / exposure * 365.0,
        low / exposure * 365.0,
        high / exposure * 365.0,
        "per year",
        count,
        f"first reports received {years}{left}",
    )
    band_low = stats.poisson.ppf(0.025, expected)
    band_high = stats.poisson.ppf(0.975, expected)
    monthly = table.assign(expected=expected, low=band_low, high=band_high, surge=flagged)
    surges = [
        Surge(row.month, row.start_day, row.end_day, row.observed, row.expected, float(pv))
        for row, pv in zip(monthly[flagged].itertuples(), p[flagged], strict=True)
    ]
    season = _season_estimates(kept, case_type, shape) if seasonal else None
    return ArrivalFit(case_type, rate, season, p_value if full_year else None, surges, monthly)


def _season_estimates(kept: pd.DataFrame, case_type: str, shape: np.ndarray) -> list[Estimate]:
    """Each month's multiplier with the exact interval of its share of the count.

    Given the total ``N``, a month's count is binomial with share ``e_m s_m / sum(e_k s_k)``;
    the interval of the share, scaled back with the other months held at their estimates,
    is the multiplier's (exact when every month is seen equally often).
    """
    by_month = kept.groupby("calendar")[["observed", "days"]].sum().reindex(range(12))
    observed = by_month["observed"].to_numpy(int)
    exposure = by_month["days"].to_numpy(float)
    total = int(observed.sum())
    scale = float(np.sum(exposure * shape))  # sum e_k s_k
    out = []
    for m in range(12):
        low, high = binomial_interval(int(observed[m]), total)
        name = pd.Timestamp(2001, m + 1, 1).strftime("%B")
        out.append(
            Estimate(
                f"arrivals.seasonality[{m}]",
                case_type,
                float(shape[m]),
                low * scale / exposure[m],
                high * scale / exposure[m],
                "multiplier",
                int(observed[m]),
                f"first reports received in {name}",
            )
        )
    return out


# ---------------------------------------------------------------------- intake


def fit_screen_out(history: History, case_type: str) -> Estimate:
    """The share of first reports screened out (the scenario's threshold)."""
    reports = first_reports(history, case_type)
    n, out = len(reports), int((~reports["screened_in"]).sum())
    low, high = binomial_interval(out, n)
    return Estimate(
        "intake.threshold",
        case_type,
        out / n if n else 0.0,
        low,
        high,
        "share",
        n,
        f"first reports, {out:,} screened out",
    )


def fit_risk_mix(
    history: History, case_type: str, tiers: list[str], base_mix: dict[str, float]
) -> list[Estimate]:
    """The share of first reports at each assessed risk level, tiers low to high.

    With levels on screened-out referrals too, each share is its count over the first reports
    with a level. With levels on opened cases only, the model's assessed tiers being bands of
    the score percentile and the screen removing the lowest percentiles, the share of a tier
    above the lowest tier seen, ``k``, is (opened at it) / (all first reports); the screened-out
    share lies in the bands of ``k`` and the tiers below it. If ``k`` is the lowest tier, it takes
    the rest; otherwise the split is not identified: the point estimate splits it in the base
    scenario's proportions, and the intervals are the bounds the data allow (a tier below
    ``k`` from 0 to all of it, ``k`` from none of it to all of it), widened by sampling error.
    """
    reports = first_reports(history, case_type)
    levelled = reports[reports["risk_level"].notna()]
    counts = levelled["risk_level"].value_counts()
    if (~levelled["screened_in"]).any():
        n = len(levelled)
        out = []
        for t in tiers:
            k = int(counts.get(t, 0))
            low, high = binomial_interval(k, n)
            basis = "first reports with a risk level"
            out.append(Estimate(f"risk_mix.{t}", case_type, k / n, low, high, "share", n, basis))
        return out
    n = len(reports)
    seen = [t for t in tiers if counts.get(t, 0) > 0] or [tiers[0]]
    lowest = tiers.index(seen[0])
    hidden = n - int(sum(counts.get(t, 0) for t in tiers))  # screened out, or no level
    weights = np.array([base_mix.get(t, 0.0) for t in tiers[: lowest + 1]])
    weights = (
        weights / weights.sum() if weights.sum() > 0 else np.full(lowest + 1, 1 / (lowest + 1))
    )
    out = []
    for i, t in enumerate(tiers):
        k = int(counts.get(t, 0))
        basis = "first reports; levels of opened cases"
        if i > lowest:
            value, (low, high) = k / n, binomial_interval(k, n)
        elif lowest == 0:
            value, (low, high) = (k + hidden) / n, binomial_interval(k + hidden, n)
            basis += ": the rest, incl. screened out"
        else:
            value = (k + hidden * weights[i]) / n
            low = binomial_interval(k, n)[0]
            high = binomial_interval(k + hidden, n)[1]
            basis += ": the screen hides the tiers below, split as in the base (bounds)"
        out.append(Estimate(f"risk_mix.{t}", case_type, value, low, high, "share", n, basis))
    return out


def fit_rereferrals(history: History) -> list[Estimate]:
    """Re-referral within 6 and 12 months of a screen-out and of a closure, all case types.

    As the simulator's recurrence figures (docs/outputs.md): of the referrals screened out
    (or closed) in the period whose whole follow-up (182.5 or 365 days) ends before its end,
    the share whose subject was referred again within it. Needs subject ids.
    """
    if not history.has_subjects:
        return []
    r = history.referrals
    later = r[r["rereferral"]][["subject", "received"]].assign(later=lambda f: f.index)
    out = []
    exits = (
        ("screen_out", "screen-out", r[~r["screened_in"]]["received"]),
        ("closure", "closure", r["closed"].dropna()),
    )
    for key, label, when in exits:
        when = when[when >= history.start]
        for months, days in ((6, 182.5), (12, 365.0)):
            span = pd.Timedelta(days=days)
            followed = when[when + span <= history.end]
            exits_table = pd.DataFrame(
                {
                    "exit": followed.index,
                    "subject": r.loc[followed.index, "subject"],
                    "since": followed,
                }
            )
            merged = later.merge(exits_table, on="subject")
            gap = merged["received"] - merged["since"]
            came_back = (merged["later"] > merged["exit"]) & (gap <= span)
            back = merged[came_back]["exit"].nunique()
            n = len(followed)
            low, high = binomial_interval(int(back), n)
            out.append(
                Estimate(
                    f"rereferral_{months}m_after_{key}",
                    None,
                    back / n if n else float("nan"),
                    low,
                    high,
                    "share",
                    n,
                    f"{label}s followed {months} months, {back:,} re-referred",
                )
            )
    return out
