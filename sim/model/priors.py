"""Priors: what we do not know about a judgement parameter, as a distribution.

A scenario file gives every judgement parameter either a plain number (fixed) or a mapping
with a ``dist`` key::

    deal_appetite: {dist: uniform, low: 0.2, high: 0.6}
    reputation_weight: {dist: beta, a: 2, b: 5}
    logit_temperature: {dist: triangular, low: 0.2, mode: 0.5, high: 1.0}
    exit_hazard_slope: {dist: normal, mean: 0.02, sd: 0.01, low: 0, high: 0.1}
    lag_months: {dist: choice, values: [12, 24, 36], weights: [1, 2, 1]}

Every prior is drawn through its quantile function (``ppf``) of a uniform number, so a random
draw, a Latin hypercube and a Sobol design all use the same code path: the design lives in the
unit cube and the prior maps it onto the parameter's scale.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite number; strict, so YAML's ``true`` or ``.nan`` is not taken for one."""

Whole = Annotated[int, Field(strict=True)]
"""A whole number; strict, so YAML's ``true`` is not taken for 1, nor ``2.5`` for 2."""


class _Prior(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        raise NotImplementedError

    @property
    def is_fixed(self) -> bool:
        return False

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.model_dump(exclude={"dist"}).items() if v is not None)
        return f"{self.dist}({args})"  # type: ignore[attr-defined]


class Fixed(_Prior):
    """A known value (written in YAML as a plain number)."""

    dist: Literal["fixed"] = "fixed"
    value: Number

    def ppf(self, u):
        return np.full(np.shape(u), self.value, dtype=float)

    def support(self):
        return (self.value, self.value)

    @property
    def is_fixed(self) -> bool:
        return True

    def describe(self) -> str:
        return f"{self.value:g}"


class Uniform(_Prior):
    dist: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"uniform prior needs low < high, got low={self.low}, high={self.high}")
        return self

    def ppf(self, u):
        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)

    def support(self):
        return (self.low, self.high)


class Normal(_Prior):
    """Normal, optionally truncated to [low, high] (required when the parameter is bounded)."""

    dist: Literal["normal"]
    mean: Number
    sd: Number = Field(gt=0)
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"normal prior needs low < high, got low={self.low}, high={self.high}")
        return self

    def ppf(self, u):
        lo = -np.inf if self.low is None else (self.low - self.mean) / self.sd
        hi = np.inf if self.high is None else (self.high - self.mean) / self.sd
        return stats.truncnorm.ppf(np.asarray(u, dtype=float), lo, hi, loc=self.mean, scale=self.sd)

    def support(self):
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)


class Beta(_Prior):
    """Beta(a, b), rescaled to [low, high] (default [0, 1])."""

    dist: Literal["beta"]
    a: Number = Field(gt=0)
    b: Number = Field(gt=0)
    low: Number = 0.0
    high: Number = 1.0

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"beta prior needs low < high, got low={self.low}, high={self.high}")
        return self

    def ppf(self, u):
        return self.low + stats.beta.ppf(np.asarray(u, dtype=float), self.a, self.b) * (self.high - self.low)

    def support(self):
        return (self.low, self.high)


class Triangular(_Prior):
    dist: Literal["triangular"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"triangular prior needs low <= mode <= high and low < high, "
                f"got low={self.low}, mode={self.mode}, high={self.high}"
            )
        return self

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        lo, mo, hi = self.low, self.mode, self.high
        cut = (mo - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (mo - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mo))
        return np.where(u < cut, left, right)

    def support(self):
        return (self.low, self.high)


class Choice(_Prior):
    """One of a few values, with optional weights (normalised)."""

    dist: Literal["choice"]
    values: list[Number] = Field(min_length=1)
    weights: list[Number] | None = None

    @model_validator(mode="after")
    def _weights(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"choice prior has {len(self.values)} values but {len(self.weights)} weights"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError(f"choice weights must be >= 0 with a positive sum, got {self.weights}")
        return self

    def ppf(self, u):
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        idx = np.searchsorted(cum, np.asarray(u, dtype=float), side="right")
        return np.asarray(self.values, dtype=float)[np.minimum(idx, len(self.values) - 1)]

    def support(self):
        return (min(self.values), max(self.values))


Distribution = Annotated[
    Uniform | Normal | Beta | Triangular | Choice | Fixed, Field(discriminator="dist")
]
"""A prior written as a mapping with a ``dist`` key."""


def as_prior(value: float | _Prior) -> _Prior:
    """A plain number in YAML is a fixed prior."""
    if isinstance(value, _Prior):
        return value
    return Fixed(value=float(value))


Prior = Number | Distribution
"""What a scenario field holding a judgement parameter accepts: a number or a distribution."""
