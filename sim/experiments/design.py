"""Sweep files and designs: a base scenario, factors, a design, replications.

A sweep file (YAML, validated like a scenario) names a base scenario, the factors
to vary as dotted paths into it, and a design::

    name: budget_vs_threshold
    base: ../minimal.yaml          # relative to the sweep file
    replications: 5
    seed: 7
    design: grid                   # grid, lhs, sobol or list
    factors:
      - {path: workforce.caseworkers, values: [9, 12, 15]}
      - {path: intake.threshold, range: [0.3, 0.7], levels: 3}
    overrides: {horizon_days: 540}  # applied to every point

The design is a table of points (one row per point, one column per factor).
Every point is run with replications ``0 .. replications - 1`` of the same seed,
so replication ``r`` of every point sees the same referrals, risks and working
lives: differences between points are paired (common random numbers).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError, model_validator
from scipy.stats import qmc

from ..errors import ScenarioError
from ..scenario import Scenario, apply_overrides, load_scenario, load_yaml
from ..scenario.fields import STRICT, FieldIssue
from ..scenario.messages import as_scenario_error, did_you_mean

__all__ = ["Factor", "Sweep", "SweepPlan", "Task", "load_sweep", "plan_sweep", "sweep_over"]

Scalar = float | int | str | bool
MAX_POINTS = 1_000_000
"""The most design points a sweep may have (a grid's size is the product of its levels)."""


class Factor(BaseModel):
    """One factor: a dotted path into the scenario and its values or range."""

    model_config = STRICT
    path: Annotated[str, Field(min_length=1, max_length=200)]
    values: Annotated[list[Any], Field(min_length=1)] | None = None
    range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _values_or_range(self) -> Factor:
        if self.values is None and self.range is None:
            raise FieldIssue(("values",), "expected values or a range, got neither")
        if self.values is not None and self.range is not None:
            raise FieldIssue(("values",), "expected values or a range, not both")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise FieldIssue(
                ("range",), f"expected [low, high] with low < high, got {list(self.range)}"
            )
        if self.levels is not None and self.range is None:
            raise FieldIssue(("levels",), "expected levels only with a range")
        for i, value in enumerate(self.values or []):
            if not _finite(value):
                raise FieldIssue(("values", i), f"expected a finite number, got {value}")
        return self

    def grid_levels(self) -> list[Scalar]:
        """The factor's levels in a full grid."""
        if self.values is not None:
            return list(self.values)
        if self.levels is None:
            raise ValueError(f"{self.path}: a range needs levels in a grid design")
        return [self._cast(v) for v in np.linspace(*self.range, self.levels)]

    def from_unit(self, u: np.ndarray) -> list[Scalar]:
        """Map points of the unit interval to the factor (a range scaled, values indexed)."""
        if self.values is not None:
            index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in index]
        low, high = self.range
        return [self._cast(v) for v in qmc.scale(u[:, None], [low], [high])[:, 0]]

    def _cast(self, value: float) -> Scalar:
        return int(np.rint(value)) if self.integer else float(value)


class Sweep(BaseModel):
    """A validated sweep file."""

    model_config = STRICT
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    seed: Annotated[int, Field(ge=0)] = 20261122
    design: Literal["grid", "lhs", "sobol", "list"] = "grid"
    samples: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    factors: list[Factor] = []
    points: list[dict[str, Any]] | None = None
    overrides: dict[str, Any] = {}

    @model_validator(mode="after")
    def _design(self) -> Sweep:
        paths = [factor.path for factor in self.factors]
        if len(set(paths)) != len(paths):
            raise FieldIssue(("factors",), f"expected each path once, got {paths}")
        if self.design == "list":
            if not self.points:
                raise FieldIssue(("points",), "expected a list of points for design: list")
            if self.factors:
                raise FieldIssue(
                    ("factors",), "expected no factors with design: list (its points name them)"
                )
            for i, point in enumerate(self.points):
                for key, value in point.items():
                    if not _finite(value):  # NaN marks a path a point leaves out
                        raise FieldIssue(
                            ("points", i, key), f"expected a finite number, got {value}"
                        )
            return self
        if not self.factors:
            raise FieldIssue(
                ("factors",), f"expected at least one factor for design: {self.design}"
            )
        if self.points is not None:
            raise FieldIssue(("points",), "expected points only with design: list")
        if self.samples is not None and self.design == "grid":
            raise FieldIssue(
                ("samples",), "expected samples only with design: lhs or sobol (a grid has levels)"
            )
        if self.design == "grid":
            for i, factor in enumerate(self.factors):
                if factor.range is not None and factor.levels is None:
                    raise FieldIssue(
                        ("factors", i, "levels"), "expected levels for a range in a grid design"
                    )
            size = math.prod(len(f.values) if f.values else f.levels for f in self.factors)
            if size > MAX_POINTS:
                raise FieldIssue(
                    ("factors",), f"expected a grid of at most {MAX_POINTS:,} points, got {size:,}"
                )
        elif self.samples is None:
            raise FieldIssue(
                ("samples",), f"expected the number of points for design: {self.design}"
            )
        elif self.design == "sobol" and self.samples & (self.samples - 1):
            raise FieldIssue(
                ("samples",),
                f"expected a power of 2 for a Sobol design (balance), got {self.samples}",
            )
        return self

    def design_table(self, base: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The design points: one row per point (``point`` 0, 1, ...), one column per factor.

        In a ``list`` design a point may leave out a path that other points name: it runs
        with the base scenario's value there, and shows that value (read from ``base``, the
        base scenario as plain data), so every column keeps the type its values have.
        """
        if self.design == "list":
            paths = list(dict.fromkeys(path for point in self.points for path in point))
            fill = {path: _value_at(base, path) for path in paths} if base is not None else {}
            table = pd.DataFrame(
                [{**fill, **point} for point in self.points], columns=paths or None
            )
        elif self.design == "grid":
            levels = [factor.grid_levels() for factor in self.factors]
            table = pd.DataFrame(
                list(itertools.product(*levels)), columns=[f.path for f in self.factors]
            )
        else:
            dimensions = len(self.factors)
            if self.design == "lhs":
                sampler = qmc.LatinHypercube(d=dimensions, seed=self.seed)
                unit = sampler.random(self.samples)
            else:
                sampler = qmc.Sobol(d=dimensions, scramble=True, seed=self.seed)
                unit = sampler.random_base2(int(math.log2(self.samples)))
            table = pd.DataFrame(
                {f.path: f.from_unit(unit[:, j]) for j, f in enumerate(self.factors)}
            )
        table.index.name = "point"
        return table


@dataclass(frozen=True)
class Task:
    """One replication of one design point: everything a worker needs to run it."""

    point: int
    replication: int
    seed: int
    scenario: dict[str, Any]
    """The base scenario as plain data (validated once, re-validated with the changes)."""
    changes: dict[str, Any]
    allow_large: bool = False
    """Run the point even if it is absurdly large or its queue grows without bound."""
    time_limit: float | None = None
    """Seconds the run may take before the engine stops it and records it as failed
    (``None``: no limit)."""


@dataclass(frozen=True)
class SweepPlan:
    """A loaded sweep: the file, its base scenario and its design."""

    sweep: Sweep
    source: str
    text: str
    base: Scenario
    design: pd.DataFrame

    @property
    def size(self) -> int:
        return len(self.design) * self.sweep.replications

    def changes(self, point: int) -> dict[str, Any]:
        """The overrides of one point: the sweep's fixed ones, then the point's factors.

        A ``list`` design's point changes exactly the paths it names, with the values as
        given (never through a table column, where a path another point leaves out would
        turn an integer into a float).
        """
        if self.sweep.design == "list":
            given = self.sweep.points[point]
        else:
            given = self.design.iloc[[point]].to_dict(orient="records")[0]  # keeps types
        point_changes = {k: _plain(v) for k, v in given.items() if not _missing(v)}
        return {**self.sweep.overrides, **point_changes}

    def tasks(
        self, done: set[tuple[int, int]] | frozenset = frozenset(), *, allow_large: bool = False
    ):
        """Every (point, replication) not in ``done``, point by point."""
        data = self.base.model_dump(mode="json")
        for point in range(len(self.design)):
            changes = self.changes(point)
            for replication in range(self.sweep.replications):
                if (point, replication) not in done:
                    yield Task(point, replication, self.sweep.seed, data, changes, allow_large)


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones (YAML, JSON and pydantic's strict mode want those)."""
    return value.item() if hasattr(value, "item") else value


def _missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _finite(value: Any) -> bool:
    """False for a NaN or infinite number (YAML's ``.nan``, ``.inf``); True for anything else."""
    return not isinstance(value, float) or math.isfinite(value)


def load_sweep(path: str | Path) -> SweepPlan:
    """Load a sweep file, its base scenario and its design; one-line errors as for scenarios."""
    source = str(path)
    try:
        data = load_yaml(path)
    except OSError as exc:  # a name too long for the file system, say
        raise ScenarioError(source, None, f"cannot read file: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise ScenarioError(source, None, f"expected a mapping of sweep fields, got {kind}")
    if "base" not in data and "case_types" in data:  # the fields of a scenario file
        raise ScenarioError(
            source,
            None,
            "expected a sweep file, got a scenario: run it with `caseload run FILE`, or name "
            "it as the `base` of a sweep file (docs/sweeps.md)",
        )
    sweep = _validate(data, source)
    base = _load_base(Path(path).parent, sweep.base, source)
    return plan_sweep(sweep, base, source, Path(path).read_text(encoding="utf-8"))


def _load_base(folder: Path, given: str, source: str) -> Scenario:
    """The base scenario, ``given`` relative to the sweep file's ``folder``.

    A base that is missing or not a file is a problem of the sweep file's ``base``
    field; a base file that is not a valid scenario is named with its own field.
    """
    path = folder / given
    try:
        found, is_file = path.exists(), path.is_file()
    except (OSError, ValueError) as exc:  # too long a name, a NUL byte
        raise ScenarioError(
            source, "base", f"expected a scenario file, got {given!r} ({exc})"
        ) from None
    if not found:
        raise ScenarioError(
            source,
            "base",
            f"expected a scenario file (relative to the sweep file), got {given!r}: "
            f"file not found ({path.resolve()})",
        )
    if not is_file:
        raise ScenarioError(
            source,
            "base",
            f"expected a scenario file, got {given!r}: a directory or special file",
        )
    try:
        return load_scenario(path.resolve())
    except ScenarioError as exc:
        suffix = f" (the base scenario of {source})"
        raise ScenarioError(
            exc.source,
            exc.field,
            exc.problem + suffix,
            problems=[(field, problem + suffix) for field, problem in exc.problems],
        ) from None


def sweep_over(base: Scenario, **fields: Any) -> SweepPlan:
    """A sweep over a scenario already in memory (notebooks, tests, benchmarks).

    ``fields`` are those of a sweep file except ``base``, e.g.
    ``sweep_over(scenario, replications=5, factors=[{"path": "intake.threshold",
    "values": [0.3, 0.5]}])``; they are validated with the same one-line errors.
    """
    data = {"name": base.name, "base": "<in memory>", **fields}
    return plan_sweep(_validate(data, "<sweep>"), base)


def _validate(data: dict[str, Any], source: str) -> Sweep:
    try:
        return Sweep.model_validate(data)
    except ValidationError as exc:
        raise as_scenario_error(exc, source, data, Sweep) from None


def plan_sweep(sweep: Sweep, base: Scenario, source: str = "<sweep>", text: str = "") -> SweepPlan:
    """Check every factor path against the base scenario and build the design."""
    fields = base.model_dump(mode="python")
    for i, factor in enumerate(sweep.factors):
        _check_path(fields, factor.path, source, f"factors[{i}].path")
    for key in sweep.overrides:
        _check_path(fields, key, source, f"overrides.{key}")
    for i, point in enumerate(sweep.points or []):
        for key in point:
            _check_path(fields, key, source, f"points[{i}].{key}")
    if sweep.overrides:
        try:
            base = apply_overrides(base, sweep.overrides)
        except ScenarioError as exc:
            raise ScenarioError(source, f"overrides.{exc.field}", exc.problem) from None
    return SweepPlan(sweep, source, text, base, sweep.design_table(base.model_dump(mode="json")))


def _value_at(data: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of plain scenario data (list items by index)."""
    node: Any = data
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _check_path(fields: Mapping[str, Any], dotted: str, source: str, where: str) -> None:
    node: Any = fields
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        try:
            if isinstance(node, list) and not part.isdigit():  # no negative index: -1 is a name
                raise KeyError(part)
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            known = ".".join(parts[:depth]) or "the scenario"
            if isinstance(node, list):
                items = f"items 0 to {len(node) - 1}" if node else "no items"
                why = f"{known} has {items}, no {part!r}"
            elif isinstance(node, Mapping):
                why = f"no {part!r} in {known}{did_you_mean(part, list(node))}"
            else:
                why = f"no {part!r} in {known}; a section the base leaves out must be added to it"
            raise ScenarioError(
                source, where, f"expected a field of the base scenario, got {dotted!r} ({why})"
            ) from None
