"""Recurrence: subjects who come back after the agency let them go, and harms per subject.

Agencies and researchers report how often a family, a defendant or a probationer is
referred again within 6 or 12 months of leaving the agency, by how they left:

==========================  =====================================================
after a screen-out          the referral was screened out
after closure, no services  a case of a type without services (an investigation)
                            closed, and no follow-on case opened
after services              a case of a type with services (an ongoing case, a
                            supervision term) closed, and no follow-on case opened
==========================  =====================================================

Each exit is dated; the subject's next re-referral (a re-reported signal on a referral
screened out or closed) counts for the exit if it comes within the window. An exit
counts only if it falls in the statistics window and its whole follow-up window ends
before the run does (no right-censored exit in the denominator). Harms per subject are
the harms to subjects first referred in the statistics window, over their whole risk
window, again only for subjects whose risk window ends before the run does.

Counts are kept by day and case type (constant memory, whatever the number of subjects).
"""

from __future__ import annotations

from collections.abc import Sequence

from .referral import Subject

__all__ = [
    "AFTER_SERVICES",
    "EXIT_NAMES",
    "SCREENED_OUT",
    "WINDOWS",
    "WITHOUT_SERVICES",
    "RecurrenceLog",
]

SCREENED_OUT, WITHOUT_SERVICES, AFTER_SERVICES = 1, 2, 3
EXIT_NAMES = {
    SCREENED_OUT: "screen_out",
    WITHOUT_SERVICES: "closure_without_services",
    AFTER_SERVICES: "services",
}
WINDOWS = {"6m": 182.5, "12m": 365.0}
"""Follow-up windows in days."""


class RecurrenceLog:
    """Exits, re-referrals after them, first referrals and their harms, by day and type.

    Parameters
    ----------
    warmup
        The start of the statistics window.
    risk_windows
        Each case type's risk window in days (for harms per subject).
    """

    def __init__(self, warmup: float, risk_windows: Sequence[float]) -> None:
        self.warmup = warmup
        self.risk_windows = list(risk_windows)
        self.exits: dict[tuple[int, int, int], int] = {}
        """(kind, case type, day) -> exits."""
        self.returns: dict[tuple[int, int, str, int], int] = {}
        """(kind, case type, window, exit day) -> re-referred within the window."""
        self.subjects: dict[tuple[int, int], int] = {}
        """(case type, day) -> subjects first referred."""
        self.harms: dict[tuple[int, int], int] = {}
        """(case type, day of first referral) -> harms to those subjects."""

    def left(self, subject: Subject, kind: int, case_type: int, time: float) -> None:
        """``subject`` left the agency at ``time`` (a screen-out or a closure of ``case_type``)."""
        subject.exit_kind, subject.exit_type, subject.exit_time = kind, case_type, time
        key = (kind, case_type, int(time))
        self.exits[key] = self.exits.get(key, 0) + 1

    def came_back(self, subject: Subject, time: float) -> None:
        """``subject`` is referred again at ``time``: a return after its last exit, if any."""
        kind = subject.exit_kind
        if not kind:
            return
        elapsed = time - subject.exit_time
        day = int(subject.exit_time)
        for name, days in WINDOWS.items():
            if elapsed <= days:
                key = (kind, subject.exit_type, name, day)
                self.returns[key] = self.returns.get(key, 0) + 1
        subject.exit_kind = 0

    def first_referral(self, subject: Subject, case_type: int, time: float) -> None:
        subject.origin_type, subject.origin_day = case_type, int(time)
        key = (case_type, int(time))
        self.subjects[key] = self.subjects.get(key, 0) + 1

    def harm(self, subject: Subject) -> None:
        if subject.origin_type >= 0:
            key = (subject.origin_type, subject.origin_day)
            self.harms[key] = self.harms.get(key, 0) + 1

    # ---- figures ---------------------------------------------------------------------

    def rereferral_share(
        self, kind: int, window: str, end: float, case_type: int | None = None
    ) -> float:
        """Share of exits of ``kind`` re-referred within ``window`` (``None``: every type)."""
        days = WINDOWS[window]
        exits = returned = 0
        for (k, t, day), count in self.exits.items():
            if k == kind and (case_type is None or t == case_type) and self._inside(day, days, end):
                exits += count
                returned += self.returns.get((k, t, window, day), 0)
        return returned / exits if exits else float("nan")

    def harms_per_subject(self, end: float, case_type: int | None = None) -> float:
        """Harms per subject first referred in the window, over its whole risk window."""
        subjects = harms = 0
        for (t, day), count in self.subjects.items():
            if case_type is not None and t != case_type:
                continue
            if self._inside(day, self.risk_windows[t], end):
                subjects += count
                harms += self.harms.get((t, day), 0)
        return harms / subjects if subjects else float("nan")

    def _inside(self, day: int, follow_up: float, end: float) -> bool:
        """An event on ``day`` inside the statistics window, followed up to its end in the run."""
        return day >= self.warmup and day + 1.0 + follow_up <= end
