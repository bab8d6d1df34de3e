"""Pydantic's validation errors as one line: the field's dotted path and what was expected.

Union alternatives and discriminator tags are stripped from the path, the alternative
that matches what the file gave is the one reported, and a cross-field problem found by
a model validator (:class:`~sim.scenario.fields.FieldIssue`) is blamed on its own path.
An unknown field (a misspelling, most often) is reported before the problems it causes
(the field it was meant to be, now missing), with the closest valid names
(:func:`did_you_mean`) and every valid name at that place (:func:`field_names_at`).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError
from .fields import FieldIssue, format_path

__all__ = ["as_scenario_error", "did_you_mean", "field_names_at"]


def as_scenario_error(
    exc: ValidationError,
    source: str,
    data: Any = None,
    model: type[BaseModel] | None = None,
) -> ScenarioError:
    """The first problem of ``exc`` (for the file ``source`` holding ``data``, validated as
    ``model``) in one line, with how many more there are; every problem is kept in the
    error's ``problems`` (``--all-errors``)."""
    errors = exc.errors(include_url=False)
    # A field that accepts "a number or a mapping" fails once per alternative: report
    # the alternative that matches what the file gave.
    relevant = [error for error in errors if _matches_input(error["loc"], data)] or errors
    # A misspelt field explains the "required field is missing" of the one it was meant
    # to be: say so first.
    relevant.sort(key=lambda error: error["type"] != "extra_forbidden")
    problems = [_problem(error, model) for error in relevant]
    field, message = problems[0]
    others = len(relevant) - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return ScenarioError(source, field, message, problems=problems)


def _problem(error: Mapping[str, Any], model: type[BaseModel] | None) -> tuple[str | None, str]:
    """One error as ``(dotted field, what was expected)``."""
    loc: tuple[Any, ...] = tuple(error["loc"])
    issue = (error.get("ctx") or {}).get("error")
    if isinstance(issue, FieldIssue):
        loc, message = loc + issue.path, issue.message
    else:
        message = _describe(error)
        if error["type"] == "extra_forbidden" and model is not None and loc:
            names = field_names_at(model, loc[:-1])
            message += did_you_mean(str(loc[-1]), names)
    return format_path(_strip_tags(loc)) or None, message


def did_you_mean(given: str, names: Iterable[str], what: str = "expected one of") -> str:
    """``"; did you mean 'caseworkers'? (expected one of: ...)"``: the closest of ``names``
    to ``given`` (difflib), then every name; empty if there are no names."""
    names = list(dict.fromkeys(names))
    if not names:
        return ""
    close = difflib.get_close_matches(given, names, n=3, cutoff=0.6)
    guess = ""
    if close:
        quoted = " or ".join(repr(name) for name in close)
        guess = f"; did you mean {quoted}?"
    return f"{guess} ({what}: {', '.join(names)})"


def field_names_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The field names the schema allows at ``loc`` (a path into data validated as ``model``:
    field names, list indices, mapping keys, and pydantic's union tags), in schema order."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for kind in current:
            following.extend(_step(kind, part))
        current = following
    names: list[str] = []
    for kind in current:
        for leaf in _leaves(kind):
            if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                names.extend(leaf.model_fields)
    return list(dict.fromkeys(names))


def _leaves(kind: Any) -> list[Any]:
    """The alternatives of a type: Annotated and Optional unwrapped, unions split."""
    origin = get_origin(kind)
    if origin is Annotated:
        return _leaves(get_args(kind)[0])
    if origin in (Union, types.UnionType):
        return [leaf for arg in get_args(kind) if arg is not type(None) for leaf in _leaves(arg)]
    return [kind]


def _step(kind: Any, part: Any) -> list[Any]:
    """Where ``part`` of a path leads from a value of type ``kind``."""
    found: list[Any] = []
    for leaf in _leaves(kind):
        origin = get_origin(leaf)
        if isinstance(leaf, type) and issubclass(leaf, BaseModel):
            if isinstance(part, str) and part in leaf.model_fields:
                found.append(leaf.model_fields[part].annotation)
            elif isinstance(part, str) and (_is_tag_of(leaf, part) or _UNION_TAG.match(part)):
                found.append(leaf)  # pydantic's name for one alternative of a union
        elif origin in (list, tuple, typing.Sequence) and isinstance(part, int):
            found.append(get_args(leaf)[0] if get_args(leaf) else Any)
        elif origin in (dict, typing.Mapping) and isinstance(part, str):
            found.append(get_args(leaf)[1] if get_args(leaf) else Any)
    return found


def _is_tag_of(model: type[BaseModel], part: str) -> bool:
    """Whether ``part`` names ``model`` among a union's alternatives (its class name, or the
    value of a literal tag field such as ``distribution: gamma``)."""
    if part == model.__name__:
        return True
    for info in model.model_fields.values():
        if get_origin(info.annotation) is Literal and part in get_args(info.annotation):
            return True
    return False


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
