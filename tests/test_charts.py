"""The history figures: the numbers each chart draws, its encodings, and a real PNG."""

import struct
from datetime import date, datetime, timezone

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
        {"day": "2026-11-02", "exercise": "push_up", "reps": 12, "sets": 3, "sessions": 1},
        {"day": "2026-11-02", "exercise": "squat", "reps": 10, "sets": 2, "sessions": 1},
        {"day": "2026-11-03", "exercise": "squat", "reps": 8, "sets": 1, "sessions": 1},
    ]
    chart = charts.reps_per_day(history, tz="UTC")
    spec = chart.to_dict()  # also validates against the Vega-Lite schema
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "day" and spec["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    assert spec["encoding"]["y"]["field"] == "reps" and spec["encoding"]["color"]["field"] == "exercise"
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
    spec = charts.reps_per_week(history, tz="UTC").to_dict()
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
    chart = charts.rom_trend(history, window=2, tz="UTC")
    spec = chart.to_dict()
    assert spec["facet"]["row"]["field"] == "exercise"
    assert spec["resolve"]["scale"]["y"] == "independent"  # degrees and torso lengths on their own axes
    layers = spec["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["point", "line"]
    assert layers[0]["encoding"]["y"]["field"] == "mean_rom" and layers[1]["encoding"]["y"]["field"] == "rolling"
    pd.testing.assert_frame_equal(chart.data, data)
    tempo = charts.tempo_trend(history, window=3, tz="UTC")
    assert tempo.data[tempo.data["exercise"] == "squat"]["rolling"].tolist() == pytest.approx(
        [2.0, 2.2, (2.0 + 2.4 + 2.2) / 3, (2.4 + 2.2 + 1.8) / 3])
    assert "rolling mean of 3 sessions" in tempo.to_dict()["title"]


def test_sets_per_session(history):
    chart = charts.sets_per_session(history, tz="UTC")
    assert chart.data["sets"].tolist() == [2, 3, 1, 2, 3, 0, 2]
    spec = chart.to_dict()
    assert spec["encoding"]["x"]["field"] == "id" and spec["encoding"]["y"]["field"] == "sets"


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
    assert spec["title"] == "Training days: current streak 1 day, longest 3"
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
                 charts.sets_per_session, charts.streak_calendar):
        make(empty).to_dict()  # the app can draw an empty history
    with pytest.raises(InputError, match="no sessions to plot"):
        charts.dashboard(empty)
