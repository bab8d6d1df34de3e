"""Reading scenario files: safe YAML with limits, dotted-path overrides, and validation.

Files are read with PyYAML's safe loader (never arbitrary objects), refusing a key given
twice, a file too large to be a scenario, bytes that are not UTF-8 and YAML aliases that
expand beyond reason (an alias bomb). Overrides (``--set a.b=1``) change the plain data
before validation. Every failure is a one-line :class:`~sim.errors.ScenarioError` naming
the file, the field and what was expected.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ScenarioError
from .messages import as_scenario_error, did_you_mean, field_names_at
from .offices import office_scenarios
from .schema import Scenario

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_VALUES",
    "apply_overrides",
    "load_scenario",
    "load_yaml",
    "override",
    "validate_scenario",
]

MAX_VALUES = 1_000_000
"""Files whose values, with YAML aliases expanded, number more than this are refused."""


def _expanded_size(value: Any, limit: int) -> int:
    """How many values ``value`` holds once aliases (shared references) are expanded.

    Stops counting past ``limit``, so an alias bomb (the "billion laughs") is
    measured in a moment and never handed to validation.
    """
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(node)] = total
        return total

    return size(value)


MAX_FILE_BYTES = 5_000_000
"""Scenario and sweep files larger than this are refused before parsing."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (PyYAML keeps the last,
    so a colleague's file with ``caseworkers:`` twice would silently run the second)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<: *anchor``, which the safe loader merges itself
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the safe loader's own check refuses it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with the safe loader, turning every failure into a ScenarioError."""
    source = str(path)
    file = Path(path)
    if not file.exists():
        raise ScenarioError(source, None, "file not found")
    if not file.is_file():
        raise ScenarioError(source, None, "expected a YAML file, got a directory or special file")
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                source, None, f"file too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})"
            )
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            source, None, f"expected UTF-8 text, got invalid bytes at offset {exc.start}"
        ) from None
    except OSError as exc:
        raise ScenarioError(source, None, f"cannot read file: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: never arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(source, None, f"YAML syntax error at {where}{exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, None, f"YAML error: {exc}") from None
    except RecursionError:
        raise ScenarioError(source, None, "YAML nested too deeply") from None
    try:
        values = _expanded_size(data, MAX_VALUES)
    except RecursionError:
        raise ScenarioError(source, None, "YAML nested too deeply") from None
    if values > MAX_VALUES:
        raise ScenarioError(
            source, None, f"YAML aliases expand to more than {MAX_VALUES:,} values (an alias bomb?)"
        )
    return data


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file.
    overrides
        Optional ``{"dotted.path": value}`` changes applied before validation,
        e.g. ``{"workforce.caseworkers": 12, "intake.threshold": 0.5}``.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the field and what was expected.
    """
    data = load_yaml(path)
    if overrides:
        data = override(data, overrides, str(path))
    return validate_scenario(data, str(path))


def validate_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise ScenarioError(source, None, f"expected a mapping of scenario fields, got {kind}")
    if "base" in data and "case_types" not in data:  # the fields of a sweep file
        raise ScenarioError(
            source,
            None,
            "expected a scenario, got a sweep file (it names a base scenario): run it with "
            "`caseload sweep FILE --out DIR` (sim.load_sweep in Python)",
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise as_scenario_error(exc, source, data, Scenario) from None
    except RecursionError:
        raise ScenarioError(source, None, "structure nested too deeply") from None
    if scenario.offices is not None:
        office_scenarios(scenario, source)  # every office's changes make a valid scenario
    return scenario


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """Return a copy of ``scenario`` with ``{"dotted.path": value}`` changes, re-validated."""
    data = override(scenario.model_dump(mode="python"), overrides, scenario.name)
    return validate_scenario(data, f"{scenario.name} (with overrides)")


def override(data: Any, overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``data`` with each ``{"dotted.path": value}`` set; list items by index.

    A section the file leaves out (``supervision``, say) is created when the schema has it,
    so that ``supervision.span=5`` works on a file without supervision; a name the schema
    does not have is refused with the closest names it does have. The last name of a path
    is left to validation, which says the same of an unknown field.
    """
    if not isinstance(data, dict):
        return data
    result = copy.deepcopy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = result
        for depth, part in enumerate(parts):
            here = ".".join(parts[:depth]) or "the scenario"
            last = depth == len(parts) - 1
            if isinstance(node, list):
                if not part.isdecimal():
                    raise ScenarioError(
                        source, dotted, f"expected an item number of {here}, got {part!r}"
                    )
                index = int(part)
                if index >= len(node):
                    raise ScenarioError(source, dotted, _out_of_range(here, len(node), index))
                if last:
                    node[index] = value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                    break
                if node.get(part) is None:
                    names = field_names_at(Scenario, _schema_path(parts[:depth]))
                    if part not in names:
                        raise ScenarioError(
                            source,
                            dotted,
                            f"no field {part!r} in {here}{did_you_mean(part, names)}",
                        )
                    node[part] = {}  # a section the file leaves out
                node = node[part]
            else:
                raise ScenarioError(
                    source,
                    dotted,
                    f"{here} is a value ({node!r}), not a section: "
                    f"set it whole with --set {here}=VALUE",
                )
    return result


def _schema_path(parts: list[str]) -> list[str | int]:
    """A path of names and item numbers as the schema walker reads it."""
    return [int(part) if part.isdecimal() else part for part in parts]


def _out_of_range(where: str, size: int, index: int) -> str:
    if size == 0:
        return f"{where} has no items, so there is no item {index}"
    items = "one item, numbered 0" if size == 1 else f"{size} items, numbered 0 to {size - 1}"
    return f"{where} has {items}: there is no item {index}"
