"""Foreclosure timelines by US state, and the REO marketing-time default.

The default table (``engine/inputs/data/foreclosure_timelines.csv``, columns
``state,judicial,foreclosure_months,source``; 50 states, DC and PR) gives for
each state its foreclosure process and the average months from the start of
foreclosure to the foreclosure sale (the loan becomes REO).

Sources
-------
- **Months**: ATTOM Data Solutions, *Q3 2019 U.S. Foreclosure Market Report*
  (released 2019-10-17): "average time to foreclose" for properties foreclosed
  in Q3 2019, measured from the first public foreclosure notice to completion
  of the foreclosure; national average 841 days. ATTOM published the ten
  longest (IN 1,633 days, HI 1,626, NV 1,511, NJ 1,173, GA 1,170, FL 1,138,
  NY 1,103, WA 1,002, OK 950, PA 914) and the ten shortest (VA 201, MT 217,
  MS 229, AK 258, OR 283, NH 292, AR 318, WY 321, MN 354, WV 385) state
  averages, as listed in DSNews, "Foreclosure Timelines, State by State"
  (2019-12-09). Q3 2019 is the last quarter before the COVID-19 moratoria
  distorted timelines; ATTOM's CEO described the mid-2024 figures (812 days
  nationally) as back "at or close to" the 2018 - early 2020 level.
  Days are converted at 365.25 / 12 days a month and rounded to whole months.
- **Other states** (source ``group average``): the average of the published
  states of the same process, judicial 1,220 days and non-judicial 503 days,
  each limited to the range the other states must lie in, [385, 914] days: a
  state not among ATTOM's ten longest cannot exceed the tenth (PA, 914 days).
  Judicial states thus get 30 months, non-judicial 17. The published judicial
  states are all from the "longest" list, so the unlimited judicial average
  (40 months) would overstate the others.
- **Judicial / non-judicial**: the "Method of Foreclosure" column (the
  preferred method in each jurisdiction) of Fannie Mae's *Foreclosure Time
  Frames and Compensatory Fee Allowable Delays* exhibit (Servicing Guide,
  version effective 2019-01-01 and its predecessor). Many states allow both
  processes; Maryland and Massachusetts are listed as non-judicial, Hawaii,
  DC and Puerto Rico as judicial.
- **Unknown state** (empty code): the ATTOM Q3 2019 national average, 841
  days = 28 months (``NATIONAL_AVERAGE_MONTHS``).

These are realised averages, including contested cases, bankruptcies and
loss-mitigation pauses, not statutory minimums: a quick uncontested
non-judicial sale takes a few months (e.g. Fannie Mae's 2011 allowable
referral-to-sale time frames were 120 days in Alabama and 450 in Florida and
New Jersey). Override per state in the config
(``state_model.foreclosure.timeline_months.<ST>``).

Other defaults
--------------
``REO_MARKETING_MONTHS = 6``
    Months from REO (foreclosure sale) to the sale of the property. RealtyTrac
    reported that REOs sold in Q2 2011 took 178 days on average after the
    foreclosure was completed; First American (2015, "The Persistent REO")
    reports 180 days as typical for California.
Legal, holding and deed-in-lieu costs are per-month amounts in the config
(``state_model.foreclosure``, ``state_model.reo``, ``state_model.deed_in_lieu``);
docs/state_model_parameters.md gives their sources.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from numbers import Integral
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from ..errors import ConfigError, TapeError

__all__ = [
    "NATIONAL_AVERAGE_MONTHS",
    "OVERRIDE_KEY",
    "REO_MARKETING_MONTHS",
    "Timelines",
    "default_timelines",
    "foreclosure_months",
    "is_judicial",
    "validate_overrides",
]

NATIONAL_AVERAGE_MONTHS = 28  # ATTOM Q3 2019: 841 days
REO_MARKETING_MONTHS = 6

OVERRIDE_KEY = "state_model.foreclosure.timeline_months"
DEFAULT_MONTHS_KEY = "state_model.foreclosure.default_months"
DATA_FILE = "foreclosure_timelines.csv"
_COLUMNS = ["state", "judicial", "foreclosure_months", "source"]


@dataclass(frozen=True)
class Timelines:
    """The state table and the timeline defaults.

    Parameters
    ----------
    months : Mapping[str, int]
        Average months from foreclosure start to foreclosure sale, by USPS
        state code [months].
    judicial : Mapping[str, bool]
        True where the state's usual foreclosure process is judicial.
    source : Mapping[str, str]
        Where each row's months come from (``group average`` when filled in).
    national_average_months : int
        Months for a loan with no state [months].
    reo_marketing_months : int
        Months from REO to the property sale [months].
    """

    months: Mapping[str, int]
    judicial: Mapping[str, bool]
    source: Mapping[str, str]
    national_average_months: int = NATIONAL_AVERAGE_MONTHS
    reo_marketing_months: int = REO_MARKETING_MONTHS

    @property
    def states(self) -> tuple[str, ...]:
        """State codes in file order."""
        return tuple(self.months)


def _parse_table(text: str, name: str) -> Timelines:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != _COLUMNS:
        raise ValueError(f"{name}: expected columns {_COLUMNS}, got {reader.fieldnames}")
    months: dict[str, int] = {}
    judicial: dict[str, bool] = {}
    source: dict[str, str] = {}
    for i, row in enumerate(reader, start=2):
        st = row["state"]
        if len(st) != 2 or not st.isalpha() or not st.isupper() or st in months:
            raise ValueError(f"{name} line {i}: bad or duplicate state {st!r}")
        if row["judicial"] not in ("true", "false"):
            raise ValueError(f"{name} line {i}: judicial must be true or false")
        m = int(row["foreclosure_months"])
        if m < 0:
            raise ValueError(f"{name} line {i}: negative foreclosure_months")
        months[st] = m
        judicial[st] = row["judicial"] == "true"
        source[st] = row["source"]
    return Timelines(MappingProxyType(months), MappingProxyType(judicial), MappingProxyType(source))


@lru_cache(maxsize=1)
def default_timelines() -> Timelines:
    """The shipped table (``engine/inputs/data/foreclosure_timelines.csv``), read once.

    Returns
    -------
    Timelines
    """
    text = resources.files("engine.inputs").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return _parse_table(text, DATA_FILE)


def _as_codes(states: Any) -> np.ndarray:
    """Normalised codes: strip, upper-case; None / NaN / '' become ''."""
    arr = np.asarray(states, dtype=object)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise TapeError(f"state: expected a one-dimensional array of codes, got shape {arr.shape}")
    out = np.empty(arr.shape[0], dtype=object)
    for i, s in enumerate(arr):
        if s is None or (isinstance(s, float) and s != s):
            out[i] = ""
        else:
            out[i] = str(s).strip().upper()
    return out.astype(str) if out.size else np.empty(0, dtype="<U2")


def _lookup(codes: np.ndarray, table: Mapping[str, Any], empty_value: Any, dtype) -> np.ndarray:
    uniq, inverse = np.unique(codes, return_inverse=True)
    values = np.empty(uniq.shape[0], dtype=dtype)
    for j, code in enumerate(uniq):
        if code == "":
            values[j] = empty_value
        elif code in table:
            values[j] = table[code]
        else:
            row = int(np.flatnonzero(codes == code)[0]) + 1
            raise TapeError(
                f"state: unknown state code {str(code)!r} (row {row}); expected a two-letter USPS code "
                "of the 50 states, DC or PR, or empty when unknown"
            )
    return values[inverse.reshape(-1)]


def _months_value(value: Any, key: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < 0:
        raise ConfigError(f"{key}: expected a non-negative whole number of months, got {value!r}")
    return int(value)


def validate_overrides(overrides: Mapping[str, Any] | None, timelines: Timelines | None = None) -> dict[str, int]:
    """Check per-state timeline overrides.

    Parameters
    ----------
    overrides : mapping of str to int, or None
        ``{state code: months}``; codes are case-insensitive.
    timelines : Timelines, optional
        The table whose codes are valid (default: the shipped one).

    Returns
    -------
    dict of str to int
        Upper-case code -> months.

    Raises
    ------
    ConfigError
        Unknown code or a value that is not a non-negative integer; the
        message names ``state_model.foreclosure.timeline_months.<ST>``.
    """
    if overrides is None:
        return {}
    table = timelines or default_timelines()
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{OVERRIDE_KEY}: expected a mapping of state code to months, got {overrides!r}")
    out: dict[str, int] = {}
    for key, value in overrides.items():
        code = str(key).strip().upper()
        path = f"{OVERRIDE_KEY}.{key}"
        if code not in table.months:
            raise ConfigError(
                f"{path}: unknown state code {key!r} (expected a USPS code of the 50 states, DC or PR)"
            )
        out[code] = _months_value(value, path)
    return out


def foreclosure_months(
    states: Any,
    overrides: Mapping[str, int] | None = None,
    default_months: int | None = None,
) -> np.ndarray:
    """Months from foreclosure start to foreclosure sale, loan by loan.

    Parameters
    ----------
    states : array-like of str, shape (loans,)
        USPS state codes (case and surrounding spaces ignored); ``''`` or
        None when the state is unknown.
    overrides : mapping of str to int, optional
        ``{state code: months}`` replacing the table for those states.
    default_months : int, optional
        Months for loans with an unknown (empty) state [months]; None uses
        the national average, ``NATIONAL_AVERAGE_MONTHS`` (28).

    Returns
    -------
    numpy.ndarray of int64, shape (loans,)
        [months]

    Raises
    ------
    TapeError
        A non-empty code that is not a state, DC or PR; names the code and row.
    ConfigError
        Bad overrides or default_months; names the config key.
    """
    table = default_timelines()
    months = dict(table.months)
    months.update(validate_overrides(overrides, table))
    if default_months is None:
        empty = table.national_average_months
    else:
        empty = _months_value(default_months, DEFAULT_MONTHS_KEY)
    return _lookup(_as_codes(states), months, empty, np.int64)


def is_judicial(states: Any) -> np.ndarray:
    """True where the state's usual foreclosure process is judicial.

    Parameters
    ----------
    states : array-like of str, shape (loans,)
        USPS state codes; ``''`` or None when unknown (gives False).

    Returns
    -------
    numpy.ndarray of bool, shape (loans,)

    Raises
    ------
    TapeError
        A non-empty code that is not a state, DC or PR.
    """
    return _lookup(_as_codes(states), default_timelines().judicial, False, np.bool_)
