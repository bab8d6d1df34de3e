"""Procedure KN on the simulation itself: how often it selects a mix within the indifference
zone of the best, over repeated seeds (too slow for CI; tests/test_optimisation.py measures the
same rate on normal outputs in under a second).

Run:  python benchmarks/selection_pcs.py [--seeds 40] [--truth 150]   (about 2 minutes; 7 for 200
seeds)

The systems are three staffings of a stretched small office (5, 6 and 7 caseworkers, as a
budget would buy them), the target its mean wait for assignment, the indifference zone a
quarter of a day: close to the hardest case, since 6 caseworkers wait about that much longer
than 7. Each system's true mean is estimated first from ``--truth`` replications numbered far
beyond those the trials use. Each trial runs KN (alpha 0.05, n0 10) on its own seed; a
selection is correct when the system selected has a true mean within the indifference zone of
the best true mean. Prints the rate with its Clopper-Pearson 95% interval and the replications
KN used; docs/levers.md records what it measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import sim
from sim.optimisation import kim_nelson, probability_of_correct_selection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import small_office_data

STAFF = (5, 6, 7)
TARGET = "wait_mean_days"
DELTA = 0.25


def office(caseworkers: int) -> sim.Scenario:
    return sim.validate_scenario(
        small_office_data(
            **{
                "horizon_days": 240.0,
                "case_types.0.arrivals.rate_per_year": 550.0,
                "workforce.caseworkers": caseworkers,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--truth", type=int, default=150)
    args = parser.parse_args()
    systems = [office(n) for n in STAFF]
    start = time.perf_counter()
    truth = np.array(
        [
            np.mean(
                [
                    getattr(sim.run_replication(s, 100_000 + r, 1).summary, TARGET)
                    for r in range(args.truth)
                ]
            )
            for s in systems
        ]
    )
    good = {i for i, mean in enumerate(truth) if mean <= truth.min() + DELTA}
    print(f"true means {np.round(truth, 3)}; within {DELTA} of the best: {sorted(good)}")
    picks, used, capped = [], [], 0
    for seed in range(args.seeds):

        def sample(chosen, first, count, seed=seed):
            return np.array(
                [
                    [
                        getattr(sim.run_replication(systems[i], r, seed).summary, TARGET)
                        for r in range(first, first + count)
                    ]
                    for i in chosen
                ]
            )

        selection = kim_nelson(sample, len(systems), DELTA, n0=10, batch=5, max_replications=300)
        capped += not selection.guaranteed
        picks.append(selection.best if selection.best in good else -1)
        used.append(sum(len(v) for v in selection.observations.values()))
    rate, low, high = probability_of_correct_selection([p >= 0 for p in picks], True)
    print(
        f"correct selections {sum(p >= 0 for p in picks)} of {args.seeds}: {rate:.3f} "
        f"[{low:.3f}, {high:.3f}]; replications per trial {np.mean(used):.0f}; "
        f"{capped} stopped by the cap; {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
