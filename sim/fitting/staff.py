"""What the staff table (and the workers named on referrals) says about the workforce.

- **Headcount** by role in post on the first day of the history.
- **Turnover hazard** of caseworkers: leavers over caseworker-years in post during the period
  (a constant hazard, so the count is Poisson over the exposure), with the exact interval.
  This is the observed rate: the scenario's strain multiplies its base rate, so with strain
  on, the simulated rate is higher than the base (said in the file).
- **Vacancy durations**: from each caseworker's leaving to the start of the next caseworker in
  the same position (with a ``position`` column), or else the next start not yet paired (first
  come, first filled: the mean is right, the spread is not); a vacancy still open at the end
  is right-censored. Fitted like case durations; the scenario's hiring lag.
- **The ramp of new hires' caseloads** (needs worker ids on the referrals): each new hire's
  open cases (those assigned since they started: a case that came from a leaver carries its
  first assignment date, so when it came is unknown) at the middle of each week of their first
  year, as a share of the mean caseload of the caseworkers in post before the period, fitted
  by least squares to the scenario's graduated caseload: none during ``training_days``,
  ``ramp_start_share`` of a full caseload when training ends, rising linearly to full over
  ``ramp_days``. Intervals by resampling the new hires (100 bootstrap samples), widened by
  half a week each way for the days (the weekly resolution). Where caps do not bind, a new
  hire fills up faster than the graduated cap allows, and the fitted ramp is the observed one.
- **Caseload per worker** month by month: the open cases of each worker at each month's end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .durations import DurationFit, fit_duration
from .estimates import Estimate, poisson_interval
from .tables import History

__all__ = [
    "RampFit",
    "StaffFit",
    "caseload_by_month",
    "fit_ramp",
    "fit_staff",
]

BOOTSTRAP = 100
TENURE_DAYS = 364
MIN_HIRES = 4


@dataclass(frozen=True)
class RampFit:
    """The graduated caseload of new hires, fitted to their caseloads by week of tenure."""

    training_days: Estimate
    ramp_days: Estimate
    ramp_start_share: Estimate
    weekly: pd.DataFrame
    """``week``, ``share`` (mean over hires of caseload / the experienced mean), ``hires``."""

    def share(self, days: np.ndarray) -> np.ndarray:
        return _ramp(
            days, self.training_days.value, self.ramp_days.value, self.ramp_start_share.value
        )


@dataclass(frozen=True)
class StaffFit:
    """Everything fitted about the workforce (fields ``None`` where the data cannot say)."""

    headcount: dict[str, int]
    """Staff in post on the first day, by role."""
    turnover: Estimate | None
    vacancy: DurationFit | None
    ramp: RampFit | None


def _spells(history: History, role: str = "caseworker") -> pd.DataFrame:
    staff = history.staff
    spells = staff[staff["role"] == role].copy()
    spells["start_day"] = history.day(spells["start"])
    spells["leave_day"] = history.day(spells["leave"])
    return spells


def _turnover(history: History) -> Estimate | None:
    spells = _spells(history)
    if spells.empty:
        return None
    end = history.days
    first = spells["start_day"].clip(lower=0)
    last = spells["leave_day"].fillna(end).clip(upper=end)
    years = float((last - first).clip(lower=0).sum()) / 365.0
    leavers = int(spells["leave_day"].between(0, end, inclusive="left").sum())
    if years <= 0:
        return None
    low, high = poisson_interval(leavers)
    return Estimate(
        "turnover.annual_rate",
        None,
        leavers / years,
        low / years,
        high / years,
        "per worker-year",
        len(spells),
        f"caseworker spells: {leavers:,} leavers in {years:,.1f} caseworker-years in post",
    )


def _vacancies(history: History) -> DurationFit | None:
    """Vacancy durations: each leaving paired with the next start (in its position if known)."""
    spells = _spells(history)
    end = history.days
    leaves = spells[spells["leave_day"].between(0, end, inclusive="left")]
    starts = spells[spells["start_day"] >= 0]
    by_position = spells["position"].notna().all()
    durations, censored = [], []
    groups = (
        [
            (p, leaves[leaves["position"] == p], starts[starts["position"] == p])
            for p in leaves["position"].unique()
        ]
        if by_position
        else [(None, leaves, starts)]
    )
    for _, left, started in groups:
        free = sorted(started["start_day"])
        for day in sorted(left["leave_day"]):
            match = next((s for s in free if s >= day), None)
            if match is None:
                durations.append(end - day)
                censored.append(True)
            else:
                free.remove(match)
                durations.append(match - day)
                censored.append(False)
    if sum(1 for c in censored if not c) < 3:
        return None
    how = "by position" if by_position else "first come, first filled"
    return fit_duration(
        np.array(durations),
        np.array(censored),
        figure="hiring.lag",
        basis=f"caseworker vacancies, paired {how}",
    )


def _headcount(history: History) -> dict[str, int]:
    staff = history.staff
    in_post = (staff["start"] <= history.start) & (
        staff["leave"].isna() | (staff["leave"] > history.start)
    )
    return {role: int(n) for role, n in staff[in_post]["role"].value_counts().items()}


# ---------------------------------------------------------------------- caseloads


def _open_cases(history: History) -> pd.DataFrame:
    """Cases with a worker: ``worker``, ``assigned`` and ``closed`` as days (inf if open)."""
    r = history.referrals
    held = r[r["worker"].notna() & r["assigned"].notna()]
    return pd.DataFrame(
        {
            "worker": held["worker"],
            "assigned": history.day(held["assigned"]),
            "closed": history.day(held["closed"]).fillna(np.inf),
        }
    )


def _caseload(cases: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """Open cases at each of ``days`` (a case counts from its assignment to its closure)."""
    assigned = np.sort(cases["assigned"].to_numpy())
    closed = np.sort(cases["closed"].to_numpy())
    return np.searchsorted(assigned, days, side="right") - np.searchsorted(
        closed, days, side="right"
    )


def caseload_by_month(history: History) -> pd.DataFrame | None:
    """Open cases per worker at each month's end: ``month``, ``workers`` (holding a case, or
    caseworkers in post with a staff table), ``mean``, ``p10``, ``median``, ``p90``."""
    if not history.has_workers:
        return None
    cases = _open_cases(history)
    months = pd.period_range(history.start, history.end - pd.Timedelta(days=1), freq="M")
    ends = ((months + 1).to_timestamp() - history.start) / pd.Timedelta(days=1) - 1e-9
    months, ends = months[ends < history.days], ends[ends < history.days].to_numpy()
    workers = sorted(cases["worker"].unique())
    loads = pd.DataFrame(
        {w: _caseload(c, ends) for w, c in cases.groupby("worker")}, index=range(len(ends))
    ).reindex(columns=workers)
    spells = _spells(history) if history.staff is not None else None
    rows = []
    for i, month in enumerate(months):
        if spells is not None:
            day = ends[i]
            in_post = spells[(spells["start_day"] <= day) & ~(spells["leave_day"] <= day)]
            values = np.array([loads.at[i, w] if w in loads else 0 for w in in_post["worker"]])
        else:
            values = loads.iloc[i].to_numpy()
            values = values[values > 0]
        if len(values) == 0:
            continue
        rows.append(
            {
                "month": month,
                "workers": len(values),
                "mean": values.mean(),
                "p10": np.percentile(values, 10),
                "median": np.median(values),
                "p90": np.percentile(values, 90),
            }
        )
    return pd.DataFrame(rows)


def _ramp(days: np.ndarray, training: float, ramp: float, start_share: float) -> np.ndarray:
    progress = np.clip((days - training) / ramp, 0.0, 1.0) if ramp > 0 else (days >= training) * 1.0
    return np.where(days < training, 0.0, start_share + (1 - start_share) * progress)


def _hire_shares(history: History) -> pd.DataFrame | None:
    """Each new hire's caseload over the experienced workers' mean, by week of tenure."""
    spells = _spells(history)
    cases = _open_cases(history)
    held = dict(iter(cases.groupby("worker")))
    hires = spells[(spells["start_day"] >= 0)]
    experienced = spells[spells["start_day"] < 0]
    if len(hires) < MIN_HIRES or experienced.empty:
        return None
    rows = []
    for hire in hires.itertuples():
        last = min(history.days, hire.leave_day if np.isfinite(hire.leave_day) else np.inf)
        tenure = np.arange(0, TENURE_DAYS, 7, dtype=float)
        days = hire.start_day + tenure + 3.5  # the middle of each week
        tenure, days = tenure[days < last], days[days < last]
        if len(days) == 0:
            continue
        # A case assigned before the hire started came to them from a leaver, on a day the
        # table does not give (it names the last worker only): left out.
        mine = held.get(hire.worker)
        own = (
            np.zeros(len(days))
            if mine is None
            else _caseload(mine[mine["assigned"] >= hire.start_day], days)
        )
        reference = np.zeros(len(days))
        counted = np.zeros(len(days))
        for worker in experienced.itertuples():
            active = (days >= worker.start_day) & ~(days >= worker.leave_day)
            if worker.worker in held:
                reference += np.where(active, _caseload(held[worker.worker], days), 0)
            counted += active
        mean = np.where(counted > 0, reference / np.maximum(counted, 1), 0.0)
        mean[mean <= 0] = np.nan
        rows.append(
            pd.DataFrame({"hire": hire.worker, "tenure": tenure + 3.5, "share": own / mean})
        )
    table = pd.concat(rows).dropna()
    table = table[np.isfinite(table["share"])]
    return table if table["hire"].nunique() >= MIN_HIRES else None


_TRAINING = np.arange(0, 121, 2.0)[:, None, None]
_RAMP = np.arange(0, 361, 10.0)[None, :, None]


def _fit_curve(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Least squares of the weekly mean shares ``y`` (weights ``w``, tenure ``t`` days) over a
    grid of training days (0-120, by 2) and ramp days (0-360, by 10), the start share in
    closed form for each pair (the curve is linear in it)."""
    t = t[None, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(_RAMP > 0, np.clip((t - _TRAINING) / _RAMP, 0, 1), 1.0)
    active = t >= _TRAINING
    x = np.where(active, 1 - u, 0.0)  # share = a (1 - u) + u once training is over
    target = np.where(active, y - u, 0.0)
    a = np.clip(np.sum(w * x * target, axis=2) / np.maximum(np.sum(w * x * x, axis=2), 1e-12), 0, 1)
    fitted = np.where(active, a[:, :, None] * (1 - u) + u, 0.0)
    loss = np.sum(w * (y - fitted) ** 2, axis=2)
    i, j = np.unravel_index(np.argmin(loss), loss.shape)
    return float(_TRAINING[i, 0, 0]), float(_RAMP[0, j, 0]), float(a[i, j])


def _weekly(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean share and number of hires by week, from a hires x weeks matrix (NaN: not seen)."""
    seen = np.isfinite(shares)
    count = seen.sum(axis=0)
    mean = np.where(count > 0, np.nansum(shares, axis=0) / np.maximum(count, 1), 0.0)
    return mean, count


def fit_ramp(history: History, seed: int = 0) -> RampFit | None:
    """The graduated caseload of new hires (``None`` without enough hires and worker ids)."""
    if history.staff is None or not history.has_workers:
        return None
    table = _hire_shares(history)
    if table is None:
        return None
    matrix = table.pivot_table(index="hire", columns="tenure", values="share", aggfunc="mean")
    shares, tenure = matrix.to_numpy(float), matrix.columns.to_numpy(float)
    mean, count = _weekly(shares)
    training, ramp, share = _fit_curve(tenure, mean, count)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    draws = np.array(
        [
            _fit_curve(tenure, *_weekly(shares[rng.integers(0, len(shares), len(shares))]))
            for _ in range(BOOTSTRAP)
        ]
    )
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    low[:2], high[:2] = np.maximum(low[:2] - 3.5, 0.0), high[:2] + 3.5  # weekly resolution
    n = len(table)
    basis = f"caseloads of {len(shares)} new hires by week of tenure"
    weekly = pd.DataFrame({"tenure": tenure, "share": mean, "hires": count})
    return RampFit(
        Estimate("hiring.training_days", None, training, low[0], high[0], "days", n, basis),
        Estimate("hiring.ramp_days", None, ramp, low[1], high[1], "days", n, basis),
        Estimate("hiring.ramp_start_share", None, share, low[2], high[2], "share", n, basis),
        weekly,
    )


def fit_staff(history: History) -> StaffFit | None:
    """Headcount, turnover, vacancies and the ramp (``None`` without a staff table)."""
    if history.staff is None:
        return None
    return StaffFit(_headcount(history), _turnover(history), _vacancies(history), fit_ramp(history))
