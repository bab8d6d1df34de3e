"""Duration distributions for case life, configured by their mean and spread.

Each distribution is a small pydantic model with a ``kind`` tag (the YAML
``distribution:`` key), a ``mean`` property, and a vectorised ``sample`` that
draws from a numpy ``Generator``: draws come in batches, never one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


class Fixed(BaseModel):
    """Every case lasts exactly ``value`` days."""

    model_config = _STRICT
    distribution: Literal["fixed"]
    value: PositiveFloat

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Exponential(BaseModel):
    """Memoryless durations (the M in M/M/c)."""

    model_config = _STRICT
    distribution: Literal["exponential"]
    mean: PositiveFloat

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean, size)


class LogNormal(BaseModel):
    """Right-skewed durations given by their mean and standard deviation in days."""

    model_config = _STRICT
    distribution: Literal["lognormal"]
    mean: PositiveFloat
    sd: PositiveFloat

    @model_validator(mode="after")
    def _computable(self) -> LogNormal:
        _check_spread(lambda: math.log1p((self.sd / self.mean) ** 2), self.sd, self.mean)
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        mu = math.log(self.mean) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)


class Gamma(BaseModel):
    """Durations with a gamma shape, given by their mean and standard deviation in days."""

    model_config = _STRICT
    distribution: Literal["gamma"]
    mean: PositiveFloat
    sd: PositiveFloat

    @model_validator(mode="after")
    def _computable(self) -> Gamma:
        _check_spread(lambda: self.mean / (self.mean / self.sd) ** 2, self.sd, self.mean)
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = (self.mean / self.sd) ** 2
        return rng.gamma(shape, self.mean / shape, size)


def _check_spread(parameter: Callable[[], float], sd: float, mean: float) -> None:
    """Refuse a mean and sd so far apart that a parameter of the distribution overflows."""
    try:
        value = parameter()
    except (OverflowError, ZeroDivisionError):
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(
            f"expected sd and mean less far apart (a parameter overflows), "
            f"got sd={sd:g}, mean={mean:g}"
        )


class Uniform(BaseModel):
    """Durations equally likely anywhere between ``low`` and ``high`` days."""

    model_config = _STRICT
    distribution: Literal["uniform"]
    low: NonNegativeFloat
    high: PositiveFloat

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError(f"expected low < high, got low={self.low}, high={self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Triangular(BaseModel):
    """Durations between ``low`` and ``high`` days, most often near ``mode``."""

    model_config = _STRICT
    distribution: Literal["triangular"]
    low: NonNegativeFloat
    mode: NonNegativeFloat
    high: PositiveFloat

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low >= self.high:
            raise ValueError(
                f"expected low <= mode <= high and low < high, got "
                f"low={self.low}, mode={self.mode}, high={self.high}"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)


Duration = Annotated[
    Fixed | Exponential | LogNormal | Gamma | Uniform | Triangular,
    Field(discriminator="distribution"),
]
"""A duration distribution, chosen by its ``distribution:`` key."""
