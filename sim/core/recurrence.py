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

import math
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
    follow_ups
        Each case type's follow-up in days for harms per subject: its risk window plus the
        detection window, by whose end the last signal of the risk window has become a harm
        or not.
    horizon
        The run's length in days: counts by day are laid out for it (and grow past it).
    """

    def __init__(self, warmup: float, follow_ups: Sequence[float], horizon: float = 0.0) -> None:
        self.warmup = warmup
        self.follow_ups = list(follow_ups)
        types = range(len(self.follow_ups))
        size = int(horizon) + 2

        def days() -> list[int]:
            return [0] * size

        self.exits: dict[int, list[list[int]]] = {
            kind: [days() for _ in types] for kind in EXIT_NAMES
        }
        """kind -> case type -> exits by day."""
        self.returns: dict[int, list[list[list[int]]]] = {
            kind: [[days() for _ in WINDOWS] for _ in types] for kind in EXIT_NAMES
        }
        """kind -> case type -> window -> re-referred within it, by the exit's day."""
        self.subjects: list[list[int]] = [days() for _ in types]
        """case type -> subjects first referred, by day."""
        self.harms: list[list[int]] = [days() for _ in types]
        """case type -> harms to subjects first referred, by the day of the first referral."""
        self._windows = list(WINDOWS.values())

    def left(self, subject: Subject, kind: int, case_type: int, time: float) -> None:
        """``subject`` left the agency at ``time`` (a screen-out or a closure of ``case_type``)."""
        subject.exit_kind, subject.exit_type, subject.exit_time = kind, case_type, time
        _count(self.exits[kind][case_type], int(time))

    def came_back(self, subject: Subject, time: float) -> None:
        """``subject`` is referred again at ``time``: a return after its last exit, if any."""
        kind = subject.exit_kind
        if not kind:
            return
        elapsed = time - subject.exit_time
        day = int(subject.exit_time)
        returns = self.returns[kind][subject.exit_type]
        for index, days in enumerate(self._windows):
            if elapsed <= days:
                _count(returns[index], day)
        subject.exit_kind = 0

    def first_referral(self, case_type: int, day: int) -> None:
        """A subject's first referral, of ``case_type`` on ``day`` (the subject carries both
        as its origin, for its harms)."""
        _count(self.subjects[case_type], day)

    def harm(self, subject: Subject) -> None:
        if subject.origin_type >= 0:
            _count(self.harms[subject.origin_type], subject.origin_day)

    # ---- figures ---------------------------------------------------------------------

    def rereferral_share(
        self, kind: int, window: str, end: float, case_type: int | None = None
    ) -> float:
        """Share of exits of ``kind`` re-referred within ``window`` (``None``: every type)."""
        index = list(WINDOWS).index(window)
        days = self._days(WINDOWS[window], end)
        types = range(len(self.follow_ups)) if case_type is None else [case_type]
        exits = sum(sum(self.exits[kind][t][days]) for t in types)
        returned = sum(sum(self.returns[kind][t][index][days]) for t in types)
        return returned / exits if exits else float("nan")

    def harms_per_subject(self, end: float, case_type: int | None = None) -> float:
        """Harms per subject first referred in the window, over its whole risk window (each
        subject whose follow-up ends in the run)."""
        subjects = harms = 0
        types = range(len(self.follow_ups)) if case_type is None else [case_type]
        for t in types:
            days = self._days(self.follow_ups[t], end)
            subjects += sum(self.subjects[t][days])
            harms += sum(self.harms[t][days])
        return harms / subjects if subjects else float("nan")

    def _days(self, follow_up: float, end: float) -> slice:
        """The days of events inside the statistics window whose follow-up ends in the run:
        ``day >= warmup`` and ``day + 1 + follow_up <= end``."""
        last = end - 1.0 - follow_up
        if math.isinf(follow_up) or last < 0:
            return slice(0, 0)
        return slice(math.ceil(self.warmup), math.floor(last) + 1)


def _count(counts: list[int], day: int) -> None:
    """Add one to ``counts[day]`` (growing the list past the horizon it was laid out for)."""
    try:
        counts[day] += 1
    except IndexError:
        counts.extend([0] * (day + 1 - len(counts)))
        counts[day] += 1
