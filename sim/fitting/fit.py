"""``sim.fit``: from an agency's history to a scenario, every figure with its interval.

The referrals table gives, by case type, the arrival rate of first reports (with seasonality
and flagged surges), the screen-out share (the threshold), the risk mix and the case
durations (censored fits); across types, the re-referral shares and the open caseload on the
first day. The staff table gives the headcount, the turnover hazard, the vacancy durations
and, with worker ids on the referrals, the ramp of new hires' caseloads. What the data cannot
give (hours, contacts, signal rates, strain, costs) comes from a base scenario and is marked
as such in the written file (:mod:`.writer`). :meth:`FitResult.backtest` simulates the fitted
scenario over the history (:mod:`.backtest`); :meth:`FitResult.report` draws and tabulates
the fit (:mod:`.report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ScenarioError
from ..scenario import Scenario, load_scenario, load_yaml
from .durations import DurationFit, fit_duration
from .estimates import (
    ArrivalFit,
    Estimate,
    first_reports,
    fit_arrivals,
    fit_rereferrals,
    fit_risk_mix,
    fit_screen_out,
)
from .staff import StaffFit, caseload_by_month, fit_staff
from .tables import ColumnMapping, History, OddRows, load_mapping, read_history

if TYPE_CHECKING:
    from .backtest import BackTest

__all__ = ["DEFAULT_BASE", "CaseTypeFit", "FitResult", "fit"]

DEFAULT_BASE = "minimal"
"""The shipped scenario that gives what the data cannot, unless ``base`` names another."""
_SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class CaseTypeFit:
    """What was fitted for one case type."""

    name: str
    arrivals: ArrivalFit
    screen_out: Estimate
    risk_mix: list[Estimate]
    duration: DurationFit | None
    """``None`` with fewer than two closed cases (the base's duration is kept)."""
    truncated: int
    """Cases assigned before the history began (left out of the duration fit)."""


@dataclass(frozen=True)
class InitialCaseload:
    """The office on the first day of the history."""

    open: int
    waiting: int
    rows: int


@dataclass(frozen=True)
class FitResult:
    """A fitted scenario and everything behind it.

    Attributes
    ----------
    history
        The checked tables and their period.
    case_types
        What was fitted per case type, in the order of first appearance.
    staff
        Headcount, turnover, vacancies and ramp (``None`` without a staff table).
    caseloads
        Open cases per worker at each month's end (``None`` without worker ids).
    rereferrals
        Re-referral shares after a screen-out and a closure (empty without subject ids).
    caseworkers
        Caseworker positions in the scenario, and where the number came from.
    initial
        The open caseload and waiting list on the first day.
    base, base_source
        The base scenario and its file.
    scenario, text
        The fitted scenario, validated, and its YAML with a comment on every figure.
    """

    history: History
    case_types: list[CaseTypeFit]
    staff: StaffFit | None
    caseloads: pd.DataFrame | None
    rereferrals: list[Estimate]
    caseworkers: tuple[int, str]
    initial: InitialCaseload
    base: Scenario
    base_source: str
    base_data: dict = field(repr=False)
    scenario: Scenario = field(init=False, repr=False)
    text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from .writer import scenario_text

        text, scenario = scenario_text(self)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "scenario", scenario)

    @property
    def odd(self) -> list[OddRows]:
        return self.history.odd

    def estimates(self) -> pd.DataFrame:
        """Every fitted figure: ``figure``, ``case_type``, ``value``, ``low``, ``high``,
        ``unit``, ``rows``, ``basis``."""
        found: list[Estimate] = []
        for c in self.case_types:
            found += [c.arrivals.rate, *(c.arrivals.seasonality or []), c.screen_out, *c.risk_mix]
            if c.duration is not None:
                found += [c.duration.mean, c.duration.sd]
        found += self.rereferrals
        if self.staff is not None:
            found += [e for e in (self.staff.turnover,) if e is not None]
            if self.staff.vacancy is not None:
                found += [self.staff.vacancy.mean, self.staff.vacancy.sd]
            if self.staff.ramp is not None:
                r = self.staff.ramp
                found += [r.training_days, r.ramp_days, r.ramp_start_share]
        return pd.DataFrame([vars(e) for e in found])

    def write(self, path: str | Path) -> Path:
        """Write the scenario file (it validates: it was read back when built)."""
        path = Path(path)
        path.write_text(self.text, encoding="utf-8")
        return path

    def backtest(
        self, replications: int = 19, seed: int | None = None, scenario: Scenario | None = None
    ) -> BackTest:
        """Simulate the fitted scenario over the history: see :func:`.backtest.backtest`."""
        from .backtest import backtest

        return backtest(self, replications=replications, seed=seed, scenario=scenario)

    def report(self, folder: str | Path, backtest: BackTest | None = None) -> list[Path]:
        """Write the fit report (figures and tables) into ``folder``: see :mod:`.report`."""
        from .report import write_report

        return write_report(self, folder, backtest)


def _base(base: str | Path | None) -> tuple[Scenario, dict, str]:
    """The base scenario, its plain data and its file; a bare name is a shipped scenario."""
    name = str(base or DEFAULT_BASE)
    path = Path(name)
    if not path.suffix and not path.exists():
        path = _SHIPPED / f"{name}.yaml"
        if not path.is_file():
            raise ScenarioError(
                "--base", None, f"no shipped scenario {name!r}: expected a scenario file"
            )
        return load_scenario(path), load_yaml(path), f"scenarios/{name}.yaml, shipped"
    return load_scenario(path), load_yaml(path), str(path)


def _levels(history: History, tiers: list[str]) -> None:
    """Every risk level is a tier of the base scenario (else one line naming the row)."""
    r = history.referrals
    bad = r["risk_level"].notna() & ~r["risk_level"].isin(tiers)
    if bad.any():
        row = r[bad].iloc[0]
        column = history.columns.get("risk_level", "risk_level")
        raise ScenarioError(
            history.source,
            f"row {row['row']}, column {column!r}",
            f"expected a risk level that is a tier of the base scenario ({', '.join(tiers)}), "
            f"or one mapped to a tier in a mapping file, got {row['risk_level']!r}",
        )


def _base_mix(base: Scenario, case_type: str) -> dict[str, float]:
    types = base.case_types
    return next((t for t in types if t.name == case_type), types[0]).risk_mix


def _durations(history: History, case_type: str) -> tuple[DurationFit | None, int]:
    """Case durations from assignment, censored at the end; cases assigned before the start
    are left out (those still open at it are left-truncated: counted and said)."""
    r = history.referrals
    cases = r[(r["case_type"] == case_type) & r["assigned"].notna()]
    before = cases["assigned"] < history.start
    truncated = before & (cases["closed"].isna() | (cases["closed"] >= history.start))
    cases = cases[~before]
    closed = cases["closed"].notna()
    days = history.day(cases["closed"]).where(closed, history.days) - history.day(cases["assigned"])
    if (days[closed] > 0).sum() < 2:  # too few closures to fit a spread
        return None, int(truncated.sum())
    fitted = fit_duration(
        days.to_numpy(float),
        (~closed).to_numpy(),
        figure="duration",
        case_type=case_type,
        basis="cases assigned in the history",
    )
    return fitted, int(truncated.sum())


def _initial(history: History) -> InitialCaseload:
    r = history.referrals
    start = history.start
    earlier = r["received"] < start
    open_ = earlier & (r["assigned"] < start) & (r["closed"].isna() | (r["closed"] >= start))
    waiting = (
        earlier
        & r["screened_in"]
        & (r["assigned"].isna() | (r["assigned"] >= start))
        & (r["closed"].isna() | (r["closed"] >= start))
    )
    return InitialCaseload(int(open_.sum()), int(waiting.sum()), int(earlier.sum()))


def _vacant_positions(history: History) -> int:
    """Caseworker posts vacant on the first day: left before it, filled again after it."""
    spells = history.staff[history.staff["role"].isin(["caseworker", "agency"])]
    if spells["position"].isna().any():
        return 0
    start = history.start
    vacant = 0
    for _, post in spells.groupby("position"):
        held = ((post["start"] <= start) & ~(post["leave"] <= start)).any()
        left = (post["leave"] <= start).any()
        refilled = (post["start"] > start).any()
        vacant += bool(not held and left and refilled)
    return vacant


def _caseworkers(history: History, staff: StaffFit | None, base: Scenario) -> tuple[int, str]:
    if staff is not None:
        count = staff.headcount.get("caseworker", 0) + staff.headcount.get("agency", 0)
        vacant = _vacant_positions(history)
        if count and vacant:
            return count + vacant, (
                f"fitted: {count} caseworkers in post on {history.start:%Y-%m-%d} and {vacant} "
                f"posts vacant ({history.staff_source})"
            )
        if count:
            return (
                count,
                f"fitted: caseworkers in post on {history.start:%Y-%m-%d} ({history.staff_source})",
            )
    if history.has_workers:
        r = history.referrals
        holding = r[
            (r["assigned"] < history.start + pd.Timedelta(days=30))
            & (r["closed"].isna() | (r["closed"] >= history.start))
        ]["worker"].dropna()
        if holding.nunique():
            return int(holding.nunique()), (
                f"fitted: workers holding a case in the first 30 days ({history.source})"
            )
    return base.staffing.caseworkers, "base: not in the data"


def fit(
    referrals: str | Path | pd.DataFrame,
    staff: str | Path | pd.DataFrame | None = None,
    *,
    base: str | Path | None = None,
    mapping: ColumnMapping | str | Path | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> FitResult:
    """Fit a scenario to an agency's history.

    Parameters
    ----------
    referrals, staff
        The tables (CSV or Parquet files, or DataFrames): docs/fit.md.
    base
        The scenario that gives what the data cannot (a file, or the name of a shipped one;
        default ``minimal``).
    mapping
        Column names, values and date format (a :class:`~.tables.ColumnMapping` or its file).
    start, end
        The history's first day and the day after its last (defaults: see
        :func:`~.tables.read_history`).

    Raises
    ------
    ScenarioError
        Bad data, in one line naming the file, the row and the column.
    """
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    base_scenario, base_data, base_source = _base(base)
    history = read_history(referrals, staff, mapping=mapping, start=start, end=end)
    tiers = [t.name for t in base_scenario.risk.tiers]
    _levels(history, tiers)
    fits = []
    for case_type in pd.unique(history.referrals["case_type"]):
        if first_reports(history, case_type).empty:
            raise ScenarioError(
                history.source,
                f"column {history.columns['case_type']!r}",
                f"case type {case_type!r} has no first report in the history: expected one",
            )
        duration, truncated = _durations(history, case_type)
        fits.append(
            CaseTypeFit(
                case_type,
                fit_arrivals(history, case_type),
                fit_screen_out(history, case_type),
                fit_risk_mix(history, case_type, tiers, _base_mix(base_scenario, case_type)),
                duration,
                truncated,
            )
        )
    staff_fit = fit_staff(history)
    return FitResult(
        history=history,
        case_types=fits,
        staff=staff_fit,
        caseloads=caseload_by_month(history),
        rereferrals=fit_rereferrals(history),
        caseworkers=_caseworkers(history, staff_fit, base_scenario),
        initial=_initial(history),
        base=base_scenario,
        base_source=base_source,
        base_data=base_data,
    )
