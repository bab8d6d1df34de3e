"""The outcome model's counters: service, pathways, reassessment, recurrence, and by case type.

Fed by the parts of the outcome model (:mod:`.service`, :mod:`.pathways`,
:mod:`.reassessment`) and, for the counters by case type, by :class:`~.metrics.Metrics`
itself; everything is counted when it happens inside the statistics window, like the rest
of the metrics. Recurrence has its own log (:mod:`.recurrence`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from .recurrence import (
    AFTER_SERVICES,
    EXIT_NAMES,
    SCREENED_OUT,
    WINDOWS,
    WITHOUT_SERVICES,
    RecurrenceLog,
)
from .summary import CASE_TYPE_FIGURES

__all__ = ["OutcomeMetrics"]

EXITS = (SCREENED_OUT, WITHOUT_SERVICES, AFTER_SERVICES)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


class OutcomeMetrics:
    """Counters of the outcome model for one replication.

    Parameters
    ----------
    warmup
        The start of the statistics window.
    case_types
        The case types' names, in the scenario's order.
    harm_follow_ups
        Each case type's follow-up for harms per subject (its risk window and the detection
        window after it; :class:`~sim.core.recurrence.RecurrenceLog`).
    horizon
        The run's length in days (counts by day are laid out for it; they grow past it).
    """

    def __init__(
        self,
        warmup: float,
        case_types: Sequence[str] = ("all",),
        harm_follow_ups: Sequence[float] | None = None,
        horizon: float = 0.0,
    ) -> None:
        self.warmup = warmup
        self.case_types = list(case_types)
        count = len(self.case_types)
        self.by_type: dict[str, list[float]] = {
            name: [0] * count
            for name in (
                *("referrals", "screened_out", "follow_on_cases", "cases_closed"),
                *("prevented", "caught", "missed", "dose_total", "doses"),
            )
        }
        """Counters by case type (index), in the window."""
        self.recurrence = RecurrenceLog(warmup, harm_follow_ups or [math.inf] * count, horizon)
        self.prevented = 0
        self.prevented_today = 0
        self.signals_in_service = 0
        self.service_doses = 0
        self.service_dose_total = 0.0
        self.follow_on_cases = 0
        self.reassessments = 0
        self.tier_changes = 0
        self.tiers_lowered = 0

    def signal_in_service(self, time: float) -> None:
        """A candidate signal while its subject receives service (prevented or not)."""
        if time >= self.warmup:
            self.signals_in_service += 1

    def prevent(self, time: float, case_type: int) -> None:
        """A candidate signal that service prevented (it never happens)."""
        self.prevented_today += 1
        if time >= self.warmup:
            self.prevented += 1
            self.by_type["prevented"][case_type] += 1

    def service_dose(self, time: float, dose: float, case_type: int) -> None:
        """The dose a case with service received, read at its closure."""
        if time >= self.warmup:
            self.service_doses += 1
            self.service_dose_total += dose
            self.by_type["doses"][case_type] += 1
            self.by_type["dose_total"][case_type] += dose

    def follow_on(self, time: float, case_type: int) -> None:
        """A follow-on case of ``case_type`` opened by a pathway."""
        if time >= self.warmup:
            self.follow_on_cases += 1
            self.by_type["follow_on_cases"][case_type] += 1

    def reassessment(self, time: float, old_tier: int, new_tier: int) -> None:
        if time >= self.warmup:
            self.reassessments += 1
            self.tier_changes += new_tier != old_tier
            self.tiers_lowered += new_tier < old_tier

    def figures(self, end: float, caught: int, missed: int) -> dict[str, float]:
        """The summary's outcome figures over ``[warmup, end]``."""
        recurrence = self.recurrence
        return {
            "prevented": self.prevented,
            "signals_in_service": self.signals_in_service,
            "prevented_share": _share(self.prevented, self.prevented + caught + missed),
            "service_dose_mean": _share(self.service_dose_total, self.service_doses),
            "follow_on_cases": self.follow_on_cases,
            "reassessments": self.reassessments,
            "tier_changes": self.tier_changes,
            "tiers_lowered": self.tiers_lowered,
            **{
                f"rereferred_{window}_after_{EXIT_NAMES[kind]}": recurrence.rereferral_share(
                    kind, window, end
                )
                for kind in EXITS
                for window in WINDOWS
            },
            "harms_per_subject": recurrence.harms_per_subject(end),
        }

    def by_case_type(self, end: float) -> pd.DataFrame:
        """The figures of :data:`~sim.core.summary.CASE_TYPE_FIGURES`, one row per case type."""
        counts, recurrence = self.by_type, self.recurrence
        rows = []
        for index, name in enumerate(self.case_types):
            row: dict[str, object] = {"case_type": name}
            for figure in ("referrals", "screened_out", "follow_on_cases", "cases_closed"):
                row[figure] = counts[figure][index]
            for figure in ("prevented", "caught", "missed"):
                row[figure] = counts[figure][index]
            row["service_dose_mean"] = _share(counts["dose_total"][index], counts["doses"][index])
            for kind in EXITS:
                for window in WINDOWS:
                    row[f"rereferred_{window}_after_{EXIT_NAMES[kind]}"] = (
                        recurrence.rereferral_share(kind, window, end, index)
                    )
            row["harms_per_subject"] = recurrence.harms_per_subject(end, index)
            rows.append(row)
        return pd.DataFrame(rows, columns=["case_type", *CASE_TYPE_FIGURES])
