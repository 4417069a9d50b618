"""Home-price index (HPI) paths: lognormal with drift, volatility and scenarios.

Model
-----
Month by month, for each path (t in months, t = 1 .. n_months)::

    ln H(t) = ln H(t-1) + (mu - sigma**2 / 2) / 12 + sigma / sqrt(12) * e(t)
    e(t)    = rho * z_rate(t) + sqrt(1 - rho**2) * z(t)    if rate shocks are given
    e(t)    = z(t)                                         otherwise
    H(0)    = 1

``H`` is the index level *relative to today*: a property worth V today is
worth ``V * H(t)`` in month t on that path. ``mu`` (``drift``) and ``sigma``
(``volatility``) are annual decimals; ``mu`` is the continuously compounded
expected growth, so ``E[H(t)] = exp(mu * t / 12)`` and
``Var[ln H(t)] = sigma**2 * t / 12`` (geometric Brownian motion sampled
monthly, exact in distribution). ``z`` and ``z_rate`` are independent
standard normals; ``z_rate`` are the shocks that drove the caller's rate
paths, so ``corr(e, z_rate) = rho`` (``correlation``). Without rate shocks
``correlation`` has no effect.

Randomness (replayable, chunk-independent)
------------------------------------------
The shocks ``z`` of path ``p`` come from their own generator
``numpy.random.default_rng([seed, 3, p])``; 3 is ``engine.kernels.rng.PURPOSE_HPI``,
the registry's tag for home prices. Path ``p`` is therefore the same array
whatever ``n_paths`` is, however the paths are later split into chunks, and
its first ``m`` months are the same for any horizon ``n_months >= m``
(normals are drawn month by month from the path's generator).

Antithetic pairs (``antithetic=True``): paths ``2k`` and ``2k + 1`` share the
generator of path ``2k`` and path ``2k + 1`` uses ``-z``. Path ``2k`` is then
identical to the non-antithetic path ``2k``. An odd last path has no partner.
Only the HPI's own shocks ``z`` are negated; the rate part ``rho * z_rate``
is used as given (the rate model chooses its own antithetics).

Scenarios (a fixed path)
------------------------
``scenario = {"points": [[month, change], ...]}`` fixes the path: ``change``
is the decimal change of the index from today (-0.25 = 25% below today) at
``month``; month 0 with change 0 is implied. Log-HPI is interpolated linearly
between points, so the monthly growth is constant between two points, and
after the last point the index grows at the drift only::

    s(t) = ln(1 + change_last) + mu * (t - month_last) / 12     (t > month_last)

The scenario path is the same on every path. With ``volatility`` 0 (the
default for a scenario) ``H(t) = exp(s(t))`` exactly; with a volatility
noise is added on top, ``ln H(t) = s(t) + sum_{i<=t} (-sigma**2/2/12 +
sigma/sqrt(12) e(i))``, so that the *mean* path is the scenario,
``E[H(t)] = exp(s(t))``.

Default parameters (``scenarios/hpi_base.yaml``)
------------------------------------------------
``drift = 0.035``, ``volatility = 0.04``, national-index level:

- long-run nominal growth: US home prices rose 3.4% a year since 1891 (Creative
  Planning, "How to Think About Home Price Appreciation", from the long-run
  US home price series); the Case-Shiller national index averaged a 3.5%
  annual return over 1987-2017 (Unison, "Home Analytics Part 3: Volatility",
  2018); Zillow Research reports national appreciation "between 3 and 5
  percent, depending on the index" (FHFA HPI based).
- volatility: the annualised standard deviation of monthly returns of the
  S&P/Case-Shiller 10- and 20-City Composites is 3.3% and 4.0% (D. Blitzer,
  S&P Dow Jones Indices, "Indexology: Stocks and Houses", 2013); Unison
  reports 2.9% for the national index, 1987-2017.

These are *index* volatilities. A single house moves much more around its
index (about 12.7% a year per Unison; 8.7% per "Spreads and Volatility in
House Returns", J. Risk Financial Manag. 15(8) 369, 2022); that idiosyncratic
part is not modelled here (see ``engine.kernels.rng.PURPOSE_PROPERTY``).

Cost: building one generator per path costs about 17 us, so 10,000 paths of
360 months take about 0.3 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from ..config.economy import check_points, real_number
from ..config.fields import check_decimal, check_signed
from ..errors import ConfigError
from ..kernels.rng import PURPOSE_HPI

__all__ = [
    "HPI_PURPOSE_TAG",
    "HPIModel",
    "HPIScenario",
    "load_hpi_scenario",
    "scenario_log_path",
    "simulate_hpi",
]

# numpy generator tag for home prices (the purpose registry of engine.kernels.rng)
HPI_PURPOSE_TAG = PURPOSE_HPI

_FIELDS = ("drift", "volatility", "correlation", "scenario", "antithetic")


# --------------------------------------------------------------------------
# validated, frozen model


def _checked(check, value: Any, key: str) -> float:
    """``check`` (a config field check) on a real number, as a ConfigError naming ``key``."""
    value = real_number(value, key)
    try:
        return check(value)
    except ValueError as e:
        raise ConfigError(f"{key}: {e}") from None


@dataclass(frozen=True)
class HPIScenario:
    """A fixed HPI path: ``points = ((month, change), ...)``.

    Parameters
    ----------
    points : tuple of (int, float)
        ``month`` [months from today, strictly increasing, >= 1] and
        ``change`` [decimal change of the index from today, > -1; -0.25 is a
        25% fall]. Month 0 with change 0 is implied.
    """

    points: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", check_points(self.points, "scenario.points"))

    @property
    def last_month(self) -> int:
        """Month of the last point [months]."""
        return self.points[-1][0]


@dataclass(frozen=True)
class HPIModel:
    """Home-price model: lognormal index with drift and volatility.

    Parameters
    ----------
    drift : float
        ``mu`` [annual decimal, continuously compounded]; expected index growth,
        ``E[H(t)] = exp(drift * t / 12)``. 0.035 is 3.5% a year.
    volatility : float
        ``sigma`` [annual decimal, >= 0]; ``Var[ln H(t)] = sigma**2 * t / 12``.
    correlation : float, default 0.0
        ``rho`` in [-1, 1], between the HPI shock and the rate shock of the
        same path and month (used only when rate shocks are given).
    scenario : HPIScenario, mapping or None, default None
        A fixed path (see the module docstring); a mapping ``{"points":
        [[month, change], ...]}`` is converted.
    antithetic : bool, default False
        Draw paths in antithetic pairs (2k, 2k+1) with negated HPI shocks.

    Raises
    ------
    ConfigError
        A field out of range; the message names the field.
    """

    drift: float
    volatility: float
    correlation: float = 0.0
    scenario: HPIScenario | None = None
    antithetic: bool = False

    def __post_init__(self) -> None:
        drift = _checked(check_signed, self.drift, "drift")
        vol = _checked(check_decimal, self.volatility, "volatility")
        rho = real_number(self.correlation, "correlation")
        if not -1.0 <= rho <= 1.0:
            raise ConfigError(f"correlation: expected a number in [-1, 1], got {rho:g}")
        if not isinstance(self.antithetic, (bool, np.bool_)):
            raise ConfigError(f"antithetic: expected true or false, got {self.antithetic!r}")
        scenario = self.scenario
        if scenario is not None and not isinstance(scenario, HPIScenario):
            if not isinstance(scenario, dict):
                raise ConfigError(f"scenario: expected a mapping with key 'points', got {scenario!r}")
            unknown = sorted(set(scenario) - {"points"})
            if unknown:
                raise ConfigError(f"scenario.{unknown[0]}: unknown key (expected 'points')")
            if "points" not in scenario:
                raise ConfigError("scenario.points: missing (a list of [month, change] pairs)")
            scenario = HPIScenario(points=scenario["points"])
        object.__setattr__(self, "drift", drift)
        object.__setattr__(self, "volatility", vol)
        object.__setattr__(self, "correlation", rho)
        object.__setattr__(self, "antithetic", bool(self.antithetic))
        object.__setattr__(self, "scenario", scenario)


# --------------------------------------------------------------------------
# paths


def scenario_log_path(model: HPIModel, n_months: int) -> np.ndarray:
    """Deterministic log-HPI of a scenario model, months 0 .. n_months.

    Linear in log-HPI between the points (month 0 = 0 implied), then
    ``drift / 12`` a month after the last point.

    Parameters
    ----------
    model : HPIModel
        Must have a scenario.
    n_months : int
        Horizon [months].

    Returns
    -------
    numpy.ndarray, shape (n_months + 1,)
        ``s(t)`` [log of the index relative to today].
    """
    if model.scenario is None:
        raise ValueError("scenario_log_path: the model has no scenario")
    months = np.array([0] + [m for m, _ in model.scenario.points], dtype=np.float64)
    logs = np.array([0.0] + [math.log1p(c) for _, c in model.scenario.points])
    t = np.arange(n_months + 1, dtype=np.float64)
    s = np.interp(t, months, logs)
    after = t > months[-1]
    s[after] = logs[-1] + model.drift * (t[after] - months[-1]) / 12.0
    return s


def _shocks(seed: int, n_paths: int, n_months: int, antithetic: bool, path0: int = 0) -> np.ndarray:
    """Standard normals z, shape (paths, months), of global paths path0 ..
    path0 + n_paths - 1: path p from default_rng([seed, 3, p]); with
    antithetic pairs, odd path 2k + 1 is -z of path 2k."""
    z = np.empty((n_paths, n_months))
    for i in range(n_paths):
        p = path0 + i
        if antithetic and p % 2 == 1:
            if i > 0:
                np.negative(z[i - 1], out=z[i])
                continue
            p -= 1  # the chunk starts inside a pair: draw its partner's shocks
            z[i] = np.random.default_rng([seed, HPI_PURPOSE_TAG, p]).standard_normal(n_months)
            np.negative(z[i], out=z[i])
            continue
        z[i] = np.random.default_rng([seed, HPI_PURPOSE_TAG, p]).standard_normal(n_months)
    return z


def simulate_hpi(
    model: HPIModel,
    n_paths: int,
    n_months: int,
    seed: int,
    rate_shocks: np.ndarray | None = None,
    path0: int = 0,
) -> np.ndarray:
    """HPI levels relative to today, one row per path.

    Parameters
    ----------
    model : HPIModel
        Drift, volatility, correlation, optional scenario and antithetic flag.
    n_paths : int
        Number of paths (>= 1).
    n_months : int
        Horizon [months] (>= 0); month 0 is today.
    seed : int
        Run seed (>= 0); path p uses ``numpy.random.default_rng([seed, 3, p])``.
    rate_shocks : numpy.ndarray, shape (n_paths, n_months), optional
        The standard-normal shocks of the rate paths, month t in column t - 1;
        the HPI shock is ``rho * rate_shocks + sqrt(1 - rho**2) * z``.
    path0 : int, default 0
        Global index of the first path: rows are paths path0 .. path0 +
        n_paths - 1, identical to the same rows of a run of all paths (so a
        run can draw its paths chunk by chunk).

    Returns
    -------
    numpy.ndarray of float64, shape (n_paths, n_months + 1)
        ``H[p, t]`` [index level relative to today]; ``H[:, 0] == 1``.

    Raises
    ------
    ValueError
        Bad sizes, seed or rate-shock shape.
    """
    if not isinstance(model, HPIModel):
        raise TypeError(f"simulate_hpi: model must be an HPIModel, got {type(model).__name__}")
    for name, value, low in (("n_paths", n_paths, 1), ("n_months", n_months, 0), ("seed", seed, 0), ("path0", path0, 0)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            raise ValueError(f"simulate_hpi: {name} must be an integer >= {low}, got {value!r}")
    n_paths = int(n_paths)
    n_months = int(n_months)
    sigma = model.volatility
    rho = model.correlation

    if rate_shocks is not None:
        rate_shocks = np.asarray(rate_shocks, dtype=np.float64)
        if rate_shocks.shape != (n_paths, n_months):
            raise ValueError(
                f"simulate_hpi: rate_shocks must have shape (n_paths, n_months) = "
                f"({n_paths}, {n_months}), got {rate_shocks.shape}"
            )
        if not np.all(np.isfinite(rate_shocks)):
            raise ValueError("simulate_hpi: rate_shocks must be finite")

    out = np.empty((n_paths, n_months + 1))
    out[:, 0] = 0.0
    if sigma > 0.0 and n_months > 0:
        e = _shocks(int(seed), n_paths, n_months, model.antithetic, int(path0))
        if rate_shocks is not None and rho != 0.0:
            e *= math.sqrt(1.0 - rho * rho)
            e += rho * rate_shocks
        e *= sigma / math.sqrt(12.0)
        e -= 0.5 * sigma * sigma / 12.0
        np.cumsum(e, axis=1, out=out[:, 1:])
    else:
        out[:, 1:] = 0.0

    if model.scenario is None:
        out += model.drift * np.arange(n_months + 1) / 12.0
    else:
        out += scenario_log_path(model, n_months)
    np.exp(out, out=out)
    out[:, 0] = 1.0
    return out


# --------------------------------------------------------------------------
# scenario files


def load_hpi_scenario(path: str | Path) -> HPIModel:
    """Read an HPI model from a small YAML mapping.

    Keys are the ``HPIModel`` fields: ``drift`` (required), ``volatility``
    (required without a scenario; 0 by default with one), ``correlation``,
    ``scenario: {points: [[month, change], ...]}`` and ``antithetic``.

    Parameters
    ----------
    path : str or Path
        A YAML file such as ``scenarios/hpi_down_25pct_3y.yaml``.

    Returns
    -------
    HPIModel

    Raises
    ------
    ConfigError
        Unreadable file, unknown or missing key, or a value out of range; the
        message starts with the file name and names the key.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read HPI scenario ({e.strerror or e})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of HPIModel fields, got {type(data).__name__}")
    unknown = sorted(str(k) for k in set(data) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: unknown key (expected one of {', '.join(_FIELDS)})")
    if "drift" not in data:
        raise ConfigError(f"{path}: drift: missing (annual decimal, e.g. 0.035)")
    fields = dict(data)
    if "volatility" not in fields:
        if fields.get("scenario") is None:
            raise ConfigError(f"{path}: volatility: missing (annual decimal, e.g. 0.04)")
        fields["volatility"] = 0.0
    try:
        return HPIModel(**fields)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
