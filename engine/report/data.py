"""What a report is made of: a run's tables and its ``run.json`` information.

A report is built from the tables a run writes as Parquet and from the
``run.json`` record, never from arrays that live only in memory, so that
``python -m engine report OUT_DIR`` on a folder written earlier gives the
report that ``run --report`` gave. :class:`RunData` holds both, from a
:class:`~engine.api.RunResult` or read back from an output folder.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError
from ..output.writer import check_table, read_run_info

# the tables a report reads (a run folder's other tables, such as
# path_cashflows.parquet, are not loaded)
REPORT_TABLES = (
    "summary",
    "cashflows",
    "cashflow_quantiles",
    "paths",
    "loans",
    "outcomes",
    "bids",
    "scenarios",
    "key_rate_durations",
    "mortgage_rate_quantiles",
)


@dataclass(frozen=True)
class RunData:
    """A run as the report sees it.

    tables : file stem -> table (``summary`` always; the others as the run
        wrote them).
    info : the ``run.json`` record (``RunResult.run_info()`` for a run in
        memory): config, config_hash, seed, engine_version, timings_seconds...
    """

    tables: Mapping[str, pa.Table]
    info: Mapping[str, Any]

    @classmethod
    def from_result(cls, result, info: Mapping[str, Any] | None = None) -> "RunData":
        """From a :class:`~engine.api.RunResult` (the tables it would write)
        and its ``run.json`` record ``info`` (``result.run_info()`` if not
        given)."""
        info = result.run_info() if info is None else info
        return cls({k: v for k, v in result.tables.items() if k in REPORT_TABLES}, info)

    @classmethod
    def from_folder(cls, out_dir: str | Path) -> tuple["RunData", bytes]:
        """From a run folder: its tables and ``run.json`` (and the bytes of
        ``run.json``, to check later that the folder still holds this run).

        Raises :class:`~engine.errors.OutputError` when ``out_dir`` is not a
        run folder (:func:`engine.output.writer.read_run_info`), or a table
        it reads is not the one ``run.json`` records (sha256).
        """
        info, raw = read_run_info(out_dir)
        folder = Path(out_dir)
        tables = {}
        for name in info["files"]:
            stem = name[: -len(".parquet")]
            if not (name.endswith(".parquet") and stem in REPORT_TABLES):
                continue
            try:
                data = (folder / name).read_bytes()  # read once: hashed, then parsed
            except OSError:
                data = None
            check_table(out_dir, info, name, None if data is None else hashlib.sha256(data).hexdigest())
            try:
                tables[stem] = pq.read_table(pa.BufferReader(data))
            except pa.ArrowException:
                check_table(out_dir, info, name, None)  # unreadable as a table: reported as changed
        if "summary" not in tables:
            raise OutputError(f"{out_dir}: not a run folder (no summary.parquet)")
        return cls(tables, info), raw

    # ------------------------------------------------------------------

    @property
    def analysis(self) -> str:
        """The analysis kind: projection, pricing or valuation."""
        return str(self.info.get("analysis", "projection"))

    @property
    def model(self) -> str:
        """The cash-flow model: standard or state."""
        return str(self.info.get("model", "standard"))

    @property
    def config(self) -> Mapping[str, Any]:
        return self.info.get("config") or {}

    @property
    def name(self) -> str:
        return str(self.config.get("name", "run"))

    @property
    def summary(self) -> dict[str, Any]:
        """The summary's one row."""
        return self.tables["summary"].to_pylist()[0]

    def has(self, *names: str) -> bool:
        """Whether every table ``names`` is there and has rows."""
        return all(n in self.tables and self.tables[n].num_rows > 0 for n in names)

    def column(self, table: str, column: str) -> np.ndarray:
        """One column as a NumPy array (strings as objects)."""
        return self.tables[table].column(column).to_numpy(zero_copy_only=False)

    def value(self, key: str, default: float = math.nan) -> Any:
        """One summary value (``default`` when the column is absent)."""
        t = self.tables["summary"]
        return t.column(key)[0].as_py() if key in t.column_names else default
