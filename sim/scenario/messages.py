"""Pydantic's validation errors as one line: the field's dotted path and what was expected.

Union alternatives and discriminator tags are stripped from the path, the alternative
that matches what the file gave is the one reported, and a cross-field problem found by
a model validator (:class:`~sim.scenario.fields.FieldIssue`) is blamed on its own path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ..errors import ScenarioError
from .fields import FieldIssue, format_path

__all__ = ["as_scenario_error"]


def as_scenario_error(exc: ValidationError, source: str, data: Any = None) -> ScenarioError:
    """The first problem of ``exc`` (for the file ``source`` holding ``data``) in one line,
    with how many more there are."""
    errors = exc.errors(include_url=False)
    # A field that accepts "a number or a mapping" fails once per alternative: report
    # the alternative that matches what the file gave.
    relevant = [error for error in errors if _matches_input(error["loc"], data)] or errors
    first = relevant[0]
    loc: tuple[Any, ...] = tuple(first["loc"])
    issue = (first.get("ctx") or {}).get("error")
    if isinstance(issue, FieldIssue):
        loc, message = loc + issue.path, issue.message
    else:
        message = _describe(first)
    loc = _strip_tags(loc)
    others = len(relevant) - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return ScenarioError(source, format_path(loc) or None, message)


_UNION_TAG = re.compile(
    r"^(constrained-(float|int|str)|(dict|list|function-\w+|is-instance)\[.*\]|float|int|str|bool)$"
)

_DISTRIBUTIONS = {"fixed", "exponential", "lognormal", "gamma", "uniform", "triangular"}
_DURATION_FIELDS = {"duration", "lag", "agency_lag"}


def _is_tag(loc: tuple[Any, ...], i: int) -> bool:
    part = loc[i]
    if not isinstance(part, str):
        return False
    if i > 0 and loc[i - 1] in _DURATION_FIELDS and part in _DISTRIBUTIONS:
        return True
    if part == "[key]":  # pydantic's marker for a mapping key that failed
        return True
    return bool(_UNION_TAG.match(part))


def _strip_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(part for i, part in enumerate(loc) if not _is_tag(loc, i))


def _matches_input(loc: Sequence[Any], data: Any) -> bool:
    """Whether an error from one alternative of a union is about the kind of value given."""
    node = data
    for i, part in enumerate(loc):
        if _is_tag(tuple(loc), i) and isinstance(part, str) and _UNION_TAG.match(part):
            return part.startswith("dict[") == isinstance(node, Mapping)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return True
    return True


_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _short(error.get("input"))
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "too_short":
        return f"expected at least {ctx['min_length']} item(s), got {ctx['actual_length']}"
    if kind == "too_long":
        return f"expected at most {ctx['max_length']} item(s), got {ctx['actual_length']}"
    if kind == "union_tag_invalid":
        return (
            f"unknown {ctx['discriminator']} {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
        )
    if kind == "union_tag_not_found":
        return f"expected a {ctx['discriminator']} key"
    if kind == "string_pattern_mismatch":
        return f"expected a name of letters, digits, '_' or '-' starting with a letter, got {got}"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    message = message[0].lower() + message[1:] if message else message
    if kind in _BOUNDS:
        message = f"a value {message}"
    if not message.startswith("expected"):
        message = f"expected {message}"
    return message if "got " in message else f"{message}, got {got}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
