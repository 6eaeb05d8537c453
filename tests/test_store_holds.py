"""A hold exercise's held time in the history: schema version 3, the recorder writing the hold
as it goes on, the recovery file, and `coach history` / the trend chart reading it back.

The hold is real: wall_sit over squat_side_3_then_hold.mp4 (an 8 s half-squat hold from 9 s,
see tests/test_holds.py), its poses shared with the other tests through `clip_poses`."""

import json
import sqlite3

import pandas as pd
import pytest

from coach.analyze import analyze_poses
from coach.exercise_library import BUILTIN_DIR
from coach.exercises import load
from coach.holds import timed_sets
from coach.store import SCHEMA_VERSION, SessionRecorder, Store, record, transfer
from coach.store.recorder import HOLD_WRITE_S
from coach.store.recovery import read_recovery
from test_store import synthetic_session

WALL_SIT = load(BUILTIN_DIR / "wall_sit.yaml")


@pytest.fixture(scope="module")
def wall_sit(clip_poses):
    """The FrameResults of the real wall sit, and its one hold as the timer ended it."""
    results = analyze_poses(WALL_SIT, clip_poses("squat_side_3_then_hold.mp4")).results
    [hold] = timed_sets(results)
    return results, hold


def test_a_hold_session_stores_its_held_time_per_set_and_in_total(tmp_path, wall_sit):
    results, hold = wall_sit
    with Store.open(tmp_path / "coach.db") as store:
        session_id = record(store, results, "wall_sit", "ann")
        session, sets = store.session(session_id), store.sets([session_id])
    assert hold.held_s == pytest.approx(8.0, abs=0.7)
    assert (session["reps"], session["sets"]) == (0, 1) and session["held_s"] == pytest.approx(hold.held_s)
    assert sets[["set_index", "reps"]].values.tolist() == [[0, 0]]
    assert sets.iloc[0]["held_s"] == pytest.approx(hold.held_s)
    assert (sets.iloc[0]["start_t"], sets.iloc[0]["end_t"]) == pytest.approx((hold.start_t, hold.end_t))


def test_export_and_import_keep_the_time_held(tmp_path, wall_sit):
    with Store.open(tmp_path / "a.db") as store:
        session_id = record(store, wall_sit[0], "wall_sit", "ann")
        transfer.export(store, tmp_path / "export", "csv")
    with Store.open(tmp_path / "b.db") as other:
        assert transfer.import_(other, tmp_path / "export")["sessions"] == 1
        [copied] = other.sessions()["id"]
        assert other.session(copied)["held_s"] == pytest.approx(wall_sit[1].held_s)
        assert other.sets([copied])["held_s"].tolist() == pytest.approx([wall_sit[1].held_s])
    assert session_id == copied


def test_a_crash_mid_hold_loses_at_most_the_last_second_of_it(tmp_path, wall_sit):
    results, hold = wall_sit
    path = tmp_path / "coach.db"
    store = Store.open(path)
    recorder = SessionRecorder(store, "wall_sit")
    upto = [r for r in results if r.t <= 13.0]
    for result in upto:
        recorder.update(result)
    # Never finished (the process died): what another process reads is what was committed.
    held_then = upto[-1].hold.held_s
    with Store.open(path) as reader:
        session = reader.session(recorder.session_id)
        [held] = reader.sets([recorder.session_id])["held_s"]
    assert session["status"] == "running" and held_then > 3.0
    assert held_then - HOLD_WRITE_S <= held <= held_then and session["held_s"] == pytest.approx(held)
    store.close()


def test_a_locked_database_mid_hold_keeps_the_hold_in_the_recovery_file_and_merges_it(tmp_path, wall_sit):
    results, hold = wall_sit
    path = tmp_path / "coach.db"
    store = Store.open(path, timeout_s=0.2, recovery_dir=tmp_path / "recovery")
    recorder = SessionRecorder(store, "wall_sit")
    for result in results[:len(results) * 2 // 3]:  # to about 11 s: 2 s into the hold
        recorder.update(result)
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another writer holds the database for the rest of the hold
    for result in results[len(results) * 2 // 3:]:
        recorder.update(result)
    kept = [r for r in read_recovery(recorder.recovery_path) if r["kind"] == "set"]
    assert kept and hold.held_s - HOLD_WRITE_S <= kept[-1]["held_s"] <= hold.held_s  # the rest comes at finish
    lock.rollback()
    lock.close()
    session_id = recorder.finish()  # the database is free again: the recovery file is merged
    session, sets = store.session(session_id), store.sets([session_id])
    assert session["status"] == "complete" and session["held_s"] == pytest.approx(hold.held_s)
    assert sets["held_s"].tolist() == pytest.approx([hold.held_s]) and sets["reps"].tolist() == [0]
    store.close()


def test_a_version_2_database_gets_held_s_and_keeps_its_rep_sessions(tmp_path, wall_sit):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        kept = record(store, synthetic_session()[0], "squat", "erin")
    raw = sqlite3.connect(path)  # make it as version 2 left it
    raw.execute("ALTER TABLE sessions DROP COLUMN held_s")
    raw.execute("ALTER TABLE sets DROP COLUMN held_s")
    raw.execute("DELETE FROM schema_version WHERE version > 2")
    raw.commit()
    raw.close()
    with Store.open(path) as store:
        assert store.version() == SCHEMA_VERSION
        old = store.session(kept)
        assert old["reps"] == 5 and pd.isna(old["held_s"]) and store.sets([kept])["held_s"].isna().all()
        held = record(store, wall_sit[0], "wall_sit", "erin")
        assert store.session(held)["held_s"] == pytest.approx(wall_sit[1].held_s)


def test_history_lists_the_time_held_and_charts_it_per_session(tmp_path, wall_sit, capsys):
    from coach import charts
    from coach.app.history import session_table
    from coach.cli import main

    path = tmp_path / "coach.db"
    with Store.open(path) as store:
        squat = record(store, synthetic_session()[0], "squat", "ann")
        sits = [record(store, wall_sit[0], "wall_sit", "ann") for _ in range(2)]
        sessions = store.sessions()
    held = round(wall_sit[1].held_s, 1)
    assert main(["history", "--db", str(path)]) == 0
    lines = {int(line.split()[0]): line for line in capsys.readouterr().out.splitlines()[1:]}
    assert f" {held:.1f} s held " in lines[sits[0]] and " rep" not in lines[sits[0]]
    assert " 5 reps " in lines[squat] and " held " not in lines[squat]
    assert main(["history", "--db", str(path), "--json"]) == 0
    records = {r["id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert records[sits[1]]["held_s"] == pytest.approx(wall_sit[1].held_s, abs=0.01) and records[squat]["held_s"] is None
    table = session_table(sessions).set_index("session")
    assert (table.loc[sits[0], "held"], table.loc[sits[0], "reps"]) == (f"{held:.1f} s", "-")
    assert (table.loc[squat, "held"], table.loc[squat, "reps"]) == ("-", "5")
    trend = charts.hold_trend(sessions).data  # the wall sits only, seconds held per session
    assert sorted(trend["id"]) == sorted(sits) and trend["held_s"].tolist() == pytest.approx([wall_sit[1].held_s] * 2)
    assert charts.trained_days(sessions[sessions["exercise"] == "wall_sit"]).tolist() != []  # a hold is training
    # Counted again from its stored keypoints: the same hold.
    assert main(["history", "recount", str(sits[0]), "--db", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recount"]["held_s"] == pytest.approx(report["stored"]["held_s"], abs=0.01)
    assert report["stored"]["held_s"] == pytest.approx(wall_sit[1].held_s, abs=0.01)
    assert (report["stored"]["sets"], report["recount"]["sets"]) == (1, 1)


def test_the_live_panel_and_voice_word_a_hold_as_time_not_reps(clip_poses):
    from coach import progress
    from coach.app.speech import Announcer
    from coach.exercises import Exercise
    from coach.pipeline import Pipeline

    data = WALL_SIT.model_dump()
    data["hold"]["target_s"] = 5.0  # reached within the clip's 7.6 s hold
    exercise = Exercise.model_validate(data)
    pipeline = Pipeline(None, exercise)
    steps = [pipeline.step_pose(pose, t) for pose, t in clip_poses("squat_side_3_then_hold.mp4")]
    announcer = Announcer(exercise, "test")
    for step in steps:
        announcer.update(step)
    # Standing, in the hold, past 5 s of it:
    before, during, after = (next(s for s in steps if s.result.t >= t) for t in (1.0, 12.0, 16.0))
    assert before.result.progress.phase_words(before.result.phase) == "get into position"
    assert before.result.progress.banner(exercise.name) == "Get into position: the timer starts when you hold the wall sit."
    held = during.result.progress
    assert held.phase_words(during.result.phase) == "holding" and during.meter == pytest.approx(during.result.held_s / 5)
    assert (held.label, held.figure) == ("Seconds held (target 5 s)", int(during.result.held_s))
    assert held.banner(exercise.name) == f"Holding: {5 - during.result.held_s:.0f} s to the target."
    assert after.result.progress.banner(exercise.name) == "Target reached: hold on, or rest." and after.meter == 1.0
    # Over all the holds: the one going on counts once it is long enough to be a set.
    assert after.result.progress.done == pytest.approx(after.result.hold.held_s) and after.result.hold.held_s > 5
    announcer.end(progress.of(exercise, held_s=42.4))
    said = [(a.kind, a.text) for a in announcer.items]
    assert [s for s in said if s[0] != "cue"] == [("set", "5 seconds: target reached."),
                                                  ("end", "Workout saved: 42 seconds held. Well done.")]
    assert ("cue", "Slide lower - thighs closer to level") in said  # the form cues are spoken as for reps
    assert progress.of(exercise, held_s=42.4).words(exercise.name) == "wall sit: 42.4 s held"
    assert progress.of(load(BUILTIN_DIR / "squat.yaml"), reps=1).words("Squat") == "1 squat rep"
