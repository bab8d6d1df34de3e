"""Why runs of a sweep failed: each distinct reason, how many runs gave it, at which points.

A run that raises (a point whose values the scenario refuses, a queue that grows without
bound, a worker process that died) is a row of the results folder with ``status`` "failed"
and its message in ``error``. A sweep with such rows has not answered its question at those
points; this module groups them so that the command line and the report can say why.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["FailureReason", "failure_reasons", "format_failures"]


@dataclass(frozen=True)
class FailureReason:
    """One distinct message of failed runs."""

    reason: str
    runs: int
    """Runs (point, replication) that failed with this message."""
    points: tuple[int, ...]
    """The design points those runs belong to, in order."""


def failure_reasons(table: pd.DataFrame) -> list[FailureReason]:
    """The distinct messages of the failed rows of a results table, most frequent first.

    Parameters
    ----------
    table
        Rows of a results folder (:func:`sim.load_results`), with ``point``, ``status`` and
        ``error`` columns.
    """
    if table.empty or "status" not in table:
        return []
    failed = table[table.status != "ok"]
    reasons = []
    for reason, rows in failed.groupby("error", sort=False):
        points = tuple(sorted(int(p) for p in rows.point.unique()))
        reasons.append(FailureReason(str(reason) or "(no message)", len(rows), points))
    return sorted(reasons, key=lambda r: (-r.runs, r.points, r.reason))


def _points(points: tuple[int, ...], shown: int = 8) -> str:
    listed = ", ".join(str(p) for p in points[:shown])
    more = f", ... ({len(points)} points)" if len(points) > shown else ""
    return f"point{'s' if len(points) > 1 else ''} {listed}{more}"


def format_failures(reasons: list[FailureReason]) -> str:
    """The reasons as lines: how many runs failed, then each reason with its count and points."""
    if not reasons:
        return ""
    runs = sum(r.runs for r in reasons)
    kinds = f"{len(reasons)} reason{'s' if len(reasons) > 1 else ''}"
    lines = [f"{runs} run(s) failed, for {kinds}:"]
    for r in reasons:
        lines.append(f"  {r.runs} run(s) at {_points(r.points)}: {r.reason}")
    return "\n".join(lines) + "\n"
