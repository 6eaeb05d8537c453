"""The history figures: the numbers each chart draws, its encodings, and a real PNG."""

import struct
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from coach import charts
from coach.errors import InputError


def sessions_table(rows):
    """A sessions table as Store.sessions() returns it, from (utc datetime, exercise, reps, sets, rom, tempo)."""
    frame = pd.DataFrame(rows, columns=["started_at", "exercise", "reps", "sets", "mean_rom", "mean_tempo_s"])
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    frame.insert(0, "id", range(1, len(frame) + 1))
    frame["person"] = "alice"
    frame["status"] = "complete"
    frame["duration_s"] = 60.0
    return frame


def utc(day, hour=12, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def history():
    return sessions_table([
        (utc(2, 9), "squat", 10, 2, 90.0, 2.0),   # Monday
        (utc(2, 18), "push_up", 12, 3, 0.50, 1.5),
        (utc(3), "squat", 8, 1, 100.0, 2.4),
        (utc(4), "squat", 12, 2, 110.0, 2.2),
        (utc(9), "squat", 15, 3, 95.0, 1.8),      # the next Monday
        (utc(10), "push_up", 0, 0, None, None),   # started, nothing counted
        (utc(11), "push_up", 20, 2, 0.60, 1.4),
    ])


def test_reps_per_day_sums_each_local_day_and_exercise(history):
    data = charts.per_day(history, tz="UTC")
    assert data.to_dict("records")[:3] == [
        {"day": "2026-11-02", "exercise": "push_up", "name": "Push-up", "reps": 12, "sets": 3, "sessions": 1},
        {"day": "2026-11-02", "exercise": "squat", "name": "Squat", "reps": 10, "sets": 2, "sessions": 1},
        {"day": "2026-11-03", "exercise": "squat", "name": "Squat", "reps": 8, "sets": 1, "sessions": 1},
    ]
    chart = charts.reps_per_day(history, tz="UTC")
    spec = chart.to_dict()  # also validates against the Vega-Lite schema
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "day" and spec["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    assert spec["encoding"]["y"]["field"] == "reps" and spec["encoding"]["color"]["field"] == "name"
    pd.testing.assert_frame_equal(chart.data, data)


def test_days_are_the_persons_local_days():
    late = sessions_table([(utc(2, 23, 30), "squat", 10, 1, 90.0, 2.0)])  # 23:30 UTC
    assert charts.per_day(late, tz="UTC")["day"].tolist() == ["2026-11-02"]
    assert charts.per_day(late, tz="Asia/Tokyo")["day"].tolist() == ["2026-11-03"]  # 08:30 the next day
    assert charts.per_day(late, tz="America/New_York")["day"].tolist() == ["2026-11-02"]


def test_reps_per_week_start_on_monday(history):
    data = charts.per_week(history, tz="UTC")
    assert data.set_index(["week", "exercise"])["reps"].to_dict() == {
        ("2026-11-02", "push_up"): 12, ("2026-11-02", "squat"): 30,
        ("2026-11-09", "push_up"): 20, ("2026-11-09", "squat"): 15}
    spec = charts.reps_per_week(history, tz="UTC", today=date(2026, 11, 11)).to_dict()["layer"][0]
    assert spec["encoding"]["x"]["field"] == "week" and spec["mark"]["type"] == "bar"
    # The axis holds at least 8 weeks, the last one the latest week trained.
    weeks = spec["encoding"]["x"]["scale"]["domain"]
    assert len(weeks) == 8 and weeks[-2:] == ["2026-11-02", "2026-11-09"]
    assert charts.week_range(pd.Series(["2025-12-29", "2026-03-02"])) == [
        f"{d:%Y-%m-%d}" for d in pd.date_range("2025-12-29", "2026-03-02", freq="7D")]


def test_rom_and_tempo_trends_carry_a_rolling_mean_per_exercise(history):
    data = charts.rolling(history, "mean_rom", window=2, tz="UTC")
    squat = data[data["exercise"] == "squat"]
    assert squat["mean_rom"].tolist() == [90.0, 100.0, 110.0, 95.0]
    assert squat["rolling"].tolist() == pytest.approx([90.0, 95.0, 105.0, 102.5])
    push = data[data["exercise"] == "push_up"]
    assert push["rolling"].tolist() == pytest.approx([0.50, 0.55])  # the session with no reps has no ROM
    assert set(data["panel"]) == {"Squat, view not recorded (degrees)", "Push-up, view not recorded (degrees)"}
    chart = charts.rom_trend(history, window=2, tz="UTC")
    spec = chart.to_dict()
    assert spec["facet"]["row"]["field"] == "panel"
    assert spec["resolve"]["scale"]["y"] == "independent"  # degrees and torso lengths on their own axes
    layers = spec["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["point", "line"]
    assert layers[0]["encoding"]["y"]["field"] == "mean_rom" and layers[1]["encoding"]["y"]["field"] == "rolling"
    # By day: a session at 18:00 sits on its own day's label, not next to the next day's.
    assert layers[0]["encoding"]["x"]["field"] == "day" and layers[0]["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    pd.testing.assert_frame_equal(chart.data, data)
    tempo = charts.tempo_trend(history, window=3, tz="UTC")
    assert tempo.data[tempo.data["exercise"] == "squat"]["rolling"].tolist() == pytest.approx(
        [2.0, 2.2, (2.0 + 2.4 + 2.2) / 3, (2.4 + 2.2 + 1.8) / 3])
    assert "rolling mean of 3 sessions" in tempo.to_dict()["title"]


def test_each_camera_view_has_its_own_trend(history):
    history["view"] = ["side", None, "front", "side", "front", None, None]
    data = charts.rolling(history, "mean_rom", window=5, tz="UTC")
    squat = data[data["exercise"] == "squat"].set_index("id")
    assert squat["view"].to_dict() == {1: "side", 3: "front", 4: "side", 5: "front"}
    # Side 90 then 110, front 100 then 95: each view's mean on its own, not one mixed line.
    assert squat["rolling"].to_dict() == pytest.approx({1: 90.0, 3: 100.0, 4: 100.0, 5: 97.5})
    assert "Squat, front (degrees)" in set(data["panel"])


def test_weekly_volume_labels_this_week(history):
    chart = charts.reps_per_week(history, tz="UTC", today=date(2026, 11, 11))
    spec = chart.to_dict()
    bars, text = spec["layer"]
    assert "'2026-11-09' ? 'this week'" in bars["encoding"]["x"]["axis"]["labelExpr"]
    assert chart.layer[1].data.to_dict("records") == [{"week": "2026-11-09", "reps": 35, "label": "35"}]
    # A week with no session yet still shows as this week, empty.
    later = charts.reps_per_week(history, tz="UTC", today=date(2026, 11, 25))
    assert later.to_dict()["layer"][0]["encoding"]["x"]["scale"]["domain"][-1] == "2026-11-23"


def test_personal_bests(history):
    reps = pd.DataFrame([  # session 1: two sets of 2 and 3 reps; session 4: one set of 1
        {"session_id": 1, "exercise": "squat", "set_index": 0, "rom_min": 80, "rom_max": 170, "time_bottom": 0.4},
        {"session_id": 1, "exercise": "squat", "set_index": 0, "rom_min": 90, "rom_max": 168, "time_bottom": 0.2},
        *[{"session_id": 1, "exercise": "squat", "set_index": 1, "rom_min": 85, "rom_max": 165, "time_bottom": 0.3}] * 3,
        {"session_id": 4, "exercise": "squat", "set_index": 0, "rom_min": 60, "rom_max": 171, "time_bottom": 2.5},
        {"session_id": 99, "exercise": "squat", "set_index": 0, "rom_min": 0, "rom_max": 180, "time_bottom": 9},
    ])
    planks = sessions_table([(utc(5), "plank", 0, 2, None, None), (utc(6), "plank", 0, 1, None, None)])
    planks["id"] += 100
    planks["held_s"] = [42.0, 61.5]
    sessions = pd.concat([history.assign(held_s=float("nan")), planks], ignore_index=True)
    bests = charts.personal_bests(sessions, reps, tz="UTC").set_index(["exercise", "best"])
    assert bests.loc[("squat", "most reps in a set"), "text"] == "3 reps  (Nov 02)"
    assert bests.loc[("squat", "largest range"), "text"] == "111 deg  (Nov 04)"  # session 99 is not in the table
    # A squat's pause at the bottom is no best; a plank's time held is.
    assert set(bests.loc["squat"].index) == {"most reps in a set", "largest range"}
    assert bests.loc[("plank", "longest hold"), "text"] == "61.5 s  (Nov 06)"
    assert set(bests["view"]) == {charts.NO_VIEW}
    assert charts.bests_chart(history, reps, tz="UTC").to_dict()["mark"]["type"] == "text"


@pytest.mark.parametrize("days, today, expected", [
    ([], date(2026, 11, 5), (0, 0)),
    (["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-05", "2026-11-06"], date(2026, 11, 6), (2, 3)),
    (["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-05", "2026-11-06"], date(2026, 11, 7), (2, 3)),  # not yet today
    (["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-05", "2026-11-06"], date(2026, 11, 8), (0, 3)),
    (["2026-11-03", "2026-11-03", "2026-11-04"], date(2026, 11, 4), (2, 2)),  # two sessions in a day count once
    (["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"], date(2026, 11, 2), (4, 4)),  # across a month
])
def test_streaks(days, today, expected):
    assert charts.streaks(days, today) == expected


def test_streak_calendar(history):
    today = date(2026, 11, 11)  # a Wednesday
    data = charts.calendar(history, weeks=2, today=today, tz="UTC")
    assert data["day"].iloc[0] == "2026-11-02" and data["day"].iloc[-1] == "2026-11-15"
    trained = data[data["trained"]]
    assert trained["day"].tolist() == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-09", "2026-11-11"]
    assert trained["reps"].tolist() == [22, 8, 12, 15, 20]  # 10 Nov had a session with 0 reps: not trained
    assert data.set_index("day").loc["2026-11-09", "weekday"] == "Mon"
    chart = charts.streak_calendar(history, weeks=2, today=today, tz="UTC")
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "rect"
    assert spec["title"] == {"text": "Training days", "subtitle": "current streak 1 day, longest 3", "anchor": "start"}
    assert spec["width"] == spec["height"] == {"step": 20}  # cells big enough to read
    assert chart.data["day"].max() == "2026-11-11"  # the rest of this week is not drawn
    assert spec["encoding"]["color"]["condition"]["field"] == "reps"
    assert len(charts.calendar(history, today=today, tz="UTC")) == 8 * 7  # default: at least 8 weeks


def test_dashboard_png(history, tmp_path):
    chart = charts.dashboard(history, today=date(2026, 11, 11), tz="UTC")
    spec = chart.to_dict()
    assert len(spec["vconcat"]) == 3
    path = charts.save_png(chart, tmp_path / "out" / "history.png", scale=1)
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert width > 800 and height > 600
    with pytest.raises(InputError, match="ending in .png"):
        charts.save_png(chart, tmp_path / "history.svg")


def test_empty_history():
    empty = sessions_table([])
    assert charts.per_day(empty).empty and charts.rolling(empty, "mean_rom").empty
    for make in (charts.reps_per_day, charts.reps_per_week, charts.rom_trend, charts.tempo_trend,
                 charts.streak_calendar):
        make(empty).to_dict()  # the app can draw an empty history
    with pytest.raises(InputError, match="no sessions to plot"):
        charts.dashboard(empty)


def made_up_history(path, today: date, weeks: int = 5):
    """Several weeks of squats filmed from the side (~125 deg) and from the front (~70 deg), and
    push-ups, recorded through the real store into a SQLite file, then dated back day by day.
    Returns the store's sessions and reps tables."""
    import sqlite3

    import numpy as np

    from coach.store import Store, record
    from coach.types import FrameResult, RepEvent

    rng = np.random.default_rng(7)
    plan = []  # (days ago, hour, exercise, view, reps, rom)
    for day in range(weeks * 7 - 1, -1, -1):
        if day % 7 in (1, 3, 5) or day < 3:
            view = "side" if day % 2 else "front"
            rom = (118 if view == "side" else 62) + (weeks * 7 - day) * 0.3 + rng.normal(0, 3)
            plan.append((day, 19 if day % 3 else 7, "squat", view, int(rng.integers(6, 16)), rom))
        if day % 7 == 2:
            plan.append((day, 21, "push_up", "side", int(rng.integers(8, 25)), 55 + rng.normal(0, 4)))
    with Store.open(path) as store:
        for days_ago, hour, exercise, view, count, rom in plan:
            results, t = [], 0.0
            for i in range(count):
                hold = 0.2 + 0.1 * (i % 4) + (1.5 if exercise == "squat" and days_ago == 9 and i == 0 else 0)
                rep = RepEvent(i + 1, 0 if i < count // 2 + 1 else 1, t, t + 2.0, 170 - rom, 170.0, 0.8, hold, 0.9,
                               100.0, None, 0.9)
                results.append(FrameResult(t + 2.0, None, {}, "standing", i + 1, 1, True, rep))
                t += 2.0
            session_id = record(store, results, exercise, "alice", source=f"/videos/{exercise}-{days_ago}.mp4", view=view)
            when = datetime.combine(today - timedelta(days=days_ago), datetime.min.time()) + timedelta(hours=hour)
            raw = sqlite3.connect(path)
            raw.execute("UPDATE sessions SET started_at = ? WHERE id = ?",
                        (when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"), session_id))
            raw.commit()
            raw.close()
        return store.sessions(), store.reps()


def test_several_weeks_in_two_views_through_the_store(tmp_path):
    today = date(2026, 11, 25)
    sessions, reps = made_up_history(tmp_path / "coach.db", today)
    assert set(sessions["view"]) == {"side", "front"}
    trend = charts.rolling(sessions, "mean_rom", tz="UTC")
    squat = trend[trend["exercise"] == "squat"].groupby("view")["mean_rom"].mean()
    assert squat["side"] > 100 > 80 > squat["front"]  # two views, two trends, neither drags the other
    bests = charts.personal_bests(sessions, reps, tz="UTC")
    assert set(zip(bests["exercise"], bests["view"])) == {("squat", "side"), ("squat", "front"), ("push_up", "side")}
    chart = charts.dashboard(sessions, reps, today=today, tz="UTC")
    path = charts.save_png(chart, tmp_path / "history.png", scale=1)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_try_it_shows_each_form_rule_and_the_reps_that_broke_it(repcount_dir):
    """A squat definition made strict (knee under 75 deg at the bottom) on a real RepCount series:
    every rep breaks `shallow`, none breaks `lean`, as the reps' flags say."""
    import numpy as np

    from coach.app.signal_chart import form_charts, rule_frame
    from coach.exercise_library import BUILTIN_DIR
    from coach.exercises import parse
    from coach.keypoints import KeypointSeries
    from coach.session import Session

    squat = parse((BUILTIN_DIR / "squat.yaml").read_text().replace("above: 110", "above: 75"))
    yxs = np.load(repcount_dir / "stu9_64.npy")
    session = Session(squat)
    results = [session.step(pose, t) for pose, t in KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / 30).poses()]
    reps = [r.rep for r in results if r.rep is not None]
    rules = rule_frame(reps, squat)
    broke = rules.groupby("rule")["broke"].sum().to_dict()
    assert broke == {"shallow": len(reps), "lean": 0} and len(reps) > 10
    assert [rep.flags for rep in reps] == [("shallow",)] * len(reps)
    assert set(rules["test"]) == {"min over bottom above 75", "max over bottom above 55"}
    specs = [chart.to_dict() for chart in form_charts(results, squat)]
    assert [spec["title"] for spec in specs] == [
        "knee: shallow (min over bottom above 75)", "torso_lean: lean (max over bottom above 55)"]
    # Charts of their own with the legend under them, each as wide as its box (a row of
    # concatenated ones ran out of it).
    assert all("width" not in spec and spec["layer"][2]["encoding"]["color"]["legend"]["orient"] == "bottom"
               for spec in specs)
    assert form_charts(results, squat.model_copy(update={"form": []})) == []
