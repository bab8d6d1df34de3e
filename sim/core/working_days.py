"""The working days: every day of the run, each worker's work, then the end-of-day readings.

On a working day each caseworker taking cases may be absent (a draw against the
absence probability strain sets); otherwise they work the hours strain and experience
leave them (:func:`sim.core.work.work_day`), in the triage order, with case work going
faster where support staff take a share; their strain then moves with the work asked
against the hours. At the end of the working day, hours left go to case work ahead. At
the end of every day (worked or not) strain recovers for those who did not work, the
quit hazard accumulates (careers, :mod:`sim.core.careers`), new hires' graduated caps
rise, the readings of staff, caseloads and positions are taken, adaptive gatekeeping
sees the mean caseload, the daily series gets its row, and the runaway guard checks
that the queue is not growing without bound.

Two shortcuts leave every figure unchanged: a working day on which no case needs work
and nobody tires only counts the hours available, and a staff that never changes (no
strain, no turnover, no gatekeeping, no daily series) takes its readings without the
per-worker dynamics.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import simpy

from ..scenario import Scenario
from . import guards
from .careers import Careers
from .casetypes import CaseProfile
from .costs import CostRates
from .levers import LeverEffects
from .metrics import Metrics
from .referral import Referral, ReferralState
from .register import ReferralRegister
from .strain import StrainModel
from .waiting_list import WaitingList
from .work import TriageRule, schedule_next_contact, work_ahead, work_day, workday_start
from .workforce import Roster

if TYPE_CHECKING:
    from .caseload import Caseload
    from .intake_desk import IntakeDesk
    from .risk_monitor import RiskMonitor

__all__ = ["WorkingDays"]

_EPS = 1e-9
OPEN = ReferralState.OPEN


class WorkingDays:
    """The daily process: work, strain, readings and the end of each day.

    Implements :class:`sim.core.work.WorkContext`: the work of a day reports its
    contacts, missed contacts and finished case work here.

    Parameters
    ----------
    scenario
        Read once: the working week, overtime, supervision, support staff and the
        horizon.
    env, metrics, register
        The clock, the counters and the register of referrals.
    roster, waiting
        The caseworker positions and the waiting list.
    careers, strain, costs
        Working lives (absence, productivity, quits), strain, and the daily costs.
    profiles
        The compiled case types (whether any case needs work at all).
    triage
        The order in which a worker does the day's tasks.
    timeseries
        Keep a daily series (a row per day) here, or ``None``.
    max_in_system
        The runaway guard's limit on cases waiting or open (``None``: no limit).
    """

    def __init__(
        self,
        scenario: Scenario,
        env: simpy.Environment,
        metrics: Metrics,
        register: ReferralRegister,
        roster: Roster,
        waiting: WaitingList,
        careers: Careers,
        strain: StrainModel,
        costs: CostRates,
        profiles: list[CaseProfile],
        triage: TriageRule,
        *,
        timeseries: list[dict[str, Any]] | None,
        max_in_system: int | None,
    ) -> None:
        self._env = env
        self._metrics = metrics
        self._register = register
        self._roster = roster
        self._waiting = waiting
        self._careers = careers
        self._strain = strain
        self._costs = costs
        self._levers = LeverEffects.from_scenario(scenario)
        self._triage = triage
        self.timeseries = timeseries
        self._name = scenario.name
        self._horizon = scenario.horizon_days
        staff = scenario.workforce
        self._working_days = staff.working_days_per_week
        self._overtime = staff.overtime_hours_per_day
        self._supervision = scenario.supervision
        self._supervisors = scenario.staffing.supervisors
        support_hours = staff.support_hours_per_day or staff.hours_per_day
        self._support_hours = scenario.staffing.support_staff * support_hours
        self._delegable = (
            scenario.support.delegable_share if scenario.staffing.support_staff else 0.0
        )
        self._casework_due = 0.0
        """Case work due across the office at the last working day (for support staff)."""
        cut = scenario.technology.non_case_cut if scenario.technology is not None else 0.0
        self.non_case_share = staff.non_case_share * (1.0 - cut)
        """Share of every caseworker's hours spent on administration, not cases (after the
        technology lever's cut)."""
        self.days_done = 0
        """Days whose end-of-day readings have been taken."""
        self._max_in_system = max_in_system
        self._in_system: deque[int] = deque(maxlen=guards.GROWTH_WINDOW_DAYS + 1)
        """Cases waiting or open at the end of each recent day."""
        self.nothing_to_do = not strain.enabled and not any(
            p.first_contact_deadline is not None or p.contact_every is not None or p.work_hours > 0
            for p in profiles
        )
        """No case needs work and nobody tires: working days only count hours."""
        self.steady_staff = False
        """Nobody tires, leaves or is hired, intake never moves with caseloads and no
        daily series is kept (known once the intake desk is connected)."""
        self._idle_day: tuple[float, float, int] | None = None
        """A steady, fully experienced staff's work-free day: when it starts (after
        midnight), its hours and its headcount."""
        self._caseload: Caseload | None = None
        self._risk: RiskMonitor | None = None
        self._intake: IntakeDesk | None = None

    def connect(self, caseload: Caseload, risk: RiskMonitor, intake: IntakeDesk) -> None:
        """The parts a day reports to: closures, contacts looking for signals, and the
        intake policy watching caseloads."""
        self._caseload = caseload
        self._risk = risk
        self._intake = intake
        self.steady_staff = (
            not self._strain.enabled
            and self._careers.base_hazard == 0
            and not intake.watches_caseloads()
            and self.timeseries is None
        )

    def start(self) -> None:
        """Start the daily process."""
        self._env.process(self._days())

    # ------------------------------------------------------------------ the day

    def _days(self) -> Iterator[simpy.Event]:
        env, roster = self._env, self._roster
        working_days = self._working_days
        day = 0
        while day < self._horizon:
            if day % 7 < working_days and roster.workers and self.nothing_to_do:
                self._idle_working_day(day)
            elif day % 7 < working_days and roster.workers:
                yield env.timeout(self._workday_start(day) - env.now)
                began = env.now
                self._work(day)
                yield env.timeout(max(max(w.day_end for w in roster), env.now) - env.now)
                self._finish_work(began)
            yield env.timeout(day + 1 - env.now)
            self.end_of_day(day)
            if self._max_in_system is not None:
                self._check_growth(day)
            day += 1

    def _workday_start(self, day: int) -> float:
        """When day ``day``'s working day begins: early enough for the longest day to end."""
        longest = max(w.hours_per_day for w in self._roster) + self._overtime
        return workday_start(day, longest)

    def _check_growth(self, day: int) -> None:
        """Stop an unstable queue before it exhausts memory, reporting how fast it grows."""
        in_system = self._register.in_system
        recent = self._in_system
        recent.append(in_system)
        if in_system > self._max_in_system:
            days = len(recent) - 1
            raise guards.RunawayError(
                self._name,
                day + 1,
                self._horizon,
                in_system,
                self._max_in_system,
                (in_system - recent[0]) / days if days else math.nan,
                days,
            )

    def _idle_working_day(self, day: int) -> None:
        """A working day in a model whose cases need no work and whose workers do not tire:
        only the hours available are counted, read when the working day starts, as on a day
        with work (the same every day once a steady staff is fully experienced)."""
        if self._idle_day is not None:
            offset, hours, taking = self._idle_day
            self._metrics.hours_idle(day + offset, hours, taking)
            return
        careers = self._careers
        start = self._workday_start(day)
        workers = [worker for worker in self._roster if worker.accepting]
        hours = sum(w.hours_per_day * careers.productivity(w, start) for w in workers)
        if self.non_case_share:
            self._metrics.non_case(start, hours * self.non_case_share)
            hours *= 1.0 - self.non_case_share
        self._metrics.hours_idle(start, hours, len(workers))
        if self.steady_staff and all(careers.experience(w, start) >= 1.0 for w in workers):
            self._idle_day = (start - day, hours, len(workers))

    def supervision_coverage(self) -> float:
        """Share of caseworkers in post that the supervisors can cover (1 without a block)."""
        if self._supervision is None or not self._roster.workers:
            return 1.0
        return min(1.0, self._supervisors * self._supervision.span / len(self._roster))

    def _casework_rate(self) -> float:
        """Case work done per caseworker hour today, given the support staff's hours."""
        if self._delegable <= 0:
            return 1.0
        wanted = self._delegable * self._casework_due
        share = (
            self._delegable
            if wanted <= self._support_hours
            else self._support_hours / max(self._casework_due, _EPS)
        )
        return 1.0 / (1.0 - share)

    def _work(self, day: int) -> None:
        now, metrics, triage = self._env.now, self._metrics, self._triage
        careers, strain = self._careers, self._strain
        shortfall = 1.0 - self.supervision_coverage()
        strain_factor = 1.0 + (self._supervision.strain_penalty * shortfall if shortfall else 0.0)
        levers = self._levers
        if levers.strain_rise != 1.0:  # wellbeing support
            strain_factor *= levers.strain_rise
        rate = self._casework_rate()
        casework = 0.0
        for worker in self._roster:
            worker.hours_today = 0.0
            if not worker.accepting:
                continue  # in training
            if careers.absent_today(worker, strain.absence_probability(worker.strain)):
                worker.absent = True
                worker.hours_left = 0.0
                metrics.absence(now)
                continue
            hours = (
                worker.hours_per_day
                * strain.hours_factor(worker.strain)
                * careers.productivity(worker, now)
            )
            if hours <= _EPS:  # strain has taken every hour: a lost day
                worker.hours_left = 0.0
                continue
            if self.non_case_share:
                metrics.non_case(now, hours * self.non_case_share)
                hours *= 1.0 - self.non_case_share
            since = worker.last_day_start
            asked = work_day(
                worker, day, triage, self, hours=hours, overtime=self._overtime, casework_rate=rate
            )
            worker.hours_today = hours + asked.overtime
            elapsed = max(worker.last_day_start - since, 1.0)
            per_day = asked.new / elapsed * 7.0 / self._working_days
            pressure = strain.pressure(per_day, asked.backlog, hours)
            before = worker.strain
            worker.strain = levers.recovered(
                before, strain.after_working_day(before, pressure, strain_factor)
            )
            metrics.hours_asked(now, hours, asked.new, asked.backlog)
            if asked.overtime > 0:
                metrics.overtime(now, asked.overtime, self._costs.overtime_per_hour)
            casework += asked.casework
        self._casework_due = casework

    def _finish_work(self, began: float) -> None:
        """End the working day that ``began``: work ahead, and count the hours worked (at
        the day's start, like its hours available, so a day is counted whole or not at all)."""
        metrics = self._metrics
        for worker in self._roster:
            if worker.hours_today > 0:
                work_ahead(worker, self)
                metrics.hours_worked_today(began, worker.hours_today - worker.hours_left)
            worker.hours_left = 0.0

    # ------------------------------------------------------------------ WorkContext

    def on_contact(self, case: Referral, time: float) -> None:
        metrics = self._metrics
        if case.contact_first:
            case.first_contact_at = time
            on_time = time <= case.first_contact_due
            metrics.first_contact(time, case.arrival, case.first_contact_due)
            metrics.contact(time, on_time=None)
        else:
            on_time = time <= case.contact_due
            metrics.contact(time, on_time=on_time)
        case.contacts_due += 1
        case.contacts_on_time += on_time
        schedule_next_contact(case, time)
        self._risk.look_for_signals(case, time)

    def on_missed_contacts(self, case: Referral, count: int) -> None:
        case.contacts_due += count
        self._metrics.contacts_missed_now(self._env.now, count)

    def on_casework_done(self, case: Referral, time: float) -> None:
        self._caseload.close_when_done(case, time)

    # ------------------------------------------------------------------ the end of the day

    def end_of_day(self, day: int) -> None:
        """The end of day ``day``: strain, quits, caps, readings and the daily series."""
        if self.steady_staff:
            self._steady_end_of_day(day)
            return
        now, metrics, careers, strain = self._env.now, self._metrics, self._careers, self._strain
        roster, costs = self._roster, self._costs
        self.days_done = day + 1
        worked = day % 7 < self._working_days
        caseloads, quitters = [], []
        over = burned = absent = training = agency = staff = staff_burned = 0
        strain_total = staff_strain = tenure = 0.0
        levers = self._levers
        for worker in roster:
            if not worked or worker.absent or not worker.accepting:
                worker.strain = levers.recovered(worker.strain, strain.after_day_off(worker.strain))
            absent += worker.absent
            worker.absent = False
            burned_out = strain.burned_out(worker.strain) if strain.enabled else False
            burned += burned_out
            strain_total += worker.strain
            if worker.agency:
                agency += 1
                metrics.agency_day(now, costs.agency_per_day)
            else:
                staff += 1
                staff_strain += worker.strain
                staff_burned += burned_out
                tenure += now - worker.hired_at
            if worker.accepting:
                if now < worker.ready_at + careers.hiring.ramp_days + 1.0:
                    worker.set_cap_share(careers.cap_share(worker, now))
                caseloads.append(len(worker.cases))
                over += worker.over_cap()
            else:
                training += 1
            hazard = careers.base_hazard * strain.quit_multiplier(worker.strain)
            worker.hazard += hazard * levers.quit if levers.quit != 1.0 else hazard
            if worker.hazard >= worker.lifetime:
                quitters.append(worker)
        metrics.staff_readings(now, staff, staff_strain, staff_burned, tenure)
        metrics.caseload_readings(now, caseloads, over)
        in_post = len(roster) - agency  # on the payroll; agency workers cover vacancies
        vacancies = roster.vacancies + agency
        metrics.positions_day(
            now,
            len(roster.positions),
            vacancies,
            costs.caseworker_per_day * in_post + costs.other_staff_per_day,
            costs.technology_per_day,
        )
        self._programmes_day(now, in_post)
        mean_caseload = sum(caseloads) / len(caseloads) if caseloads else math.nan
        self._intake.observe_caseload(mean_caseload)
        flows = metrics.end_of_day()
        if self.timeseries is not None:
            self.timeseries.append(
                {
                    "day": day,
                    "in_warmup": now <= metrics.warmup,
                    "waiting": len(self._waiting),
                    "open_cases": self._register.counts[OPEN],
                    "headcount": in_post,
                    "vacancies": vacancies,
                    "agency": agency,
                    "in_training": training,
                    "caseload_mean": mean_caseload,
                    "caseload_max": max(caseloads, default=0),
                    "workers_over_cap": over,
                    "strain_mean": strain_total / len(roster) if roster.workers else math.nan,
                    "burned_out": burned,
                    "absent": absent,
                    "threshold": self._intake.threshold_mean(),
                    **flows,
                }
            )
        for worker in quitters:
            self._careers.quit(worker)

    def _programmes_day(self, now: float, in_post: int) -> None:
        """The day's cost of wellbeing support and retention pay for the caseworkers in post."""
        costs = self._costs
        if costs.wellbeing_per_worker_day or costs.retention_per_worker_day:
            self._metrics.levers.programmes_day(
                now,
                costs.wellbeing_per_worker_day * in_post,
                costs.retention_per_worker_day * in_post,
            )

    def _steady_end_of_day(self, day: int) -> None:
        """:meth:`end_of_day` for a staff that never changes (no strain, no turnover, no
        gatekeeping, no daily series): the same readings, without the per-worker dynamics."""
        now, metrics, roster, costs = self._env.now, self._metrics, self._roster, self._costs
        self.days_done = day + 1
        caseloads, over, tenure = [], 0, 0.0
        for worker in roster:
            caseloads.append(len(worker.cases))
            over += worker.over_cap()
            tenure += now - worker.hired_at
        metrics.staff_readings(now, len(roster), 0.0, 0, tenure)
        metrics.caseload_readings(now, caseloads, over)
        salaries = costs.caseworker_per_day * len(roster) + costs.other_staff_per_day
        metrics.positions_day(now, len(roster.positions), 0, salaries, costs.technology_per_day)
        self._programmes_day(now, len(roster))
        # The day's flows (metrics.today) feed only the daily series, which a steady run
        # does not keep: they are not read, so not reset either.
