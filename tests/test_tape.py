"""Loan tape rules: one test per rule, plus CSV/Parquet round trips.

Every error names the source, the loan (id and row) and the column
(docs/architecture.md, "The loan tape").
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from engine.errors import InputError, TapeError
from engine.inputs.tape import STATUSES, Loans, loans_from_rows, loans_from_table, read_tape


def columns(**changes) -> dict:
    """Three valid loans as columns, with ``changes`` applied (None drops a column)."""
    cols = {
        "loan_id": ["A1", "B2", "C3"],
        "balance": [100_000.0, 200_000.0, 50_000.0],
        "note_rate": [0.06, 0.065, 0.07],
        "remaining_term": [360, 300, 120],
    }
    for k, v in changes.items():
        if v is None:
            cols.pop(k)
        else:
            cols[k] = v
    return cols


def tape_error(**changes) -> str:
    with pytest.raises(TapeError) as info:
        loans_from_table(pa.table(columns(**changes)), source="pool.csv")
    msg = str(info.value)
    assert msg.startswith("pool.csv: "), msg
    assert "\n" not in msg
    return msg


def test_valid_tape_loads():
    loans = loans_from_table(pa.table(columns()))
    assert loans.n == 3
    assert list(loans.loan_id) == ["A1", "B2", "C3"]
    assert loans.balance.dtype == np.float64 and loans.remaining_term.dtype == np.int64
    np.testing.assert_array_equal(loans.remaining_term, [360, 300, 120])


def test_tape_error_is_an_input_error():
    assert issubclass(TapeError, InputError)


def test_missing_required_column():
    msg = tape_error(note_rate=None)
    assert "missing required column" in msg and "note_rate" in msg


def test_null_in_required_column_names_loan_and_column():
    msg = tape_error(balance=[1.0, None, 3.0])
    assert "'B2'" in msg and "row 2" in msg and "balance" in msg and "null" in msg


def test_null_loan_id_names_the_row():
    msg = tape_error(loan_id=["A1", None, "C3"])
    assert "row 2" in msg and "loan_id" in msg and "null" in msg


def test_negative_balance():
    msg = tape_error(balance=[1.0, -5.0, 3.0])
    assert "'B2'" in msg and "column balance" in msg and "got -5" in msg


def test_zero_balance():
    msg = tape_error(balance=[1.0, 5.0, 0.0])
    assert "'C3'" in msg and "column balance" in msg and "got 0" in msg


def test_remaining_term_zero():
    msg = tape_error(remaining_term=[360, 0, 12])
    assert "'B2'" in msg and "column remaining_term" in msg and "got 0" in msg


def test_non_integer_term():
    msg = tape_error(remaining_term=[360, 12.5, 12])
    assert "'B2'" in msg and "column remaining_term" in msg and "whole number" in msg and "12.5" in msg


def test_note_rate_as_percent_gets_a_hint():
    msg = tape_error(note_rate=[0.06, 6.5, 0.07])
    assert "'B2'" in msg and "column note_rate" in msg and "got 6.5" in msg
    assert "percent" in msg and "0.065" in msg


def test_servicing_fee_above_note_rate():
    msg = tape_error(servicing_fee=[0.0025, 0.07, 0.0025])
    assert "'B2'" in msg and "column servicing_fee" in msg and "0.07" in msg and "note_rate" in msg


def test_servicing_fee_as_percent_gets_a_hint():
    msg = tape_error(servicing_fee=[0.0025, 25.0, 0.0025])
    assert "'B2'" in msg and "servicing_fee" in msg and "percent" in msg


def test_duplicate_ids_name_the_id():
    msg = tape_error(loan_id=["A1", "B2", "A1"])
    assert "duplicate" in msg and "'A1'" in msg and "1, 3" in msg


def test_unknown_status():
    msg = tape_error(status=["current", "bogus", "dq30"])
    assert "'B2'" in msg and "column status" in msg and "'bogus'" in msg
    for s in STATUSES:
        assert s in msg


def test_bad_fico():
    msg = tape_error(fico=[700.0, 900.0, None])
    assert "'B2'" in msg and "column fico" in msg and "900" in msg


def test_non_numeric_value():
    msg = tape_error(balance=["100", "lots", "3"])
    assert "'B2'" in msg and "balance" in msg and "'lots'" in msg


def test_original_term_shorter_than_age_plus_remaining():
    msg = tape_error(age=[0, 10, 0], original_term=[360, 300, 360])
    assert "'B2'" in msg and "original_term" in msg


def test_empty_tape():
    with pytest.raises(TapeError, match="no loans"):
        loans_from_table(pa.table(columns()).slice(0, 0), source="t")


# --------------------------------------------------------------------------
# defaults and extra columns


def test_defaults_for_optional_columns():
    loans = loans_from_table(pa.table(columns()))
    np.testing.assert_array_equal(loans.age, 0)
    np.testing.assert_array_equal(loans.servicing_fee, 0.0)
    assert [STATUSES[s] for s in loans.status] == ["current"] * 3
    np.testing.assert_array_equal(loans.payments_behind, 0)
    np.testing.assert_array_equal(loans.lien, 1)
    np.testing.assert_array_equal(loans.original_term, [360, 300, 120])  # age + remaining_term
    np.testing.assert_array_equal(loans.original_balance, loans.balance)
    for name in ("fico", "ltv", "property_value"):
        assert np.isnan(getattr(loans, name)).all(), name
    assert list(loans.state) == ["", "", ""]
    for name in ("deferred_balance", "arrears", "escrow_advances"):
        np.testing.assert_array_equal(getattr(loans, name), 0.0)
    np.testing.assert_array_equal(loans.net_rate, loans.note_rate)


def test_original_term_default_counts_age():
    loans = loans_from_table(pa.table(columns(age=[12, 60, 240])))
    np.testing.assert_array_equal(loans.original_term, [372, 360, 360])


def test_nullable_optional_columns_mean_unknown():
    loans = loans_from_table(pa.table(columns(fico=[700.0, None, 650.0], state=["ca", None, " tx "])))
    assert np.isnan(loans.fico[1]) and loans.fico[0] == 700.0
    assert list(loans.state) == ["CA", "", "TX"]


def test_extra_columns_are_ignored():
    plain = loans_from_table(pa.table(columns()))
    extra = loans_from_table(pa.table(columns(servicer=["x", "y", "z"], coupon_bucket=[1, 2, 3])))
    assert_same_loans(plain, extra)


def test_inline_rows_match_table():
    cols = columns(age=[0, 12, 24])
    rows = [dict(zip(cols, vals)) for vals in zip(*cols.values())]
    assert_same_loans(loans_from_rows(rows), loans_from_table(pa.table(cols)))


def test_inline_row_that_omits_an_optional_key_takes_the_default():
    # one row names servicing_fee, age, original_term, fico and state, the
    # other leaves them out: it gets the documented defaults, not a "null" error
    rows = [
        {"loan_id": "A", "balance": 100.0, "note_rate": 0.06, "remaining_term": 348, "age": 12,
         "servicing_fee": 0.0025, "original_term": 360, "original_balance": 120.0, "fico": 700,
         "state": "CA", "status": "dq30"},
        {"loan_id": "B", "balance": 50.0, "note_rate": 0.05, "remaining_term": 100},
    ]
    loans = loans_from_rows(rows)
    assert loans.servicing_fee[1] == 0.0 and loans.age[1] == 0
    assert loans.original_term[1] == 100 and loans.original_balance[1] == 50.0
    assert np.isnan(loans.fico[1]) and loans.state[1] == ""
    assert STATUSES[loans.status[1]] == "current"
    assert loans.original_term[0] == 360 and loans.servicing_fee[0] == 0.0025


def test_inline_row_with_an_explicit_null_is_an_error():
    rows = [
        {"loan_id": "A", "balance": 100.0, "note_rate": 0.06, "remaining_term": 12, "servicing_fee": 0.001},
        {"loan_id": "B", "balance": 50.0, "note_rate": 0.05, "remaining_term": 12, "servicing_fee": None},
    ]
    with pytest.raises(TapeError, match=r"loan 'B' \(row 2\): column servicing_fee is null"):
        loans_from_rows(rows)


def test_take_subsets_every_column():
    loans = loans_from_table(pa.table(columns(age=[0, 12, 24])))
    sub = loans.take([2, 0])
    assert list(sub.loan_id) == ["C3", "A1"]
    np.testing.assert_array_equal(sub.age, [24, 0])
    assert sub.n == 2


# --------------------------------------------------------------------------
# files


def assert_same_loans(a: Loans, b: Loans) -> None:
    for f in fields(Loans):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype, f.name
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=f.name)  # NaN == NaN here
        else:
            assert list(x) == list(y), f.name


def full_table() -> pa.Table:
    return pa.table(
        {
            # leading zeros and digit-only ids must survive CSV as text
            "loan_id": ["007", "1234", "X-9"],
            "balance": [123_456.78, 98_765.43, 250_000.0],
            "note_rate": [0.0625, 0.04875, 0.07125],
            "remaining_term": [348, 200, 360],
            "age": [12, 160, 0],
            "servicing_fee": [0.0025, 0.00375, 0.005],
            "original_term": [360, 360, 360],
            "original_balance": [125_000.0, 150_000.0, 250_000.0],
            "status": ["current", "dq60", "foreclosure"],
            "payments_behind": [0, 2, 9],
            "property_value": [300_000.0, None, 410_000.0],
            "state": ["CA", "NY", None],
            "lien": [1, 1, 2],
            "fico": [760.0, None, 612.0],
            "ltv": [0.8, 0.65, None],
            "deferred_balance": [0.0, 1_000.0, 0.0],
            "arrears": [0.0, 812.5, 4_000.25],
            "escrow_advances": [0.0, 0.0, 1_234.5],
        }
    )


def test_csv_and_parquet_round_trips_give_identical_loans(tmp_path):
    table = full_table()
    pq.write_table(table, tmp_path / "t.parquet")
    pcsv.write_csv(table, tmp_path / "t.csv")
    from_parquet = read_tape(tmp_path / "t.parquet")
    from_csv = read_tape(tmp_path / "t.csv")
    assert_same_loans(from_parquet, from_csv)
    assert_same_loans(from_parquet, loans_from_table(table))
    assert list(from_csv.loan_id) == ["007", "1234", "X-9"]
    assert [STATUSES[s] for s in from_csv.status] == ["current", "dq60", "foreclosure"]
    assert np.isnan(from_csv.fico[1]) and np.isnan(from_csv.property_value[1])


def test_pq_suffix_is_parquet(tmp_path):
    pq.write_table(full_table(), tmp_path / "t.PQ")
    assert read_tape(tmp_path / "t.PQ").n == 3


def test_csv_errors_name_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("loan_id,balance,note_rate,remaining_term\nA,100,0.06,360\nB,100,6.5,360\n")
    with pytest.raises(TapeError) as info:
        read_tape(path)
    msg = str(info.value)
    assert msg.startswith(str(path)) and "'B'" in msg and "note_rate" in msg


def test_csv_missing_required_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("loan_id,balance,remaining_term\nA,100,360\n")
    with pytest.raises(TapeError, match="missing required column.*note_rate"):
        read_tape(path)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "tape.xlsx"
    path.write_text("not a tape")
    with pytest.raises(TapeError) as info:
        read_tape(path)
    assert str(path) in str(info.value) and ".xlsx" in str(info.value)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.parquet"
    with pytest.raises(TapeError) as info:
        read_tape(path)
    assert str(path) in str(info.value) and "not found" in str(info.value)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(TapeError, match="cannot read"):
        read_tape(path)


def test_sample_tape_is_valid(tmp_path):
    # the synthetic tapes used by configs and benchmarks pass validation
    from engine.inputs.sample import write_sample_tape

    path = write_sample_tape("agency", tmp_path / "a.csv", n_loans=50, seed=3)
    loans = read_tape(path)
    assert loans.n == 50 and (loans.servicing_fee <= loans.note_rate).all()
    assert (loans.original_term >= loans.age + loans.remaining_term).all()


# --------------------------------------------------------------------------
# sane upper bounds: amounts are finite and at most MAX_LOAN_AMOUNT per loan


@pytest.mark.parametrize(
    "column", ["balance", "original_balance", "property_value", "deferred_balance", "arrears", "escrow_advances"]
)
def test_amounts_above_the_cap_are_refused_naming_the_cap(column):
    base = {"balance": [100_000.0, 200_000.0, 50_000.0]}
    values = list(base.get(column, [1_000.0, 2_000.0, 3_000.0]))
    values[1] = 1e308
    if column == "original_balance":
        values = [100_000.0, 1e308, 50_000.0]
    msg = tape_error(**{column: values})
    assert "'B2'" in msg and f"column {column}" in msg and "1e+308" in msg
    assert "1e+10" in msg, msg


def test_a_balance_at_the_cap_is_accepted():
    loans = loans_from_table(pa.table(columns(balance=[1e10, 1.0, 2.0])))
    assert loans.balance[0] == 1e10


# --------------------------------------------------------------------------
# malformed tapes: a TapeError naming the column, never another exception


def test_csv_with_a_duplicated_header_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("loan_id,balance,note_rate,balance,remaining_term\nA,100,0.06,100,360\n")
    with pytest.raises(TapeError) as info:
        read_tape(path)
    assert str(info.value) == f"{path}: column balance appears 2 times (columns 2, 4); keep one"


def test_binary_loan_id_with_invalid_utf8(tmp_path):
    table = pa.table(columns(loan_id=pa.array([b"A1", b"\xff\xfe", b"C3"], pa.binary())))
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.raises(TapeError) as info:
        read_tape(tmp_path / "t.parquet")
    msg = str(info.value)
    assert "row 2" in msg and "column loan_id" in msg and "UTF-8" in msg and "\n" not in msg


def test_valid_utf8_binary_text_columns_are_read():
    cols = columns(loan_id=pa.array([b"A1", b"B2", b"C3"]), state=pa.array([b"CA", None, b"ny"]))
    loans = loans_from_table(pa.table(cols))
    assert list(loans.loan_id) == ["A1", "B2", "C3"] and list(loans.state) == ["CA", "", "NY"]


@pytest.mark.parametrize(
    "column, values, expected",
    [
        ("loan_id", [["A"], ["B"], ["C"]], "an id (text or whole numbers)"),
        ("status", [["current"], ["dq30"], []], "text"),
        ("balance", [True, False, True], "numbers"),
        ("note_rate", [[0.06], [0.06], [0.06]], "numbers"),
    ],
)
def test_columns_of_the_wrong_type_are_refused_naming_the_type(column, values, expected):
    msg = tape_error(**{column: values})
    assert msg.startswith(f"pool.csv: column {column}: expected {expected}, got a column of type "), msg


def test_numbers_stored_as_text_are_read_as_numbers(tmp_path):
    cols = columns(balance=["100000.5", "200000", "5e4"], remaining_term=pa.array(["360", "300", "120"]))
    pq.write_table(pa.table(cols), tmp_path / "t.parquet")
    loans = read_tape(tmp_path / "t.parquet")
    np.testing.assert_array_equal(loans.balance, [100_000.5, 200_000.0, 50_000.0])
    np.testing.assert_array_equal(loans.remaining_term, [360, 300, 120])


@pytest.mark.parametrize("column", ["balance", "remaining_term", "servicer_code"])
def test_inline_loan_with_a_huge_integer(column):
    rows = [
        {"loan_id": "A", "balance": 100.0, "note_rate": 0.06, "remaining_term": 12},
        {"loan_id": "B", "balance": 100.0, "note_rate": 0.06, "remaining_term": 12},
    ]
    rows[1][column] = 10**400
    if column == "servicer_code":  # an ignored column is ignored, whatever it holds
        assert loans_from_rows(rows).n == 2
        return
    with pytest.raises(TapeError) as info:
        loans_from_rows(rows)
    msg = str(info.value)
    assert msg.startswith(f"loans: loan 'B' (row 2): column {column}: expected "), msg
    assert "digits" in msg or "inf" in msg


# --------------------------------------------------------------------------
# every problem, not only the first


def test_every_bad_cell_is_reported_column_by_column():
    with pytest.raises(TapeError) as info:
        loans_from_table(
            pa.table(columns(balance=[-1.0, 2.0, 3.0], note_rate=[0.06, 6.5, 0.07], remaining_term=[360, 0, 12.5])),
            source="pool.csv",
        )
    lines = str(info.value).splitlines()
    assert lines == [
        "pool.csv: loan 'A1' (row 1): column balance: expected a positive balance, at most 1e+10, got -1",
        "pool.csv: loan 'B2' (row 2): column note_rate: expected an annual decimal in [0, 1), got 6.5 (a percent? write 0.065)",
        "pool.csv: loan 'B2' (row 2): column remaining_term: expected a whole number of months in [1, 720], got 0",
        "pool.csv: loan 'C3' (row 3): column remaining_term: expected a whole number of months in [1, 720], got 12.5",
    ]


def test_many_problems_are_capped_with_a_count():
    from engine.inputs.tape import MAX_LOANS_PER_RULE, MAX_PROBLEM_LINES

    n = 200
    table = pa.table(
        {
            "loan_id": [f"L{i}" for i in range(n)],
            "balance": [1.0] * n,
            "note_rate": [6.0] * n,  # every rate a percent
            "remaining_term": [0] * n,  # every term 0
            "age": [-1] * n,
            "fico": [900.0] * n,
            "lien": [3] * n,
        }
    )
    with pytest.raises(TapeError) as info:
        loans_from_table(table, source="t")
    lines = str(info.value).splitlines()
    assert len(lines) == MAX_PROBLEM_LINES + 1
    assert lines[MAX_LOANS_PER_RULE] == f"t: ... and {n - MAX_LOANS_PER_RULE} more loans with this problem in column note_rate"
    assert lines[-1].startswith("t: ... and ") and lines[-1].endswith(" more problems")


def test_mixed_types_in_an_inline_column_name_the_loan_and_column():
    rows = [
        {"loan_id": "A", "balance": 100.0, "note_rate": 0.06, "remaining_term": 12},
        {"loan_id": "B", "balance": "lots", "note_rate": 0.06, "remaining_term": [12]},
        {"loan_id": "C", "balance": True, "note_rate": 0.06, "remaining_term": 12, "status": 3},
    ]
    with pytest.raises(TapeError) as info:
        loans_from_rows(rows)
    assert str(info.value).splitlines() == [
        "loans: loan 'B' (row 2): column balance: expected a number, got 'lots'",
        "loans: loan 'C' (row 3): column balance: expected a number, got True",
        "loans: loan 'B' (row 2): column remaining_term: expected a number, got [12]",
        "loans: loan 'C' (row 3): column status: expected text, got 3",
    ]


# --------------------------------------------------------------------------
# state codes, folders, compressed CSV


def test_unknown_state_code_names_the_loan_and_row_counted_from_one():
    msg = tape_error(state=["CA", " xx ", None])
    assert msg == (
        "pool.csv: loan 'B2' (row 2): column state: expected a two-letter USPS code of the 50 states, "
        "DC or PR (or empty when unknown), got ' xx '"
    )


def test_a_folder_given_as_the_tape(tmp_path):
    (tmp_path / "tape.csv").mkdir()
    with pytest.raises(TapeError, match=r"tape\.csv: is a folder, expected a \.parquet or \.csv loan tape file"):
        read_tape(tmp_path / "tape.csv")


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2"])
def test_compressed_csv_is_read_as_csv(tmp_path, suffix):
    table = full_table()
    with pa.CompressedOutputStream(str(tmp_path / f"t{suffix}"), suffix.rsplit(".", 1)[1].replace("gz", "gzip")) as f:
        pcsv.write_csv(table, f)
    assert_same_loans(read_tape(tmp_path / f"t{suffix}"), loans_from_table(table))


def test_loans_arrays_are_writable_and_contiguous_whatever_the_source(tmp_path):
    """Numba compiles a kernel once per signature, and a read-only array is
    another signature: Parquet columns used to arrive read-only, inline rows
    partly writable, so a tape with other columns compiled the state kernel
    again (45 s) although it was cached. Every Loans array is now writable."""
    table = full_table()
    pq.write_table(table, tmp_path / "t.parquet")
    pcsv.write_csv(table, tmp_path / "t.csv")
    rows = [dict(zip(table.column_names, values)) for values in zip(*table.to_pydict().values())]
    for loans in (read_tape(tmp_path / "t.parquet"), read_tape(tmp_path / "t.csv"), loans_from_table(table),
                  loans_from_rows(rows), loans_from_table(pa.table(columns()))):
        for f in fields(Loans):
            a = getattr(loans, f.name)
            assert a.flags.writeable and a.flags.c_contiguous, f.name


def test_column_names_with_line_breaks_are_quoted_and_ignored_columns_may_repeat():
    table = pa.table({"loan_id": ["A"], "balance": [1.0], "x\ny": [1], "note": [1]}).append_column("note", pa.array([2]))
    msg = str(pytest.raises(TapeError, loans_from_table, table, source="t").value)
    assert msg == "t: missing required column(s) note_rate, remaining_term (have: loan_id, balance, 'x\\ny', note, note)"


def test_a_balance_below_a_cent_is_refused():
    """A denormal balance (5e-324, found by the fuzzer) made percent-of-UPB bids overflow."""
    table = pa.table({"loan_id": ["A", "B"], "balance": [5e-324, 100.0], "note_rate": [0.05, 0.05],
                      "remaining_term": [60, 60]})
    with pytest.raises(TapeError, match=r"loan 'A' \(row 1\): column balance: expected a balance of at least 0.01"):
        loans_from_table(table)
