"""The best mix for a budget: a design over the simplex, a surrogate, then ranking and
selection with a stated guarantee.

``optimise(scenario, budget, levers)`` spends a yearly ``budget`` (on top of what the
scenario spends) across ``levers`` (:mod:`.menu`) to minimise a target figure (missed risk
per 1,000 referrals by default), in three steps, every run going through the sweep engines
(serial, processes, Dask: :func:`sim.experiments.engines.run_tasks`, with their fault
tolerance) on common random numbers:

1. **Design.** The vertices, the centre and a scrambled Sobol design over the simplex of
   budget shares (:mod:`.design`), each run for ``design_replications`` replications
   (``0 .. n1 - 1``).
2. **Surrogate.** A smoothing thin-plate spline of the target's means, evaluated over a dense
   Sobol set; the mixes it predicts best and the best mixes observed become the candidates
   (mixes that buy the same thing, as the report shows it, are one candidate).
3. **Selection.** Procedure KN (:mod:`.selection`) on the candidates with fresh replications
   (``n1, n1 + 1, ...``: independent of those that chose them): the mix selected is within
   the indifference zone ``delta`` of the best candidate with probability at least 95%.

The result reports the best mix with its 95% interval, every candidate's paired difference
from it (the runner-ups it could not separate: an interval containing 0), and what the same
money buys spent on caseworkers alone, on the same replications. The guarantee is about the
candidates: the surrogate chooses which mixes compete, and a mix it never proposed is not
covered.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.summary import FIGURES
from ..errors import ScenarioError
from ..experiments.design import Task
from ..experiments.engines import default_jobs, local_cluster, run_tasks
from ..experiments.intervals import confidence_interval
from ..scenario import Scenario
from .design import Surrogate, simplex_design, simplex_points
from .journal import RunJournal
from .menu import Purchase, buy, check_menu
from .selection import Selection, kim_nelson

__all__ = ["OptimisationError", "OptimisationResult", "optimise"]


class OptimisationError(RuntimeError):
    """A run the optimisation needed failed (its failed row's message)."""


@dataclass(frozen=True)
class OptimisationResult:
    """What :func:`optimise` found.

    Attributes
    ----------
    design
        One row per design point: the shares, what they buy, the target's mean and interval.
    candidates
        One row per mix that entered the selection: shares, what it buys, replications,
        mean and interval, the paired difference from the best with its interval, whether
        that interval excludes 0 (``separated``) and when KN eliminated it.
    best
        The selected mix's row of ``candidates``.
    caseworkers_alone
        The budget spent on caseworkers alone: what it buys, its mean and interval, and its
        paired difference from the best (``None`` without a caseworker cost).
    """

    scenario: str
    budget: float
    levers: tuple[str, ...]
    target: str
    minimise: bool
    indifference: float
    alpha: float
    guaranteed: bool
    design: pd.DataFrame
    candidates: pd.DataFrame
    best: pd.Series
    caseworkers_alone: dict[str, Any] | None
    runs: int
    runs_from_journal: int = 0
    """Runs read from the journal of an earlier, stopped optimisation instead of made."""

    @property
    def runner_ups(self) -> pd.DataFrame:
        """The candidates the selection could not separate from the best (paired 95%
        interval of the difference containing 0)."""
        others = self.candidates[self.candidates.index != self.best.name]
        return others[~others.separated]

    def report(self) -> str:
        """The result as text: the best mix, the runner-ups, caseworkers alone."""
        unit = FIGURES[self.target]["unit"]
        best = self.best
        goal = "lowest" if self.minimise else "highest"
        lines = [
            f"{self.scenario}: {self.budget:,.0f} a year across {', '.join(self.levers)}, "
            f"{goal} {self.target}",
            f"Best mix: {best.buys}  (planned {best.planned_cost:,.0f} a year)",
            f"  {self.target}: {best['mean']:.4g} [{best.ci_low:.4g}, {best.ci_high:.4g}] "
            f"{unit}, {int(best.replications)} replications",
            f"  selected by KN within {self.indifference:.4g} of the best candidate with "
            f"probability >= {1 - self.alpha:.0%}"
            + ("" if self.guaranteed else " NOT reached: the replication cap stopped it"),
        ]
        runner_ups = self.runner_ups
        lines.append(f"Runner-ups it could not separate: {len(runner_ups)}")
        for _, row in runner_ups.iterrows():
            lines.append(
                f"  {row.buys}: {row['mean']:.4g}, difference {row.difference:+.4g} "
                f"[{row.difference_low:+.4g}, {row.difference_high:+.4g}]"
            )
        alone = self.caseworkers_alone
        if alone is not None:
            lines.append(
                f"Caseworkers alone ({alone['buys']}): {alone['mean']:.4g} "
                f"[{alone['ci_low']:.4g}, {alone['ci_high']:.4g}]; minus the best mix "
                f"{alone['difference']:+.4g} [{alone['difference_low']:+.4g}, "
                f"{alone['difference_high']:+.4g}]"
            )
        reused = self.runs_from_journal
        lines.append(
            f"Runs: {self.runs}" + (f" (and {reused} read from the journal)" if reused else "")
        )
        return "\n".join(lines)


class _Evaluator:
    """Runs mixes on the sweep engines, remembering every (mix, replication) it has run;
    with a journal, also every run an earlier optimisation wrote there, and writing each
    new run to it as it ends."""

    def __init__(
        self,
        scenario: Scenario,
        target: str,
        seed: int,
        engine: str,
        jobs: int | None,
        scheduler: str | None,
        journal: RunJournal | None = None,
    ) -> None:
        self._data = scenario.model_dump(mode="json")
        self._target = target
        self._seed = seed
        self._engine, self._jobs, self._scheduler = engine, jobs, scheduler
        self._journal = journal
        self._journaled = journal.known if journal is not None else {}
        self._known: dict[tuple[str, int], float] = {}
        self.runs = 0
        self.runs_from_journal = 0

    @staticmethod
    def key(purchase: Purchase) -> str:
        return json.dumps(purchase.changes, sort_keys=True)

    def values(self, purchases: Sequence[Purchase], replications: Sequence[int]) -> np.ndarray:
        """The target for each purchase (rows) and replication (columns)."""
        keys = [self.key(p) for p in purchases]
        wanted = {}
        for key, purchase in zip(keys, purchases, strict=True):
            for replication in replications:
                if (key, replication) in self._known:
                    continue
                if (key, replication) in self._journaled:
                    self._known[(key, replication)] = self._journaled[(key, replication)]
                    self.runs_from_journal += 1
                else:
                    wanted[(key, replication)] = purchase
        index = {key: i for i, key in enumerate(dict.fromkeys(k for k, _ in wanted))}
        tasks = [
            Task(index[key], replication, self._seed, self._data, purchase.changes)
            for (key, replication), purchase in wanted.items()
        ]
        names = list(index)
        for row in run_tasks(tasks, self._engine, jobs=self._jobs, scheduler=self._scheduler):
            if row["status"] != "ok":
                raise OptimisationError(
                    f"mix {names[row['point']]}, replication {row['replication']}: {row['error']}"
                )
            key, replication, value = names[row["point"]], row["replication"], row[self._target]
            self._known[(key, replication)] = float(value)
            self.runs += 1
            if self._journal is not None:
                self._journal.record(key, replication, float(value))
        return np.array([[self._known[(key, r)] for r in replications] for key in keys])


def optimise(
    scenario: Scenario,
    budget: float,
    levers: Sequence[str],
    target: str = "missed_per_1000_referrals",
    *,
    minimise: bool = True,
    indifference: float | None = None,
    alpha: float = 0.05,
    design_points: int | None = None,
    design_replications: int = 5,
    first_stage: int = 10,
    max_replications: int = 100,
    candidates: int = 6,
    engine: str = "serial",
    jobs: int | None = None,
    scheduler: str | None = None,
    seed: int | None = None,
    batch: int = 5,
    on_step: Callable[[str], None] | None = None,
    journal: str | Path | None = None,
    resume: bool = False,
) -> OptimisationResult:
    """Find the allocation of ``budget`` (a year) across ``levers`` that minimises ``target``.

    Parameters
    ----------
    scenario
        The office as it is (a single office with headcounts; the programme levers need
        their blocks in the scenario, which price them and give their effects).
    budget
        Money a year on top of what the scenario spends.
    levers
        Names from :data:`sim.optimisation.menu.LEVERS`.
    target, minimise
        The figure to minimise (or maximise, ``minimise=False``).
    indifference
        KN's indifference zone in the target's units; default 5% of the mean of the design
        points' means (state your own: it is the difference worth finding).
    alpha
        One minus the probability of correct selection (0.05: 95%).
    design_points, design_replications
        Space-filling points beside the vertices and centre (default ``4 * len(levers)``),
        and replications of each.
    first_stage, max_replications, candidates
        KN's first stage ``n0``, the cap on a candidate's replications, and how many mixes
        enter the selection (half from the surrogate, half the best observed).
    engine, jobs, scheduler
        The sweep engine (``serial``, ``processes``, ``dask``) that runs every replication.
    seed
        The seed of every run (default: the scenario's) and of the design.
    batch
        Replications fetched at a time during the selection.
    on_step
        Told, in a line, of each step as it starts.
    journal, resume
        A folder to write every run into as it ends (:mod:`.journal`); with ``resume``, the
        runs a stopped optimisation wrote there are read instead of run again (the same
        choices follow, so the result is the one an uninterrupted optimisation gives).

    Raises
    ------
    ScenarioError
        A lever, target or budget that cannot be used; a journal folder that holds runs
        without ``resume``, or whose runs were made for another scenario, seed or target.
    OptimisationError
        A run failed.
    sim.experiments.results.ResultsWriteError
        The journal cannot be written (a full disk): the runs before are kept in it.
    """
    levers = list(levers)
    check_menu(scenario, levers)
    if target not in FIGURES:
        raise ScenarioError("--target", None, f"unknown figure {target!r}")
    if budget <= 0:
        raise ScenarioError("--budget", None, f"expected a budget above 0, got {budget:g}")
    seed = scenario.seed if seed is None else seed
    say = on_step or (lambda _: None)
    with contextlib.ExitStack() as stack:
        runs = None
        if journal is not None:
            data = scenario.model_dump(mode="json")
            runs = stack.enter_context(RunJournal(journal, data, seed, target, resume))
        scheduler = stack.enter_context(_cluster(engine, jobs, scheduler))
        evaluator = _Evaluator(scenario, target, seed, engine, jobs, scheduler, runs)
        return _optimise(
            scenario,
            budget,
            levers,
            target,
            evaluator,
            say,
            minimise=minimise,
            indifference=indifference,
            alpha=alpha,
            design_points=design_points,
            design_replications=design_replications,
            first_stage=first_stage,
            max_replications=max_replications,
            candidates=candidates,
            seed=seed,
            batch=batch,
        )


@contextlib.contextmanager
def _cluster(engine: str, jobs: int | None, scheduler: str | None) -> Iterator[str | None]:
    """The Dask scheduler every step uses: the one given, or one local cluster for the whole
    optimisation (the engine would otherwise start a cluster for each step)."""
    if engine != "dask" or scheduler is not None:
        yield scheduler
        return
    cluster = local_cluster(jobs or default_jobs())
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _optimise(
    scenario: Scenario,
    budget: float,
    levers: list[str],
    target: str,
    evaluator: _Evaluator,
    say: Callable[[str], None],
    *,
    minimise: bool,
    indifference: float | None,
    alpha: float,
    design_points: int | None,
    design_replications: int,
    first_stage: int,
    max_replications: int,
    candidates: int,
    seed: int,
    batch: int,
) -> OptimisationResult:
    """The three steps of :func:`optimise`, on an evaluator that runs the replications."""

    def purchase(shares: np.ndarray) -> Purchase:
        return buy(scenario, {lever: budget * s for lever, s in zip(levers, shares, strict=True)})

    # 1. the design
    shares = simplex_design(len(levers), design_points or 4 * len(levers), seed)
    bought = [purchase(row) for row in shares]
    say(f"design: {len(shares)} mixes x {design_replications} replications")
    values = evaluator.values(bought, range(design_replications))
    design = _table(levers, shares, bought, values)

    # 2. the surrogate, and the candidates
    sign = 1.0 if minimise else -1.0
    say("surrogate: fitting and choosing the candidates")
    surrogate = Surrogate(shares, design["mean"].to_numpy())
    dense = np.vstack([shares, simplex_points(len(levers), 4096, seed + 1)])
    mixes = choose_candidates(
        purchase,
        dense[np.argsort(sign * surrogate(dense), kind="stable")],
        shares[np.argsort(sign * design["mean"].to_numpy(), kind="stable")],
        candidates,
    )

    # 3. ranking and selection on fresh replications
    say(f"selection: KN on {len(mixes)} mixes, indifference zone, alpha {alpha}")
    if indifference is None:  # 5% of the target's level over the design
        indifference = 0.05 * abs(float(design["mean"].mean())) or 1e-9

    def sample(systems: Sequence[int], first: int, count: int) -> np.ndarray:
        reps = range(design_replications + first, design_replications + first + count)
        return evaluator.values([mixes[i][1] for i in systems], reps)

    selection = kim_nelson(
        sample,
        len(mixes),
        indifference,
        alpha=alpha,
        n0=first_stage,
        minimise=minimise,
        max_replications=max_replications,
        batch=batch,
    )
    table = _candidates(levers, mixes, selection)
    best = table.loc[selection.best]

    alone = None
    if scenario.budget.caseworker_cost > 0:
        say("caseworkers alone: the same money on positions")
        reference = buy(scenario, {"caseworkers": budget})
        reps = range(design_replications, design_replications + int(best.replications))
        ours = np.asarray(selection.observations[selection.best][: len(reps)])
        theirs = evaluator.values([reference], reps)[0]
        alone = {"buys": reference.describe(), **_intervals(theirs, theirs - ours)}
    return OptimisationResult(
        scenario.name,
        budget,
        tuple(levers),
        target,
        minimise,
        float(indifference),
        alpha,
        selection.guaranteed,
        design,
        table,
        best,
        alone,
        evaluator.runs,
        evaluator.runs_from_journal,
    )


def choose_candidates(
    purchase: Callable[[np.ndarray], Purchase],
    predicted_best: np.ndarray,
    seen_best: np.ndarray,
    count: int,
) -> list[tuple[np.ndarray, Purchase]]:
    """Up to ``count`` mixes for the selection: half from the mixes the surrogate predicts
    best, the rest from the design's best seen (each list best first), one per purchase as
    :meth:`Purchase.describe` shows it (levels of a programme that differ by less than the
    report's 0.01 are one policy to a reader, and one candidate)."""
    chosen: dict[str, tuple[np.ndarray, Purchase]] = {}
    for rows, limit in ((predicted_best, (count + 1) // 2), (seen_best, count)):
        for row in rows:
            if len(chosen) >= limit:
                break
            bought = purchase(row)
            chosen.setdefault(bought.describe(), (row, bought))
    return list(chosen.values())


def _intervals(values: np.ndarray, differences: np.ndarray) -> dict[str, float]:
    """The mean of ``values`` and of their paired ``differences``, each with its 95% interval
    (a difference of a mix from itself is exactly 0)."""
    mean, low, high = confidence_interval(values.tolist())
    if not np.any(differences):
        difference = (0.0, 0.0, 0.0)
    else:
        difference = confidence_interval(differences.tolist())
    return {
        "mean": mean,
        "ci_low": low,
        "ci_high": high,
        "difference": difference[0],
        "difference_low": difference[1],
        "difference_high": difference[2],
    }


def _table(
    levers: list[str], shares: np.ndarray, bought: list[Purchase], values: np.ndarray
) -> pd.DataFrame:
    rows = []
    for row, purchase, outputs in zip(shares, bought, values, strict=True):
        mean, low, high = confidence_interval(outputs.tolist())
        rows.append(
            {
                **{f"share_{lever}": float(s) for lever, s in zip(levers, row, strict=True)},
                "buys": purchase.describe(),
                "planned_cost": sum(purchase.planned_cost.values()),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    table = pd.DataFrame(rows)
    table.index.name = "point"
    return table


def _candidates(
    levers: list[str], mixes: list[tuple[np.ndarray, Purchase]], selection: Selection
) -> pd.DataFrame:
    best = np.asarray(selection.observations[selection.best])
    rows = []
    for i, (shares, purchase) in enumerate(mixes):
        outputs = np.asarray(selection.observations[i])
        common = min(len(outputs), len(best))
        intervals = _intervals(outputs, outputs[:common] - best[:common])
        low, high = intervals["difference_low"], intervals["difference_high"]
        rows.append(
            {
                **{f"share_{lever}": float(s) for lever, s in zip(levers, shares, strict=True)},
                "buys": purchase.describe(),
                "planned_cost": sum(purchase.planned_cost.values()),
                "replications": len(outputs),
                **intervals,
                "separated": bool(i != selection.best and not low <= 0.0 <= high),
                "eliminated_at": selection.eliminated_at.get(i, math.nan),
            }
        )
    table = pd.DataFrame(rows)
    table.index.name = "mix"
    return table
