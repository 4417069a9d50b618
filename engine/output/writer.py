"""Atomic output: a run's Parquet tables and ``run.json``, replaced as one.

The documented files sit directly in the output folder ``<out>``
(``<out>/summary.parquet``, ..., ``<out>/run.json``), and the folder is
replaced as a whole, so that it always holds one complete run:

1. **Lock.** Writers take an exclusive ``flock`` on the parent folder of
   ``<out>``; two writers of one folder take turns.
2. **Clean leftovers** of writes that were killed: hidden siblings
   ``.<name>.staging-*`` are removed; a ``.<name>.previous-*`` sibling (see
   4) is put back as ``<out>`` if ``<out>`` is missing, else removed.
3. **Stage.** The whole run is written into a fresh hidden sibling
   ``.<name>.staging-<id>``: every table, flushed to disk, then ``run.json``,
   whose ``files`` lists every file of the run with its size and sha256.
4. **Swap.** The staged folder and ``<out>`` trade places in one atomic step
   (Linux ``renameat2(RENAME_EXCHANGE)``). Where the system lacks it,
   ``<out>`` is renamed aside to ``.<name>.previous-<id>`` and the staged
   folder renamed into its place: a crash between those two renames leaves no
   ``<out>`` and the previous run intact beside it, and the next write puts
   it back first (step 2).
5. The previous run, now under the staging name, is removed.

So a reader of ``<out>`` finds the previous complete run until the new one is
complete, then the new one; never files of two runs, never a stale file of an
earlier run (a standard run replaces a state run's ``paths.parquet``). A
failure while staging (a full disk) is an :class:`~engine.errors.OutputError`
naming the folder, and leaves the previous run untouched.

A run may also carry files that are not tables (:data:`REPORT_HTML`
``report.html`` and PNG copies of its figures under :data:`PLOTS_DIR`
``plots/``): they are staged, listed in ``run.json`` and swapped with the
tables. :func:`add_files` adds such files to a run already written: it stages
a copy of the run (its tables byte for byte) with the new files and a new
``run.json``, and swaps it in the same way.

``<out>`` must be new, empty, or hold only a run's files (``run.json``,
Parquet files carrying ``engine.config_hash`` metadata, ``report.html`` and a
``plots/`` folder of PNG files): anything else there is refused rather than
replaced. A symbolic link ``<out>`` is followed and its target replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Any, Iterator, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError

SCHEMA_VERSION = "1"
RUN_JSON = "run.json"
STAGING = ".staging-"  # sibling .<name>.staging-<id>; inside <out> for runs written by older versions
PREVIOUS = ".previous-"  # sibling .<name>.previous-<id> (swap by two renames)
REPORT_HTML = "report.html"  # a run's report (engine.report), optional
PLOTS_DIR = "plots"  # PNG copies of the report's figures: plots/<figure>.png

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _with_metadata(table: pa.Table, metadata: Mapping[str, str]) -> pa.Table:
    existing = dict(table.schema.metadata or {})
    existing.update({k.encode(): str(v).encode() for k, v in metadata.items()})
    return table.replace_schema_metadata(existing)


def write_outputs(
    out_dir: str | Path,
    tables: Mapping[str, pa.Table],
    run_info: Mapping[str, Any],
    metadata: Mapping[str, str],
    files: Mapping[str, bytes] | None = None,
) -> list[Path]:
    """Write ``<name>.parquet`` for each table, the extra ``files`` and
    ``run.json`` into ``out_dir``, replacing whatever run it held, as one
    atomic step (module docstring).

    ``files`` maps a relative path to its bytes: ``report.html`` or
    ``plots/<name>.png`` (:func:`check_extra_name`); they are listed in
    ``run.json`` like the tables.

    Returns the final paths: the tables, the extra files, ``run.json`` last.

    Raises
    ------
    OutputError : the folder cannot be created or written (a full disk, no
        permission), or holds files that are not a run's; the message names
        the folder, and its previous run is unchanged.
    """
    shown = Path(out_dir)
    extra = dict(files or {})
    for name in extra:
        check_extra_name(name)
    with _os_errors_named(shown):
        target = Path(os.path.realpath(shown))
        if target.parent == target:
            raise OutputError(f"{shown}: cannot write outputs here (the filesystem root)")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not target.is_dir():
            raise OutputError(f"{shown}: cannot write outputs here (a file, expected a folder)")
        with _locked(target.parent):
            _clean_leftovers(target)
            _check_replaceable(target, shown)

            def fill(stage: Path) -> dict[str, dict[str, Any]]:
                entries = {}
                for name, table in tables.items():
                    path = stage / f"{name}.parquet"
                    pq.write_table(_with_metadata(table, {**metadata, "engine.table": name}), path)
                    _fsync(path)
                    entries[path.name] = _entry(path)
                entries.update(_write_extra(stage, extra))
                return entries

            _stage_and_swap(target, fill, run_info)
    names = [f"{name}.parquet" for name in tables] + list(extra) + [RUN_JSON]
    return [shown / name for name in names]


@contextlib.contextmanager
def _os_errors_named(shown: Path) -> Iterator[None]:
    """A system error while writing (a full disk, no permission) as an
    :class:`OutputError` naming the folder."""
    try:
        yield
    except OSError as e:
        raise OutputError(
            f"{shown}: cannot write outputs here ({e.strerror or e}); the previous run, if any, is unchanged"
        ) from None


def replace_file(path: str | Path, data: bytes) -> Path:
    """Write ``data`` as the file ``path`` (its folder made if missing),
    replacing it in one step: a hidden sibling is written and flushed to disk,
    then renamed over ``path``. Returns ``path``.

    Raises
    ------
    OutputError : the file cannot be written (no such folder, no permission,
        a full disk); the message names ``path``, whose previous file, if
        any, is unchanged.
    """
    shown = Path(path)
    with _os_errors_named(shown):
        shown.parent.mkdir(parents=True, exist_ok=True)
        tmp = shown.parent / f".{shown.name}.{secrets.token_hex(6)}"
        try:
            _write_bytes(tmp, data)
            os.replace(tmp, shown)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync(shown.parent)
    return shown


def check_extra_name(name: str) -> None:
    """A file a run may carry besides its tables: ``report.html`` or
    ``plots/<name>.png`` (one level, a plain file name); anything else is a
    ``ValueError`` (a bug of the caller, not a user mistake)."""
    parts = name.split("/")
    ok = name == REPORT_HTML or (
        len(parts) == 2 and parts[0] == PLOTS_DIR and parts[1].endswith(".png") and len(parts[1]) > 4
        and not parts[1].startswith(".") and "\\" not in parts[1]
    )
    if not ok:
        raise ValueError(f"{name!r}: a run's extra files are {REPORT_HTML} and {PLOTS_DIR}/<name>.png")


def read_run_info(out_dir: str | Path) -> tuple[dict[str, Any], bytes]:
    """The ``run.json`` of the run folder ``out_dir`` (parsed, and its bytes).

    Raises
    ------
    OutputError : ``out_dir`` is missing, not a folder, holds no readable
        ``run.json``, or holds files that are not a run's.
    """
    shown = Path(out_dir)
    target = Path(os.path.realpath(shown))
    if not target.is_dir():
        what = "a file" if target.exists() else "no such folder"
        raise OutputError(f"{shown}: not a run folder ({what})")
    try:
        data = (target / RUN_JSON).read_bytes()
        info = json.loads(data)
    except FileNotFoundError:
        raise OutputError(f"{shown}: not a run folder (no {RUN_JSON}; run a config with --out {shown} first)") from None
    except (OSError, ValueError) as e:
        raise OutputError(f"{shown}: not a run folder ({RUN_JSON} is unreadable: {e})") from None
    if not isinstance(info, dict) or not isinstance(info.get("files"), dict):
        raise OutputError(f"{shown}: not a run folder ({RUN_JSON} lists no files)")
    _check_replaceable(target, shown)
    return info, data


def add_files(out_dir: str | Path, files: Mapping[str, bytes], expected_run_json: bytes | None = None) -> list[Path]:
    """Add ``files`` (``report.html``, ``plots/<name>.png``) to the run that
    ``out_dir`` holds, as one atomic step: the run's tables are copied byte
    for byte into a staging folder with the new files and a ``run.json``
    whose ``files`` lists them all, and the folder is swapped in. Extra files
    of the run that ``files`` does not name again (an earlier report's) are
    left out, so the folder holds one report.

    ``expected_run_json``: the ``run.json`` bytes the files were made from
    (:func:`read_run_info`); if the folder holds another run by the time the
    lock is taken, nothing is written.

    Raises
    ------
    OutputError : not a run folder; a table no longer matches the sha256 in
        ``run.json``; the run changed meanwhile; or the folder cannot be
        written. The folder's run is then unchanged.
    """
    shown = Path(out_dir)
    extra = dict(files)
    for name in extra:
        check_extra_name(name)
    with _os_errors_named(shown):
        target = Path(os.path.realpath(shown))
        if not target.parent.is_dir():
            raise OutputError(f"{shown}: not a run folder (no such folder)")
        with _locked(target.parent):
            _clean_leftovers(target)
            info, data = read_run_info(shown)
            if expected_run_json is not None and data != expected_run_json:
                raise OutputError(f"{shown}: holds another run than when the report began; nothing written, try again")
            tables = check_tables(target, info, shown)
            run_info = {k: v for k, v in info.items() if k != "files"}

            def fill(stage: Path) -> dict[str, dict[str, Any]]:
                entries = {}
                for name in tables:
                    _copy_file(target / name, stage / name)
                    entries[name] = _entry(stage / name)
                entries.update(_write_extra(stage, extra))
                return entries

            _stage_and_swap(target, fill, run_info)
    return [shown / name for name in [*tables, *extra, RUN_JSON]]


def check_table(shown: str | Path, info: Mapping[str, Any], name: str, sha256: str | None) -> None:
    """Raise :class:`OutputError` unless ``sha256`` (None: the file is missing
    or unreadable) is the one ``run.json`` (``info``) records for the table
    ``name`` of the run folder ``shown``."""
    entry = info["files"].get(name)
    if sha256 is None or sha256 != (entry.get("sha256") if isinstance(entry, dict) else None):
        raise OutputError(f"{shown}: {name} does not match the sha256 in {RUN_JSON} (changed or missing); "
                          "run the config again")


def check_tables(target: Path, info: Mapping[str, Any], shown: str | Path) -> list[str]:
    """The Parquet tables that ``run.json`` (``info``) lists for the run folder
    ``target`` (sorted), each checked against its sha256 (:func:`check_table`;
    ``shown`` names the folder in the error)."""
    tables = sorted(name for name in info["files"] if name.endswith(".parquet") and "/" not in name)
    for name in tables:
        path = target / name
        check_table(shown, info, name, file_sha256(path) if path.is_file() else None)
    return tables


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the folder itself: no lock file)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _siblings(target: Path, kind: str) -> list[Path]:
    prefix = f".{target.name}{kind}"
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))


def _clean_leftovers(target: Path) -> None:
    """Undo what a killed write left behind (step 2 of the module docstring)."""
    previous = _siblings(target, PREVIOUS)
    if previous and not os.path.lexists(target):
        keep = max(previous, key=lambda p: p.stat().st_mtime)
        os.rename(keep, target)
        previous.remove(keep)
    for path in [*_siblings(target, STAGING), *previous]:
        shutil.rmtree(path, ignore_errors=True)


def _is_run_file(path: Path) -> bool:
    """A file a run writes: run.json, a Parquet table with engine metadata,
    report.html, a plots/ folder of PNG files, or a staging folder left
    inside the output folder by an older version."""
    if path.name == RUN_JSON or (path.name.startswith(STAGING) and path.is_dir()):
        return True
    if path.name == REPORT_HTML and path.is_file() and not path.is_symlink():
        return True
    if path.name == PLOTS_DIR and path.is_dir() and not path.is_symlink():
        return all(p.suffix == ".png" and p.is_file() and not p.is_symlink() for p in path.iterdir())
    if path.suffix != ".parquet" or not path.is_file():
        return False
    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        return False
    return b"engine.config_hash" in meta


def _check_replaceable(target: Path, shown: Path) -> None:
    if not target.is_dir():
        return
    foreign = sorted(p.name for p in target.iterdir() if not _is_run_file(p))
    if foreign:
        listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutputError(
            f"{shown}: holds files that are not outputs of a run ({listed}); "
            "write to a new or empty folder, or to one that holds a previous run"
        )


def _entry(path: Path) -> dict[str, Any]:
    """``run.json``'s record of a staged file: its size and sha256."""
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def _write_extra(stage: Path, files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Write the extra files into ``stage`` (``plots/`` made when needed)."""
    entries = {}
    for name, data in files.items():
        path = stage / name
        if not path.parent.is_dir():
            os.mkdir(path.parent, 0o777)
        _write_bytes(path, data)
        entries[name] = _entry(path)
    if any("/" in name for name in files):
        _fsync(stage / PLOTS_DIR)
    return entries


def _stage_and_swap(target: Path, fill, run_info: Mapping[str, Any]) -> None:
    """Stage a run in a fresh hidden sibling (``fill(stage)`` writes its files
    and returns their ``run.json`` entries; ``run.json`` is written last) and
    swap it with ``target`` (steps 3-5 of the module docstring)."""
    stage = target.parent / f".{target.name}{STAGING}{secrets.token_hex(6)}"
    os.mkdir(stage, 0o777)  # the umask applies, as for any new folder
    aside: Path | None = None
    try:
        files = fill(stage)
        info = {**run_info, "files": files}
        _write_bytes(stage / RUN_JSON, (json.dumps(info, indent=2, sort_keys=True, default=str) + "\n").encode())
        _fsync(stage)
        if target.exists():
            os.chmod(stage, stat.S_IMODE(target.stat().st_mode))
            if not _exchange(stage, target):
                aside = target.parent / f".{target.name}{PREVIOUS}{secrets.token_hex(6)}"
                os.rename(target, aside)
                try:
                    os.rename(stage, target)
                except BaseException:
                    os.rename(aside, target)
                    aside = None
                    raise
        else:
            os.rename(stage, target)
        _fsync(target.parent)
    finally:
        # after a swap the staging name holds the previous run
        shutil.rmtree(stage, ignore_errors=True)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step; False where the system cannot."""
    func = getattr(_libc(), "renameat2", None)
    if func is None:
        return False
    func.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


_LIBC: list = []


def _libc():
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except OSError:  # pragma: no cover
            _LIBC.append(None)
    return _LIBC[0]


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (os.write may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_bytes(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to a new file ``dst`` byte for byte, flushed to disk."""
    fd_in = os.open(src, os.O_RDONLY)
    try:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            while block := os.read(fd_in, 1 << 20):
                _write_all(fd, block)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.close(fd_in)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
