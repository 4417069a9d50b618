"""The economy a run projects on (``economy:``): market rates and home prices.

The home-price checks live here once: :func:`check_points` (scenario paths)
and the field types are used by this config section, by
:class:`engine.economy.hpi.HPIModel` and by scenario files alike.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from pydantic import Field, field_validator

from ..errors import ConfigError
from .fields import AnnualRate, FilePath, Frozen, SignedRate, percent_hint


def real_number(value: Any, key: str) -> float:
    """A finite real number (not a bool), else a ConfigError naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    return value


def check_points(points: Any, key: str) -> tuple[tuple[int, float], ...]:
    if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
        raise ConfigError(f"{key}: expected a list of [month, change] pairs, got {points!r}")
    out: list[tuple[int, float]] = []
    previous = 0
    for i, pt in enumerate(points):
        k = f"{key}[{i}]"
        if isinstance(pt, (str, bytes)) or not hasattr(pt, "__len__") or len(pt) != 2:
            raise ConfigError(f"{k}: expected a [month, change] pair, got {pt!r}")
        month, change = pt
        if isinstance(month, bool) or not isinstance(month, Integral):
            raise ConfigError(f"{k}: month: expected a whole number of months, got {month!r}")
        month = int(month)
        if month <= previous:
            raise ConfigError(
                f"{k}: month: expected months strictly increasing from 1, got {month} after {previous}"
            )
        change = real_number(change, f"{k}: change")
        if change <= -1.0 or change > 10.0:
            raise ConfigError(
                f"{k}: change: expected a decimal change from today in (-1, 10], got {change:g}"
                + percent_hint(change, signed=True)
            )
        out.append((month, change))
        previous = month
    if not out:
        raise ConfigError(f"{key}: expected at least one [month, change] point")
    return tuple(out)


class HPI(Frozen):
    """National log home-price index: drift and volatility are annual decimals.

    Defaults as scenarios/hpi_base.yaml: 3.5% a year growth (long-run US
    nominal, Case-Shiller national 1987-2017), 4% a year index volatility
    (S&P Case-Shiller composites). ``correlation`` applies to rate shocks when
    a rate model supplies them."""

    drift: SignedRate = 0.035
    volatility: AnnualRate = 0.04
    correlation: float = Field(default=0.0, ge=-1, le=1)
    antithetic: bool = False
    scenario: tuple[tuple[int, float], ...] | None = Field(
        default=None, description="fixed path: (month, change from today) points, e.g. [[36, -0.25]]"
    )
    scenario_file: FilePath = Field(default=None, description="a scenarios/*.yaml file (relative to the config)")

    @field_validator("scenario", mode="before")
    @classmethod
    def _points(cls, v):
        if v is None:
            return v
        try:
            return check_points(v, "points")
        except ConfigError as e:
            raise ValueError(str(e).removeprefix("points")) from None  # "[i]: ..."

    def to_model(self):
        """The runtime :class:`engine.economy.hpi.HPIModel` (a scenario file wins
        over the inline keys)."""
        from ..economy.hpi import HPIModel, load_hpi_scenario

        if self.scenario_file is not None:
            return load_hpi_scenario(self.scenario_file)
        scenario = None if self.scenario is None else {"points": [list(p) for p in self.scenario]}
        return HPIModel(
            drift=self.drift,
            volatility=self.volatility,
            correlation=self.correlation,
            scenario=scenario,
            antithetic=self.antithetic,
        )


class Economy(Frozen):
    mortgage_rate: AnnualRate = Field(default=0.0625, description="market mortgage rate, flat [annual decimal]")
    hpi: HPI = HPI()
