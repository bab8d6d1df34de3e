"""A region: several offices on one clock, sharing a budget and (optionally) cases.

Each office of a scenario's ``offices`` list (:mod:`sim.scenario.offices`) is a whole office
(a :class:`~.model.CaseloadModel` and its five parts) built from the base scenario with the
office's changes, running on the region's one SimPy environment with random streams of its
own: office 0 draws exactly what the scenario would alone, office ``k`` from its own family
(:mod:`.randomness`), and each numbers its referrals from ``k * OFFICE_IDS``. The offices
meet only through the case-sharing rule (:mod:`.sharing`), so a region whose offices never
share gives each office exactly the summary it would have alone on its streams.

The whole-of-region summary is computed from the offices' counters added together
(:func:`merge_metrics`): counts, hours and money add; distributions (waits, caseloads) are
pooled, so a percentile is the region's, not an average of the offices'; time averages
(cases waiting, open) add; the screening threshold in force is the mean of the offices'.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pandas as pd
import simpy

from ..scenario import Scenario, office_scenarios
from . import guards
from .accumulators import LogHistogram, TimeWeighted
from .metrics import Metrics
from .model import CaseloadModel, ReplicationOutput
from .sharing import CaseSharing
from .work import TriageRule

__all__ = ["Region", "merge_metrics"]

_NOT_COUNTERS = {"warmup", "today", "case_types", "follow_ups", "prevented_today"}
"""Attributes of the counters that are settings or today's flows, not totals to add."""


class Region:
    """One replication of a region: its offices on one clock.

    Parameters
    ----------
    scenario
        A validated scenario with an ``offices`` list.
    replication, seed, timeseries, records, triage, max_in_system
        As for :class:`~.model.CaseloadModel`, for every office.

    Attributes
    ----------
    offices
        The offices' models, in the scenario's order.
    sharing
        The case-sharing rule (``None`` without an enabled ``sharing`` block).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        replication: int = 0,
        seed: int | None = None,
        timeseries: bool = False,
        records: bool = False,
        triage: TriageRule | None = None,
        max_in_system: int | None = guards.MAX_IN_SYSTEM,
    ) -> None:
        if not scenario.offices:
            raise ValueError(f"{scenario.name}: a region needs an offices list")
        self.scenario = scenario
        self.env = simpy.Environment()
        settings = scenario.sharing
        enabled = settings is not None and settings.enabled
        self.sharing = CaseSharing(settings, self.env) if enabled else None
        self.names = [office.name for office in scenario.offices]
        self.offices = [
            CaseloadModel(
                office_scenario,
                replication=replication,
                seed=scenario.seed if seed is None else seed,
                timeseries=timeseries,
                records=records,
                triage=triage,
                max_in_system=max_in_system,
                env=self.env,
                office=index,
                sharing=self.sharing,
            )
            for index, office_scenario in enumerate(office_scenarios(scenario))
        ]
        if self.sharing is not None:
            self.sharing.connect(
                [office.caseload for office in self.offices],
                [office.metrics for office in self.offices],
            )
        self._finished = False

    def run(self, until: float | None = None) -> ReplicationOutput:
        """Run every office to ``until`` (default: the horizon); the whole-of-region output,
        with one row per office in ``by_office``."""
        if self._finished:
            raise RuntimeError("this region has already run; create a new Region")
        self._finished = True
        horizon = self.scenario.horizon_days
        end = horizon if until is None else min(until, horizon)
        if end > self.env.now:
            self.env.run(until=end)
        outputs = [office.finish(end) for office in self.offices]
        metrics = merge_metrics([office.metrics for office in self.offices])
        summary = metrics.summary(
            end,
            waiting_at_end=sum(o.summary.waiting_at_end for o in outputs),
            contacts_overdue_at_end=sum(o.summary.contacts_overdue_at_end for o in outputs),
        )
        states: Counter[str] = Counter()
        for output in outputs:
            states.update(output.state_counts)
        return ReplicationOutput(
            summary=summary,
            state_counts={state: states[state] for state in outputs[0].state_counts},
            timeseries=self._stacked(outputs, "timeseries"),
            records=self._stacked(outputs, "records"),
            by_case_type=metrics.outcomes.by_case_type(end),
            by_office=pd.DataFrame(
                [
                    {"office": name, **o.summary.as_dict()}
                    for name, o in zip(self.names, outputs, strict=True)
                ]
            ),
        )

    def _stacked(self, outputs: list[ReplicationOutput], table: str) -> pd.DataFrame | None:
        """The offices' tables one under the other, with an ``office`` column first."""
        tables = [getattr(output, table) for output in outputs]
        if tables[0] is None:
            return None
        return pd.concat(
            [t.assign(office=name) for name, t in zip(self.names, tables, strict=True)],
            ignore_index=True,
        )[["office", *tables[0].columns]]


def merge_metrics(parts: list[Metrics]) -> Metrics:
    """The counters of several offices added together (each summarised at the same end).

    Every count, sum of hours or money, distribution and time integral is added; the
    screening threshold's time integral is averaged over the offices.
    """
    first = parts[0]
    whole = Metrics(first.warmup, first.outcomes.case_types, first.outcomes.recurrence.follow_ups)
    for part in parts:
        _add(whole, part)
    whole.threshold.area /= len(parts)
    whole.threshold._value /= len(parts)
    return whole


def _add(total: Any, part: Any) -> None:
    """Add the counters of ``part`` into ``total`` (objects of the same class), in place."""
    for name, value in vars(part).items():
        if name.startswith("_") or name in _NOT_COUNTERS:
            continue  # an alias of another counter, or a setting
        setattr(total, name, _sum(getattr(total, name), value))


def _sum(total: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return total
    if isinstance(value, int | float):
        return total + value
    if isinstance(value, Counter):
        total.update(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            total[key] = _sum(total[key], item) if key in total else item
    elif isinstance(value, list):
        for i, item in enumerate(value):  # counts by day may run past the horizon
            if i < len(total):
                total[i] = _sum(total[i], item)
            else:
                total.append(copy.deepcopy(item))
    elif isinstance(value, LogHistogram):
        total.count += value.count
        total.total += value.total
        total.zeros += value.zeros
        for key, count in value.bins.items():
            total.bins[key] = total.bins.get(key, 0) + count
    elif isinstance(value, TimeWeighted):
        total.area += value.area
        total._last = max(total._last, value._last)
        total._value += value._value
    else:
        _add(total, value)
    return total
