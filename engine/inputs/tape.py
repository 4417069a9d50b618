"""Loan tapes: Parquet, CSV or inline rows -> validated struct of arrays.

Columns (docs/architecture.md, "The loan tape"). Units: balances in currency, rates as annual
decimals (30/360), terms and ages in months.

=================  ========  =========================================================
column             required  default / meaning
=================  ========  =========================================================
loan_id            yes       unique id (text)
balance            yes       current principal balance, > 0 and <= 1e10
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
percent, an unknown status or state code, or a duplicate ``loan_id`` is a
:class:`~engine.errors.TapeError` naming the file, the loan (id and row,
counted from 1) and the column. Every amount (balances, property value,
deferred balance, arrears, escrow advances) is finite and at most
``MAX_LOAN_AMOUNT`` (1e10 currency units) per loan.

Every problem is reported, not only the first: one line each, column by
column, at most ``MAX_LOANS_PER_RULE`` loans per rule and
``MAX_PROBLEM_LINES`` lines in all, then a count of the rest.

Column types: numbers may be stored as integers, floats, decimals or text
(a CSV column with one stray word is read as text); text cells must then
parse as numbers, and a cell that does not is an error naming the loan.
Booleans, binary, lists and other types are refused naming the column and
its type. Text columns take text (or UTF-8 binary); ``loan_id`` also whole
numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config.fields import MAX_LOAN_AMOUNT, percent_hint

MIN_BALANCE = 0.01  # [currency]: a smaller balance is a data error (e.g. 5e-324)
from ..errors import TapeError
from .timelines import default_timelines

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
TEXT_COLUMNS = ("loan_id", *OPTIONAL_TEXT)
NUMERIC_COLUMNS = ("balance", "note_rate", "remaining_term", *OPTIONAL_NUMERIC)
USED_COLUMNS = (*REQUIRED, *OPTIONAL_NUMERIC, *OPTIONAL_TEXT)

# a bad tape reports every problem: at most this many loans per column and
# rule, and this many lines in all, then a count of the rest
MAX_LOANS_PER_RULE = 5
MAX_PROBLEM_LINES = 20

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")


@dataclass(frozen=True)
class Loans:
    """A validated tape as one contiguous array per attribute (struct of arrays).

    All arrays have length ``n``, are C-contiguous and writable (the loader's
    own copies); see the module docstring for units.
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


def _suffix_kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def read_tape(path: str | Path) -> Loans:
    """Read and validate a Parquet (``.parquet``/``.pq``) or CSV (``.csv``,
    also gzip- or bzip2-compressed: ``.csv.gz``, ``.csv.bz2``) tape."""
    path = Path(path)
    if path.is_dir():
        raise TapeError(f"{path}: is a folder, expected a .parquet or .csv loan tape file")
    if not path.exists():
        raise TapeError(f"{path}: loan tape not found")
    kind = _suffix_kind(path)
    if kind is None:
        raise TapeError(
            f"{path}: expected a loan tape named *{', *'.join(PARQUET_SUFFIXES + CSV_SUFFIXES)}, "
            f"got '{''.join(path.suffixes) or path.name}'"
        )
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        else:
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(
                path,
                convert_options=pcsv.ConvertOptions(
                    column_types={"loan_id": pa.string(), "state": pa.string(), "status": pa.string()},
                    strings_can_be_null=True,
                ),
            )
    except (pa.ArrowException, OSError, EOFError) as e:
        reason = getattr(e, "strerror", None) if isinstance(e, OSError) and not isinstance(e, pa.ArrowException) else None
        raise TapeError(f"{path}: cannot read tape ({reason or str(e).splitlines()[0] or type(e).__name__})") from None
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
        numbers = all(isinstance(x, Real) and not isinstance(x, bool) for x in (age, term))
        default = age + term if numbers else None  # else the age/term check reports it
    elif name == "original_balance":
        default = row.get("balance")
    if isinstance(default, float) and np.isnan(default):
        default = None  # unknown: the column is nullable
    return default


def _shown(value: Any, width: int = 40) -> str:
    """A cell as a message shows it: numbers with %g, text quoted, long values cut."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        text = str(int(value))
        return text if len(text) <= width else f"{text[:12]}...({len(text)} digits)"
    if isinstance(value, np.str_):
        value = str(value)
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


class _Problems:
    """Every problem of one tape, one line each, in the order found."""

    def __init__(self, source: str):
        self.source = source
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def loans(self, rows: np.ndarray, line: Callable[[int], str], what: str) -> None:
        """One line per loan in ``rows`` (at most MAX_LOANS_PER_RULE), then a count."""
        for i in rows[:MAX_LOANS_PER_RULE]:
            self.add(line(int(i)))
        if len(rows) > MAX_LOANS_PER_RULE:
            self.add(f"{self.source}: ... and {len(rows) - MAX_LOANS_PER_RULE} more loans with this problem in {what}")

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        shown = self.lines[:MAX_PROBLEM_LINES]
        rest = len(self.lines) - len(shown)
        if rest:
            shown.append(f"{self.source}: ... and {rest} more problem{'s' if rest > 1 else ''}")
        raise TapeError("\n".join(shown))


def _to_float(value: Any) -> float | None:
    """A number from an inline cell; None when it is not one (bools are not,
    nor integers beyond the float range)."""
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return None
    if isinstance(value, Integral):
        try:
            return float(value)
        except OverflowError:  # beyond any float: not a usable number
            return None
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def loans_from_rows(rows: Sequence[dict], source: str = "loans") -> Loans:
    """Validate inline rows (a list of dicts, as written under ``loans:`` in a config).

    Only the documented columns are read; other keys are ignored, whatever
    they hold. Every cell is checked (a number where a number belongs, text
    where text belongs) and every problem reported, naming the loan."""
    if not rows:
        raise TapeError(f"{source}: expected at least one loan")
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise TapeError(f"{source}[{i}]: expected a mapping of column to value, got {_shown(r)}")
    names = [c for c in USED_COLUMNS if any(c in r for r in rows)]
    problems = _Problems(source)
    raw_ids = [r.get("loan_id") for r in rows]
    ids = [v if isinstance(v, str) else str(v) if isinstance(v, Integral) and not isinstance(v, bool) else None for v in raw_ids]

    def where(i: int) -> str:
        return f"{source}: loan {ids[i]!r} (row {i + 1})" if ids[i] is not None else f"{source}: row {i + 1}"

    bad: dict[str, np.ndarray] = {}
    arrays: dict[str, pa.Array] = {}
    for name in names:
        values = [_row_value(r, name) for r in rows]
        wrong = np.zeros(len(rows), dtype=bool)
        if name in TEXT_COLUMNS:
            out: list = []
            for i, v in enumerate(values):
                if v is None or isinstance(v, str):
                    out.append(v)
                elif name == "loan_id" and isinstance(v, Integral) and not isinstance(v, bool):
                    out.append(str(v))
                else:
                    wrong[i] = True
                    out.append(None)
            what = "an id (text or a whole number)" if name == "loan_id" else "text"
            problems.loans(
                np.flatnonzero(wrong),
                lambda i, name=name, values=values, what=what: f"{where(i)}: column {name}: expected {what}, got {_shown(values[i])}",
                f"column {name}",
            )
            arrays[name] = pa.array(out, type=pa.string())
        else:
            out = []
            for i, v in enumerate(values):
                x = None if v is None else _to_float(v)
                if v is not None and x is None:
                    wrong[i] = True
                out.append(x)
            problems.loans(
                np.flatnonzero(wrong),
                lambda i, name=name, values=values: f"{where(i)}: column {name}: expected a number, got {_shown(values[i])}",
                f"column {name}",
            )
            arrays[name] = pa.array(out, type=pa.float64())
        bad[name] = wrong
    return _validate(pa.table(arrays), source, problems, bad)


def loans_from_table(table: pa.Table, source: str = "tape") -> Loans:
    """Validate an Arrow table of loans (the embedding entry point)."""
    return _validate(table, source, _Problems(source), {})


def _is_text_type(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t)


def _is_binary_type(t: pa.DataType) -> bool:
    return (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t)
        or getattr(pa.types, "is_binary_view", lambda _: False)(t)
    )


def _is_number_type(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _validate(table: pa.Table, source: str, problems: _Problems, bad: dict[str, np.ndarray]) -> Loans:
    """Check every used column of ``table``; ``problems`` and ``bad`` (cells
    already reported, by column) may arrive filled by :func:`loans_from_rows`."""
    n = table.num_rows
    if n == 0:
        raise TapeError(f"{source}: the tape has no loans")

    # columns: each name once; a duplicated name is a problem, not a KeyError
    counts = Counter(table.column_names)
    cols: dict[str, pa.ChunkedArray] = {}
    for name, k in counts.items():
        if k > 1 and name in USED_COLUMNS:  # an ignored column may appear twice
            at = [str(i + 1) for i, c in enumerate(table.column_names) if c == name]
            problems.add(f"{source}: column {name} appears {k} times (columns {', '.join(at)}); keep one")
    for i, name in enumerate(table.column_names):
        if counts[name] == 1 and name in USED_COLUMNS:
            col = table.column(i)
            if pa.types.is_dictionary(col.type):
                col = col.cast(col.type.value_type)
            cols[name] = col
    missing = [c for c in REQUIRED if counts[c] == 0]
    if missing:
        have = [c if c.isprintable() and c else repr(c) for c in table.column_names]
        problems.add(f"{source}: missing required column(s) {', '.join(missing)} (have: {', '.join(have)})")

    unusable: set[str] = {c for c in USED_COLUMNS if counts[c] > 1} | set(missing)
    reported = {c: bad.get(c, np.zeros(n, dtype=bool)).copy() for c in USED_COLUMNS}

    def wrong_type(name: str, expected: str) -> None:
        problems.add(f"{source}: column {name}: expected {expected}, got a column of type {cols[name].type}")
        unusable.add(name)

    # loan ids first: every other message names the loan
    ids: list[str | None] = [None] * n
    if "loan_id" in cols:
        t = cols["loan_id"].type
        if _is_text_type(t) or _is_binary_type(t) or pa.types.is_integer(t) or pa.types.is_null(t):
            ids = _text_values(cols["loan_id"], "loan_id", problems, reported["loan_id"], lambda i: f"{source}: row {i + 1}")
        else:
            wrong_type("loan_id", "an id (text or whole numbers)")

    def where(i: int) -> str:
        return f"{source}: loan {ids[i]!r} (row {i + 1})" if ids[i] is not None else f"{source}: row {i + 1}"

    def report(name: str, mask: np.ndarray, line: Callable[[int], str]) -> None:
        mask = mask & ~reported[name]
        problems.loans(np.flatnonzero(mask), line, f"column {name}")
        reported[name] |= mask

    if "loan_id" in cols and "loan_id" not in unusable:
        null = np.array([v is None for v in ids]) & ~reported["loan_id"]
        report("loan_id", null, lambda i: f"{source}: row {i + 1}: column loan_id is null")
        empty = np.array([v is not None and not v.strip() for v in ids])
        report("loan_id", empty, lambda i: f"{source}: row {i + 1}: column loan_id is empty, expected an id")
        first_row: dict[str, list[int]] = {}
        for i, v in enumerate(ids):
            if v is not None and not reported["loan_id"][i]:
                first_row.setdefault(v, []).append(i)
        dups = [(v, rows) for v, rows in first_row.items() if len(rows) > 1]
        for v, rows in dups[:MAX_LOANS_PER_RULE]:
            problems.add(f"{source}: duplicate loan_id {v!r} (rows {', '.join(str(r + 1) for r in rows[:3])})")
        if len(dups) > MAX_LOANS_PER_RULE:
            problems.add(f"{source}: ... and {len(dups) - MAX_LOANS_PER_RULE} more duplicated loan ids")

    def numeric(name: str, default) -> np.ndarray:
        fill = np.nan if default is None else default
        if name not in cols or name in unusable:
            if name in unusable:
                reported[name][:] = True
            return np.full(n, fill, dtype=np.float64)
        col = cols[name]
        t = col.type
        if pa.types.is_null(t):
            arr = np.full(n, np.nan)
        elif _is_number_type(t):
            arr = np.asarray(pc.cast(col, pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=np.float64)
        elif _is_text_type(t):
            try:
                arr = np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                texts = col.to_pylist()
                parsed = [None if v is None else _to_float(v) for v in texts]
                not_number = np.array([v is not None and x is None for v, x in zip(texts, parsed)])
                report(name, not_number, lambda i: f"{where(i)}: column {name}: expected a number, got {_shown(texts[i])}")
                arr = np.array([np.nan if x is None else x for x in parsed], dtype=np.float64)
        else:
            wrong_type(name, "numbers")
            reported[name][:] = True
            return np.full(n, fill, dtype=np.float64)
        null = col.is_null().to_numpy(zero_copy_only=False) if col.null_count else np.zeros(n, dtype=bool)
        if name not in NULLABLE:
            report(name, null, lambda i: f"{where(i)}: column {name} is null")
        return arr

    def text(name: str, default: str) -> np.ndarray:
        if name not in cols or name in unusable:
            if name in unusable:
                reported[name][:] = True
            return np.full(n, default, dtype=object)
        t = cols[name].type
        if not (_is_text_type(t) or _is_binary_type(t) or pa.types.is_null(t)):
            wrong_type(name, "text")
            reported[name][:] = True
            return np.full(n, default, dtype=object)
        values = _text_values(cols[name], name, problems, reported[name], where)
        null = np.array([v is None for v in values]) & ~reported[name]
        if name not in NULLABLE:
            report(name, null, lambda i: f"{where(i)}: column {name} is null")
        return np.array([default if v is None else v for v in values], dtype=object)

    def rule(name: str, values: np.ndarray, mask: np.ndarray, expected: str, hint=None) -> None:
        def line(i: int) -> str:
            extra = hint(values[i]) if hint else ""
            return f"{where(i)}: column {name}: expected {expected}, got {_shown(values[i])}{extra}"

        report(name, mask, line)

    def whole(name: str, values: np.ndarray, lo: int, hi: int) -> np.ndarray:
        kind = "a whole number of months" if "term" in name or name == "age" else "a whole number"
        with np.errstate(invalid="ignore"):
            mask = ~np.isfinite(values) | (values != np.round(values)) | (values < lo) | (values > hi)
        rule(name, values, mask, f"{kind} in [{lo}, {hi}]")
        return np.where(mask | reported[name], lo, values).astype(np.int64)

    cap = f"at most {MAX_LOAN_AMOUNT:g}"
    with np.errstate(invalid="ignore"):
        balance = numeric("balance", None)
        rule("balance", balance, ~np.isfinite(balance) | (balance <= 0) | (balance > MAX_LOAN_AMOUNT), f"a positive balance, {cap}")
        rule("balance", balance, (balance > 0) & (balance < MIN_BALANCE), f"a balance of at least {MIN_BALANCE:g} (a cent)")
        note_rate = numeric("note_rate", None)
        rule("note_rate", note_rate, ~np.isfinite(note_rate) | (note_rate < 0) | (note_rate >= 1),
             "an annual decimal in [0, 1)", percent_hint)
        term_raw = numeric("remaining_term", None)
        term = whole("remaining_term", term_raw, 1, 720)
        age_raw = numeric("age", 0.0)
        age = whole("age", age_raw, 0, 720)
        fee = numeric("servicing_fee", 0.0)
        rule("servicing_fee", fee, ~np.isfinite(fee) | (fee < 0) | (fee >= 1), "an annual decimal in [0, 1)", percent_hint)
        rule("servicing_fee", fee, (fee > note_rate) & ~reported["note_rate"], "a fee no larger than note_rate")
        # original term and balance default to age + remaining_term and to balance;
        # a default derived from a cell already reported is not reported again
        orig_term_raw = numeric("original_term", None)
        terms_known = ~reported["age"] & ~reported["remaining_term"]
        derive = np.isnan(orig_term_raw) & ~reported["original_term"]
        orig_term_raw = np.where(derive, age + term, orig_term_raw)
        reported["original_term"] |= derive & ~terms_known
        orig_term = whole("original_term", orig_term_raw, 1, 720)
        rule("original_term", orig_term_raw, (orig_term < age + term) & terms_known, "at least age + remaining_term")
        orig_bal = numeric("original_balance", None)
        derive = np.isnan(orig_bal) & ~reported["original_balance"]
        orig_bal = np.where(derive, balance, orig_bal)
        reported["original_balance"] |= derive & reported["balance"]
        rule("original_balance", orig_bal, ~np.isfinite(orig_bal) | (orig_bal <= 0) | (orig_bal > MAX_LOAN_AMOUNT),
             f"a positive balance, {cap}")

        status_text = text("status", "current")
        status = np.full(n, -1, dtype=np.int8)
        for code, name in enumerate(STATUSES):
            status[status_text == name] = code
        rule("status", status_text, status < 0, f"one of {', '.join(STATUSES)}")
        behind = whole("payments_behind", numeric("payments_behind", 0.0), 0, 720)
        pv = numeric("property_value", np.nan)
        rule("property_value", pv, (pv <= 0) | (pv > MAX_LOAN_AMOUNT) | np.isinf(pv),
             f"a positive value, {cap} (or empty if unknown)")
        lien = whole("lien", numeric("lien", 1.0), 1, 2)
        fico = numeric("fico", np.nan)
        rule("fico", fico, np.isinf(fico) | ((fico < 300) | (fico > 850)), "a score in [300, 850]")
        ltv = numeric("ltv", np.nan)
        rule("ltv", ltv, np.isinf(ltv) | (ltv <= 0) | (ltv > 5), "a decimal loan-to-value in (0, 5]", percent_hint)
        money = {}
        for name in ("deferred_balance", "arrears", "escrow_advances"):
            values = numeric(name, 0.0)
            rule(name, values, ~np.isfinite(values) | (values < 0) | (values > MAX_LOAN_AMOUNT), f"a non-negative amount, {cap}")
            money[name] = values
        ask = numeric("asking_price", np.nan)
        rule("asking_price", ask, (ask <= 0) | (ask > MAX_LOAN_AMOUNT) | np.isinf(ask),
             f"a positive amount [currency], {cap} (or empty if none)")
        state_raw = text("state", "")
        state = np.array([s.strip().upper() for s in state_raw], dtype=object)
        known = default_timelines().months
        rule("state", state_raw, np.array([s != "" and s not in known for s in state], dtype=bool),
             "a two-letter USPS code of the 50 states, DC or PR (or empty when unknown)")

    problems.raise_if_any()
    return _writable(
        loan_id=np.array(ids, dtype=object),
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


def _writable(**arrays: np.ndarray) -> Loans:
    """Loans of writable, C-contiguous arrays of their own. Arrow hands some
    columns over read-only, and Numba compiles a kernel once per signature,
    read-only arrays being another one: owning every array keeps one
    signature for every tape, so cached kernels serve every run."""
    return Loans(**{k: np.array(v, order="C", copy=True) for k, v in arrays.items()})


def _text_values(
    col: pa.ChunkedArray, name: str, problems: _Problems, reported: np.ndarray, where: Callable[[int], str]
) -> list[str | None]:
    """Python strings (None for null) from a text, UTF-8 binary, integer or
    null column; cells that are not valid UTF-8 are reported (and marked in
    ``reported``)."""
    t = col.type
    if pa.types.is_null(t):
        return [None] * len(col)
    if _is_text_type(t) or pa.types.is_integer(t):
        return [None if v is None else str(v) for v in pc.cast(col, pa.string()).to_pylist()]
    out: list[str | None] = []
    bad_rows: list[int] = []
    raw = col.to_pylist()
    for i, b in enumerate(raw):
        if b is None:
            out.append(None)
            continue
        try:
            out.append(b.decode("utf-8"))
        except UnicodeDecodeError:
            bad_rows.append(i)
            out.append(None)
    rows = np.array(bad_rows, dtype=np.int64)
    reported[rows] = True
    problems.loans(rows, lambda i: f"{where(i)}: column {name}: expected UTF-8 text, got bytes {_shown(raw[i])}", f"column {name}")
    return out
