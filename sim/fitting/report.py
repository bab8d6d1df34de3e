"""The fit report: observed against fitted, as figures and tables in a folder.

- ``arrivals_<type>.png``: first reports by month against the fitted rate and its 95% Poisson
  band, flagged months marked;
- ``duration_<type>.png`` (and ``vacancies.png``): the Kaplan-Meier survival of the observed
  durations (``scipy.stats.ecdf`` on the censored data; a tick for each censored duration)
  against the survival of each fitted family, the chosen one drawn solid;
- ``ramp.png``: new hires' caseloads by week of tenure against the fitted graduated caseload;
  ``caseloads.png``: caseload per worker by month (mean, 10th to 90th percentile);
- ``backtest.png``: the observed monthly series against the simulated 90% band;
- tables: ``estimates.csv`` (every fitted figure with its interval and rows),
  ``arrivals_monthly.csv``, ``caseloads.csv``, ``backtest.csv``, ``odd_rows.csv``;
- ``report.md``: the estimates, the odd rows and the back-test in a page, with the figures.

matplotlib is imported here, on first use, never by ``import sim``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ScenarioError
from .backtest import SERIES, BackTest
from .durations import FAMILIES, DurationFit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .fit import FitResult

__all__ = ["write_report"]


def _arrivals(monthly: pd.DataFrame, case_type: str) -> Figure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    x = monthly["month"].dt.to_timestamp()
    ax.fill_between(
        x, monthly["low"], monthly["high"], step="mid", alpha=0.25, label="fitted 95% band"
    )
    ax.step(x, monthly["expected"], where="mid", label="fitted mean")
    ax.plot(x, monthly["observed"], "o", ms=3, color="black", label="observed")
    surges = monthly[monthly["surge"]]
    ax.plot(
        surges["month"].dt.to_timestamp(),
        surges["observed"],
        "o",
        ms=7,
        mfc="none",
        color="red",
        label="flagged month",
    )
    ax.set_ylabel("first reports in the month")
    ax.set_title(f"{case_type}: arrivals by month (partial months scaled by their days)")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _survival(fit: DurationFit, title: str) -> Figure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    data = stats.CensoredData(
        uncensored=fit.durations[~fit.censored], right=fit.durations[fit.censored]
    )
    km = stats.ecdf(data).sf
    ax.step(
        km.quantiles, km.probabilities, where="post", color="black", label="observed (Kaplan-Meier)"
    )
    censored = fit.durations[fit.censored]
    if len(censored):
        at = np.interp(censored, km.quantiles, km.probabilities)
        ax.plot(censored, at, "|", color="black", ms=6, alpha=0.5, label="still open (censored)")
    grid = np.linspace(0, np.quantile(fit.durations, 0.99) * 1.2, 300)
    for family in FAMILIES:
        style = "-" if family == fit.family else "--"
        ax.plot(
            grid, fit.frozen(family).sf(grid), style, label=f"{family} (AIC {fit.aic[family]:.0f})"
        )
    ax.set_xlabel("days")
    ax.set_ylabel("share still open")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _backtest(test: BackTest) -> Figure:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(SERIES), 1, figsize=(8, 8), sharex=True)
    labels = {
        "referrals": "referrals received",
        "open": "cases open at month end",
        "closures": "closures",
    }
    for ax, series in zip(axes, SERIES, strict=True):
        rows = test.months[test.months["series"] == series]
        x = rows["month"].dt.to_timestamp()
        band = f"simulated {test.level:.0%} band"
        ax.fill_between(x, rows["low"], rows["high"], alpha=0.25, label=band)
        ax.plot(x, rows["median"], label="simulated median")
        ax.plot(x, rows["observed"], "o-", ms=3, color="black", label="observed")
        ax.set_ylabel(labels[series])
        ax.set_title(
            f"{labels[series]}: {test.coverage[series]:.0%} of months inside the band", fontsize=9
        )
    axes[0].legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _ramp(result: FitResult) -> Figure:
    import matplotlib.pyplot as plt

    ramp = result.staff.ramp
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ramp.weekly["tenure"], ramp.weekly["share"], "o", ms=3, color="black", label="observed")
    grid = np.linspace(0, ramp.weekly["tenure"].max(), 300)
    ax.plot(grid, ramp.share(grid), label="fitted graduated caseload")
    ax.set_xlabel("days since hire")
    ax.set_ylabel("caseload / experienced workers' mean")
    ax.set_title("New hires' caseloads")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _caseloads(loads: pd.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    x = loads["month"].dt.to_timestamp()
    ax.fill_between(x, loads["p10"], loads["p90"], alpha=0.25, label="10th-90th percentile")
    ax.plot(x, loads["mean"], label="mean")
    ax.set_ylabel("open cases per worker")
    ax.set_title("Caseload per worker at month ends")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _markdown(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def write_report(
    result: FitResult, folder: str | Path, backtest: BackTest | None = None
) -> list[Path]:
    """Write the report's figures and tables into ``folder`` (created if need be).

    Returns the files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(
            str(folder), None, f"cannot make the report folder: {exc.strerror}"
        ) from None
    written: list[Path] = []
    figures: list[tuple[str, str]] = []

    def save(fig: Figure, name: str, caption: str) -> None:
        path = folder / name
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
        figures.append((name, caption))

    def table(frame: pd.DataFrame, name: str) -> None:
        path = folder / name
        frame.to_csv(path, index=False)
        written.append(path)

    estimates = result.estimates()
    table(estimates, "estimates.csv")
    monthly = []
    for fit in result.case_types:
        save(
            _arrivals(fit.arrivals.monthly, fit.name),
            f"arrivals_{fit.name}.png",
            f"{fit.name}: first reports by month",
        )
        monthly.append(fit.arrivals.monthly.assign(case_type=fit.name))
        if fit.duration is not None:
            save(
                _survival(fit.duration, f"{fit.name}: case durations from assignment"),
                f"duration_{fit.name}.png",
                f"{fit.name}: case durations",
            )
    table(pd.concat(monthly, ignore_index=True), "arrivals_monthly.csv")
    staff = result.staff
    if staff is not None and staff.vacancy is not None:
        save(_survival(staff.vacancy, "Vacancy durations"), "vacancies.png", "vacancy durations")
    if staff is not None and staff.ramp is not None:
        save(_ramp(result), "ramp.png", "new hires' caseloads")
    if result.caseloads is not None and len(result.caseloads):
        table(result.caseloads, "caseloads.csv")
        save(_caseloads(result.caseloads), "caseloads.png", "caseload per worker")
    odd = pd.DataFrame(
        [
            {
                "file": o.source,
                "problem": o.problem,
                "rows": len(o.rows),
                "left_out": o.left_out,
                "row_numbers": " ".join(map(str, o.rows)),
            }
            for o in result.odd
        ],
        columns=["file", "problem", "rows", "left_out", "row_numbers"],
    )
    table(odd, "odd_rows.csv")
    if backtest is not None:
        table(backtest.months, "backtest.csv")
        save(_backtest(backtest), "backtest.png", "back-test")
    h = result.history
    lines = [
        f"# Fit of {h.source}",
        "",
        f"History {h.start:%Y-%m-%d} to {h.end - pd.Timedelta(days=1):%Y-%m-%d} "
        f"({h.days:g} days); base scenario {result.base.name!r} ({result.base_source}).",
        "",
        "## Estimates (95% intervals)",
        "",
        _markdown(
            estimates[["figure", "case_type", "value", "low", "high", "unit", "rows", "basis"]]
        ),
        "",
        "## Odd rows",
        "",
        *([f"- {o.describe()}" for o in result.odd] or ["none"]),
        "",
    ]
    if backtest is not None:
        lines += ["## Back-test", "", backtest.describe(), ""]
    lines += ["## Figures", ""] + [f"![{caption}]({name})" for name, caption in figures]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(path)
    return written
