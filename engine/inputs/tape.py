"""Loan tapes: Parquet, CSV or inline rows -> validated struct of arrays.

Columns (docs/architecture.md, "The loan tape"). Units: balances in currency, rates as annual
decimals (30/360), terms and ages in months.

=================  ========  =========================================================
column             required  default / meaning
=================  ========  =========================================================
loan_id            yes       unique id (text)
balance            yes       current principal balance, > 0
note_rate          yes       gross note rate, annual decimal in [0, 1)
remaining_term     yes       months to scheduled maturity, whole number >= 1
age                no        0; months since origination (drives PSA/SDA ramps)
servicing_fee      no        0; annual decimal strip, 0 <= fee <= note_rate
original_term      no        age + remaining_term
original_balance   no        balance
status             no        ``current``; one of current, dq30, dq60, dq90+, foreclosure, reo
payments_behind    no        0; whole payments missed
property_value     no        unknown (NaN): the state model then uses balance / ltv
state              no        unknown (''): two-letter US state (foreclosure timelines)
lien               no        1
fico               no        unknown (NaN)
ltv                no        unknown (NaN); original loan-to-value, decimal
deferred_balance   no        0; non-interest-bearing forborne principal, due at payoff
arrears            no        0; unpaid interest owed
escrow_advances    no        0; taxes and insurance advanced, owed by the borrower
asking_price       no        none (NaN); the seller's ask for the loan [currency], > 0 (note pricing)
=================  ========  =========================================================

Other columns are carried along untouched and ignored. Any null in a used
column, a negative or zero balance, a term of 0, a rate that looks like a
percent, or a duplicate ``loan_id`` is a :class:`~engine.errors.TapeError`
naming the file, the loan and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config.fields import percent_hint
from ..errors import TapeError

STATUSES = ("current", "dq30", "dq60", "dq90+", "foreclosure", "reo")
STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}

REQUIRED = ("loan_id", "balance", "note_rate", "remaining_term")
# column -> default (None: computed from other columns)
OPTIONAL_NUMERIC = {
    "age": 0.0,
    "servicing_fee": 0.0,
    "original_term": None,
    "original_balance": None,
    "payments_behind": 0.0,
    "property_value": np.nan,
    "lien": 1.0,
    "fico": np.nan,
    "ltv": np.nan,
    "deferred_balance": 0.0,
    "arrears": 0.0,
    "escrow_advances": 0.0,
    "asking_price": np.nan,
}
OPTIONAL_TEXT = {"status": "current", "state": ""}
# columns where a null means "unknown" rather than an error
NULLABLE = {"property_value", "fico", "ltv", "state", "asking_price"}


@dataclass(frozen=True)
class Loans:
    """A validated tape as one contiguous array per attribute (struct of arrays).

    All arrays have length ``n``; see the module docstring for units.
    """

    loan_id: np.ndarray  # object (str)
    balance: np.ndarray  # float64 [currency]
    note_rate: np.ndarray  # float64 [annual decimal, gross]
    servicing_fee: np.ndarray  # float64 [annual decimal]
    remaining_term: np.ndarray  # int64 [months]
    age: np.ndarray  # int64 [months]
    original_term: np.ndarray  # int64 [months]
    original_balance: np.ndarray  # float64 [currency]
    status: np.ndarray  # int8, index into STATUSES
    payments_behind: np.ndarray  # int64
    property_value: np.ndarray  # float64 [currency], NaN unknown
    state: np.ndarray  # object (str), '' unknown
    lien: np.ndarray  # int64
    fico: np.ndarray  # float64, NaN unknown
    ltv: np.ndarray  # float64 [decimal], NaN unknown
    deferred_balance: np.ndarray  # float64 [currency]
    arrears: np.ndarray  # float64 [currency]
    escrow_advances: np.ndarray  # float64 [currency]
    asking_price: np.ndarray  # float64 [currency], NaN none

    @property
    def n(self) -> int:
        return len(self.balance)

    @property
    def net_rate(self) -> np.ndarray:
        """Note rate less servicing [annual decimal]."""
        return self.note_rate - self.servicing_fee

    def take(self, index) -> "Loans":
        """A subset of loans (for chunking)."""
        return Loans(**{k: getattr(self, k)[index] for k in self.__dataclass_fields__})


# --------------------------------------------------------------------------


def read_tape(path: str | Path) -> Loans:
    """Read and validate a Parquet (``.parquet``/``.pq``) or CSV (``.csv``) tape."""
    path = Path(path)
    if not path.exists():
        raise TapeError(f"{path}: loan tape not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        elif suffix == ".csv":
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(
                path,
                convert_options=pcsv.ConvertOptions(
                    column_types={"loan_id": pa.string(), "state": pa.string(), "status": pa.string()},
                    strings_can_be_null=True,
                ),
            )
        else:
            raise TapeError(f"{path}: expected a .parquet or .csv loan tape, got '{suffix or path.name}'")
    except TapeError:
        raise
    except (pa.ArrowInvalid, OSError) as e:
        raise TapeError(f"{path}: cannot read tape ({str(e).splitlines()[0]})") from None
    return loans_from_table(table, source=str(path))


def _row_value(row: dict, name: str):
    """``row[name]``; a key the row leaves out takes the column's documented default
    (an explicit null stays null and is reported as such)."""
    if name in row:
        return row[name]
    if name in OPTIONAL_TEXT:
        return OPTIONAL_TEXT[name]
    default = OPTIONAL_NUMERIC.get(name)
    if name == "original_term":
        age, term = row.get("age", 0), row.get("remaining_term")
        numbers = isinstance(age, (int, float)) and isinstance(term, (int, float))
        default = age + term if numbers else None  # else the age/term check reports it
    elif name == "original_balance":
        default = row.get("balance")
    if isinstance(default, float) and np.isnan(default):
        default = None  # unknown: the column is nullable
    return default


def loans_from_rows(rows: Sequence[dict], source: str = "loans") -> Loans:
    """Validate inline rows (a list of dicts, as written under ``loans:`` in a config)."""
    if not rows:
        raise TapeError(f"{source}: expected at least one loan")
    names: list[str] = []
    for r in rows:
        for k in r:
            if k not in names:
                names.append(k)
    columns = {k: [_row_value(r, k) for r in rows] for k in names}
    if "loan_id" in columns:
        columns["loan_id"] = [None if v is None else str(v) for v in columns["loan_id"]]
    try:
        table = pa.table({k: pa.array(v) for k, v in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise TapeError(f"{source}: mixed types in a column ({str(e).splitlines()[0]})") from None
    return loans_from_table(table, source=source)


def loans_from_table(table: pa.Table, source: str = "tape") -> Loans:
    """Validate an Arrow table of loans (the embedding entry point)."""
    n = table.num_rows
    if n == 0:
        raise TapeError(f"{source}: the tape has no loans")
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise TapeError(
            f"{source}: missing required column(s) {', '.join(missing)} "
            f"(have: {', '.join(table.column_names)})"
        )

    ids_col = table.column("loan_id")
    if ids_col.null_count:
        row = int(np.flatnonzero(ids_col.is_null().to_numpy(zero_copy_only=False))[0])
        raise TapeError(f"{source}: row {row + 1}: column loan_id is null")
    ids = np.asarray(pc.cast(ids_col, pa.string()).to_numpy(zero_copy_only=False), dtype=object)

    def where(i: int) -> str:
        return f"{source}: loan {ids[i]!r} (row {i + 1})"

    def numeric(name: str, default) -> np.ndarray:
        if name not in table.column_names:
            return np.full(n, np.nan if default is None else default, dtype=np.float64)
        col = table.column(name)
        if col.null_count and name not in NULLABLE:
            i = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise TapeError(f"{where(i)}: column {name} is null")
        try:
            arr = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = col.to_pylist()
            for i, v in enumerate(values):
                try:
                    float(v)
                except (TypeError, ValueError):
                    raise TapeError(f"{where(i)}: column {name}: expected a number, got {v!r}") from None
            raise TapeError(f"{source}: column {name}: expected numbers") from None
        return np.asarray(arr, dtype=np.float64)

    def text(name: str, default: str) -> np.ndarray:
        if name not in table.column_names:
            return np.full(n, default, dtype=object)
        col = pc.cast(table.column(name), pa.string())
        if col.null_count and name not in NULLABLE:
            i = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise TapeError(f"{where(i)}: column {name} is null")
        return np.asarray(col.fill_null(default).to_numpy(zero_copy_only=False), dtype=object)

    def fail_first(mask: np.ndarray, name: str, values: np.ndarray, expected: str, hint=None):
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            v = values[i]
            shown = f"{v:g}" if isinstance(v, (float, np.floating)) else repr(v)
            extra = hint(v) if hint else ""
            raise TapeError(f"{where(i)}: column {name}: expected {expected}, got {shown}{extra}")

    def whole(name: str, values: np.ndarray, lo: int, hi: int) -> np.ndarray:
        fail_first(
            ~np.isfinite(values) | (values != np.round(values)) | (values < lo) | (values > hi),
            name,
            values,
            f"a whole number of months in [{lo}, {hi}]" if "term" in name or name == "age" else f"a whole number in [{lo}, {hi}]",
        )
        return values.astype(np.int64)

    # duplicates
    uniq, first, counts = np.unique(ids.astype(str), return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1][0]
        rows = np.flatnonzero(ids.astype(str) == dup)[:3] + 1
        raise TapeError(f"{source}: duplicate loan_id {str(dup)!r} (rows {', '.join(map(str, rows))})")

    balance = numeric("balance", None)
    fail_first(~np.isfinite(balance) | (balance <= 0), "balance", balance, "a positive balance")
    note_rate = numeric("note_rate", None)
    fail_first(
        ~np.isfinite(note_rate) | (note_rate < 0) | (note_rate >= 1),
        "note_rate",
        note_rate,
        "an annual decimal in [0, 1)",
        percent_hint,
    )
    term = whole("remaining_term", numeric("remaining_term", None), 1, 720)
    age = whole("age", numeric("age", 0.0), 0, 720)
    fee = numeric("servicing_fee", 0.0)
    fail_first(
        ~np.isfinite(fee) | (fee < 0) | (fee >= 1), "servicing_fee", fee, "an annual decimal in [0, 1)", percent_hint
    )
    fail_first(fee > note_rate, "servicing_fee", fee, "a fee no larger than note_rate")
    orig_term_raw = numeric("original_term", None)
    orig_term_raw = np.where(np.isnan(orig_term_raw), age + term, orig_term_raw)
    orig_term = whole("original_term", orig_term_raw, 1, 720)
    fail_first(orig_term < age + term, "original_term", orig_term_raw, "at least age + remaining_term")
    orig_bal = numeric("original_balance", None)
    orig_bal = np.where(np.isnan(orig_bal), balance, orig_bal)
    fail_first(orig_bal <= 0, "original_balance", orig_bal, "a positive balance")

    status_text = text("status", "current")
    status = np.full(n, -1, dtype=np.int8)
    for code, name in enumerate(STATUSES):
        status[status_text == name] = code
    fail_first(status < 0, "status", status_text, f"one of {', '.join(STATUSES)}")
    behind = whole("payments_behind", numeric("payments_behind", 0.0), 0, 720)
    pv = numeric("property_value", np.nan)
    fail_first(np.isfinite(pv) & (pv <= 0), "property_value", pv, "a positive value (or empty if unknown)")
    lien = whole("lien", numeric("lien", 1.0), 1, 2)
    fico = numeric("fico", np.nan)
    fail_first(np.isfinite(fico) & ((fico < 300) | (fico > 850)), "fico", fico, "a score in [300, 850]")
    ltv = numeric("ltv", np.nan)
    fail_first(
        np.isfinite(ltv) & ((ltv <= 0) | (ltv > 5)), "ltv", ltv, "a decimal loan-to-value in (0, 5]", percent_hint
    )
    money = {}
    for name in ("deferred_balance", "arrears", "escrow_advances"):
        values = numeric(name, 0.0)
        fail_first(~np.isfinite(values) | (values < 0), name, values, "a non-negative amount")
        money[name] = values
    ask = numeric("asking_price", np.nan)
    fail_first((ask <= 0) | np.isinf(ask), "asking_price", ask, "a positive amount [currency] (or empty if none)")
    state = text("state", "")
    state = np.array([s.strip().upper() for s in state], dtype=object)

    return Loans(
        loan_id=ids,
        balance=balance,
        note_rate=note_rate,
        servicing_fee=fee,
        remaining_term=term,
        age=age,
        original_term=orig_term,
        original_balance=orig_bal,
        status=status,
        payments_behind=behind,
        property_value=pv,
        state=state,
        lien=lien,
        fico=fico,
        ltv=ltv,
        **money,
        asking_price=ask,
    )
