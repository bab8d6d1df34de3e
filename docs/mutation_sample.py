"""A random sample of each module's mutants, and the mutation score it estimates.

A mutant of the simulation is reached by most of the fast layer, so one that survives costs a
whole fast-layer run (about two minutes on this machine's two shared cores): the 2,100 mutants of
the six core modules below would take most of a day. A simple random sample of each module's
mutants, tested in full by mutmut, estimates the module's score with an exact (Clopper-Pearson)
interval, and every survivor in it is looked at (docs/testing.md). The sample is drawn from
mutmut's own list with a fixed seed, so the same code gives the same sample.

Run from the repository's root, after ``mutmut run`` has generated the mutants::

    mutmut results --all true > mutants/all.txt
    python docs/mutation_sample.py pick mutants/all.txt > mutants/sample.txt
    mutmut run --max-children 2 $(cat mutants/sample.txt)
    mutmut results --all true > mutants/all.txt
    python docs/mutation_sample.py score mutants/all.txt mutants/sample.txt
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import stats

MODULES = ("metrics", "work", "careers", "intake_desk", "workforce", "risk_monitor")
DRAWN = 60
PER_MODULE = 45
SEED = 2026
LEVEL = 0.95
KILLED = ("killed", "timeout", "segfault")  # a test failed, hung or crashed: the bug was seen
SURVIVED = ("survived", "no tests")  # no fast test reaches a mutant with "no tests"


def read_results(path: Path) -> dict[str, str]:
    """``mutmut results --all true``: one ``name: status`` line per mutant."""
    results = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            results[name] = status
    return results


def module_of(mutant: str) -> str:
    return mutant.split(".")[2]


def pick(results: dict[str, str], per_module: int = PER_MODULE) -> list[str]:
    """``per_module`` mutants of each module: the first of a random order of ``DRAWN``
    drawn without replacement (seed ``SEED``), so a smaller sample is part of a larger."""
    rng = np.random.default_rng(SEED)
    sample = []
    for module in MODULES:
        names = sorted(n for n in results if n.startswith(f"sim.core.{module}."))
        drawn = rng.choice(names, size=min(DRAWN, len(names)), replace=False)
        sample += sorted(drawn[:per_module])
    return sample


def score(results: dict[str, str], sample: list[str]) -> str:
    """A markdown table: each module's sample, its killed share and exact interval."""
    rows = [
        "| module | mutants | sampled | killed | survived | not run | killed of sampled "
        f"({LEVEL:.0%} interval) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for module in MODULES:
        names = [n for n in sample if module_of(n) == module]
        counts = Counter(results.get(n, "missing") for n in names)
        killed = sum(counts[status] for status in KILLED)
        survived = sum(counts[status] for status in SURVIVED)
        run = killed + survived
        total = sum(module_of(n) == module for n in results)
        if run:
            interval = stats.binomtest(killed, run).proportion_ci(LEVEL, method="exact")
            share = f"{killed / run:.0%} ({interval.low:.0%} to {interval.high:.0%})"
        else:
            share = "not run"
        rows.append(
            f"| `sim/core/{module}.py` | {total} | {len(names)} | {killed} | {survived} "
            f"| {len(names) - run} | {share} |"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"pick", "score"}:
        print(__doc__, file=sys.stderr)
        return 2
    results = read_results(Path(argv[1]))
    if argv[0] == "pick":
        print("\n".join(pick(results)))
        return 0
    sample = Path(argv[2]).read_text(encoding="utf-8").split()
    print(score(results, sample))
    for name in sample:
        if results.get(name) in SURVIVED:
            print(f"{results[name]}: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
