"""Fuzzing the inputs: mutated shipped configs and tapes.

Every outcome is either a clean result (finite numbers, no negative
balances, outputs that can be written) or the engine's own ``InputError``,
one line per problem naming a key, a file or a loan; never another
exception. Runs are kept small (30 loans, at most 4 paths and 60 months)
and the number of examples follows the hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine.errors import InputError

REPO = Path(__file__).resolve().parents[1]
N_LOANS = 30
MAX_PATHS = 4
MAX_HORIZON = 60

# columns that may hold NaN by design: a mean month or severity of an outcome
# that never happens, a yield measure whose solver found no root (data, not an error);
# in pricing runs, an IRR with no root (status column beside it), statistics of an
# outcome no path reaches, an interval end too few paths bound, a loan with no ask
NAN_ALLOWED = re.compile(
    r"^(month_.*|loss_severity|wal|pv|yield_bey|mortgage_yield|average_life|macaulay_duration|"
    r"modified_duration|convexity|pv_std|"
    r"irr|irr_monthly|irr_mean|irr_median|irr_std|irr_p\d\d|irr_(mean|median|std)_at_ask|p_irr_below_.*|"
    r"months_mean|proceeds_mean|bid_at_confidence_ci_(low|high)|asking_price|.*_pct_value|money_multiple)$"
)


def shipped(name: str) -> dict:
    """A shipped config, resolved (every default written out, files absolute)."""
    return engine.load_config(REPO / "configs" / f"{name}.yaml").to_dict()


CONFIGS = {name: shipped(name) for name in ("pool", "npl_pool")}
TAPES = {
    name: pq.read_table(REPO / "configs" / "data" / f"{name}.parquet").slice(0, N_LOANS)
    for name in ("sample_pool", "npl_pool")
}


def key_paths(node, prefix=()) -> list[tuple]:
    """Every key path of a nested config (list items by index)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out.extend(key_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out.extend(key_paths(v, prefix + (i,)))
    return out


def get(node, path):
    for k in path:
        node = node[k]
    return node


def small(config: dict, mutated: tuple) -> dict:
    """Keep a state run small unless the mutation is about its size (then
    only small sizes are tried: a valid 10-million-path run is not a bug)."""
    sim = config.get("simulation")
    if config.get("model") == "state" and isinstance(sim, dict):
        for key, limit in (("paths", MAX_PATHS), ("horizon", MAX_HORIZON)):
            value = sim.get(key)
            if mutated[:2] == ("simulation", key):
                assume(not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > limit))
            else:
                sim[key] = limit
    return config


SPECIAL = [
    None, True, False, 0, 1, -1, 0.5, 6.5, 100, 1e10, 1e15, 1e308, -1e308, float("inf"), float("-inf"),
    float("nan"), 2**63, 10**30, "", "x", "state", "standard", "turnover", "psa", "expected", "NY",
    [], {}, [0.1, 0.2], {"model": "none"}, b"\xff\xfe",
]
values = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.floats(-2, 2), max_size=13),
)


def check_error(e: InputError) -> None:
    """The engine's own error: one line per problem, each naming where."""
    lines = str(e).splitlines()
    assert lines, "an empty error message"
    for line in lines:
        assert ": " in line, line  # "<file, key or loan>: <what was expected>"
        assert "np." not in line and "numpy" not in line and " object at 0x" not in line, line


def check_result(result, out: Path) -> None:
    """Finite numbers (NaN only where it is data), no negative balance, and
    the outputs can be written."""
    for name, table in result.tables.items():
        for col in table.column_names:
            a = table.column(col).to_numpy(zero_copy_only=False)
            if a.dtype.kind not in "fiu":
                continue
            a = a.astype(np.float64)
            assert not np.isinf(a).any(), f"{name}.{col}: infinite"
            if not NAN_ALLOWED.match(col):
                assert not np.isnan(a).any(), f"{name}.{col}: NaN"
            if "balance" in col and not col.startswith("p_"):
                scale = max(1.0, float(np.nanmax(np.abs(a))) if a.size else 1.0)
                assert np.nanmin(a, initial=0.0) >= -1e-9 * scale, f"{name}.{col}: negative ({np.nanmin(a)})"
    result.write(out)
    assert (out / "run.json").exists()


def outcome(config: dict, out: Path) -> None:
    try:
        result = engine.run(config)
    except InputError as e:
        check_error(e)
        return
    check_result(result, out)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(CONFIGS)))
def test_mutated_configs_give_a_result_or_a_named_error(data, name):
    config = copy.deepcopy(CONFIGS[name])
    paths = key_paths(config)
    action = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "scale"]), label="action")
    path = data.draw(st.sampled_from(paths), label="key")
    parent = get(config, path[:-1])
    if action == "replace":
        parent[path[-1]] = data.draw(values, label="value")
    elif action == "delete":
        if isinstance(parent, list):
            parent.pop(path[-1])
        else:
            del parent[path[-1]]
    elif action == "add":
        if not isinstance(parent, dict):
            return
        parent[data.draw(st.text(min_size=1, max_size=8), label="new key")] = data.draw(values, label="value")
    else:  # a number scaled as a user might mistype it (percent for decimal, cents, sign)
        old = get(config, path)
        if isinstance(old, bool) or not isinstance(old, (int, float)):
            return
        factor = data.draw(st.sampled_from([100, 0.01, -1, 1e6, 1e-6, 0]), label="factor")
        parent[path[-1]] = type(old)(old * factor) if isinstance(old, float) else old * factor
    config = small(config, path)
    with tempfile.TemporaryDirectory() as tmp:
        outcome(config, Path(tmp) / "out")


# --------------------------------------------------------------------------
# tapes


def mutate_column(table: pa.Table, column: str, kind: str, cell: int, value) -> pa.Table:
    col = table.column(column)
    i = table.column_names.index(column)
    if kind == "cell":
        cells = col.to_pylist()
        cells[cell] = value
        try:
            new = pa.array(cells, type=col.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError, ValueError):
            new = pa.array([None if v is None else str(v) for v in cells], type=pa.string())
    elif kind == "as_text":
        new = pc_cast(col, pa.string())
    elif kind == "as_binary":
        new = pa.array([None if v is None else str(v).encode() + (b"\xff" if j == cell else b"") for j, v in enumerate(col.to_pylist())])
    elif kind == "as_list":
        new = pa.array([[v] for v in col.to_pylist()])
    elif kind == "as_bool":
        new = pa.array([bool(v) for v in col.to_pylist()])
    elif kind == "as_dictionary":
        new = col.dictionary_encode()
    elif kind == "as_null":
        new = pa.nulls(len(col))
    elif kind == "as_int":
        try:
            new = pa.array([None if v is None else int(float(v)) for v in col.to_pylist()], type=pa.int64())
        except (ValueError, TypeError, OverflowError):
            return table
    elif kind == "drop":
        return table.remove_column(i)
    elif kind == "duplicate":
        return table.append_column(column, col)
    else:
        raise AssertionError(kind)
    return table.set_column(i, column, new)


def pc_cast(col, to):
    import pyarrow.compute as pc

    return pc.cast(col, to)


TAPE_FOR = {"pool": "sample_pool", "npl_pool": "npl_pool"}
COLUMN_KINDS = ["cell", "cell", "cell", "as_text", "as_binary", "as_list", "as_bool", "as_dictionary", "as_null",
                "as_int", "drop", "duplicate"]


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(sorted(CONFIGS)),
    fmt=st.sampled_from(["parquet", "csv"]),
)
def test_mutated_tapes_give_a_result_or_a_named_error(data, name, fmt):
    table = TAPES[TAPE_FOR[name]]
    what = data.draw(st.sampled_from(["column", "column", "column", "rows", "extra"]), label="what")
    if what == "column":
        column = data.draw(st.sampled_from(table.column_names), label="column")
        kind = data.draw(st.sampled_from(COLUMN_KINDS), label="kind")
        cell = data.draw(st.integers(0, table.num_rows - 1), label="row")
        table = mutate_column(table, column, kind, cell, data.draw(values, label="value"))
    elif what == "rows":
        rows = data.draw(st.sampled_from(["none", "one", "duplicate"]), label="rows")
        if rows == "none":
            table = table.slice(0, 0)
        elif rows == "one":
            table = table.slice(0, 1)
        else:
            table = pa.concat_tables([table, table.slice(3, 1)])
    else:  # an extra column, ignored whatever it holds
        value = data.draw(values, label="value")
        try:
            extra = pa.array([value] * table.num_rows)
        except (pa.ArrowException, TypeError, OverflowError, ValueError):
            extra = pa.array([repr(value)] * table.num_rows)
        table = table.append_column(data.draw(st.text(min_size=1, max_size=8), label="new column"), extra)
    config = small(copy.deepcopy(CONFIGS[name]), ())
    with tempfile.TemporaryDirectory() as tmp:
        tape = Path(tmp) / f"tape.{fmt}"
        try:
            if fmt == "parquet":
                pq.write_table(table, tape)
            else:
                pcsv.write_csv(table, tape)
        except (pa.ArrowException, ValueError):
            assume(False)  # pyarrow cannot write this column as CSV: not an engine input
        config["tape"] = str(tape)
        outcome(config, Path(tmp) / "out")


def test_the_fuzz_bases_run_cleanly(tmp_path):
    """Without a mutation both bases give a clean result (else every
    mutation would end in an error and the fuzz would prove nothing)."""
    for name in sorted(CONFIGS):
        config = small(copy.deepcopy(CONFIGS[name]), ())
        check_result(engine.run(config), tmp_path / name)
