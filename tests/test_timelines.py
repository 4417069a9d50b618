"""Tests of engine.inputs.timelines: the shipped state table, lookups, overrides, errors.

The table's published rows are ATTOM's Q3 2019 state averages (days to
foreclose); see the engine.inputs.timelines docstring for the sources.
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

from engine.errors import ConfigError, TapeError
from engine.inputs.timelines import (
    NATIONAL_AVERAGE_MONTHS,
    REO_MARKETING_MONTHS,
    default_timelines,
    foreclosure_months,
    is_judicial,
    validate_overrides,
)

STATES_AND_DC = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()

# ATTOM Q3 2019 average days to foreclose (the published ten longest and ten shortest)
ATTOM_Q3_2019_DAYS = dict(
    IN=1633, HI=1626, NV=1511, NJ=1173, GA=1170, FL=1138, NY=1103, WA=1002, OK=950, PA=914,
    VA=201, MT=217, MS=229, AK=258, OR=283, NH=292, AR=318, WY=321, MN=354, WV=385,
)


def _rows():
    text = resources.files("engine.inputs").joinpath("data", "foreclosure_timelines.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


def test_csv_columns_and_every_state_once():
    rows = _rows()
    assert list(rows[0]) == ["state", "judicial", "foreclosure_months", "source"]
    codes = [r["state"] for r in rows]
    assert len(STATES_AND_DC) == 51
    for st in STATES_AND_DC:
        assert codes.count(st) == 1, st
    assert set(codes) - set(STATES_AND_DC) <= {"PR"}
    for r in rows:
        assert r["judicial"] in ("true", "false")
        assert int(r["foreclosure_months"]) >= 0
        assert r["source"]


def test_published_rows_match_attom_and_the_rest_are_group_averages():
    t = default_timelines()
    for st in t.states:
        if st in ATTOM_Q3_2019_DAYS:
            days = ATTOM_Q3_2019_DAYS[st]
            assert t.months[st] == round(days / (365.25 / 12)), st
            assert t.source[st].startswith("ATTOM Q3 2019") and f"{days} days" in t.source[st]
        else:
            assert t.source[st] == "group average", st
    # group averages are the same for every filled state of a process
    filled = {(t.judicial[s], t.months[s]) for s in t.states if t.source[s] == "group average"}
    assert filled == {(True, 30), (False, 17)}


def test_judicial_states_take_longer_on_average():
    t = default_timelines()
    jud = [t.months[s] for s in t.states if t.judicial[s]]
    non = [t.months[s] for s in t.states if not t.judicial[s]]
    assert np.mean(jud) > np.mean(non)
    published = [s for s in t.states if s in ATTOM_Q3_2019_DAYS]
    assert np.mean([t.months[s] for s in published if t.judicial[s]]) > np.mean(
        [t.months[s] for s in published if not t.judicial[s]]
    )


@pytest.mark.parametrize("state", ["NY", "NJ", "FL", "IL", "OH", "PA", "CT"])
def test_known_judicial(state):
    assert is_judicial([state])[0]


@pytest.mark.parametrize("state", ["TX", "CA", "GA", "VA", "AZ", "WA", "NV"])
def test_known_non_judicial(state):
    assert not is_judicial([state])[0]


def test_lookup_vectorised_and_normalised():
    states = np.array(["NY", " tx", "ca ", "", "FL", "NY"])
    got = foreclosure_months(states)
    assert got.dtype == np.int64 and got.shape == (6,)
    assert list(got) == [36, 17, 17, NATIONAL_AVERAGE_MONTHS, 37, 36]
    assert list(is_judicial(states)) == [True, False, False, False, True, True]
    assert list(foreclosure_months(["NY", None, float("nan")])) == [36, 28, 28]
    assert foreclosure_months([]).shape == (0,)
    assert NATIONAL_AVERAGE_MONTHS == round(841 / (365.25 / 12))
    assert default_timelines().reo_marketing_months == REO_MARKETING_MONTHS == 6


def test_large_tape_is_fast():
    t = default_timelines()
    states = np.random.default_rng(0).choice(np.array(t.states), size=200_000)
    months = foreclosure_months(states)
    assert months.shape == (200_000,)
    assert list(months[:1000]) == [t.months[s] for s in states[:1000]]


def test_overrides_and_default_months():
    got = foreclosure_months(["NY", "TX", "", "FL"], overrides={"NY": 24, "tx": 0}, default_months=12)
    assert list(got) == [24, 0, 12, 37]
    assert validate_overrides({"ny": np.int64(5)}) == {"NY": 5}
    assert validate_overrides(None) == {}


def test_unknown_state_code_raises_tape_error():
    with pytest.raises(TapeError, match=r"'XX'.*row 2\)"):  # rows counted from 1, as on a tape
        foreclosure_months(["NY", "XX"])
    with pytest.raises(TapeError, match="'ZZ'"):
        is_judicial(["ZZ"])


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"XX": 12}, r"state_model\.foreclosure\.timeline_months\.XX: unknown state code"),
        ({"NY": -1}, r"state_model\.foreclosure\.timeline_months\.NY: expected a non-negative"),
        ({"NY": 12.5}, r"timeline_months\.NY: expected a non-negative whole number"),
        ({"NY": True}, r"timeline_months\.NY"),
        ({"NY": "12"}, r"timeline_months\.NY"),
        ([("NY", 12)], r"state_model\.foreclosure\.timeline_months: expected a mapping"),
    ],
)
def test_override_errors_name_the_key(overrides, match):
    with pytest.raises(ConfigError, match=match):
        foreclosure_months(["NY"], overrides=overrides)


def test_default_months_error():
    with pytest.raises(ConfigError, match="default_months"):
        foreclosure_months(["NY"], default_months=-3)


def test_table_is_read_only():
    t = default_timelines()
    with pytest.raises(TypeError):
        t.months["NY"] = 1  # type: ignore[index]
    assert default_timelines() is t
