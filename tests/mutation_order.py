"""Test selection and order under mutmut: every fast test of the modules that reach a
mutant, the tests most likely to kill it first.

mutmut runs, for each mutant, the fast tests it saw reach the mutated function, with ``-x``: a
mutant that dies costs only the tests run before the first failure. It credits a function
called while a module-scoped fixture is built to the first test that uses the fixture only,
so the other tests that read the fixture (a run's daily series, say) were never run for the
mutant, and a mutant they kill survived. This plugin (active only while mutmut has a mutant
switched on, ``MUTANT_UNDER_TEST`` naming one) widens the selection to the fast tests of every
module mutmut chose a test from, and puts first the tests that killed other mutants of the same
function in this run (mutants of one function tend to die to the same test), then the rest,
quickest first, by the durations mutmut recorded in ``mutmut-stats.json``. The order changes
how long a run takes, never which mutants die: every selected test still runs for a mutant
that survives. Kills are appended to ``mutmut-killers.txt`` beside the stats (one
``function<TAB>test`` line each).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

_STATS = Path("mutmut-stats.json")
_KILLERS = Path("mutmut-killers.txt")


def _mutant() -> str | None:
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else None


def _function(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def _killers(function: str) -> Counter[str]:
    if not _KILLERS.exists():
        return Counter()
    lines = _KILLERS.read_text(encoding="utf-8").splitlines()
    return Counter(test for f, _, test in (line.partition("\t") for line in lines) if f == function)


def pytest_configure(config: pytest.Config) -> None:
    mutant = _mutant()
    if mutant is None:
        return
    modules = dict.fromkeys(str(arg).split("::", 1)[0] for arg in config.args)
    config.args[:] = list(modules)
    config.option.markexpr = "fast"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mutant = _mutant()
    if mutant is None or not _STATS.exists():
        return
    durations = json.loads(_STATS.read_text(encoding="utf-8")).get("duration_by_test", {})
    killers = _killers(_function(mutant))
    items.sort(key=lambda item: (-killers[item.nodeid], durations.get(item.nodeid, 0.0)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    mutant = _mutant()
    if mutant is not None and report.failed and report.when == "call":
        with _KILLERS.open("a", encoding="utf-8") as killers:
            killers.write(f"{_function(mutant)}\t{report.nodeid}\n")
