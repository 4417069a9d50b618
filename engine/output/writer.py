"""Atomic output: Parquet tables and ``run.json``.

Every file is first written into a hidden staging folder next to the target
and moved into place with ``os.replace`` (atomic on one filesystem); the
staging folder is removed whatever happens. A failure while *writing* (the
usual case: a full disk, a bad value) leaves the previous run untouched.
Moving into place deletes the old ``run.json`` first and moves the new one
last, so a folder with a ``run.json`` always holds one complete run whose
Parquet files carry the same ``engine.config_hash``; a crash between the
moves leaves no ``run.json``, i.e. nothing that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError

SCHEMA_VERSION = "1"


def _with_metadata(table: pa.Table, metadata: Mapping[str, str]) -> pa.Table:
    existing = dict(table.schema.metadata or {})
    existing.update({k.encode(): str(v).encode() for k, v in metadata.items()})
    return table.replace_schema_metadata(existing)


def write_outputs(
    out_dir: str | Path,
    tables: Mapping[str, pa.Table],
    run_info: Mapping[str, Any],
    metadata: Mapping[str, str],
) -> list[Path]:
    """Write ``<name>.parquet`` for each table, then ``run.json``, atomically.

    Returns the final paths, ``run.json`` last.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    except OSError as e:
        raise OutputError(f"{out_dir}: cannot write outputs here ({e.strerror or e})") from None
    try:
        staged: list[tuple[Path, Path]] = []
        for name, table in tables.items():
            tmp = stage / f"{name}.parquet"
            pq.write_table(_with_metadata(table, {**metadata, "engine.table": name}), tmp)
            staged.append((tmp, out_dir / f"{name}.parquet"))
        tmp = stage / "run.json"
        tmp.write_text(json.dumps(run_info, indent=2, sort_keys=True, default=str) + "\n")
        staged.append((tmp, out_dir / "run.json"))
        # an older run.json must not vouch for a mix of old and new files
        (out_dir / "run.json").unlink(missing_ok=True)
        for src, dst in staged:
            os.replace(src, dst)
        return [dst for _, dst in staged]
    finally:
        shutil.rmtree(stage, ignore_errors=True)
