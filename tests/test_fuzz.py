"""Fuzzing the scenario loader, a short run of what it accepts, and ``caseload validate``.

Whatever a scenario mapping, file or ``--set`` override holds, the only exception a
user may see is :class:`sim.ScenarioError`: one line, starting with the name of the
source. A scenario the loader accepts runs (for a short horizon, see
:func:`run_briefly`) without raising, or is refused by the size guard
(:func:`sim.core.guards.check_size`) with the same kind of error. Every example runs
under a time limit (a hang is a failure) and a memory limit (so that a runaway
allocation fails the test instead of the machine).

The inputs are the valid data of ``scenarios/minimal.yaml`` and of
``conftest.small_office_data()``, with optional sections added and then random
mutations (a value of a random type at a random dotted path, a deleted key, an
unknown key), written out as YAML, or mutated as text; plus random YAML text and
random bytes.

Examples per test (``max_examples``; the runs are derandomized, so CI always tries
the same ones): mappings 300, files 120, YAML text 200 (three generators; the
examples are shared among them), bytes 60, overrides 150, command line 30: 860 in all,
plus 12 explicit regression examples; about 25 s here. A refused example passes, so each
test counts how its examples ended and asserts that at least :data:`RAN_AT_LEAST` of them
reached the short run (random bytes: that every one was refused).
"""

from __future__ import annotations

import contextlib
import copy
import math
import resource
import signal
import string
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import MINIMAL, small_office_data
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.core.guards import SizeEstimate, check_size, estimate_size
from sim.core.model import CaseloadModel

MINIMAL_DATA: dict[str, Any] = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
MINIMAL_TEXT = MINIMAL.read_text(encoding="utf-8")
BASES = {"minimal": MINIMAL_DATA, "small_office": small_office_data()}

SECONDS_PER_EXAMPLE = 20
"""A single example (validation and a short run) taking longer than this is a hang."""
EXTRA_MEMORY = 2 * 1024**3
"""Address space an example may add to the process (bytes) before allocation fails."""


def fuzz(examples: int) -> settings:
    """Hypothesis settings of these tests: derandomized, so CI tries the same examples."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,  # the hard limit is SECONDS_PER_EXAMPLE (see bounded())
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Sections the bases lack, valid on their own: adding one lets later mutations reach it.
OPTIONAL_SECTIONS: dict[str, Any] = {
    "initial_state": {"open_cases_per_worker": 3, "waiting": 4},
    "policies": {
        "gatekeeping": {"trigger_caseload": 6.0, "release_caseload": 4.0, "persistence_days": 3},
        "scandal": {"publicity_probability": 0.5, "duration_days": 30.0},
    },
    "turnover": {"annual_rate": 3.0, "transfer_hours": 1.0},
    "hiring": {
        "lag": {"distribution": "exponential", "mean": 10.0},
        "training_days": 5.0,
        "ramp_days": 10.0,
        "agency_cover_share": 0.5,
        "freeze_window": {"start_day": 5.0, "end_day": 20.0},
    },
    "strain": {"rise_per_day": 0.2},
    "supervision": {"span": 2},
    "support": {"delegable_share": 0.4},
    "caps": {"count": 4, "weighted": 6.0, "overflow": "external", "external_cost_per_case": 9.0},
    "budget": {
        "per_year": 500000.0,
        "mix": {"caseworker": 0.8, "supervisor": 0.2},
        "caseworker_cost": 60000.0,
        "supervisor_cost": 80000.0,
    },
    "triage": "new_cases_first",
}
CASE_TYPE_SECTIONS: dict[str, Any] = {
    "standard": {"open_cases": {"low": 20, "medium": 15, "high": 10}},
    "complexity": [
        {"name": "simple", "share": 0.7},
        {"name": "hard", "share": 0.3, "work_multiplier": 2.0, "weight_multiplier": 1.5},
    ],
    "weight": {"low": 1.0, "medium": 1.5, "high": 2.0},
    "closes_on_schedule": True,
    "risk_window_days": 90.0,
}
ARRIVAL_SECTIONS: dict[str, Any] = {
    "seasonality": [1.0, 1.2, 0.8, 1.0, 1.0, 1.1, 0.9, 1.0, 1.0, 1.3, 0.7, 1.0],
    "surges": [{"start_day": 5.0, "end_day": 30.0, "multiplier": 2.0}],
}

# ------------------------------------------------------------------------ random values

SPECIAL_NUMBERS = [
    0,
    -1,
    1,
    2**31,
    2**63,
    10**30,
    -(10**30),
    2**1000,
    0.0,
    -0.0,
    0.5,
    1.0,
    1e-300,
    5e-324,
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
]
SPECIAL_STRINGS = ["", " ", "\n", "wait", "fifo", "low", "high", "1e3", "nan", ".inf", "yes", "~"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.sampled_from(SPECIAL_NUMBERS),
    st.text(max_size=12),
    st.sampled_from(SPECIAL_STRINGS),
)
keys = st.one_of(st.text(max_size=10), st.sampled_from(["name", "low", "value", "mean"]))
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(keys | st.integers(-3, 3), children, max_size=4)
    ),
    max_leaves=8,
)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def numbers_like(value: float) -> st.SearchStrategy:
    """Numbers of every size, and ``value`` scaled by a power of ten (kept an int if it was)."""
    scaled = st.integers(-300, 300).map(lambda k: value * 10.0**k)
    if isinstance(value, int):
        scaled = st.integers(0, 40).map(lambda k: value * 10**k)
    return st.one_of(
        scaled,
        st.sampled_from(SPECIAL_NUMBERS),
        st.integers(-2, 10**6),
        st.floats(min_value=-1.0, max_value=1e6),
        st.floats(),
    )


def paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into ``node`` (keys and list indices), containers and leaves alike."""
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def containers(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Paths of every mapping in ``node`` (the root is ``()``)."""
    if isinstance(node, dict):
        yield prefix
        for key, child in node.items():
            yield from containers(child, (*prefix, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from containers(child, (*prefix, i))


def at(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_data(draw: st.DrawFn) -> dict[str, Any]:
    """A valid base scenario, optional sections added, then up to four random mutations."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for name in draw(st.lists(st.sampled_from(sorted(OPTIONAL_SECTIONS)), max_size=3)):
        data[name] = copy.deepcopy(OPTIONAL_SECTIONS[name])
    case_type = data["case_types"][0]
    for name in draw(st.lists(st.sampled_from(sorted(CASE_TYPE_SECTIONS)), max_size=2)):
        case_type[name] = copy.deepcopy(CASE_TYPE_SECTIONS[name])
    for name in draw(st.lists(st.sampled_from(sorted(ARRIVAL_SECTIONS)), max_size=1)):
        case_type["arrivals"][name] = copy.deepcopy(ARRIVAL_SECTIONS[name])
    if draw(st.booleans()):
        data["case_types"].append({**copy.deepcopy(case_type), "name": "second"})
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["replace", "number", "number", "delete", "unknown"]))
        numeric = [p for p in paths(data) if is_number(at(data, p))]
        if kind == "number" and numeric:  # a number stays a number, of any size
            path = draw(st.sampled_from(numeric))
            parent = at(data, path[:-1])
            parent[path[-1]] = draw(numbers_like(parent[path[-1]]))
            continue
        if kind == "unknown":
            where = at(data, draw(st.sampled_from(list(containers(data)))))
            where[draw(keys)] = draw(values)
            continue
        path = draw(st.sampled_from(list(paths(data))))
        parent = at(data, path[:-1])
        if kind == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return data


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """The text of scenarios/minimal.yaml with a few characters inserted, deleted or changed."""
    text = MINIMAL_TEXT
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(i + 20, len(text))))
        text = text[:i] + draw(st.text(alphabet=YAML_CHARS, max_size=8)) + text[j:]
    return text


YAML_CHARS = string.ascii_letters[:6] + string.digits + " \n\t:-[]{},&*!|>'\"#%@.~?"

# ------------------------------------------------------------------------ checking


class ExampleTooSlow(Exception):
    """An example ran past SECONDS_PER_EXAMPLE (not a ValueError: nothing may catch it)."""


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """Fail an example that takes too long or allocates too much (Unix; else unbounded)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise ExampleTooSlow(f"example took longer than {SECONDS_PER_EXAMPLE} s")

    previous = signal.signal(signal.SIGALRM, expired)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limited = False
    with contextlib.suppress(OSError, ValueError):
        in_use = int(Path("/proc/self/status").read_text().split("VmSize:")[1].split()[0]) * 1024
        limit = in_use + EXTRA_MEMORY
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            limited = True
    outer, _ = signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_EXAMPLE)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # someone else's alarm (pytest-timeout, say) was running: give it back
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))
        if limited:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def check_message(exc: sim.ScenarioError, source: str) -> None:
    message = str(exc)
    assert len(message.splitlines()) == 1, f"not one line: {message!r}"
    assert message.startswith(f"{source}: "), f"does not start with {source!r}: {message!r}"
    assert exc.problem, message


def loads(call, source: str) -> sim.Scenario | None:
    """``call()``; ``None`` if it raised a proper ScenarioError (any other exception fails)."""
    try:
        return call()
    except sim.ScenarioError as exc:
        check_message(exc, source)
        outcome("refused")
        return None


RAN_AT_LEAST = 0.25
"""Share of a fuzz test's examples that must reach the short run (not refused by the loader,
the size guard or the model): a refusal passes an example, so a generator that only made
refusals would test nothing of the run. Measured: mappings 38%, files 32%, YAML text 32%,
overrides 44% (derandomized, so the same on every run)."""
OUTCOMES: Counter[str] = Counter()
"""How the examples of the test running now ended (see :func:`examples_ending`)."""


def outcome(name: str) -> None:
    event(name)
    OUTCOMES[name] += 1


def examples_ending(check: Callable[..., None], *args: Any) -> Counter[str]:
    """Run the property ``check`` (all its examples) and count how they ended."""
    OUTCOMES.clear()
    check(*args)
    return Counter(OUTCOMES)


SHORT_HORIZON = 60.0
FUZZ_SIZE = SizeEstimate(referrals=5_000, worker_days=5_000, signals=20_000)
"""Larger short runs than this are only validated and guarded, not run (for speed)."""


def run_briefly(scenario: sim.Scenario, source: str) -> None:
    """Run one replication of ``scenario`` cut to at most SHORT_HORIZON days.

    The size guard may refuse it (a ScenarioError like the loader's); a scenario it
    accepts but that is still too big for a quick fuzz run is only validated.
    """
    horizon = min(scenario.horizon_days, SHORT_HORIZON)
    changes = {
        "horizon_days": horizon,
        "warmup_days": min(scenario.warmup_days, horizon / 2),
        "replications": 1,
    }
    short = loads(
        lambda: sim.apply_overrides(scenario, changes), f"{scenario.name} (with overrides)"
    )
    assert short is not None, "a valid scenario with a shorter horizon must stay valid"
    try:
        check_size(short, source)
    except sim.ScenarioError as exc:
        check_message(exc, source)
        outcome("refused by the size guard")
        return
    size = estimate_size(short)
    if (
        size.referrals > FUZZ_SIZE.referrals
        or size.worker_days > FUZZ_SIZE.worker_days
        or size.signals > FUZZ_SIZE.signals
    ):
        outcome("valid, too big to run here")
        return
    try:  # an initial caseload the screen cannot supply is found when the model is built
        output = CaseloadModel(short, replication=0).run()
    except sim.ScenarioError as exc:
        check_message(exc, short.name)
        outcome("refused when built")
        return
    assert output.summary.window_days == short.horizon_days - short.warmup_days
    outcome("ran")


# ------------------------------------------------------------------------ the tests


def office(**changes: Any) -> dict[str, Any]:
    return small_office_data(**{"horizon_days": 60.0, "warmup_days": 10.0, **changes})


LOW_TIER = {"name": "low", "signals_per_year": 0.5}
SURGE = {"start_day": 0.0, "end_day": 50.0}


@fuzz(300)
# Regressions, each once a failure (fixed in the module named):
# a key holding a line separator made the message two lines (sim/errors.py)
@example(data=office(**{"risk.tiers.0": {**LOW_TIER, "\x1e": None}}))
# a lognormal or gamma duration whose parameter overflows failed the run
# (sim/scenario/distributions.py)
@example(data=office(**{"case_types.0.duration.sd": 1e160}))
@example(
    data=office(**{"case_types.0.duration": {"distribution": "gamma", "mean": 1e-300, "sd": 1e-10}})
)
# seasonality whose normalisation overflows gave a NaN arrival rate (sim/scenario/casetypes.py)
@example(data=office(**{"case_types.0.arrivals.seasonality": [1e308] + [1.0] * 11}))
# the size guard ignored surges, the initial caseload and signals (sim/core/guards.py)
@example(data=office(**{"case_types.0.arrivals.surges": [{**SURGE, "multiplier": 1e9}]}))
@example(
    data=office(
        **{
            "case_types.0.arrivals.surges": [
                {**SURGE, "multiplier": 1e308},
                {**SURGE, "multiplier": 1e308},
                {**SURGE, "multiplier": 0.0},
            ]
        }
    )
)
@example(data=office(initial_state={"open_cases_per_worker": 10**9}))
@example(data=office(**{"risk.tiers.0.signals_per_year": 1e12}))
@given(data=mutated_data())
def mutated_mappings_validate_or_fail_in_one_line(data):
    with bounded():
        scenario = loads(lambda: sim.validate_scenario(data, "fuzz.yaml"), "fuzz.yaml")
        if scenario is not None:
            run_briefly(scenario, "fuzz.yaml")


def test_mutated_mappings_validate_or_fail_in_one_line():
    ending = examples_ending(mutated_mappings_validate_or_fail_in_one_line)
    assert ending["ran"] >= RAN_AT_LEAST * ending.total(), ending


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_file(path: Path) -> None:
    with bounded():
        scenario = loads(lambda: sim.load_scenario(path), str(path))
        if scenario is not None:
            run_briefly(scenario, str(path))


@fuzz(120)
@given(data=mutated_data())
def mutated_files_load_or_fail_in_one_line(folder, data):
    path = folder / "mutated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    check_file(path)


def test_mutated_files_load_or_fail_in_one_line(folder):
    ending = examples_ending(mutated_files_load_or_fail_in_one_line, folder)
    assert ending["ran"] >= RAN_AT_LEAST * ending.total(), ending


@fuzz(200)
@given(text=mutated_text() | st.text(alphabet=YAML_CHARS, max_size=200) | st.text(max_size=80))
def yaml_text_loads_or_fails_in_one_line(folder, text):
    path = folder / "text.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_file(path)


def test_yaml_text_loads_or_fails_in_one_line(folder):
    ending = examples_ending(yaml_text_loads_or_fails_in_one_line, folder)
    assert ending["ran"] >= RAN_AT_LEAST * ending.total(), ending


@fuzz(60)
@given(raw=st.binary(max_size=200) | mutated_text().map(lambda t: t.encode("utf-16")))
def bytes_load_or_fail_in_one_line(folder, raw):
    path = folder / "bytes.yaml"
    path.write_bytes(raw)
    check_file(path)


def test_bytes_load_or_fail_in_one_line(folder):
    """Random bytes are never a scenario: every example is refused in one line."""
    ending = examples_ending(bytes_load_or_fail_in_one_line, folder)
    assert ending["refused"] == ending.total() >= 60, ending


segments = st.one_of(
    st.sampled_from(sorted({str(p) for path in paths(MINIMAL_DATA) for p in path})),
    st.sampled_from(["0", "1", "5", "-1", "", "x", "tiers", "count"]),
    st.text(alphabet=string.ascii_lowercase + string.digits + "_-", max_size=6),
)
dotted_paths = st.lists(segments, min_size=1, max_size=5).map(".".join)
NUMBER_PATHS = [path for path in paths(MINIMAL_DATA) if is_number(at(MINIMAL_DATA, path))]


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    """One to three overrides: where the scenario has a number, a number near it (usually
    valid, so that the short run is reached) or of any size; or any value at a random
    dotted path (rarely valid)."""
    changes: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["near", "near", "number", "anything"]))
        if kind == "anything":
            changes[draw(dotted_paths)] = draw(values)
            continue
        path = draw(st.sampled_from(NUMBER_PATHS))
        value = at(MINIMAL_DATA, path)
        near = st.floats(0.5, 2.0).map(lambda f, v=value: type(v)(v * f) if v else v)
        changes[".".join(map(str, path))] = draw(near if kind == "near" else numbers_like(value))
    return changes


@fuzz(150)
@example(overrides={"case_types.5": 1})  # an index past the end of a list
@example(overrides={"case_types.name": 1})  # a name where a list needs an index
@example(overrides={"case_types.\u00b2": 1})  # a digit that is not a decimal
@given(overrides=overrides())
def overrides_apply_or_fail_in_one_line(overrides):
    with bounded():
        scenario = loads(lambda: sim.load_scenario(MINIMAL, overrides), str(MINIMAL))
        if scenario is not None:
            run_briefly(scenario, str(MINIMAL))


def test_overrides_apply_or_fail_in_one_line():
    ending = examples_ending(overrides_apply_or_fail_in_one_line)
    assert ending["ran"] >= RAN_AT_LEAST * ending.total(), ending


@fuzz(30)
@example(text=MINIMAL_TEXT + '"\\u2028": 1\n')  # an unknown key holding a line separator
@given(text=mutated_text() | mutated_data().map(yaml.safe_dump))
def test_validate_command_exits_0_or_2_in_one_line(folder, text):
    path = folder / "cli.yaml"
    path.write_text(text, encoding="utf-8")
    with bounded():
        result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"caseload: {path}: "), line
    else:
        assert result.stderr == ""
        (line,) = result.stdout.splitlines()
        assert line.startswith(f"{path}: valid scenario "), line
