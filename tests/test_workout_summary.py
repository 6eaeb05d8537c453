"""The card at End workout, read back from a real SQLite history: the workout's sets, reps per
set, time per rep, range and cues, beside the same person's last workout of the same exercise."""

import pytest

from coach.app.workout_summary import summarise, table
from coach.exercise_library import Library
from coach.pipeline import Pipeline
from coach.store import Store, record


def results(exercise, poses):
    pipeline = Pipeline(None, exercise)
    return [pipeline.step_pose(pose, t).result for pose, t in poses]


def test_the_card_gives_this_workout_beside_the_last_one_of_the_same_exercise(clip_poses, tmp_path):
    library = Library()
    squat, jack = library.get("squat"), library.get("jumping_jack")
    with Store.open(tmp_path / "coach.db") as store:
        first = record(store, results(squat, clip_poses("squat_side_3.mp4")), "squat", "dana", source="live")
        record(store, results(jack, clip_poses("jumping_jacks_11.mp4")), "jumping_jack", "dana", source="live")
        record(store, results(squat, clip_poses("squat_side_2_long_idle.mp4")), "squat", "eve", source="live")
        shown = results(squat, clip_poses("squat_side_3_then_hold.mp4"))
        now = record(store, shown, "squat", "dana", source="live")
        summary = summarise(store, now, squat)
        shown_table = table(summary, squat)
        alone = summarise(store, first, squat)
        store_tempo = store.session(now)["mean_tempo_s"]

    this, last = summary.this, summary.last
    assert (this.reps, this.sets, last.session_id, last.reps, last.sets) == (3, (3,), first, 3, (3,))
    reps = [r.rep for r in shown if r.rep is not None]
    assert this.down_s == sum(r.time_down for r in reps) / 3 and this.range_min < 100 < this.range_max
    cue_of = {rule.rule: rule.cue for rule in squat.form}
    assert sum(this.cues.values()) == sum(flag in cue_of for r in reps for flag in r.flags)
    assert list(shown_table.index) == ["Reps per set", "Time per rep", "Range", "Cues"]
    [now_column, last_column] = shown_table.columns
    assert last_column.startswith("Last time (")
    assert shown_table.loc["Reps per set"].tolist() == ["3", "3"]
    # History's time per rep, made of the Analyse rep table's three parts, which add up to it.
    assert this.rep_s == store_tempo and this.rep_s == pytest.approx(this.down_s + this.far_s + this.up_s)
    assert shown_table.loc["Time per rep", now_column] == (
        f"{this.rep_s:.1f} s ({this.down_s:.1f} s descending, {this.far_s:.1f} s pause at bottom, {this.up_s:.1f} s ascending)")
    assert shown_table.loc["Range", now_column] == f"{this.range_min:.0f}-{this.range_max:.0f} deg"
    # The first workout has nothing before it: another person's, or another exercise's, is no comparison.
    assert alone.last is None and list(table(alone, squat).columns) == ["This workout"]


def test_a_holds_card_gives_the_time_held_not_reps(clip_poses, tmp_path):
    """wall_sit over the half-squat hold in squat_side_3_then_hold (8 s from 9 s), twice."""
    from coach.analyze import analyze_poses

    wall_sit = Library().get("wall_sit")
    analysis = analyze_poses(wall_sit, clip_poses("squat_side_3_then_hold.mp4"))
    with Store.open(tmp_path / "coach.db") as store:
        record(store, analysis.results, "wall_sit", "ann")
        now = record(store, analysis.results, "wall_sit", "ann")
        summary = summarise(store, now, wall_sit)
    held = summary.this.held_s
    assert held == summary.last.held_s and 5 < held < 9 and len(summary.this.sets_held_s) >= 1
    shown = table(summary, wall_sit)
    assert list(shown.index) == ["Held per set", "Cues"]
    assert shown.iloc[0].tolist() == [" + ".join(f"{h:.1f} s" for h in summary.this.sets_held_s)] * 2
