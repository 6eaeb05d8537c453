"""The history keeps the routine a session was a block of: written with the session, kept by
export and import and by a recovery file, and added to older databases as NULL."""

import json
import sqlite3

import pandas as pd

from coach.cli import main
from coach.store import SCHEMA_VERSION, SessionRecorder, Store, record, transfer
from test_store import synthetic_session


def test_a_session_keeps_its_routine_and_one_without_has_none(tmp_path, capsys):
    with Store.open(tmp_path / "coach.db") as store:
        block = record(store, synthetic_session()[0], "squat", "ann", routine="squats_and_push_ups", source="live")
        alone = record(store, synthetic_session()[0], "squat", "ann", source="live")
        assert store.session(block)["routine"] == "squats_and_push_ups"
        assert store.session(alone)["routine"] is None
        transfer.export(store, tmp_path / "export")
    assert main(["history", "--db", str(tmp_path / "coach.db"), "--json"]) == 0
    records = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert (records[block]["routine"], records[alone]["routine"]) == ("squats_and_push_ups", None)
    assert main(["history", "--db", str(tmp_path / "coach.db")]) == 0
    lines = {int(line.split()[0]): line for line in capsys.readouterr().out.splitlines()[1:]}
    assert " live (squats_and_push_ups) " in lines[block] and " live " in lines[alone] and "(" not in lines[alone]
    with Store.open(tmp_path / "other.db") as other:
        transfer.import_(other, tmp_path / "export")
        assert sorted(other.sessions()["routine"].fillna("-")) == ["-", "squats_and_push_ups"]


def test_a_locked_database_keeps_the_routine_in_the_recovery_file(tmp_path):
    path = tmp_path / "coach.db"
    Store.open(path).close()
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another writer holds the database from the start
    with Store.open(path, timeout_s=0.2, recovery_dir=tmp_path / "recovery") as store:
        recorder = SessionRecorder(store, "squat", "bo", routine="legs")
        for result in synthetic_session()[0]:
            recorder.update(result)
        lock.rollback()
        lock.close()
        session_id = recorder.finish()  # merged back from the recovery file
        assert store.session(session_id)["routine"] == "legs"


def test_a_version_3_database_gets_the_routine_column(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        kept = record(store, synthetic_session()[0], "squat", "erin")
    raw = sqlite3.connect(path)  # as version 3 left it
    raw.execute("ALTER TABLE sessions DROP COLUMN routine")
    raw.execute("DELETE FROM schema_version WHERE version > 3")
    raw.commit()
    raw.close()
    with Store.open(path) as store:
        assert store.version() == SCHEMA_VERSION == 4
        assert pd.isna(store.session(kept)["routine"]) and store.session(kept)["reps"] == 5
        assert store.session(record(store, synthetic_session()[0], "squat", "erin", routine="legs"))["routine"] == "legs"
