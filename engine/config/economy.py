"""The economy a run projects on (``economy:``): market rates and home prices.

Two ways to give market rates:

- ``mortgage_rate``: one flat market mortgage rate (the rate-free case);
- ``curve`` (a zero curve at the analysis date), ``rates`` (the short-rate
  model: ``hull_white`` or ``none``) and ``mortgage_spread``: interest-rate
  paths, on which a path's mortgage rate is its 10-year par rate plus the
  spread. A config with ``curve`` is valued on rate paths (analysis kind
  ``valuation``).

The home-price checks live here once: :func:`check_points` (scenario paths)
and the field types are used by this config section, by
:class:`engine.economy.hpi.HPIModel` and by scenario files alike.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

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


# --------------------------------------------------------------------------
# interest-rate paths

# the 10-year par rate drives the path's mortgage rate; this spread over it is
# about the long-run average gap between the 30-year fixed mortgage rate
# (Freddie Mac PMMS) and the 10-year Treasury yield, 1990-2019
DEFAULT_MORTGAGE_SPREAD = 0.017
# tenor of the par rate the mortgage rate follows [years]
MORTGAGE_RATE_TENOR_YEARS = 10
# a normal short-rate volatility at or above this (1,000 bp a year) is a typo
MAX_RATE_VOLATILITY = 0.1


class Curve(Frozen):
    """The zero curve at the analysis date: exactly one of ``{tenors,
    zero_rates}`` (continuously compounded annual decimals), ``{tenors,
    par_rates}`` (semiannual par yields, bootstrapped), ``{file}`` (a CSV
    with columns tenor and zero_rate or par_rate) or ``{flat}``. Checked by
    :func:`engine.economy.curve.curve_from_spec`, the one home of the rules."""

    tenors: tuple[float, ...] | None = Field(default=None, description="years")
    zero_rates: tuple[float, ...] | None = Field(default=None, description="continuously compounded annual decimals")
    par_rates: tuple[float, ...] | None = Field(default=None, description="semiannual par yields, annual decimals")
    file: FilePath = Field(default=None, description="CSV: tenor, zero_rate | par_rate (relative to the config)")
    flat: float | None = Field(default=None, description="one continuously compounded rate for every tenor")

    def _spec(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields if getattr(self, name) is not None}

    @model_validator(mode="after")
    def _valid(self) -> "Curve":
        spec = self._spec()
        if "file" in spec and len(spec) == 1:
            return self  # read (and checked) once the path is resolved: to_curve()
        try:
            _curve_from_spec(spec)
        except ConfigError as e:
            raise ValueError(_relative(str(e))) from None
        return self

    def to_curve(self):
        """The :class:`engine.economy.curve.ZeroCurve` (a file is read here)."""
        return _curve_from_spec(self._spec())


def _curve_from_spec(spec: dict[str, Any]):
    from ..economy.curve import curve_from_spec

    return curve_from_spec(spec, key="economy.curve")


def _relative(message: str) -> str:
    """``economy.curve.x: ...`` -> ``x: ...`` (the validator's own key path is added back)."""
    for prefix in ("economy.curve.", "economy.curve: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _mean_reversion(value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"expected an annual decimal in (0, 1), got {value:g}{percent_hint(value)}")
    return value


class HullWhiteRates(Frozen):
    """Hull-White one-factor short rate, fitted exactly to the curve
    (:mod:`engine.economy.short_rate`). ``volatility`` is the absolute
    (normal) volatility of the short rate: 0.009 is 90 bp a year."""

    model: Literal["hull_white"]
    mean_reversion: float = Field(default=0.03, description="per year, in (0, 1)")
    volatility: float = Field(default=0.009, description="absolute short-rate volatility [annual decimal]")

    @field_validator("mean_reversion")
    @classmethod
    def _a(cls, v: float) -> float:
        return _mean_reversion(v)

    @field_validator("volatility")
    @classmethod
    def _sigma(cls, v: float) -> float:
        if not 0.0 <= v < MAX_RATE_VOLATILITY:
            hint = f" (a percent? write {v / 100:g})" if MAX_RATE_VOLATILITY <= v <= 100.0 else ""
            raise ValueError(
                f"expected an absolute volatility in [0, {MAX_RATE_VOLATILITY:g}) [annual decimal; "
                f"0.009 is 90 bp a year], got {v:g}{hint}"
            )
        return v


class NoRates(Frozen):
    """No volatility: every path is the curve's forward path."""

    model: Literal["none"]


Rates = Annotated[Union[HullWhiteRates, NoRates], Field(discriminator="model")]

DEFAULT_RATES = HullWhiteRates(model="hull_white")


class Economy(Frozen):
    mortgage_rate: AnnualRate = Field(default=0.0625, description="market mortgage rate, flat [annual decimal]")
    hpi: HPI = HPI()
    curve: Curve | None = Field(default=None, description="zero curve: rate paths and option-adjusted valuation")
    rates: Rates | None = Field(default=None, description="short-rate model on the curve; default hull_white")
    mortgage_spread: float | None = Field(
        default=None, description="path mortgage rate = 10-year par rate + this [annual decimal]; default 0.017"
    )

    @field_validator("mortgage_spread")
    @classmethod
    def _spread(cls, v: float | None) -> float | None:
        if v is not None and not -0.05 < v < 0.2:
            raise ValueError(f"expected an annual decimal in (-0.05, 0.2), got {v:g}{percent_hint(v, signed=True)}")
        return v

    @model_validator(mode="after")
    def _rates_need_a_curve(self) -> "Economy":
        if self.curve is None:
            for key in ("rates", "mortgage_spread"):
                if getattr(self, key) is not None:
                    raise ValueError(f"{key}: needs economy.curve (the zero curve the rate paths start from)")
        return self

    @property
    def rate_paths(self) -> bool:
        """True when the run projects on interest-rate paths (a curve is given)."""
        return self.curve is not None

    @property
    def rates_model(self) -> HullWhiteRates | NoRates:
        """``rates``, or the default Hull-White model."""
        return self.rates if self.rates is not None else DEFAULT_RATES

    @property
    def spread(self) -> float:
        """``mortgage_spread`` or its default [annual decimal]."""
        return self.mortgage_spread if self.mortgage_spread is not None else DEFAULT_MORTGAGE_SPREAD
