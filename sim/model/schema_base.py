"""The building blocks of the scenario schema: a judgement parameter with its unit, range and
source (``param``, ``bounded``), a block of them whose priors are checked against the ranges
(``Section``), and calendar months."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from sim.model.priors import as_prior

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def param(default: float | dict, lo: float, hi: float, unit: str, doc: str, source: str = "judgement"):
    """A judgement parameter: default prior, allowed range, unit, meaning and source."""
    return Field(
        default=default,
        description=f"{doc} [{unit}; allowed {lo:g} to {hi:g}; source: {source}]",
        json_schema_extra={"unit": unit, "range": [lo, hi], "source": source},
    )


FITTED = ("fitted: ABC-SMC posterior calibration/2014-2025 (docs/validation.md, section 4), drawn "
          "jointly by every scenario whose `prior` names it; this judgement prior otherwise")
"""The source of a parameter that the shipped posterior fits (a test keeps the two lists equal)."""


class Section(BaseModel):
    """A block of parameters; checks each prior's support against the field's allowed range."""

    # Defaults are written as YAML would write them (dicts), so they are validated too.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    @field_validator("*", mode="after")
    @classmethod
    def _within_range(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields[info.field_name]
        extra = field.json_schema_extra
        if not isinstance(extra, dict) or "range" not in extra:
            return value
        lo, hi = extra["range"]
        prior = as_prior(value)
        s_lo, s_hi = prior.support()
        if s_lo < lo or s_hi > hi:
            what = f"value {s_lo:g}" if prior.is_fixed else f"prior {prior.describe()} spans {s_lo:g} to {s_hi:g}"
            raise ValueError(f"{what} is outside the allowed range {lo:g} to {hi:g} ({extra['unit']})")
        return value


def month_index(month: str, start: str) -> int:
    """Months from ``start`` to ``month``, both 'YYYY-MM'."""
    y0, m0 = (int(x) for x in start.split("-"))
    y1, m1 = (int(x) for x in month.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def month_label(index: int, start: str) -> str:
    y0, m0 = (int(x) for x in start.split("-"))
    total = y0 * 12 + (m0 - 1) + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


Month = Annotated[str, Field(pattern=MONTH_RE.pattern, description="a calendar month, 'YYYY-MM'")]


def bounded(default, lo: float, hi: float, unit: str, doc: str):
    """An event parameter (a number or a prior) with its allowed range, checked like a section's."""
    return Field(default=default, description=f"{doc} [{unit}; allowed {lo:g} to {hi:g}]",
                 json_schema_extra={"unit": unit, "range": [lo, hi]})
