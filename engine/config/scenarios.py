"""Named scenario files (``scenarios/NAME.yaml``) for the valuation's scenario grid.

A scenario file names what it changes; every other input stays as in the
config. Three kinds:

- a parallel shift of the zero curve::

      description: rates +100 bp
      rates: {parallel_shift_bp: 100}

- a path of market mortgage rates, ``[month, rate]`` points (annual
  decimals; linear between points, flat before the first and after the
  last), which becomes the forward path's mortgage rate; discounting moves
  with it (:mod:`engine.economy.market`)::

      mortgage_rate_path: [[1, 0.03], [18, 0.07]]

- a home-price model (the keys of :func:`engine.economy.hpi.load_hpi_scenario`:
  ``drift``, ``volatility``, ``correlation``, ``scenario``, ``antithetic``),
  which replaces ``economy.hpi`` (state model only).

A name is looked up as ``scenarios/NAME.yaml`` under the current directory,
then under the engine's own checkout; a value ending in ``.yaml`` or
``.yml`` is a file path (relative to the current directory).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from ..errors import ConfigError
from .economy import real_number
from .fields import Frozen

__all__ = ["Scenario", "find_scenario", "load_scenario", "SCENARIO_DIRS"]

# where scenario names are looked up, in order
SCENARIO_DIRS = (Path("scenarios"), Path(__file__).resolve().parents[2] / "scenarios")

_HPI_KEYS = {"drift", "volatility", "correlation", "scenario", "antithetic"}


class _RateShift(Frozen):
    parallel_shift_bp: float = Field(ge=-1000, le=1000, description="parallel shift of the zero rates [bp]")


class _RateScenario(Frozen):
    description: str | None = None
    rates: _RateShift | None = None
    mortgage_rate_path: tuple[tuple[int, float], ...] | None = None

    @field_validator("mortgage_rate_path", mode="before")
    @classmethod
    def _points(cls, v):
        if v is None:
            return v
        return _rate_points(v)


def _rate_points(points: Any) -> tuple[tuple[int, float], ...]:
    if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
        raise ValueError(f"expected a list of [month, rate] pairs, got {points!r}")
    out = []
    previous = 0
    for i, pt in enumerate(points):
        if isinstance(pt, (str, bytes)) or not hasattr(pt, "__len__") or len(pt) != 2:
            raise ValueError(f"[{i}]: expected a [month, rate] pair, got {pt!r}")
        month, rate = pt
        if isinstance(month, bool) or not isinstance(month, int) or month <= previous:
            raise ValueError(f"[{i}]: month: expected whole months increasing from 1, got {month!r}")
        try:
            rate = real_number(rate, "rate")
        except ConfigError as e:
            raise ValueError(f"[{i}]: {e}") from None
        if not 0.0 <= rate < 0.5:
            hint = f" (a percent? write {rate / 100:g})" if 1.0 <= rate <= 100.0 else ""
            raise ValueError(f"[{i}]: rate: expected an annual decimal in [0, 0.5), got {rate:g}{hint}")
        out.append((int(month), rate))
        previous = month
    if not out:
        raise ValueError("expected at least one [month, rate] point")
    return tuple(out)


@dataclass(frozen=True)
class Scenario:
    """One scenario of the grid.

    name : as given (a name or a file).
    description : one line, from the file (or the name).
    curve_shift : parallel shift of the zero rates [annual decimal].
    mortgage_rate_path : ((month, rate), ...) or None.
    hpi : an ``engine.economy.hpi.HPIModel`` replacing ``economy.hpi``, or None.
    """

    name: str
    description: str
    curve_shift: float = 0.0
    mortgage_rate_path: tuple[tuple[int, float], ...] | None = None
    hpi: Any = None

    @property
    def changes_rates(self) -> bool:
        return self.curve_shift != 0.0 or self.mortgage_rate_path is not None


def find_scenario(name: str, key: str = "scenarios") -> Path:
    """The file of scenario ``name`` (module docstring); a ConfigError naming ``key`` if none."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{key}: expected a scenario name, got {name!r}")
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if path.is_file():
            return path
        raise ConfigError(f"{key}: scenario file not found: {path}")
    for folder in SCENARIO_DIRS:
        path = folder / f"{name}.yaml"
        if path.is_file():
            return path
    known = sorted({p.stem for folder in SCENARIO_DIRS if folder.is_dir() for p in folder.glob("*.yaml")})
    raise ConfigError(f"{key}: unknown scenario {name!r} (known: {', '.join(known) or 'none'})")


def load_scenario(name: str, key: str = "scenarios") -> Scenario:
    """Read scenario ``name`` (a name or a file); errors name ``key`` and the file."""
    path = find_scenario(name, key)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{key}: {path}: cannot read scenario ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{key}: {path}: expected a mapping, got {type(data).__name__}")
    label = Path(name).stem
    if set(data) and set(data) <= _HPI_KEYS:
        from ..economy.hpi import load_hpi_scenario

        return Scenario(name=label, description=f"home prices: {label}", hpi=load_hpi_scenario(path))
    try:
        s = _RateScenario.model_validate(data)
    except ValidationError as err:
        from .loader import format_errors

        raise ConfigError(format_errors(err, data, f"{key}: {path}: ")) from None
    if s.rates is None and s.mortgage_rate_path is None:
        raise ConfigError(
            f"{key}: {path}: expected `rates: {{parallel_shift_bp}}`, `mortgage_rate_path` or home-price keys"
        )
    if s.rates is not None and s.mortgage_rate_path is not None:
        raise ConfigError(f"{key}: {path}: give one of `rates` or `mortgage_rate_path`")
    return Scenario(
        name=label,
        description=s.description or label,
        curve_shift=s.rates.parallel_shift_bp / 1e4 if s.rates is not None else 0.0,
        mortgage_rate_path=s.mortgage_rate_path,
    )
