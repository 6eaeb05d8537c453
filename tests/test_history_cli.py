"""`coach history` as a user runs it, on sessions the real engine counted from RepCount series."""

import json
import sqlite3
import struct
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from coach.cli import main
from coach.errors import StoreError
from coach.store import SCHEMA_VERSION, SessionRecorder, Store, record
from test_store import FPS, synthetic_session


def record_series(store, repcount_dir, name, exercise="squat", person="alice"):
    """Count a RepCount series with the engine, live-style, into the store; returns (id, analysis)."""
    from coach.exercise_library import Library
    from coach.keypoints import KeypointSeries
    from coach.session import Session

    library = Library()
    definition = library.get(exercise)
    yxs = np.load(repcount_dir / f"{name}.npy")
    session = Session(definition)
    results = [session.step(pose, t) for pose, t in KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / FPS).poses()]
    session_id = record(store, results, exercise, person, source=f"{name}.npy", fps=FPS,
                              definition=library.sources[exercise].read_text())
    return session_id, results


@pytest.fixture(scope="module")
def history(repcount_dir, tmp_path_factory):
    """A database with two squat sessions of alice's and a push-up session of bob's."""
    path = tmp_path_factory.mktemp("history") / "coach.db"
    with Store.open(path) as store:
        squats = [record_series(store, repcount_dir, name) for name in ("stu9_64", "stu4_63")]
        record(store, synthetic_session()[0], "push_up", "bob")
    return path, squats


def coach(capsys, *args, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("builtins.input", lambda prompt="": (print(prompt, end=""), stdin)[1])
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_one_row_per_session(history, capsys):
    path, squats = history
    code, out, _ = coach(capsys, "history", "--db", path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "date", "person", "exercise", "session", "view", "reps", "sets", "duration",
                                "mean", "ROM", "time", "per", "rep", "status"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]  # newest first
    first = lines[-1].split()
    reps = squats[0][1][-1].reps
    # The exercise's name, the file's name (not its path), a unit on each measure.
    assert first[3:9] == ["alice", "Squat", "stu9_64.npy", "-", str(reps), "reps" if reps != 1 else "rep"]
    assert first[-4] == "deg" and first[-2] == "s" and first[-1] == "complete"
    assert lines[1].split()[3:5] == ["bob", "Push-up"]


def test_json_and_filters(history, capsys, monkeypatch):
    path, squats = history
    code, out, _ = coach(capsys, "history", "--db", path, "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == [3, 2, 1]
    by_id = {r["id"]: r for r in records}
    for session_id, results in squats:
        reps = [r.rep for r in results if r.rep is not None]
        record = by_id[session_id]
        assert record["reps"] == len(reps) == results[-1].reps
        assert record["sets"] == len({rep.set_index for rep in reps})
        assert record["duration_s"] == pytest.approx(results[-1].t - results[0].t, abs=0.01)
        assert record["mean_tempo_s"] == pytest.approx(np.mean([rep.duration for rep in reps]), abs=0.01)
        assert record["mean_rom"] == pytest.approx(np.mean([rep.rom_max - rep.rom_min for rep in reps]), abs=0.01)
        assert record["exercise"] == "squat" and record["person"] == "alice" and record["status"] == "complete"
    assert by_id[3]["person"] == "bob" and by_id[3]["reps"] == 5

    def ids(*filters):
        return [json.loads(line)["id"] for line in coach(capsys, "history", "--db", path, "--json", *filters)[1].splitlines()]

    assert ids("--person", "alice") == [2, 1]
    assert ids("--exercise", "push_up") == [3]
    assert ids("--person", "bob", "--exercise", "squat") == []
    assert ids("--since", "today") == [3, 2, 1]
    assert ids("--since", "7d") == [3, 2, 1]
    assert ids("--since", (date.today() + timedelta(days=1)).isoformat()) == []
    monkeypatch.setenv("COACH_DB", str(path))  # no --db: the environment variable
    assert ids() == [3, 2, 1]
    code, out, _ = coach(capsys, "history", "--person", "nobody")
    assert code == 0 and "no sessions matching those filters" in out


def test_since_that_is_not_a_date_is_a_one_line_error(history, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["history", "--db", str(history[0]), "--since", "last tuesday"])
    assert exit.value.code == 2
    assert "'last tuesday' is not a date: use YYYY-MM-DD" in capsys.readouterr().err


def test_plot_writes_a_png(history, capsys, tmp_path):
    out_png = tmp_path / "charts" / "history.png"
    code, out, _ = coach(capsys, "history", "--db", history[0], "--person", "alice", "--plot", out_png)
    assert code == 0 and f"wrote {out_png}" in out
    header = out_png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24])[0] > 800
    code, _, err = coach(capsys, "history", "--db", history[0], "--person", "nobody", "--plot", out_png)
    assert code == 1 and err.strip() == "coach: error: no sessions to plot (store some with `coach analyze ... --save`)"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_and_import(history, capsys, tmp_path, fmt):
    code, out, _ = coach(capsys, "history", "export", "--db", history[0], "--format", fmt, tmp_path / "out")
    assert code == 0 and out.startswith("exported 3 sessions")
    assert (tmp_path / "out" / f"sessions.{fmt}").is_file()
    other = tmp_path / "other.db"
    code, out, _ = coach(capsys, "history", "--db", other, "import", tmp_path / "out")  # --db before the action too
    assert code == 0 and out.startswith("imported 3 sessions")
    code, out, _ = coach(capsys, "history", "import", "--db", other, tmp_path / "out")
    assert "imported 0 sessions" in out and "3 were already here" in out
    mine = [json.loads(line) for line in coach(capsys, "history", "--db", history[0], "--json")[1].splitlines()]
    theirs = [json.loads(line) for line in coach(capsys, "history", "--db", other, "--json")[1].splitlines()]
    keys = ["uuid", "person", "exercise", "reps", "sets", "duration_s", "mean_rom", "mean_tempo_s", "status"]
    assert sorted([r[k] for k in keys] for r in theirs) == sorted([r[k] for k in keys] for r in mine)
    code, _, err = coach(capsys, "history", "import", "--db", other, tmp_path)
    assert code == 1 and "is not a coach history export" in err


def test_recount_with_the_current_definition_agrees(history, capsys):
    path, squats = history
    session_id, results = squats[0]
    code, out, _ = coach(capsys, "history", "recount", session_id, "--db", path, "--json")
    report = json.loads(out)
    assert report["stored"]["reps"] == report["recount"]["reps"] == results[-1].reps
    assert report["frames"] == len(results)
    assert all(pair["stored"] == pair["recount"] for pair in report["reps"])
    code, out, _ = coach(capsys, "history", "recount", session_id, "--db", path)
    assert code == 0
    reps_line = next(line for line in out.splitlines() if line.split()[:1] == ["reps"])
    assert reps_line.split() == ["reps", str(results[-1].reps), str(results[-1].reps)]


def test_recount_with_an_edited_definition_shows_both_counts(history, capsys, tmp_path):
    from coach.analyze import analyze_poses
    from coach.exercise_library import Library
    from coach.exercises import load

    path, squats = history
    session_id, results = squats[0]
    stored = [r.rep for r in results if r.rep is not None]
    # Demand depth that only the deeper half of these squats reached.
    far = float(np.median([rep.rom_min for rep in stored]))
    text = (Library().sources["squat"]).read_text().replace("  min_rep_s:", f"  far_limit: {far}\n  min_rep_s:")
    edited = tmp_path / "deep_squat.yaml"
    edited.write_text(text)
    with Store.open(path) as store:
        expected = analyze_poses(load(edited), store.poses(session_id)).count
    assert 0 < expected < len(stored)
    code, out, _ = coach(capsys, "history", "recount", session_id, "--db", path, "--exercise", edited)
    assert code == 0 and f"from {edited}" in out
    reps_line = next(line for line in out.splitlines() if line.split()[:1] == ["reps"])
    assert reps_line.split() == ["reps", str(len(stored)), str(expected)]
    # The per-rep table pairs the reps that both counts found and marks the dropped ones "-".
    rows = [line for line in out.splitlines() if line.strip().startswith("#")]
    assert len(rows) == len(stored)
    assert sum(line.rstrip().endswith("-") for line in rows) == len(stored) - expected
    code, _, err = coach(capsys, "history", "recount", 999, "--db", path)
    assert code == 1 and "no session 999" in err


def test_delete_asks_unless_yes(history, capsys, monkeypatch, tmp_path):
    path = tmp_path / "own.db"
    with Store.open(path) as store:
        ids = [record(store, synthetic_session(seed=i)[0], "squat", "carol") for i in range(3)]
    code, out, _ = coach(capsys, "history", "delete", ids[0], "--db", path, stdin="n", monkeypatch=monkeypatch)
    assert code == 0 and f"delete session {ids[0]}: squat, 5 reps" in out and "not deleted" in out
    code, out, _ = coach(capsys, "history", "delete", ids[0], "--db", path, stdin="y", monkeypatch=monkeypatch)
    assert f"deleted session {ids[0]}" in out
    code, out, _ = coach(capsys, "history", "delete", ids[1], "--db", path, "--yes")
    assert code == 0 and f"deleted session {ids[1]}" in out
    with Store.open(path) as store:
        assert store.sessions()["id"].tolist() == [ids[2]]
    code, _, err = coach(capsys, "history", "delete", ids[0], "--db", path, "--yes")
    assert code == 1 and err.strip() == f"coach: error: no session {ids[0]} in {path} (`coach history` lists them)"


def test_a_read_only_database_is_a_one_line_error_and_recover_brings_sessions_back(capsys, tmp_path):
    path = tmp_path / "coach.db"
    with Store.open(path) as store:
        kept = record(store, synthetic_session()[0], "squat", "dave")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    code, out, _ = coach(capsys, "history", "--db", read_only)
    assert code == 0 and "dave" in out  # reading works
    code, _, err = coach(capsys, "history", "delete", kept, "--db", read_only, "--yes")
    assert code == 1 and err.startswith(f"coach: error: the history database {path} is read-only")
    assert len(err.strip().splitlines()) == 1
    with Store.open(read_only) as store:
        recorder = SessionRecorder(store, "squat", "dave")
        for result in synthetic_session(reps_per_set=(4,))[0]:
            recorder.update(result)
        with pytest.raises(Exception, match="coach history recover"):
            recorder.finish()
    code, out, _ = coach(capsys, "history", "recover", "--db", path)
    assert code == 0 and out.startswith("recovered session 2 from ")
    code, out, _ = coach(capsys, "history", "--db", path, "--json")
    assert [json.loads(line)["reps"] for line in out.splitlines()] == [4, 5]
    code, out, _ = coach(capsys, "history", "recover", "--db", path)
    assert out.startswith("nothing to recover in ")


def test_analyze_save_of_a_keypoint_file_then_history_and_recount(repcount_dir, capsys, tmp_path):
    db = tmp_path / "coach.db"
    series = repcount_dir / "stu9_64.npy"
    code, out, err = coach(capsys, "analyze", series, "--exercise", "squat", "--fps", 30, "--json",
                           "--save", "--person", "erin", "--db", db)
    assert code == 0
    analysed = json.loads(out)  # stdout stays JSON only; the note goes to stderr
    assert err.strip() == f"coach: saved session 1 (squat, {analysed['reps']} reps) to {db}"
    [record] = [json.loads(line) for line in coach(capsys, "history", "--db", db, "--json")[1].splitlines()]
    assert (record["person"], record["exercise"], record["reps"], record["sets"]) == (
        "erin", "squat", analysed["reps"], analysed["sets"])
    assert record["duration_s"] == pytest.approx(analysed["duration_s"], abs=0.01)
    assert record["source"] == str(series)
    report = json.loads(coach(capsys, "history", "recount", 1, "--db", db, "--json")[1])
    assert report["stored"]["reps"] == report["recount"]["reps"] == analysed["reps"]
    with Store.open(db) as store:
        assert "id: squat" in store.session(1)["definition"]  # the definition it was counted with
        assert len(store.keypoints(1)) == analysed["frames"]


@pytest.mark.slow
def test_analyze_save_of_videos_then_history(clips_dir, capsys, tmp_path):
    """The user's path: three shared clips through MoveNet with --save, then the history lists them."""
    db = tmp_path / "coach.db"
    clips = [("squat_side_3.mp4", "squat", 3), ("jumping_jacks_11.mp4", "jumping_jack", 11),
             ("glute_bridge_1.mp4", "glute_bridge", 1)]
    for name, exercise, _ in clips:
        code, _, err = coach(capsys, "analyze", clips_dir / name, "--exercise", exercise, "--json", "--save", "--db", db)
        assert code == 0, err
    records = [json.loads(line) for line in coach(capsys, "history", "--db", db, "--json")[1].splitlines()]
    assert [(r["exercise"], r["reps"], r["person"]) for r in reversed(records)] == [
        (exercise, reps, "me") for _, exercise, reps in clips]
    # The view each was filmed from, as the set-up check tells it, goes with the session.
    assert [r["view"] for r in reversed(records)] == ["side", "front", "side"]
    report = json.loads(coach(capsys, "history", "recount", 1, "--db", db, "--json")[1])
    assert report["stored"]["reps"] == report["recount"]["reps"] == 3  # from the stored video keypoints
    code, out, _ = coach(capsys, "history", "--db", db, "--plot", tmp_path / "history.png")
    assert code == 0 and (tmp_path / "history.png").read_bytes()[:4] == b"\x89PNG"


def test_analyze_save_of_an_input_without_a_rep_says_so_and_saves_only_when_asked(repcount_dir, capsys, tmp_path):
    db = tmp_path / "coach.db"
    still = tmp_path / "still.npy"
    np.save(still, np.load(repcount_dir / "stu9_64.npy")[:15])  # half a second: no rep yet
    code, out, err = coach(capsys, "analyze", still, "--exercise", "squat", "--fps", 30, "--save", "--db", db)
    assert code == 0 and "0 squat reps" in out
    assert err.strip() == f"coach: not saved: no squat rep was counted in {still} (--save-empty keeps it anyway)"
    with Store.open(db) as store:
        assert store.sessions().empty
    code, _, err = coach(capsys, "analyze", still, "--exercise", "squat", "--fps", 30, "--save", "--save-empty",
                         "--db", db)
    assert code == 0 and err.strip() == f"coach: saved session 1 (squat, 0 reps) to {db}"
    line = coach(capsys, "history", "--db", db)[1].splitlines()[1].split()
    assert line[5:10] == ["still.npy", "-", "0", "reps", "0"]  # 0, not None; the file's name, not its path
    assert "None" not in line and "nan" not in line


def test_rename_a_session_and_a_person(capsys, tmp_path):
    path = tmp_path / "coach.db"
    with Store.open(path) as store:
        first = record(store, synthetic_session(reps_per_set=(1,))[0], "squat", "carol", source="/clips/a.mp4")
        record(store, synthetic_session()[0], "squat", "dan")
        store.rename_session(first, "  heavy day ")
        store.rename_person("carol", "Caroline")
        with pytest.raises(StoreError, match="there is already a person named 'dan'"):
            store.rename_person("Caroline", "dan")
        with pytest.raises(StoreError, match="no person named 'nobody'"):
            store.rename_person("nobody", "x")
        with pytest.raises(StoreError, match="no session 99"):
            store.rename_session(99, "x")
        renamed = store.session(first)
        assert (renamed["name"], renamed["person"]) == ("heavy day", "Caroline")
        assert store.sessions(person="Caroline")["id"].tolist() == [first]
    line = coach(capsys, "history", "--db", path)[1].splitlines()[-1].split()
    assert line[3:8] == ["Caroline", "Squat", "heavy", "day", "-"] and line[8:10] == ["1", "rep"]
    with Store.open(path) as store:
        store.rename_session(first, "")  # no name: the file's name again
    assert coach(capsys, "history", "--db", path)[1].splitlines()[-1].split()[5] == "a.mp4"


def test_a_version_1_database_gets_the_view_and_name_columns(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        kept = record(store, synthetic_session()[0], "squat", "erin", view="side")
    raw = sqlite3.connect(path)  # make it as version 1 left it
    raw.execute("ALTER TABLE sessions DROP COLUMN view")
    raw.execute("ALTER TABLE sessions DROP COLUMN name")
    raw.execute("DELETE FROM schema_version WHERE version > 1")
    raw.commit()
    raw.close()
    with Store.open(path) as store:
        assert store.version() == SCHEMA_VERSION
        old = store.session(kept)
        assert old["reps"] == 5 and pd.isna(old["view"]) and pd.isna(old["name"])
        again = record(store, synthetic_session()[0], "squat", "erin", view="front")
        assert store.session(again)["view"] == "front"
