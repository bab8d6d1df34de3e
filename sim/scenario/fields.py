"""What every section of the schema shares: strict models, number types, per-tier values,
and the problems a validator reports with the path to blame.

Every model forbids unknown keys, rejects NaN and infinity and is frozen
(:data:`STRICT`). Values given "per tier" may be one number for every tier or a mapping
from tier name to number; :func:`check_per_tier` checks the names once the whole file
has been read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import ConfigDict, Field

__all__ = [
    "STRICT",
    "FieldIssue",
    "Name",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveFloat",
    "PositiveInt",
    "Probability",
    "TierDays",
    "TierHours",
    "check_keys",
    "check_per_tier",
    "format_path",
]

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

TierHours = NonNegativeFloat | dict[Name, NonNegativeFloat]
"""Hours, one number for every tier or a mapping ``{tier: hours}``."""
TierDays = PositiveFloat | dict[Name, PositiveFloat]
"""Days, one number for every tier or a mapping ``{tier: days}``."""


class FieldIssue(ValueError):
    """A cross-field problem found by a model validator, with the path to blame."""

    def __init__(self, path: Sequence[str | int], message: str) -> None:
        self.path = tuple(path)
        super().__init__(f"{format_path(self.path)}: {message}")
        self.message = message


def format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def check_keys(
    mapping: Mapping[str, Any],
    allowed: Sequence[str],
    path: Sequence[str | int],
    what: str,
    *,
    every: bool = True,
) -> None:
    unknown = [key for key in mapping if key not in allowed]
    if unknown:
        raise FieldIssue((*path, unknown[0]), f"unknown {what}; expected one of {list(allowed)}")
    missing = [key for key in allowed if key not in mapping]
    if every and missing:
        raise FieldIssue(path, f"expected a value for every {what}; missing {missing}")


def check_per_tier(value: Any, tiers: Sequence[str], path: Sequence[str | int]) -> None:
    if isinstance(value, Mapping):
        check_keys(value, tiers, path, "tier")
