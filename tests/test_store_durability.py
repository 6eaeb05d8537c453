"""The store loses nothing: a killed session keeps every counted rep, two writers both land, and a
locked, read-only or full database gives a clear error with what was measured kept in a recovery file.

The killed session is a real RepCount squat series going through the exercise engine and the
recorder in another process (tests/store_worker.py), killed with SIGKILL in the middle of a set.
"""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event

from coach.errors import StoreError
from coach.store import SessionRecorder, Store, read_recovery, record, recovery
from support import store_worker
from test_store import FPS, synthetic_session

SERIES = "stu5_62"  # 32 squats in two sets


def test_sigkill_mid_set_keeps_every_counted_rep(repcount_dir, tmp_path):
    from coach.analyze import analyze_poses
    from coach.exercise_library import Library
    from coach.keypoints import KeypointSeries

    path = repcount_dir / f"{SERIES}.npy"
    yxs = np.load(path)
    expected = analyze_poses(Library().get("squat"), KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / FPS).poses()).reps
    # Kill right after a rep that has another rep of the same set after it: mid-set.
    kill_after = next(i for i in range(len(expected) // 3, len(expected)) if expected[i].set_index == expected[i - 1].set_index)
    assert kill_after < len(expected) - 1

    db = tmp_path / "coach.db"
    process = store_worker(db, "series", path, "--exercise", "squat", "--pace", "0.002", "--person", "alice")
    printed = []
    for line in process.stdout:
        printed.append(int(line.split()[1]))
        if len(printed) == kill_after:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.read()
    assert printed == list(range(1, kill_after + 1))

    with Store.open(db) as store:
        session = store.sessions().iloc[0]
        assert session["status"] == "interrupted"
        assert (session["person"], session["exercise"]) == ("alice", "squat")
        stored = store.reps([session["id"]])
        # Every rep printed (so committed) before the kill is there, and nothing after a gap.
        assert stored["rep_index"].tolist() == list(range(1, len(stored) + 1))
        assert kill_after <= len(stored) < len(expected)
        assert session["reps"] == len(stored)
        for row, rep in zip(stored.itertuples(), expected):
            assert (row.start_t, row.end_t, row.set_index) == pytest.approx((rep.start_t, rep.end_t, rep.set_index))
            assert (row.rom_min, row.rom_max) == pytest.approx((rep.rom_min, rep.rom_max))
        sets = store.sets([session["id"]])
        assert sets["reps"].sum() == len(stored)
        # The keypoints up to the last committed rep are there too, exactly as the series had them.
        series = store.keypoints(int(session["id"]))
        assert series.t[-1] >= stored["end_t"].iloc[-1] - 1e-9
        frames = len(series)
        assert np.allclose(series.to_movenet()[:, :, :2], yxs[:frames, :, :2], atol=1e-6)
        assert np.array_equal(series.t, np.arange(frames) / FPS)


def test_two_processes_writing_at_once_both_land(tmp_path):
    db, go, barrier = tmp_path / "coach.db", tmp_path / "go", tmp_path / "barrier"
    Store.open(db).close()
    barrier.mkdir()
    workers = [store_worker(db, "synthetic", "--reps", 60, "--person", name, "--go", go, "--barrier", barrier)
               for name in ("alice", "bob")]
    go.touch()
    for process in workers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.splitlines()[-1].startswith("done ")
    with Store.open(db) as store:
        sessions = store.sessions().set_index("person")
        assert sorted(sessions.index) == ["alice", "bob"]
        assert sessions["status"].tolist() == ["complete", "complete"]
        assert sessions["reps"].tolist() == [60, 60] and sessions["sets"].tolist() == [12, 12]
        committed = store.reps()
        for session_id in sessions["id"]:
            mine = committed[committed["session_id"] == session_id]
            assert mine["rep_index"].tolist() == list(range(1, 61))
            assert len(store.keypoints(int(session_id))) == 600
        # They overlapped (the barrier makes it certain): each one's first rep came before the other's last.
        spans = committed.groupby("session_id")["committed_at"].agg(["min", "max"])
        assert spans["min"].max() < spans["max"].min()


@pytest.fixture
def lock(tmp_path):
    """Another program holding the database's write lock until released (`release()`)."""
    holders = []

    def take(db: Path):
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys\n"
             f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
             "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"
        holders.append(holder)

        def release():
            holder.stdin.close()
            holder.wait(timeout=10)
        return release

    yield take
    for holder in holders:
        holder.kill()
        holder.wait()


def test_a_locked_database_gives_a_clear_error_and_a_recovery_file(tmp_path, lock):
    db = tmp_path / "coach.db"
    store = Store.open(db, timeout_s=0.3, recovery_dir=tmp_path / "recovery")
    release = lock(db)
    with pytest.raises(StoreError, match=rf"the history database {db} is locked by another program \(waited 0.3 s\)"):
        store.delete_session(1)  # any write: the history page's delete button
    assert store.sessions().empty  # reading still works beside the lock (WAL)

    results, events = synthetic_session()
    recorder = SessionRecorder(store, "squat", "alice", fps=FPS)
    for result in results:
        recorder.update(result)  # never raises: what cannot be stored goes to the recovery file
    assert "locked" in str(recorder.error)
    records = read_recovery(recorder.recovery_path)
    assert [r["rep_index"] for r in records if r["kind"] == "rep"] == [1, 2, 3, 4, 5]
    with pytest.raises(StoreError) as raised:
        recorder.finish()
    message = str(raised.value)
    assert "is locked by another program" in message
    assert str(recorder.recovery_path) in message and "coach history recover" in message

    release()
    [(path, session_id)] = recovery.recover(store)
    assert path == recorder.recovery_path and not path.exists()
    row = store.session(session_id)
    assert (row["status"], row["reps"], row["sets"], row["frames"]) == ("complete", 5, 2, len(results))
    assert store.reps([session_id])["end_t"].tolist() == pytest.approx([e.end_t for e in events])
    assert np.array_equal(store.keypoints(session_id).t, [r.t for r in results])
    assert recovery.recover(store) == []  # nothing left to import
    store.close()


def test_a_lock_released_before_the_end_loses_nothing_and_needs_no_recovery(tmp_path, lock):
    db = tmp_path / "coach.db"
    store = Store.open(db, timeout_s=0.3, recovery_dir=tmp_path / "recovery")
    results, events = synthetic_session()
    recorder = SessionRecorder(store, "squat", "bob")
    release = None
    for i, result in enumerate(results):
        if i == 100:  # after rep 1 was committed, someone locks the database
            release = lock(db)
        recorder.update(result)
    assert recorder.error is not None
    release()
    session_id = recorder.finish()  # merges the recovery file itself
    assert recorder.error is None and not recorder.recovery_path.exists()
    row = store.session(session_id)
    assert (row["status"], row["reps"], row["frames"]) == ("complete", 5, len(results))
    assert store.reps([session_id])["rep_index"].tolist() == [1, 2, 3, 4, 5]
    assert np.array_equal(store.keypoints(session_id).t, [r.t for r in results])
    store.close()


def test_a_read_only_database_gives_a_clear_error_and_a_recovery_file(tmp_path):
    db = tmp_path / "coach.db"
    with Store.open(db) as store:
        record(store, synthetic_session(seed=9)[0], "squat", "alice")
    # Opened read-only, as from a read-only mount (a 0444 file does not stop root, who runs CI).
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    with Store.open(read_only, recovery_dir=tmp_path / "recovery") as store:
        assert store.sessions()["reps"].tolist() == [5]  # history still reads
        with pytest.raises(StoreError, match=rf"the history database {db} is read-only"):
            store.delete_session(1)
        results, _ = synthetic_session()
        recorder = SessionRecorder(store, "squat", "alice")
        for result in results:
            recorder.update(result)
        with pytest.raises(StoreError, match=r"is read-only.*kept in .*\.jsonl.*coach history recover"):
            recorder.finish()
        kept = recorder.recovery_path
    with Store.open(db, recovery_dir=tmp_path / "recovery") as store:
        [(path, session_id)] = recovery.recover(store)
        assert path == kept
        assert store.session(session_id)["reps"] == 5
        assert len(store.sessions()) == 2


def test_recovery_of_a_killed_recorder_ignores_the_cut_last_line(tmp_path, lock):
    db = tmp_path / "coach.db"
    store = Store.open(db, timeout_s=0.2, recovery_dir=tmp_path / "recovery")
    release = lock(db)
    recorder = SessionRecorder(store, "squat", "alice")
    results, _ = synthetic_session()
    for result in results[:160]:  # two reps, then the process "dies" without finish()
        recorder.update(result)
    with open(recorder.recovery_path, "a") as file:
        file.write('{"kind": "keypoints", "chunk_ind')  # what a kill mid-write leaves
    release()
    [(_, session_id)] = recovery.recover(store)
    row = store.session(session_id)
    assert (row["status"], row["reps"]) == ("interrupted", 2)
    store.close()


def test_a_full_database_gives_a_clear_error_and_a_recovery_file(tmp_path):
    db = tmp_path / "coach.db"
    store = Store.open(db, recovery_dir=tmp_path / "recovery")
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    # SQLite's own cap on the file's size: a write past it fails as on a full disk (SQLITE_FULL).
    @event.listens_for(store.engine, "connect")
    def cap(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 1}")

    store.engine.dispose()  # connections open again, capped
    results, events = synthetic_session()
    recorder = SessionRecorder(store, "squat", "alice")
    for result in results:
        recorder.update(result)
    assert "the disk is full" in str(recorder.error)
    with pytest.raises(StoreError, match=rf"cannot write the history database {db}: the disk is full.*coach history recover"):
        recorder.finish()
    kept = recorder.recovery_path
    assert [r["rep_index"] for r in read_recovery(kept) if r["kind"] == "rep"] == [1, 2, 3, 4, 5]
    store.close()

    with Store.open(db, recovery_dir=tmp_path / "recovery") as store:  # room again
        [(path, session_id)] = recovery.recover(store)
        assert path == kept
        assert store.reps([session_id])["end_t"].tolist() == pytest.approx([e.end_t for e in events])
