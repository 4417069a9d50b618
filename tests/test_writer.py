"""The output folder promise: a folder with a ``run.json`` always holds one
complete run, and a previous complete run stays intact until the new one is
complete; whatever happens (a full disk, stale files of another model, a
kill at any moment, two writers at once).

Kill tests run the writer in a child process (``writer_child.py``) and end
it with SIGKILL, or with ``os._exit`` at each step of a write.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import writer_child
from engine.errors import OutputError
from engine.output import writer
from engine.output.writer import write_outputs

CHILD = Path(writer_child.__file__)


def child(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), *args], **kwargs)


def complete_run(out: Path) -> str:
    """The hash of the one complete run ``out`` holds; fails on anything else
    (a missing or extra file, a file of another run, a changed byte)."""
    info = json.loads((out / "run.json").read_text())
    files = info["files"]
    visible = {p.name for p in out.iterdir()}
    assert visible == set(files) | {"run.json"}, (visible, sorted(files))
    for name, entry in files.items():
        data = (out / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"], name
        meta = pq.read_schema(out / name).metadata
        assert meta[b"engine.config_hash"].decode() == info["config_hash"], name
    return info["config_hash"]


def leftovers(out: Path) -> list[str]:
    """Hidden entries a write left beside or inside ``out``."""
    beside = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    inside = [p.name for p in out.iterdir() if p.name.startswith(".")] if out.is_dir() else []
    return beside + inside


def tables(*names: str, rows: int = 12) -> dict[str, pa.Table]:
    return {n: pa.table({"month": list(range(1, rows + 1)), "x": [1.0] * rows}) for n in names}


def write(out: Path, h: str, *names: str) -> list[Path]:
    return write_outputs(out, tables(*names), {"config_hash": h}, {"engine.config_hash": h})


STATE = ("cashflows", "summary", "cashflow_quantiles", "paths", "loans")
STANDARD = ("cashflows", "summary")


# --------------------------------------------------------------------------
# in-process


def test_run_json_lists_every_file_with_its_sha256(tmp_path):
    out = tmp_path / "out"
    paths = write(out, "h1", *STANDARD)
    assert [p.name for p in paths] == ["cashflows.parquet", "summary.parquet", "run.json"]
    assert complete_run(out) == "h1"
    assert leftovers(out) == []


@pytest.mark.parametrize(
    "first, second",
    [(STATE, STANDARD), (STATE, ("cashflows", "summary", "cashflow_quantiles", "paths"))],
    ids=["standard-after-state", "state-without-loans"],
)
def test_no_stale_file_of_an_earlier_run_survives(tmp_path, first, second):
    """A standard run into a folder that held a state run left paths.parquet,
    loans.parquet and cashflow_quantiles.parquet; a state run with
    output.loans: false kept an old loans.parquet."""
    out = tmp_path / "out"
    write(out, "old", *first)
    write(out, "new", *second)
    assert complete_run(out) == "new"
    assert {p.name for p in out.iterdir()} == {f"{n}.parquet" for n in second} | {"run.json"}


def test_a_full_disk_is_an_output_error_naming_the_folder(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write(out, "old", *STATE)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real, calls = pq.write_table, []

    def full(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(OutputError) as info:
        write(out, "new", *STANDARD)
    assert str(info.value) == (
        f"{out}: cannot write outputs here (No space left on device); the previous run, if any, is unchanged"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(out) == []


def test_leftovers_of_killed_writes_are_cleaned(tmp_path):
    out = tmp_path / "out"
    write(out, "old", *STATE)
    (tmp_path / ".out.staging-dead1").mkdir()
    (tmp_path / ".out.staging-dead1" / "summary.parquet").write_bytes(b"partial")
    (out / ".staging-olderversion").mkdir()  # what the previous writer left inside the folder
    write(out, "new", *STANDARD)
    assert complete_run(out) == "new" and leftovers(out) == []


def test_a_previous_run_set_aside_by_a_killed_write_is_put_back(tmp_path):
    """The two-rename fallback: killed between the renames, the folder is
    missing and the previous run waits beside it; the next write restores it
    before anything else (and then replaces it as usual)."""
    out = tmp_path / "out"
    write(out, "old", *STATE)
    out.rename(tmp_path / ".out.previous-dead1")
    writer._clean_leftovers(out)
    assert complete_run(out) == "old" and leftovers(out) == []


def test_a_folder_holding_other_files_is_refused_not_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    pq.write_table(pa.table({"a": [1]}), out / "tape.parquet")  # a Parquet file of someone else
    with pytest.raises(OutputError, match=r"holds files that are not outputs of a run \(notes.txt, tape.parquet\)"):
        write(out, "new", *STANDARD)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "tape.parquet"]


def test_a_symlinked_output_folder_is_followed(tmp_path):
    real = tmp_path / "disk" / "runs"
    write(real, "old", *STATE)
    (tmp_path / "out").symlink_to(real)
    write(tmp_path / "out", "new", *STANDARD)
    assert (tmp_path / "out").is_symlink() and complete_run(real) == "new"


def test_the_new_folder_keeps_the_old_folders_permissions(tmp_path):
    out = tmp_path / "out"
    write(out, "old", *STANDARD)
    out.chmod(0o750)
    write(out, "new", *STANDARD)
    assert out.stat().st_mode & 0o777 == 0o750


# --------------------------------------------------------------------------
# kill tests (child processes)


def steps_of_a_write(tmp_path: Path, mode: str) -> int:
    out = tmp_path / f"count-{mode}"
    writer_child.write(str(out), "A", 0)
    proc = subprocess.run([sys.executable, str(CHILD), "steps", str(out), mode], capture_output=True, text=True, check=True)
    return int(proc.stdout)


def killed_children(tmp_path, action: str, steps, mode: str, seen: set):
    """For each k in ``steps``, a folder holding run A and a child that writes
    into it (``action``) and exits at its k-th file-system call; the children
    run side by side. Yields ``(k, folder)`` once each child has died, with
    a folder the fallback's two renames left missing restored first
    (``seen`` gets "restored")."""
    procs = {}
    for k in steps:
        out = tmp_path / f"k{k}-{mode}"
        writer_child.write(str(out), "A", 0)
        procs[k] = child(action, str(out), str(k), mode, stderr=subprocess.PIPE)
    for k, proc in procs.items():
        out = tmp_path / f"k{k}-{mode}"
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 137, (k, err.decode())
        if not out.exists():
            # only between the two renames of the fallback: the next write restores the previous run
            assert mode == "rename", k
            writer._clean_leftovers(out)
            seen.add("restored")
        yield k, out


@pytest.mark.parametrize("mode", ["exchange", "rename"])
def test_a_kill_at_any_step_of_a_write_never_damages_the_previous_run(tmp_path, mode):
    """os._exit at the k-th file-system call of a write (k = 1, 2, ...): the
    folder holds the previous run or the new one, complete; after the next
    write, no leftover remains."""
    n = steps_of_a_write(tmp_path, mode)
    assert n >= 6  # mkdir, 2 tables, run.json, swap (or two renames), removal of the old run
    previous = writer_child.run_hash("A", 0)
    new = writer_child.run_hash("B", 1)
    # the two-rename fallback shares its first steps with the swap: start at the staging write
    first = 1 if mode == "exchange" else n - 4
    seen = set()
    for k, out in killed_children(tmp_path, "crash", range(first, n + 1), mode, seen):
        h = complete_run(out)
        assert h in (previous, new), k
        seen.add(h)
        writer_child.write(str(out), "B", 2)
        assert complete_run(out) == writer_child.run_hash("B", 2) and leftovers(out) == [], k
    assert {previous, new} <= seen
    if mode == "rename":
        assert "restored" in seen


def test_sigkill_at_random_moments_leaves_one_complete_run(tmp_path):
    """A child writes runs A and B (different files) in a loop; SIGKILL after
    a random delay, 10 times. The folder always holds one complete run."""
    rng = random.Random(20261121)
    out = tmp_path / "out"
    seen = set()
    for _ in range(10):
        proc = child("loop", str(out), stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if out.exists():
            info = json.loads((out / "run.json").read_text())
            seen.add(info["run"])
            complete_run(out)
    assert seen  # at least one write completed
    writer_child.write(str(out), "B", 99)
    assert complete_run(out) == writer_child.run_hash("B", 99) and leftovers(out) == []


def test_two_writers_on_one_folder_never_mix_their_files(tmp_path):
    """Two processes write 15 runs each into one folder, started together."""
    out = tmp_path / "out"
    procs = [child("write", str(out), tag, "15", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for tag in "AB"]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.close()
    for p in procs:
        assert p.wait(timeout=120) == 0
        p.stdout.close()
    info = json.loads((out / "run.json").read_text())
    assert complete_run(out) == writer_child.run_hash(info["run"], 14)
    assert leftovers(out) == []


def run_files(out: Path) -> dict[str, bytes]:
    """Every file of the run folder ``out``, plots/ included, checked against
    run.json (the same names, sizes and sha256), by relative path."""
    info = json.loads((out / "run.json").read_text())
    on_disk = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    on_disk.pop("run.json")
    assert set(on_disk) == set(info["files"]), (sorted(on_disk), sorted(info["files"]))
    for name, data in on_disk.items():
        assert info["files"][name] == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name
    return on_disk


@pytest.mark.parametrize("mode", ["exchange", "rename"])
def test_a_kill_at_any_step_of_adding_a_report_never_damages_the_run(tmp_path, mode):
    """add_files (``python -m engine report OUT``) killed at the k-th
    file-system call: the folder holds the run without the report or with the
    whole report, its tables byte for byte; the next write cleans up."""
    count = tmp_path / "count"
    writer_child.write(str(count), "A", 0)
    proc = subprocess.run([sys.executable, str(CHILD), "report-steps", str(count), mode],
                          capture_output=True, text=True, check=True)
    n = int(proc.stdout)
    assert n >= 10  # staging folder, 5 tables, report.html, plots/, 2 PNGs, run.json, swap, removal
    tables = {name: data for name, data in run_files(count).items() if name.endswith(".parquet")}
    seen = set()
    for k, out in killed_children(tmp_path, "report-crash", range(1, n + 1), mode, seen):
        files = run_files(out)
        assert {name: data for name, data in files.items() if name.endswith(".parquet")} == tables, k
        report = {name: data for name, data in files.items() if not name.endswith(".parquet")}
        assert report in ({}, writer_child.REPORT_FILES), k
        seen.add("with report" if report else "without")
        writer_child.add_report(str(out))
        assert run_files(out) == {**tables, **writer_child.REPORT_FILES} and leftovers(out) == [], k
    assert {"with report", "without"} <= seen
