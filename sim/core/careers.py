"""Careers: working lives, quits, vacancies, hiring, agency cover, training and experience.

Each caseworker position has its own random streams (purpose WORKFORCE, keyed by
position): the working life of each successive holder, the hiring lag of each
vacancy, and daily absence draws. Two scenarios with the same positions and seed
therefore see the same draws position by position, which keeps comparisons
(strain effects on or off, a freeze or not) paired.

A worker's **working life** is an Exp(1) draw in units of cumulative quit
hazard: the worker quits on the day the hazard accumulated since hire reaches
it. With a constant hazard this is an exponential time to quit at the base
turnover rate; strain multiplies the daily hazard and so brings the day forward.

A quit leaves the position vacant and the leaver's cases to be placed again by the
caseload (highest score first). The vacancy is filled after a hiring lag (unless hiring
is frozen); an agency worker may cover it meanwhile, handing over to the permanent hire.
A new hire trains with no cases, then carries a cap that rises over the ramp to full.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import simpy

from ..scenario import Scenario
from .casetypes import DAYS_PER_YEAR
from .clock import call_at
from .costs import CostRates
from .levers import LeverEffects
from .metrics import Metrics
from .randomness import Purpose, RandomStreams
from .workforce import Roster, Worker

if TYPE_CHECKING:
    from .caseload import Caseload

__all__ = ["Careers", "UniformTape"]


class UniformTape:
    """Uniform draws from one generator, fetched in batches."""

    __slots__ = ("_i", "_rng", "_values")

    def __init__(self, rng: np.random.Generator, batch: int = 256) -> None:
        self._rng = rng
        self._values = rng.random(batch)
        self._i = 0

    def next(self) -> float:
        if self._i == len(self._values):
            self._values = self._rng.random(len(self._values))
            self._i = 0
        value = self._values[self._i]
        self._i += 1
        return float(value)


class Careers:
    """The caseworker positions and the careers of the people who fill them.

    Parameters
    ----------
    scenario
        Read once: positions, caps, hours, turnover and the hiring block.
    streams
        One family of streams per position (purpose WORKFORCE).
    env, metrics, costs
        The clock, the counters, and the cost of a hire.

    Attributes
    ----------
    roster
        The positions, each held by a worker or vacant: the staff in post at the start.
    """

    def __init__(
        self,
        scenario: Scenario,
        streams: RandomStreams,
        env: simpy.Environment,
        metrics: Metrics,
        costs: CostRates,
    ) -> None:
        self.hiring = scenario.hiring
        levers = LeverEffects.from_scenario(scenario)
        self.base_hazard = scenario.turnover.annual_rate / DAYS_PER_YEAR
        """Quit hazard per day in post, before strain (and after retention pay)."""
        if levers.base_quit != 1.0:  # retention pay
            self.base_hazard *= levers.base_quit
        self._lag_factor = levers.hiring_lag
        """A faster pipeline's multiplier of every hiring lag."""
        positions = scenario.staffing.caseworkers
        self._lives = [streams.generator(Purpose.WORKFORCE, p, 0) for p in range(positions)]
        self._lags = [streams.generator(Purpose.WORKFORCE, p, 1) for p in range(positions)]
        self._absence = [
            UniformTape(streams.generator(Purpose.WORKFORCE, p, 2)) for p in range(positions)
        ]
        self._agency = [streams.generator(Purpose.WORKFORCE, p, 3) for p in range(positions)]
        self._ids = positions
        caps = scenario.caps
        self._caps = (caps.count, caps.weighted)
        self._hours = scenario.workforce.hours_per_day
        self._horizon = scenario.horizon_days
        self._env = env
        self._metrics = metrics
        self._hire_cost = costs.per_hire
        self._pipeline_cost = costs.pipeline_per_hire
        self._vacated: dict[int, float] = {}
        """When each vacant position fell vacant."""
        self.staff: list[Worker] = []
        """Every caseworker who held a position in the run, agency workers included."""
        self.roster = Roster(
            [self.initial_worker(p) for p in range(positions)], weighted=caps.weighted is not None
        )
        self._caseload: Caseload | None = None

    def connect(self, caseload: Caseload) -> None:
        """The caseload that places a leaver's cases and gives cases to a new worker."""
        self._caseload = caseload

    def _lifetime(self, position: int) -> float:
        draw = float(self._lives[position].exponential())
        return draw if self.base_hazard > 0 else float("inf")

    def initial_worker(self, position: int) -> Worker:
        """A worker in post when the run begins, experienced and taking cases."""
        worker = Worker(
            position,
            self._hours,
            *self._caps,
            position=position,
            hired_at=-self.hiring.initial_tenure_days,
            ready_at=float("-inf"),
            lifetime=self._lifetime(position),
        )
        self.staff.append(worker)
        return worker

    def new_hire(self, position: int, now: float) -> Worker:
        """A worker starting in ``position`` at ``now``: in training, then on a graduated cap."""
        worker = Worker(
            self._ids,
            self._hours,
            *self._caps,
            position=position,
            hired_at=now,
            ready_at=now + self.hiring.training_days,
            lifetime=self._lifetime(position),
        )
        self._ids += 1
        worker.accepting = False
        self.staff.append(worker)
        return worker

    def hire_time(self, position: int, vacated: float) -> float | None:
        """When a vacancy opened at ``vacated`` is filled (``None``: never, a freeze).

        Recruitment goes in rounds, each taking a hiring lag; a round fills the post with
        ``fill_probability``, and a vacancy is advertised again until one does.
        """
        hiring, rng = self.hiring, self._lags[position]
        lag = float(hiring.lag.sample(rng, 1)[0])
        if hiring.fill_probability < 1.0:
            while rng.random() >= hiring.fill_probability:
                lag += float(hiring.lag.sample(rng, 1)[0])
        if self._lag_factor != 1.0:  # a faster pipeline
            lag *= self._lag_factor
        if hiring.freeze:
            return None
        start = vacated + lag
        window = hiring.freeze_window
        if window is not None and window.start_day <= start < window.end_day:
            start = window.end_day
        return start

    def agency_start(self, position: int, vacated: float) -> float | None:
        """When an agency worker starts covering a vacancy (``None``: not covered)."""
        hiring, rng = self.hiring, self._agency[position]
        covered = rng.random() < hiring.agency_cover_share
        lag = float(hiring.agency_lag.sample(rng, 1)[0])
        return vacated + lag if covered else None

    def agency_worker(self, position: int, now: float) -> Worker:
        """An experienced agency worker, taking cases at once, who never quits."""
        worker = Worker(
            self._ids,
            self._hours,
            *self._caps,
            position=position,
            hired_at=now - self.hiring.experience_days,
            ready_at=now,
        )
        self._ids += 1
        worker.agency = True
        worker.accepting = True
        self.staff.append(worker)
        return worker

    def absent_today(self, worker: Worker, probability: float) -> bool:
        return probability > 0 and self._absence[worker.position].next() < probability

    def experience(self, worker: Worker, now: float) -> float:
        """Share of the way from novice to experienced (0 at hire, 1 after experience_days)."""
        days = self.hiring.experience_days
        if days <= 0:
            return 1.0
        return min(max((now - worker.hired_at) / days, 0.0), 1.0)

    def productivity(self, worker: Worker, now: float) -> float:
        novice = self.hiring.novice_productivity
        return novice + (1.0 - novice) * self.experience(worker, now)

    def detection(self, worker: Worker, now: float) -> float:
        novice = self.hiring.novice_detection
        return novice + (1.0 - novice) * self.experience(worker, now)

    def cap_share(self, worker: Worker, now: float) -> float:
        """The share of the full caps a worker carries (rising over the ramp after training)."""
        hiring = self.hiring
        if now >= worker.ready_at + hiring.ramp_days:
            return 1.0
        progress = (now - worker.ready_at) / hiring.ramp_days if hiring.ramp_days > 0 else 1.0
        start = hiring.ramp_start_share
        return start + (1.0 - start) * min(max(progress, 0.0), 1.0)

    # ------------------------------------------------------------------ events

    def quit(self, worker: Worker) -> None:
        """A caseworker leaves: the position falls vacant and the cases are placed again."""
        now = self._env.now
        self._leave(worker)
        self._metrics.quit(now)
        self._vacated[worker.position] = now
        start = self.hire_time(worker.position, now)
        if start is not None and start < self._horizon:
            call_at(self._env, start, self._on_hire, worker.position)
        cover = self.agency_start(worker.position, now)
        if cover is not None and cover < min(start or math.inf, self._horizon):
            call_at(self._env, cover, self._on_agency_start, worker.position)

    def _leave(self, worker: Worker) -> None:
        """Take a worker out of post and place their cases again, highest score first."""
        self.roster.remove(worker)
        worker.left_at = self._env.now
        for case in sorted(worker.cases.values(), key=lambda c: (-c.score, c.arrival, c.id)):
            worker.release(case)
            self._caseload.rehome(case)

    def _on_agency_start(self, event: simpy.Event) -> None:
        """An agency worker covers a vacancy until the permanent hire starts."""
        self.roster.add(self.agency_worker(event.value, self._env.now))
        self._caseload.assign_waiting()

    def _on_hire(self, event: simpy.Event) -> None:
        now, position = self._env.now, event.value
        cover = self.roster.positions[position]
        if cover is not None and cover.agency:  # the agency worker hands over and leaves
            self._leave(cover)
        worker = self.new_hire(position, now)
        worker.last_day_start = worker.ready_at
        self.roster.add(worker)
        self._metrics.hire(now, now - self._vacated.pop(position), self._hire_cost)
        if self._pipeline_cost:
            self._metrics.levers.hire(now, self._pipeline_cost)
        if worker.ready_at <= now:
            self._start_taking_cases(worker)
        else:
            call_at(self._env, worker.ready_at, self._on_ready, worker)

    def _on_ready(self, event: simpy.Event) -> None:
        worker: Worker = event.value
        if self.roster.positions[worker.position] is worker:  # still in post
            self._start_taking_cases(worker)

    def _start_taking_cases(self, worker: Worker) -> None:
        worker.accepting = True
        worker.set_cap_share(self.cap_share(worker, self._env.now))
        self._caseload.assign_waiting()
