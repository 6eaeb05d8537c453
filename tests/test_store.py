"""The history store on its embedded SQLite file: schema, recorder, queries, export and import.

Sessions here are synthetic (known reps at known frames), so every total can be checked exactly;
the durability tests drive the real engine over real series.
"""

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from coach import store as store_module
from coach.errors import StoreError
from coach.pose.layout import movenet_from_pixels
from coach.store import MIGRATIONS, SCHEMA_VERSION, Migration, SessionRecorder, Store, record, resolve_url, transfer
from coach.types import FrameResult, Pose, RepEvent

FPS = 30.0


def synthetic_session(reps_per_set=(3, 2), period=2.0, rest=5.0, seed=0):
    """FrameResults of a made-up session: `reps_per_set` reps of `period` s, sets split by `rest` s.
    Every 7th frame has no pose. Returns (results, the RepEvents in order)."""
    rng = np.random.default_rng(seed)
    events, t, index = [], 1.0, 0
    for set_index, count in enumerate(reps_per_set):
        for _ in range(count):
            index += 1
            events.append(RepEvent(index, set_index, t, t + period, 80.0 + index, 170.0, 0.8, 0.2, 1.0,
                                   150.0, 3.0 if index % 2 else None, 0.9, ("knees_in",) if index == 2 else ()))
            t += period
        t += rest
    ends = {round(e.end_t * FPS): e for e in events}
    results = []
    for frame in range(round((t + 1.0) * FPS)):
        pose = None if frame % 7 == 3 else Pose(rng.uniform(0, 300, (17, 3)).astype(np.float32), (640, 360))
        rep = ends.get(frame)
        done = sum(e.end_t * FPS <= frame + 1e-6 for e in events)
        results.append(FrameResult(frame / FPS, pose, {"knee": 90.0}, "standing", done, 1, pose is not None, rep))
    return results, events


@pytest.fixture
def db(tmp_path):
    store = Store.open(tmp_path / "coach.db", timeout_s=2, recovery_dir=tmp_path / "recovery")
    yield store
    store.close()


def test_where_the_database_is(tmp_path, monkeypatch):
    monkeypatch.delenv("COACH_DB", raising=False)
    monkeypatch.delenv("COACH_DATA_DIR")  # every test has one (conftest.py)
    default = resolve_url()
    assert default.get_backend_name() == "sqlite"
    assert Path(default.database) == Path(store_module.__file__).resolve().parents[2] / "data" / "coach.db"
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "elsewhere"))
    assert resolve_url().database == str(tmp_path / "elsewhere" / "coach.db")
    monkeypatch.setenv("COACH_DB", str(tmp_path / "env.db"))
    assert resolve_url().database == str(tmp_path / "env.db")
    assert resolve_url(tmp_path / "arg.db").database == str(tmp_path / "arg.db")  # --db wins over COACH_DB
    monkeypatch.setenv("COACH_DB", "postgresql://coach:secret@db.example/gym")
    url = resolve_url()
    assert url.drivername == "postgresql+psycopg" and url.host == "db.example" and url.database == "gym"
    assert "secret" not in store_module.describe(url)
    with pytest.raises(StoreError, match="not a database path or URL"):
        resolve_url("nonsense://x:y:z")


def test_new_database_is_wal_and_versioned(tmp_path):
    path = tmp_path / "sub" / "dir" / "coach.db"  # folders are made
    with Store.open(path) as store:
        assert store.version() == SCHEMA_VERSION
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"people", "sessions", "sets", "reps", "keypoints", "schema_version"} <= tables
    raw.close()
    with Store.open(path) as again:  # opening again migrates nothing
        assert again.version() == SCHEMA_VERSION
        assert len(again.read(sa.select(store_module.schema_version))) == len(MIGRATIONS)


def test_each_rep_is_in_the_database_the_moment_it_is_counted(db, tmp_path):
    results, events = synthetic_session()
    recorder = SessionRecorder(db, "squat", "alice", source="clip.mp4", fps=FPS)
    other = Store.open(tmp_path / "coach.db")  # another connection, as another process would see it
    seen = []
    for result in results:
        recorder.update(result)
        if result.rep is not None:
            stored = other.reps(session_ids=[recorder.session_id])
            seen.append(len(stored))
            assert stored["rep_index"].tolist() == [e.index for e in events[:len(stored)]]
            if len(stored) == result.rep.index:
                series = other.keypoints(recorder.session_id)
                assert series.t[-1] == pytest.approx(result.t)  # the keypoints up to this frame too
            assert other.sessions()["status"].iloc[0] == "running"
    # A set's first rep waits for its second, to be committed with it (the set gate counts the
    # two on consecutive frames; here the second comes a rep later).
    assert seen == [0, 2, 3, 3, 5]
    session_id = recorder.finish()
    row = other.session(session_id)
    assert row["status"] == "complete" and row["person"] == "alice" and row["exercise"] == "squat"
    assert row["reps"] == 5 and row["sets"] == 2 and row["frames"] == len(results)
    assert row["duration_s"] == pytest.approx(results[-1].t)
    assert row["mean_tempo_s"] == pytest.approx(2.0)
    assert row["mean_rom"] == pytest.approx(np.mean([170.0 - (80.0 + i) for i in range(1, 6)]))
    assert row["source"] == "clip.mp4" and row["fps"] == FPS
    other.close()


def test_reps_sets_and_keypoints_read_back_exactly(db):
    results, events = synthetic_session(reps_per_set=(2, 3, 1))
    session_id = record(db, results, "push_up", "bob", fps=FPS, definition="id: push_up\n")
    stored = db.reps(session_ids=[session_id])
    assert stored["rep_index"].tolist() == [1, 2, 3, 4, 5, 6]
    assert stored["set_index"].tolist() == [0, 0, 1, 1, 1, 2]
    assert stored["start_t"].tolist() == pytest.approx([e.start_t for e in events])
    assert stored["flags"].tolist() == ["", "knees_in", "", "", "", ""]
    assert stored["asymmetry"].isna().tolist() == [e.asymmetry is None for e in events]
    set_rows = db.sets([session_id])
    assert set_rows["reps"].tolist() == [2, 3, 1]
    assert set_rows["start_t"].tolist() == pytest.approx([events[0].start_t, events[2].start_t, events[5].start_t])
    assert set_rows["end_t"].tolist() == pytest.approx([events[1].end_t, events[4].end_t, events[5].end_t])

    series = db.keypoints(session_id)
    assert len(series) == len(results)
    assert np.array_equal(series.t, [r.t for r in results])
    assert series.present.tolist() == [r.pose is not None for r in results]
    first = next(i for i, r in enumerate(results) if r.pose is not None)
    assert np.array_equal(series.xys[first], results[first].pose.keypoints)
    assert tuple(series.size[first]) == (640, 360)
    assert np.allclose(series.to_movenet()[first], movenet_from_pixels(results[first].pose.keypoints, results[first].pose.size))
    assert db.session(session_id)["definition"] == "id: push_up\n"


def test_filters_and_people(db):
    record(db, synthetic_session()[0], "squat", "alice")
    record(db, synthetic_session()[0], "push_up", "alice")
    record(db, synthetic_session()[0], "squat", "bob")
    record(db, synthetic_session()[0], "squat")  # nobody named: the default person
    assert sorted(db.people()["name"]) == ["alice", "bob", "me"]
    assert len(db.sessions()) == 4
    assert len(db.sessions(person="alice")) == 2
    assert db.sessions(person="alice", exercise="squat")["exercise"].tolist() == ["squat"]
    assert len(db.sessions(exercise="squat")) == 3
    assert len(db.sessions(since=datetime.now(timezone.utc) - timedelta(hours=1))) == 4
    assert db.sessions(since=datetime.now(timezone.utc) + timedelta(days=1)).empty
    assert len(db.reps(person="bob")) == 5
    newest_first = db.sessions()["id"].tolist()
    assert newest_first == sorted(newest_first, reverse=True)


def test_delete_takes_everything_of_that_session(db):
    keep = record(db, synthetic_session()[0], "squat", "alice")
    gone = record(db, synthetic_session()[0], "squat", "alice")
    assert db.delete_session(gone) is True
    assert db.sessions()["id"].tolist() == [keep]
    assert set(db.reps()["session_id"]) == {keep}
    assert set(db.sets()["session_id"]) == {keep}
    assert len(db.keypoints(gone)) == 0 and len(db.keypoints(keep)) > 0
    assert db.delete_session(gone) is False
    with pytest.raises(StoreError, match=f"no session {gone}"):
        db.session(gone)


def test_an_exception_ends_the_session_as_interrupted(db):
    results, _ = synthetic_session()
    with pytest.raises(RuntimeError):
        with SessionRecorder(db, "squat", "alice") as recorder:
            for result in results[:200]:
                recorder.update(result)
            raise RuntimeError("camera unplugged")
    row = db.session(recorder.session_id)
    assert row["status"] == "interrupted" and row["reps"] == 2  # reps end at 3 s, 5 s, 7 s
    assert len(db.keypoints(recorder.session_id)) == 200


def test_a_running_session_of_a_dead_process_shows_interrupted(db):
    results, _ = synthetic_session()
    recorder = SessionRecorder(db, "squat", "alice")
    for result in results[:100]:
        recorder.update(result)
    assert db.session(recorder.session_id)["status"] == "running"  # this process is alive
    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(exited.stdout)
    with db.engine.begin() as conn:
        conn.execute(store_module.sessions.update().values(pid=dead_pid, proc_start=None))
    assert db.session(recorder.session_id)["status"] == "interrupted"
    with db.engine.connect() as conn:  # written back, not only shown
        assert conn.execute(sa.select(store_module.sessions.c.status)).scalar() == "interrupted"


def test_a_session_from_another_machine_is_interrupted_once_its_heartbeat_is_old(db):
    recorder = SessionRecorder(db, "squat", "alice")
    recorder.update(synthetic_session()[0][0])
    table = store_module.sessions
    with db.engine.begin() as conn:
        conn.execute(table.update().values(host="gym-pc-2", heartbeat_at=datetime.now(timezone.utc)))
    assert db.session(recorder.session_id)["status"] == "running"
    with db.engine.begin() as conn:
        conn.execute(table.update().values(heartbeat_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    assert db.session(recorder.session_id)["status"] == "interrupted"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_then_import_into_another_database(db, tmp_path, fmt):
    record(db, synthetic_session(seed=1)[0], "squat", "alice", fps=FPS)
    record(db, synthetic_session(reps_per_set=(4,), seed=2)[0], "lunge", "bob", fps=FPS)
    counts, damaged = transfer.export(db, tmp_path / "export", fmt)
    assert damaged == {}
    assert counts == {"people": 2, "sessions": 2, "sets": 3, "reps": 9, "keypoints": counts["keypoints"]}
    assert (tmp_path / "export" / f"reps.{fmt}").is_file() and (tmp_path / "export" / "manifest.json").is_file()

    with Store.open(tmp_path / "other.db") as other:
        record(other, synthetic_session(seed=3)[0], "squat", "carol")  # ids there differ from here
        assert transfer.import_(other, tmp_path / "export") == {"sessions": 2, "skipped": 0, "reps": 9}
        assert transfer.import_(other, tmp_path / "export") == {"sessions": 0, "skipped": 2, "reps": 0}
        mine = db.sessions().set_index("uuid")
        theirs = other.sessions().set_index("uuid").loc[mine.index]
        columns = ["person", "exercise", "status", "reps", "sets", "duration_s", "mean_rom", "mean_tempo_s",
                   "frames", "fps", "started_at"]
        pd.testing.assert_frame_equal(theirs[columns], mine[columns], check_dtype=False)
        for uuid in mine.index:
            old_id, new_id = mine.loc[uuid, "id"], theirs.loc[uuid, "id"]
            old_reps = db.reps([old_id]).drop(columns=["id", "session_id"])
            new_reps = other.reps([new_id]).drop(columns=["id", "session_id"])
            pd.testing.assert_frame_equal(new_reps, old_reps, check_dtype=False)
            a, b = db.keypoints(old_id), other.keypoints(new_id)
            assert np.array_equal(a.xys, b.xys) and np.array_equal(a.t, b.t) and np.array_equal(a.present, b.present)
        assert sorted(other.people()["name"]) == ["alice", "bob", "carol"]


def test_import_refuses_what_is_not_an_export(db, tmp_path):
    with pytest.raises(StoreError, match="not a coach history export"):
        transfer.import_(db, tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "coach-history", "schema_version": 99}')
    with pytest.raises(StoreError, match="schema version 99, newer than this coach knows"):
        transfer.import_(db, tmp_path)
    with pytest.raises(StoreError, match="unknown export format 'xlsx'"):
        transfer.export(db, tmp_path / "x", "xlsx")


def test_migrations_run_once_in_order_and_roll_back_on_failure(db):
    def add_goals(conn):
        conn.exec_driver_sql("CREATE TABLE goals (id INTEGER PRIMARY KEY, person_id INTEGER, reps INTEGER)")

    def broken(conn):
        conn.exec_driver_sql("CREATE TABLE half_done (id INTEGER)")
        conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")

    new = SCHEMA_VERSION + 1
    step2 = Migration(new, "goals", add_goals)
    assert db.migrate((*MIGRATIONS, step2)) == new
    assert db.migrate((*MIGRATIONS, step2)) == new  # nothing to do the second time
    assert db.version() == new
    with pytest.raises(StoreError):
        db.migrate((*MIGRATIONS, step2, Migration(new + 1, "broken", broken)))
    assert db.version() == new
    with db.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert "goals" in names and "half_done" not in names  # the failed step left nothing behind
    with pytest.raises(StoreError, match=f"schema version {new}, newer than this coach knows"):
        db.migrate()
