"""The model of one replication: the conductor that wires the parts of the office together.

The office is five parts, each in its own module, each reading its own settings from
the scenario once and talking to the others through a few plain method calls
(docs/architecture.md draws the map):

==================  ===============================================================
intake desk         arrivals, screening, escalation, re-referral, the thresholds in
                    force (gatekeeping, scandal and its surge)  :mod:`.intake_desk`
caseload            opening cases, assignment under the caps, overflow, transfers,
                    closures                                    :mod:`.caseload`
working days        the daily process: work in triage order, strain, end-of-day
                    readings, the runaway guard                 :mod:`.working_days`
careers             the positions, quits, hires, agency cover, training, experience
                                                                :mod:`.careers`
risk monitor        signals, detection by contacts, harm and its cause
                                                                :mod:`.risk_monitor`
==================  ===============================================================

They share the clock (a SimPy environment), the random streams, the metrics, the
register of referrals and their states, the roster and the waiting list. Events, not
polling: each case type has one arrival process; each planned closure, risk signal (and
its harm check), hire and end of training is a single timeout with a callback; what runs
every day is the working day of each worker and one end-of-day pass over the workers.

Flow of one referral: arrival -> screening (score percentile against the threshold) ->
screened out, or opened -> assigned to the least-loaded worker with room, or handled by
the overflow policy (wait, over_cap, external) -> contacts and case work -> closed when
its work is done and its minimum duration has passed. Signals play out whatever happens
to the referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import simpy

from ..scenario import Scenario
from . import guards
from .careers import Careers
from .caseload import Caseload
from .casetypes import CaseProfile, build_profiles
from .costs import CostRates
from .initial_state import open_initial_caseload
from .intake_desk import IntakeDesk
from .metrics import Metrics
from .pathways import Pathways
from .randomness import RandomStreams
from .reassessment import Reassessment
from .rebalancing import Rebalancing
from .records import ReferralRecord, records_table, staff_table
from .referral import Referral, ReferralState
from .register import ReferralRegister
from .risk_monitor import RiskMonitor
from .service import Service
from .sharing import CaseSharing
from .strain import strain_model
from .summary import ReplicationSummary
from .waiting_list import WaitingList
from .work import TRIAGE_RULES, TriageRule
from .working_days import WorkingDays

__all__ = ["OFFICE_IDS", "CaseloadModel", "ReferralRecord", "ReplicationOutput"]

OFFICE_IDS = 1 << 40
"""Office ``k`` of a region numbers its referrals and subjects from ``k * OFFICE_IDS``."""


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication produced."""

    summary: ReplicationSummary
    state_counts: dict[str, int]
    """Referrals (all, including re-referrals and any initial caseload) by final state."""
    timeseries: pd.DataFrame | None = None
    records: pd.DataFrame | None = None
    by_case_type: pd.DataFrame | None = None
    """The figures of :data:`~sim.core.summary.CASE_TYPE_FIGURES`, one row per case type."""
    staff: pd.DataFrame | None = None
    """Every caseworker who held a position (``records=True``; :func:`.records.staff_table`)."""
    by_office: pd.DataFrame | None = None
    """A region's offices: one row per office (``office``, then every figure)."""


class CaseloadModel:
    """One replication of a scenario.

    Parameters
    ----------
    scenario
        The validated scenario.
    replication
        Which replication: selects the random streams, together with ``seed``.
    seed
        Overrides ``scenario.seed``.
    timeseries
        Record a daily time series.
    records
        Keep every referral, for a per-referral table (memory grows with the run).
    triage
        A custom triage rule (a sort key, see :mod:`sim.core.work`) instead of the
        scenario's named one.
    max_in_system
        Stop with :class:`~sim.core.guards.RunawayError`, reporting the growth, once
        more cases than this are waiting or open at the end of a day (an unstable queue
        would otherwise grow until memory runs out); ``None``: no limit.
    env, office, sharing
        An office of a region (:mod:`sim.core.region`): the region's clock, the office's
        index (its random streams and ids; 0 is a single office's) and the case-sharing
        rule between the offices.

    Attributes
    ----------
    intake, caseload, days, careers, risk
        The parts of the office (see the module's table).
    env, streams, metrics, register, roster, waiting
        What the parts share.
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
        env: simpy.Environment | None = None,
        office: int = 0,
        sharing: CaseSharing | None = None,
    ) -> None:
        self.scenario = scenario
        self.office = office
        seed = scenario.seed if seed is None else seed
        self.streams = RandomStreams(seed, replication, office)
        self.env = simpy.Environment() if env is None else env
        self.profiles: list[CaseProfile] = build_profiles(scenario)
        self.metrics = Metrics(
            scenario.warmup_days,
            [profile.name for profile in self.profiles],
            # a signal late in a risk window becomes a harm up to a detection window later
            [p.risk_window + scenario.risk.detection_window_days for p in self.profiles],
            scenario.horizon_days,
        )
        self.register = ReferralRegister(
            self.env, self.metrics, records=records, first_id=office * OFFICE_IDS
        )
        self.costs = CostRates.from_scenario(scenario)
        self.waiting = WaitingList()
        self.strain = strain_model(scenario.strain)

        env, streams, metrics, register = self.env, self.streams, self.metrics, self.register
        waiting, costs, strain = self.waiting, self.costs, self.strain
        self.careers = Careers(scenario, streams, env, metrics, costs)
        self.roster = roster = self.careers.roster
        self.intake = IntakeDesk(scenario, env, streams, metrics, register, self.profiles, waiting)
        self.caseload = Caseload(scenario, env, metrics, register, roster, waiting, costs)
        self.service = Service(scenario, metrics)
        self.pathways = Pathways(env, streams, metrics, register, self.profiles)
        self.reassessment = Reassessment(env, streams, metrics, self.profiles, self.service)
        self.risk = RiskMonitor(scenario, env, streams, metrics, strain, self.careers, self.service)
        self.days = WorkingDays(
            scenario,
            env,
            metrics,
            register,
            roster,
            waiting,
            self.careers,
            strain,
            costs,
            self.profiles,
            triage or TRIAGE_RULES[scenario.triage],
            timeseries=[] if timeseries else None,
            max_in_system=max_in_system,
        )
        self.intake.connect(caseload=self.caseload, risk=self.risk)
        self.caseload.connect(
            work=self.days,
            service=self.service,
            pathways=self.pathways,
            reassessment=self.reassessment,
            sharing=sharing,
            office=office,
        )
        self.rebalancing = Rebalancing(scenario, env, metrics, roster, costs)
        self.rebalancing.connect(caseload=self.caseload)
        self.pathways.connect(caseload=self.caseload)
        self.careers.connect(caseload=self.caseload)
        self.risk.connect(intake=self.intake, days=self.days)
        self.days.connect(caseload=self.caseload, risk=self.risk, intake=self.intake)

        self.intake.start()
        self.days.start()
        self.rebalancing.start()
        if scenario.initial_state is not None:
            open_initial_caseload(scenario, self.streams, self.intake, self.caseload, self.roster)
        self._finished = False

    @property
    def referrals(self) -> list[Referral] | None:
        """Every referral received (with ``records=True``; otherwise ``None``)."""
        return self.register.referrals

    @property
    def state_counts(self) -> dict[ReferralState, int]:
        """Referrals in each state now."""
        return self.register.counts

    def supervision_coverage(self) -> float:
        """Share of caseworkers in post that the supervisors can cover (1 without a block)."""
        return self.days.supervision_coverage()

    def run(self, until: float | None = None) -> ReplicationOutput:
        """Run to ``until`` (default: the horizon) and summarise. A model runs once."""
        if self._finished:
            raise RuntimeError("this model has already run; create a new CaseloadModel")
        self._finished = True
        horizon = self.scenario.horizon_days
        end = horizon if until is None else min(until, horizon)
        if end > self.env.now:
            self.env.run(until=end)
        return self.finish(end)

    def finish(self, end: float) -> ReplicationOutput:
        """Close the books at ``end`` (the clock has run there) and summarise."""
        days = self.days
        if days.days_done < int(end) == end:  # the reading due exactly at the stop time
            days.end_of_day(days.days_done)
        overdue = self.caseload.close_books(end)
        summary = self.metrics.summary(
            end, waiting_at_end=len(self.waiting), contacts_overdue_at_end=overdue
        )
        timeseries: list[dict[str, Any]] | None = days.timeseries
        return ReplicationOutput(
            summary=summary,
            state_counts={state.value: self.state_counts[state] for state in ReferralState},
            timeseries=pd.DataFrame(timeseries) if timeseries is not None else None,
            records=records_table(self.referrals) if self.referrals is not None else None,
            by_case_type=self.metrics.outcomes.by_case_type(end),
            staff=staff_table(self.careers.staff) if self.referrals is not None else None,
        )
