"""Damaged input, by class, through the real `coach` command: history rows SQLite kept with a value
not of their column's type, JSON nested too deeply, numbers too large for their field, special
files where a regular one belongs, images and keypoint chunks that would decode to gigabytes, and
`analyze --save` killed half way. Each ends in one clear error line (or a correct result) within
the subprocess timeout, under 1 GB, writing nothing outside the data folder. Also: what the store
creates is its owner's only, and a CSV export cannot run formulas in a spreadsheet.
"""

import io
import json
import os
import shutil
import signal
import sqlite3
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.cli import main
from coach.errors import StoreError
from coach.paths import data_dir
from coach.store import SessionRecorder, Store, transfer
from support import ROOT
from test_history_cli import record_series
from test_store_faults import kept_sessions

TIMEOUT_S = 120  # a hang fails here; each run takes seconds
MEMORY_MB = 1024
# `coach ARGS` that prints its peak memory last, as Python exits (a crash prints none).
PEAK = ("import atexit, resource, sys\n"
        "atexit.register(lambda: print('peak MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,"
        " file=sys.stderr))\n"
        "from coach.cli import main\nsys.exit(main(sys.argv[1:]))")


def coach(*args, env=None, timeout=TIMEOUT_S) -> subprocess.CompletedProcess:
    """`coach ARGS` in a process of its own, its output as text."""
    return subprocess.run([sys.executable, "-c", PEAK, *map(str, args)], capture_output=True, text=True,
                          errors="replace", timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def peak_mb(result: subprocess.CompletedProcess) -> int:
    [line] = [line for line in result.stderr.splitlines() if line.startswith("peak MB ")]
    return int(line.split()[-1])


def one_error(result: subprocess.CompletedProcess, *naming) -> str:
    """The one `coach: error:` line of a run that failed cleanly, under MEMORY_MB; it names each of `naming`."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and all(str(name) in errors[0] for name in naming), result.stderr
    assert peak_mb(result) < MEMORY_MB
    return errors[0]


def run(capsys, *args):
    """`coach ARGS` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def error_line(code: int, err: str, *naming) -> str:
    lines = err.splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("coach: error:"), err
    assert all(str(name) in lines[0] for name in naming), lines[0]
    return lines[0]


# -- history rows SQLite kept damaged -----------------------------------------------------------

@pytest.fixture(scope="module")
def three_sessions(repcount_dir, tmp_path_factory) -> Path:
    """A database of three squat sessions the engine counted from a RepCount series."""
    path = tmp_path_factory.mktemp("three") / "coach.db"
    with Store.open(path) as store:
        for _ in range(3):
            record_series(store, repcount_dir, "stu9_64")
    return path


def copy_db(source: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    shutil.copy(source, folder / "coach.db")
    return folder / "coach.db"


def broken_chunk(db: Path) -> bytes:
    """A real keypoint chunk whose deflated stream is damaged half way: it does not inflate."""
    with sqlite3.connect(db) as conn:
        blob = bytearray(conn.execute("SELECT data FROM keypoints WHERE session_id = 2 LIMIT 1").fetchone()[0])
    blob[len(blob) // 2: len(blob) // 2 + 64] = b"\xff" * 64
    return bytes(blob)


# SQL that damages session 2, and whether `coach history` (which reads only the sessions table)
# leaves it out.
DAMAGES = {
    "count as text": ("UPDATE sessions SET reps = 'lots' WHERE id = 2", True),
    "count of 1e999": ("UPDATE sessions SET reps = 1e999 WHERE id = 2", True),
    "duration of 1e999": ("UPDATE sessions SET duration_s = 1e999 WHERE id = 2", True),
    "a date that is not one": ("UPDATE sessions SET started_at = 'not a date' WHERE id = 2", True),
    "a date SQLite takes but Python does not": ("UPDATE sessions SET started_at = 'now' WHERE id = 2", True),
    "a rep time as text": ("UPDATE reps SET start_t = 'soon' WHERE session_id = 2", False),
    "keypoints as text": ("UPDATE keypoints SET data = 'text' WHERE session_id = 2", False),
    "a chunk that does not inflate": ("UPDATE keypoints SET data = ? WHERE session_id = 2", False),
}


@pytest.fixture(params=DAMAGES)
def damaged(request, three_sessions, tmp_path) -> tuple[Path, bool]:
    db = copy_db(three_sessions, tmp_path / "db")
    sql, listed_out = DAMAGES[request.param]
    with sqlite3.connect(db) as conn:
        conn.execute(sql, (broken_chunk(db),) if "?" in sql else ())
    return db, listed_out


def test_a_damaged_session_is_one_error_line_and_the_others_list_export_and_recount(damaged, tmp_path, capsys):
    db, listed_out = damaged
    code, out, err = run(capsys, "history", "--db", db)
    assert [line.split()[0] for line in out.splitlines()[1:]] == (["3", "1"] if listed_out else ["3", "2", "1"])
    if listed_out:
        error_line(code, err, "session 2", db)
    else:
        assert code == 0 and err == ""
    code, out, err = run(capsys, "history", "--json", "--db", db)
    assert [json.loads(line)["id"] for line in out.splitlines()] == ([3, 1] if listed_out else [3, 2, 1])

    code, out, err = run(capsys, "history", "export", tmp_path / "export", "--db", db)
    error_line(code, err, "session 2", "left out")
    with Store.open(tmp_path / "other.db") as other:  # what was exported imports back
        assert transfer.import_(other, tmp_path / "export") == {"sessions": 2, "skipped": 0, "reps": 30}

    error_line(*run(capsys, "history", "recount", 2, "--db", db)[::2], "session 2", "damaged")
    code, out, err = run(capsys, "history", "recount", 3, "--json", "--db", db)
    assert code == 0 and json.loads(out)["recount"]["reps"] == 15, err

    code, out, err = run(capsys, "history", "delete", 2, "--yes", "--db", db)  # the way out
    assert code == 0 and out.startswith("deleted session 2"), err
    code, out, err = run(capsys, "history", "--db", db)
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["3", "1"]


BAD_VALUES = ["x", "", b"\x00\x01", 1e999, -1e999, 2.5, -1, "2026-02-30 10:00:00", "9999999-01-01", "now", None]


@given(data=st.data())
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
def test_any_damaged_value_leaves_that_session_out_of_reading_and_export(data, three_sessions, tmp_path):
    """Any column of session 2's rows set to a value of another type (or out of range): the store
    reads, exports and deletes the others; reading session 2 is a StoreError naming it, or works."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one for each example
    db = copy_db(three_sessions, folder / "db")
    table = data.draw(st.sampled_from(["sessions", "sets", "reps", "keypoints"]))
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")
                   if row[1] not in ("id", "session_id")]
        column = data.draw(st.sampled_from(columns))
        value = data.draw(st.sampled_from(BAD_VALUES))
        conn.execute("PRAGMA ignore_check_constraints = ON")
        try:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {'id' if table == 'sessions' else 'session_id'} = 2",
                         (value,))
        except sqlite3.IntegrityError:  # NOT NULL or UNIQUE: SQLite itself keeps that out
            return
    with Store.open(db) as store:
        listed = store.sessions()["id"].tolist()
        assert {1, 3} <= set(listed) and set(listed) <= {1, 2, 3}
        assert {1, 3} <= set(store.reps()["session_id"])
        counts, left_out = transfer.export(store, folder / "export", "csv")
        assert counts["sessions"] == 3 - len(left_out) and set(left_out) <= {2}
        for session_id in (1, 3):
            assert len(store.keypoints(session_id)) == 1230
        try:
            store.session(2)
            store.keypoints(2)
        except StoreError as error:
            assert "session 2" in str(error) and "\n" not in str(error)
        assert store.delete_session(2)


def test_a_session_id_too_large_for_the_database_is_no_such_session(three_sessions, tmp_path, capsys):
    db = copy_db(three_sessions, tmp_path / "db")
    for action in ("delete", "recount"):
        code, _, err = run(capsys, "history", action, 2**64, "--yes" if action == "delete" else "--json", "--db", db)
        error_line(code, err, f"no session {2**64}")


# -- JSON nested too deeply, numbers too large --------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def series(repcount_dir, tmp_path) -> Path:
    """A RepCount keypoint series (15 squats) copied where files can be put beside it."""
    path = tmp_path / "series" / "stu9_64.npy"
    path.parent.mkdir()
    shutil.copy(repcount_dir / "stu9_64.npy", path)
    return path


@pytest.mark.parametrize("meta", [DEEP, '{"width": ' + DEEP + ', "height": 1}', '{"width": 1000000000000, "height": 720}',
                                  '{"width": 1280, "height": 1e999}'])
def test_a_meta_json_nested_too_deeply_or_too_large_is_one_error_line(series, meta):
    meta_path = series.with_name("stu9_64.meta.json")
    meta_path.write_text(meta)
    one_error(coach("analyze", series, "--exercise", "squat", "--fps", 30), meta_path)


def test_a_recovery_line_nested_too_deeply_or_with_numbers_too_large_is_skipped(tmp_path):
    db, [path] = kept_sessions(tmp_path, 1)
    lines = path.read_text().splitlines()
    rep = json.loads(lines[1])
    lines[1:2] = [DEEP, json.dumps({**rep, "rep_index": 2**70}), json.dumps({**rep, "start_t": 10**400}),
                  json.dumps({**rep, "end_t": 1e999}), json.dumps({**rep, "flags": json.loads("[" * 900 + "]" * 900)}),
                  lines[1]]
    path.write_text("\n".join(lines) + "\n")
    result = coach("history", "recover", "--db", db, env={"COACH_RECOVERY_DIR": str(path.parent)})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == f"recovered session 1 from {path}\n"
    assert [line.split(": skipped, ")[1][:26] for line in result.stderr.splitlines() if "skipped" in line] == [
        "not a recovery record", "rep_index is not an intege", "start_t is not a number: '",
        "end_t is not a number: 'in", "flags is not text: '[[[[[["]
    with Store.open(db) as store:
        assert store.session(1)["reps"] == 5


def test_an_export_with_metrics_nested_too_deeply_is_one_error_line(three_sessions, tmp_path):
    db = copy_db(three_sessions, tmp_path / "db")
    with Store.open(db) as store:
        transfer.export(store, tmp_path / "export", "csv")
    reps_csv = tmp_path / "export" / "reps.csv"
    import pandas as pd

    frame = pd.read_csv(reps_csv, dtype=str)
    frame.loc[3, "metrics"] = DEEP
    frame.to_csv(reps_csv, index=False)
    one_error(coach("history", "import", tmp_path / "export", "--db", tmp_path / "other.db"), reps_csv, "row 4",
              "metrics", "not a JSON object")


# -- special files where a regular one belongs --------------------------------------------------

@pytest.mark.parametrize("kind", ["fifo", "zero", "folder"])
def test_a_meta_json_that_is_not_a_regular_file_is_refused_unread(series, kind):
    meta = series.with_name("stu9_64.meta.json")
    if kind == "fifo":
        os.mkfifo(meta)  # reading it would wait for a writer for ever
    elif kind == "zero":
        meta.symlink_to("/dev/zero")  # reading it would never end
    else:
        meta.mkdir()
    assert one_error(coach("analyze", series, "--exercise", "squat", "--fps", 30), meta).endswith("not a regular file")


def test_coach_db_naming_a_device_writes_nothing_beside_it(series):
    before = set((data_dir() / "recovery").glob("*.jsonl"))
    result = coach("analyze", series, "--exercise", "squat", "--fps", 30, "--save", env={"COACH_DB": "/dev/zero"})
    try:
        line = one_error(result, "/dev/zero", "is not a file", data_dir() / "recovery")
        assert not Path("/dev/recovery").exists()
    finally:
        for made in set((data_dir() / "recovery").glob("*.jsonl")) - before:
            made.unlink()
    assert "coach history recover" in line


# -- inputs that would decode to gigabytes ------------------------------------------------------

def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header says width x height, with one row of pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * (3 * width + 1))) + chunk(b"IEND", b""))


@pytest.mark.slow
def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(tmp_path, models_dir):
    image = tmp_path / "huge.png"
    image.write_bytes(png_header_only(30000, 30000))  # 2.7 GB of RGB
    one_error(coach("pose", image, env={"COACH_MODEL_DIR": str(models_dir)}), image,
              "over the 50 million pixels coach decodes")
    image.write_bytes(png_header_only(8000, 7000))  # under Pillow's own limit
    one_error(coach("pose", image, env={"COACH_MODEL_DIR": str(models_dir)}), image,
              "8000 x 7000 pixels, over the 50 million pixels coach decodes")


def inflating_chunk(frames: int) -> bytes:
    """A keypoint chunk whose xys array, all zeros, inflates to frames x 204 bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in (("t", np.zeros(1)), ("size", np.zeros((1, 2), np.int32)), ("present", np.ones(1, bool))):
            with archive.open(f"{name}.npy", "w") as file:
                np.lib.format.write_array(file, array)
        with archive.open("xys.npy", "w", force_zip64=True) as file:
            np.lib.format.write_array_header_1_0(file, {"descr": "<f4", "fortran_order": False, "shape": (frames, 17, 3)})
            zeros, left = bytes(1 << 24), frames * 17 * 3 * 4
            while left > 0:
                file.write(zeros[:left])
                left -= len(zeros)
    return buffer.getvalue()


def test_a_keypoint_chunk_that_inflates_to_gigabytes_is_refused_while_inflating(three_sessions, tmp_path):
    db = copy_db(three_sessions, tmp_path / "db")
    bomb = inflating_chunk(6_000_000)  # 1.2 GB
    assert len(bomb) < 8_000_000
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE keypoints SET data = ? WHERE session_id = 2 AND chunk_index = 0", (bomb,))
    one_error(coach("history", "recount", 2, "--db", db), "session 2", "xys.npy would inflate to 1,224,000,000 bytes")
    result = coach("history", "export", tmp_path / "export", "--db", db)
    one_error(result, "session 2", "left out")
    assert result.stdout.startswith("exported 2 sessions")


# -- analyze --save stores as it goes -----------------------------------------------------------

def stored_reps(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute("SELECT count(*) FROM reps").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0


@pytest.mark.slow
def test_analyze_save_killed_half_way_keeps_the_reps_so_far_as_an_interrupted_session(clips_dir, tmp_path):
    db = tmp_path / "coach.db"
    analyzing = subprocess.Popen([sys.executable, "-m", "coach", "analyze", clips_dir / "pushup_side_30.mp4",
                                  "--exercise", "push_up", "--save", "--db", db], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while stored_reps(db) == 0:  # waiting for the first reps to be committed, not timing it
            assert analyzing.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        analyzing.send_signal(signal.SIGKILL)
        analyzing.wait(timeout=30)
    finally:
        if analyzing.poll() is None:
            analyzing.kill()
            analyzing.wait()
    with Store.open(db) as store:
        [session] = store.sessions().to_dict("records")
        assert session["status"] == "interrupted" and 2 <= session["reps"] < 30
        assert len(store.reps([session["id"]])) == session["reps"]


def test_a_kill_at_any_commit_leaves_reps_that_their_keypoints_recount_to(repcount_dir, tmp_path):
    """The set gate counts a set's first two reps on consecutive frames: after every commit of a
    recording, the reps stored are those its stored keypoints count again (a kill keeps that)."""
    from coach.analyze import analyze_poses
    from coach.exercise_library import Library
    from coach.keypoints import KeypointSeries
    from coach.session import Session

    squat = Library().get("squat")
    yxs = np.load(repcount_dir / "stu5_62.npy")  # 32 squats in two sets
    session = Session(squat)
    results = [session.step(pose, t) for pose, t in KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / 30).poses()]
    counted = [result.rep for result in results if result.rep is not None]
    # Where a kill once left a rep short: at the commits of each set's first two reps.
    starts = {rep.index for rep in counted if sum(r.set_index == rep.set_index for r in counted[:rep.index]) <= 2}
    with Store.open(tmp_path / "coach.db") as store, Store.open(tmp_path / "coach.db") as other:
        recorder = SessionRecorder(store, "squat", flush_s=1e9)  # keypoints only with reps
        checked = []
        for result in results:
            recorder.update(result)
            stored = stored_reps(tmp_path / "coach.db")
            if result.rep is not None and stored in starts and stored not in checked:
                again = analyze_poses(squat, other.keypoints(recorder.session_id).poses())
                assert len(again.reps) == stored, (result.t, result.rep.index)
                checked.append(stored)
        assert recorder.finish() == 1 and stored == len(counted) == 32  # each as it ends, the last too
    assert checked == sorted(starts)[1::2]  # each set's first two reps, committed together


# -- what the store creates is its owner's only; CSV cells are not formulas ---------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_recovery_files_are_their_owners_only(series, tmp_path):
    db = tmp_path / "new" / "coach.db"
    result = coach("analyze", series, "--exercise", "squat", "--fps", 30, "--save", "--db", db)
    assert result.returncode == 0, result.stderr
    assert mode(db) == 0o600 and mode(db.parent) == 0o700
    kept = tmp_path / "kept" / "recovery"
    result = coach("analyze", series, "--exercise", "squat", "--fps", 30, "--save", "--db",
                   f"sqlite:///file:{db}?mode=ro&uri=true", env={"COACH_RECOVERY_DIR": str(kept)})
    [path] = kept.glob("*.jsonl")
    one_error(result, path)
    assert mode(path) == 0o600 and mode(kept) == 0o700


def test_the_app_s_csv_downloads_quote_text_a_spreadsheet_would_run():
    """The History page's downloads (sessions, their reps, one session's reps) go through the
    export's quote_formulas: a name that begins like a formula is written after a quote."""
    import pandas as pd

    from coach.store.transfer import quote_formulas

    frame = pd.DataFrame({"name": ['=HYPERLINK("http://example.com")', "-2+3", "plain"], "reps": [-1, 2, 3]})
    quoted = quote_formulas(frame)
    assert quoted["name"].tolist() == ['\'=HYPERLINK("http://example.com")', "'-2+3", "plain"]
    assert quoted["reps"].tolist() == [-1, 2, 3]  # numbers are not text a spreadsheet runs
    assert frame["name"][0].startswith("=")  # the page's own table is left as it was


def test_a_csv_export_quotes_text_a_spreadsheet_would_run_and_imports_it_back(three_sessions, tmp_path, capsys):
    db = copy_db(three_sessions, tmp_path / "db")
    names = ['=HYPERLINK("http://example.com/x")', "+1", "-2+3", "@SUM(A1)", "'quoted", "plain"]
    with Store.open(db) as store:
        for session_id, name in zip((1, 2, 3), names):
            store.rename_session(session_id, name)
        for name in names:  # people with no session yet, as the app's person picker adds them
            store.run(lambda conn, name=name: store.person_id(conn, name), write=True)
    code, out, err = run(capsys, "history", "export", tmp_path / "export", "--db", db)
    assert code == 0, err
    import pandas as pd

    people = pd.read_csv(tmp_path / "export" / "people.csv", dtype=str, keep_default_na=False)
    assert sorted(people["name"]) == sorted(["'" + name if name != "plain" else name for name in names] + ["alice"])
    sessions = pd.read_csv(tmp_path / "export" / "sessions.csv", dtype=str)
    assert sessions["name"].tolist() == ["'" + name for name in names[:3]]
    with Store.open(tmp_path / "other.db") as other:
        transfer.import_(other, tmp_path / "export")
        assert set(other.people()["name"]) == {"alice"}  # a person comes with their sessions
        assert sorted(other.sessions()["name"]) == sorted(names[:3])
