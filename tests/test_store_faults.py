"""Faults and bad input in the store, fed for real through the CLI in subprocesses: a full disk (a
real file-size limit), a held lock, a corrupt page written into a real SQLite file, a foreign SQLite
database, damaged recovery files and bad export folders. Each must end in exit code 1 with exactly
one `coach: error:` line naming the input, no traceback, and the database unchanged or recoverable.
"""

import base64
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coach.store import SessionRecorder, Store, record, transfer
from support import ROOT
from test_store import synthetic_session

SERIES = "stu5_62"  # 32 squats in two sets


def coach(*args, limit_bytes=None, env=None, timeout=120):
    """`python -m coach ARGS` in a process of its own; `limit_bytes` caps the size of any file it
    writes (RLIMIT_FSIZE, with SIGXFSZ ignored so a write past it fails as on a full disk)."""
    def cap():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    done = subprocess.run([sys.executable, "-m", "coach", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, preexec_fn=cap if limit_bytes else None,
                          timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def error_line(code, err, *names) -> str:
    """The one `coach: error:` line of a failed run, checked to name each of `names`."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("coach: error:")]
    assert code == 1 and len(lines) == 1, err
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_db(path: Path, sessions=2) -> Path:
    with Store.open(path) as store:
        for seed in range(sessions):
            record(store, synthetic_session(seed=seed)[0], "squat", "alice" if seed % 2 else "bob")
    return path  # closed, so the WAL is checkpointed into the file


def contents(db: Path) -> list:
    with Store.open(db) as store:
        return [store.sessions()[["uuid", "reps", "status"]].values.tolist(), len(store.reps()), len(store.people())]


# -- the disk fills mid-session ---------------------------------------------------------------

def test_a_disk_full_mid_session_keeps_every_rep_in_a_recovery_file(repcount_dir, tmp_path):
    series = repcount_dir / f"{SERIES}.npy"
    db, kept, whole = tmp_path / "coach.db", tmp_path / "recovery", tmp_path / "whole"
    Store.open(db).close()
    # How big the session's recovery file is when nothing reaches the database (read-only).
    code, _, err = coach("analyze", series, "--exercise", "squat", "--fps", "30", "--save",
                         "--db", f"sqlite:///file:{db}?mode=ro&uri=true", env={"COACH_RECOVERY_DIR": str(whole)})
    [full] = whole.glob("*.jsonl")
    code, out, err = coach("analyze", series, "--exercise", "squat", "--fps", "30", "--json")
    reps = json.loads(out.splitlines()[0])["reps"]

    # No file may grow past what that recovery file needs: the database's WAL (which grows by
    # about four times as much) fills a third of the way through the session.
    code, out, err = coach("analyze", series, "--exercise", "squat", "--fps", "30", "--save", "--db", db,
                           limit_bytes=full.stat().st_size + 65536, env={"COACH_RECOVERY_DIR": str(kept)})
    line = error_line(code, err, db, "disk is full", str(kept), "coach history recover")
    [path] = kept.glob("*.jsonl")
    assert str(path) in line and path.stat().st_size > 0
    with Store.open(db) as store:  # the reps before the disk filled are in the database already
        assert 0 < store.sessions()["reps"].iloc[0] < reps

    code, out, err = coach("history", "recover", "--db", db, env={"COACH_RECOVERY_DIR": str(kept)})
    assert code == 0, err
    assert out.startswith("recovered session 1 from ")
    with Store.open(db) as store:
        session = store.session(1)
        assert (session["status"], session["reps"]) == ("complete", reps)
        assert store.reps([1])["rep_index"].tolist() == list(range(1, reps + 1))
        assert len(store.keypoints(1)) == len(np.load(series))


def test_no_room_even_for_the_recovery_file_is_one_clear_error(repcount_dir, tmp_path):
    series = repcount_dir / f"{SERIES}.npy"
    db, kept = tmp_path / "coach.db", tmp_path / "recovery"
    Store.open(db).close()
    code, _, err = coach("analyze", series, "--exercise", "squat", "--fps", "30", "--save", "--db", db,
                         limit_bytes=200, env={"COACH_RECOVERY_DIR": str(kept), "TMPDIR": str(tmp_path)})
    error_line(code, err, db, "no recovery file could be written")
    assert not kept.exists() or not any(kept.iterdir())  # no empty file left behind
    assert not any((tmp_path / "coach-recovery").iterdir())


# -- the database fails at open ---------------------------------------------------------------

def test_a_locked_rollback_journal_database_keeps_the_session(repcount_dir, tmp_path):
    db, kept = recorded_db(tmp_path / "coach.db", sessions=1), tmp_path / "recovery"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys\n"
                               f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
                               "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, _, err = coach("analyze", repcount_dir / f"{SERIES}.npy", "--exercise", "squat", "--fps", "30", "--save", "--db", db,
                             env={"COACH_RECOVERY_DIR": str(kept)})
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    [path] = kept.glob("*.jsonl")
    error_line(code, err, db, "is locked", path, "coach history recover")
    code, out, err = coach("history", "recover", "--db", db, env={"COACH_RECOVERY_DIR": str(kept)})
    assert code == 0 and out.startswith("recovered session 2 from "), err
    assert contents(db)[1] > 5


def test_a_read_only_database_and_recovery_folder_fall_back_to_a_writable_folder(repcount_dir, tmp_path):
    db = recorded_db(tmp_path / "coach.db", sessions=1)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n")
    env = {"COACH_RECOVERY_DIR": str(blocked / "recovery"), "TMPDIR": str(tmp_path / "tmp")}
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    code, _, err = coach("analyze", repcount_dir / f"{SERIES}.npy", "--exercise", "squat", "--fps", "30", "--save",
                         "--db", read_only, env=env)
    line = error_line(code, err, "is read-only", "coach history recover")
    path = Path(line.split("kept in ")[1].split(": `coach")[0])
    try:
        assert path.parent != blocked / "recovery" and path.stat().st_size > 0
        # `recover` finds it in the fallback folder, as the file names this database.
        code, out, err = coach("history", "recover", "--db", db, env=env)
        assert code == 0 and f"recovered session 2 from {path}" in out, err
    finally:
        for leftover in path.parent.glob(path.stem + "*"):
            leftover.unlink()


def test_save_into_a_corrupt_database_is_refused_and_the_session_kept(repcount_dir, tmp_path):
    db, kept = corrupt(recorded_db(tmp_path / "coach.db")), tmp_path / "recovery"
    before = digest(db)
    code, _, err = coach("analyze", repcount_dir / f"{SERIES}.npy", "--exercise", "squat", "--fps", "30", "--save", "--db", db,
                         env={"COACH_RECOVERY_DIR": str(kept)})
    [path] = kept.glob("*.jsonl")
    error_line(code, err, db, "is damaged", path)
    assert digest(db) == before


# -- databases that cannot be read ------------------------------------------------------------

def corrupt(db: Path) -> Path:
    """Garbage over the first page of the reps table, as a failing disk leaves it."""
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'reps'").fetchone()[0]
    with open(db, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(np.random.default_rng(0).bytes(page_size))
    return db


def test_a_corrupt_page_is_refused_untouched(tmp_path):
    db = corrupt(recorded_db(tmp_path / "coach.db"))
    before = digest(db)
    for action in ([], ["export", tmp_path / "out"], ["delete", "1", "--yes"], ["recount", "1"]):
        code, _, err = coach("history", *action, "--db", db)
        error_line(code, err, db, "is damaged")
    assert digest(db) == before and not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["foreign", "text", "empty"])
def test_a_file_that_is_not_a_coach_database_is_refused_untouched(tmp_path, kind):
    path = tmp_path / "other.db"
    if kind == "foreign":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            conn.execute("INSERT INTO invoices (total) VALUES (9.5)")
        conn.close()
    else:
        path.write_text("id,total\n1,9.5\n" if kind == "text" else "")
    before = digest(path)
    if kind == "empty":  # an empty file is an empty SQLite database: coach makes it its own
        code, out, err = coach("history", "--db", path)
        assert code == 0 and out.startswith("no sessions"), err
        return
    for action in ([], ["recover"], ["import", tmp_path]):
        code, _, err = coach("history", *action, "--db", path)
        error_line(code, err, path, "not a coach history database", "left as it is")
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, -shm or recovery/


def test_a_truncated_database_is_refused_untouched(tmp_path):
    db = recorded_db(tmp_path / "coach.db")
    with open(db, "r+b") as file:
        file.truncate(db.stat().st_size // 2)
    before = digest(db)
    code, _, err = coach("history", "--db", db)
    error_line(code, err, db, "is damaged")
    assert digest(db) == before


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_database_path_that_is_not_a_file_is_refused(tmp_path, kind):
    path = tmp_path / "coach.db"
    path.mkdir() if kind == "folder" else os.mkfifo(path)
    code, _, err = coach("history", "--db", path)  # a FIFO read would hang: the default limit catches it
    error_line(code, err, path, "is not a file")


def test_a_database_that_says_its_schema_but_lacks_a_column_is_refused(tmp_path):
    from coach.store import SCHEMA_VERSION

    db = recorded_db(tmp_path / "coach.db")
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE reps DROP COLUMN peak_speed")
    conn.close()
    before = digest(db)
    code, _, err = coach("history", "--db", db)
    error_line(code, err, db, f"schema version {SCHEMA_VERSION}", "reps", "peak_speed")
    assert digest(db) == before


def test_a_damaged_keypoint_blob_in_the_database_is_one_error_in_recount(tmp_path):
    db = recorded_db(tmp_path / "coach.db", sessions=1)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE keypoints SET data = ? WHERE chunk_index = 0", (b"PK\x03\x04 not a zip",))
    conn.close()
    code, _, err = coach("history", "recount", "1", "--db", db)
    error_line(code, err, "keypoints of session 1", "damaged")


# -- recovery files that are damaged ----------------------------------------------------------

def kept_sessions(tmp_path, count) -> tuple[Path, list[Path]]:
    """A database and `count` recovery files of real sessions the database could not take."""
    db, kept = recorded_db(tmp_path / "coach.db", sessions=0), tmp_path / "recovery"
    with Store.open(f"sqlite:///file:{db}?mode=ro&uri=true", recovery_dir=kept) as store:
        for seed in range(count):
            recorder = SessionRecorder(store, "squat", "alice")
            for result in synthetic_session(seed=seed)[0]:
                recorder.update(result)
            with pytest.raises(Exception, match="kept in"):
                recorder.finish()
    return db, sorted(kept.glob("*.jsonl"))


def test_recover_skips_an_empty_or_headless_file_reports_it_and_recovers_the_rest(tmp_path):
    db, (first, second, third) = kept_sessions(tmp_path, 3)
    empty = first.parent / "00000000T000000-empty.jsonl"  # sorts first, as a disk that filled first leaves it
    empty.write_bytes(b"")
    lines = third.read_text().splitlines()
    header = json.loads(lines[0])
    del header["uuid"]
    third.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    # A rep without end_t and a cut line mid-file: skipped, the rest of that file still merged.
    lines = second.read_text().splitlines()
    rep = json.loads(lines[1])
    del rep["end_t"]
    second.write_text("\n".join([lines[0], json.dumps(rep), '{"kind": "rep", "rep_in', *lines[2:]]) + "\n")

    env = {"COACH_RECOVERY_DIR": str(first.parent)}
    code, out, err = coach("history", "recover", "--db", db, env=env)
    line = error_line(code, err, third, "and 1 more")
    assert f"coach: skipped {empty} is not a coach recovery file (it is empty)" in err
    assert f"{second}:2: skipped, rep record without end_t" in err and f"{second}:3: skipped" in err
    assert out.splitlines() == [f"recovered session 1 from {first}", f"recovered session 2 from {second}"]
    assert "left as they are" in line and empty.exists() and third.exists()
    with Store.open(db) as store:
        assert store.sessions().sort_values("id")["reps"].tolist() == [5, 4]


def test_a_fifo_named_like_a_recovery_file_is_skipped_not_read(tmp_path):
    db, [path] = kept_sessions(tmp_path, 1)
    fifo = path.parent / "00000000T000000-fifo.jsonl"
    os.mkfifo(fifo)
    code, out, err = coach("history", "recover", "--db", db, env={"COACH_RECOVERY_DIR": str(path.parent)})
    error_line(code, err, fifo, "not a regular file")
    assert out == f"recovered session 1 from {path}\n"


def test_a_recovery_record_with_a_wrong_type_is_skipped_not_a_traceback(tmp_path):
    db, [path] = kept_sessions(tmp_path, 1)
    lines = path.read_text().splitlines()
    chunk = next(i for i, line in enumerate(lines) if '"keypoints"' in line)
    record = json.loads(lines[chunk])
    record["data"] = base64.b64encode(b"not a chunk").decode()
    lines[chunk] = json.dumps(record)
    rep = json.loads(lines[1])
    rep["committed_at"] = 12
    lines[1] = json.dumps(rep)
    path.write_text("\n".join(lines) + "\n")
    code, out, err = coach("history", "recover", "--db", db, env={"COACH_RECOVERY_DIR": str(path.parent)})
    assert code == 0 and "Traceback" not in err, err
    assert "data is not a keypoint chunk" in err and "committed_at is not a time" in err
    with Store.open(db) as store:
        assert store.session(1)["reps"] == 4


# -- bad export folders -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A real export (CSV and parquet) of two recorded sessions."""
    folder = tmp_path_factory.mktemp("export")
    with Store.open(recorded_db(folder / "coach.db")) as store:
        transfer.export(store, folder / "csv", "csv")
        transfer.export(store, folder / "parquet", "parquet")
    return folder


def pickled_chunk() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, t=np.array([{"os.system": "echo owned"}], dtype=object))
    return buffer.getvalue()


def edit_csv(name, change):
    def edit(folder):
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        change(frame)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return edit


def edit_parquet(name, change):
    def edit(folder):
        frame = pd.read_parquet(folder / f"{name}.parquet")
        change(frame)
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return edit


def edit_manifest(change):
    def edit(folder):
        manifest = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps(change(manifest)))
    return edit


def set_cell(column, row, value):
    def change(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return change


def set_column(column, value):  # parquet holds one type a column
    def change(frame):
        frame[column] = value
    return change


BAD_EXPORTS = {  # name: (csv or parquet, the edit, the words the error must hold)
    "manifest a list": ("csv", edit_manifest(lambda m: [m]), ["manifest.json", "not a coach history export"]),
    "schema_version a string": ("csv", edit_manifest(lambda m: {**m, "schema_version": "1"}),
                                ["manifest.json", "schema_version is '1'"]),
    "file_format unknown": ("csv", edit_manifest(lambda m: {**m, "file_format": "xlsx"}), ["file_format"]),
    "a word in a number column": ("csv", edit_csv("reps", set_cell("rom_min", 2, "deep")),
                                  ["reps.csv: row 3, column rom_min ('deep'): not a number"]),
    "a fraction in an integer column": ("csv", edit_csv("sets", set_cell("reps", 0, "2.5")),
                                        ["sets.csv: row 1, column reps", "not an integer"]),
    "a bad date": ("csv", edit_csv("sessions", set_cell("started_at", 1, "last tuesday")),
                   ["sessions.csv: row 2, column started_at ('last tuesday'): not an ISO time"]),
    "bad base64": ("csv", edit_csv("keypoints", set_cell("data", 0, "%%%not base64%%%")),
                   ["keypoints.csv: row 1, column data"]),
    "an unreadable blob": ("csv", edit_csv("keypoints", set_cell("data", 1, base64.b64encode(b"junk" * 9).decode())),
                           ["keypoints.csv: row 2, column data", "not a keypoint chunk"]),
    "a pickled npz blob": ("csv", edit_csv("keypoints", set_cell("data", 0, base64.b64encode(pickled_chunk()).decode())),
                           ["keypoints.csv: row 1, column data", "not a keypoint chunk"]),
    "an unknown person_id": ("csv", edit_csv("sessions", set_cell("person_id", 0, "42")),
                             ["sessions.csv: row 1, column person_id ('42'): no such id in people"]),
    "an unknown status": ("csv", edit_csv("sessions", set_cell("status", 1, "paused")),
                          ["sessions.csv: row 2, column status ('paused'): not one of running, complete, interrupted"]),
    "an orphan rep": ("csv", edit_csv("reps", set_cell("session_id", 4, "99")),
                      ["reps.csv: row 5, column session_id ('99'): no such id in sessions"]),
    "a rep twice": ("csv", edit_csv("reps", set_cell("rep_index", 1, "1")),
                    ["reps.csv: row 2, column rep_index", "repeat an earlier row"]),
    "an empty required cell": ("csv", edit_csv("sessions", set_cell("exercise", 0, "")),
                               ["sessions.csv: row 1, column exercise", "needs a value"]),
    "metrics not JSON": ("csv", edit_csv("reps", set_cell("metrics", 0, "{oops")),
                         ["reps.csv: row 1, column metrics", "not a JSON object"]),
    "a table cut short": ("csv", lambda f: (f / "reps.csv").write_text("\n".join(
        (f / "reps.csv").read_text().splitlines()[:4]) + "\n"), ["reps.csv holds 3 rows but manifest.json says 10"]),
    "a table missing": ("csv", lambda f: (f / "sets.csv").unlink(), ["cannot read", "sets.csv"]),
    "an empty table file": ("csv", lambda f: (f / "sets.csv").write_text(""), ["cannot read", "sets.csv"]),
    "a FIFO for a table": ("csv", lambda f: ((f / "sets.csv").unlink(), os.mkfifo(f / "sets.csv")),
                           ["cannot read", "sets.csv: not a regular file"]),
    "parquet: text in a number column": ("parquet", edit_parquet("sessions", set_column("reps", "many")),
                                         ["sessions.parquet: row 1, column reps ('many'): not an integer"]),
    "parquet: a number as a time": ("parquet", edit_parquet("reps", set_column("committed_at", 1700000000)),
                                    ["reps.parquet: row 1, column committed_at", "not an ISO time"]),
    "parquet: a number as text": ("parquet", edit_parquet("people", set_column("name", 7)),
                                  ["people.parquet: row 1, column name ('7'): not text"]),
    "parquet: text as a blob": ("parquet", edit_parquet("keypoints", set_column("data", "abc")),
                                ["keypoints.parquet: row 1, column data", "not bytes but str"]),
    "parquet: bytes that are no chunk": ("parquet", edit_parquet("keypoints", set_cell("data", 1, b"abc")),
                                         ["keypoints.parquet: row 2, column data", "not a keypoint chunk (not an npz"]),
    "parquet: not a parquet file": ("parquet", lambda f: (f / "reps.parquet").write_text("PAR1 nope"),
                                    ["cannot read", "reps.parquet"]),
}


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_a_bad_export_imports_nothing_with_one_error_naming_file_row_and_column(export, tmp_path, case):
    fmt, edit, words = BAD_EXPORTS[case]
    folder = tmp_path / "bad"
    shutil.copytree(export / fmt, folder)
    edit(folder)
    db = recorded_db(tmp_path / "coach.db", sessions=1)
    before = contents(db)
    code, _, err = coach("history", "import", folder, "--db", db)
    error_line(code, err, *words)
    assert contents(db) == before


def test_the_untouched_exports_still_import(export, tmp_path):
    for fmt in ("csv", "parquet"):
        db = tmp_path / f"{fmt}.db"
        code, out, err = coach("history", "import", export / fmt, "--db", db)
        assert code == 0 and out.startswith("imported 2 sessions (10 reps)"), err


def test_export_into_a_file_is_one_error(tmp_path):
    db, target = recorded_db(tmp_path / "coach.db", sessions=1), tmp_path / "a-file"
    target.write_text("mine\n")
    code, _, err = coach("history", "export", target, "--db", db)
    error_line(code, err, target, "cannot write the export")
    assert target.read_text() == "mine\n"
