"""The session as tables: one row per frame, per rep and per session, with totals worked out from
the reps and the duration and frame rate from the frames' timestamps."""

import math

import pytest

from coach.metrics import REP_COLUMNS, frames_table, reps_table, session_table, summarise
from coach.types import Cue, FrameResult, RepEvent


def rep(index: int, set_index: int, start_t: float, end_t: float, rom_min: float, flags=(), metrics=None) -> RepEvent:
    return RepEvent(index, set_index, start_t, end_t, rom_min, 170.0, 0.5, 0.2, 0.5, 120.0, None, 0.9, flags,
                    metrics or {})


REPS = [rep(1, 1, 1.0, 3.0, 90.0, metrics={"hip_min": 80.0}), rep(2, 1, 3.0, 4.0, 110.0, ("shallow",), {"hip_min": 95.0}),
        rep(3, 2, 20.0, 22.0, 100.0, metrics={"hip_min": 85.0})]


def test_summarise_counts_reps_and_sets_and_averages_range_and_tempo():
    totals = summarise([80.0, 60.0, 70.0], [2.0, 1.0, 2.0], [1, 1, 2])
    assert totals == {"reps": 3, "sets": 2, "mean_rom": 70.0, "mean_tempo_s": pytest.approx(5 / 3)}
    empty = summarise([], [], [])
    assert (empty["reps"], empty["sets"]) == (0, 0) and math.isnan(empty["mean_rom"]) and math.isnan(empty["mean_tempo_s"])


def test_a_row_per_rep_with_its_duration_range_flags_and_extra_metrics():
    table = reps_table(REPS)
    assert list(table.columns) == [*REP_COLUMNS, "hip_min"]
    assert list(table["rep"]) == [1, 2, 3] and list(table["set"]) == [1, 1, 2]
    assert list(table["duration"]) == [2.0, 1.0, 2.0] and list(table["rom"]) == [80.0, 60.0, 70.0]
    assert list(table["flags"]) == ["", "shallow", ""] and list(table["hip_min"]) == [80.0, 95.0, 85.0]
    assert list(reps_table([]).columns) == REP_COLUMNS


def test_the_session_row_takes_duration_and_frame_rate_from_the_timestamps():
    # 5 fps for 2 s with the frame at 1.2 s dropped: 10 frames, 9 intervals in 2 s.
    times = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.4, 1.6, 1.8, 2.0]
    results = [FrameResult(t, None, {"knee": 170.0}, "standing", 0, 0, True) for t in times]
    row = session_table("squat", results, REPS).iloc[0]
    assert row["duration_s"] == pytest.approx(2.0) and row["frames"] == 10 and row["fps"] == pytest.approx(4.5)
    assert (row["reps"], row["sets"], row["flagged_reps"]) == (3, 2, 1)
    assert row["mean_rom"] == pytest.approx(70.0) and row["mean_tempo_s"] == pytest.approx(5 / 3)


def test_a_row_per_frame_with_its_signals_rep_number_and_cue():
    cue = Cue("shallow", "Go deeper", "warning", 0.1)
    results = [FrameResult(0.0, None, {"knee": 150.0}, "descending", 0, 0, True),
               FrameResult(0.1, None, {"knee": 170.0}, "standing", 1, 1, True, REPS[0], cue, ("low light",))]
    table = frames_table(results)
    assert list(table.columns) == ["t", "phase", "reps", "sets", "visible", "knee", "rep", "cue", "warnings"]
    assert list(table["rep"]) == [0, 1] and list(table["cue"]) == ["", "Go deeper"]
    assert list(table["warnings"]) == ["", "low light"]
    assert len(frames_table([])) == 0
