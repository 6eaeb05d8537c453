"""`coach analyze` end to end: the shared clips through the real MoveNet models give their labelled
counts, the JSON, tables and overlay are written, and bad input gets a one-line error."""

import json

import cv2
import numpy as np
import pandas as pd
import pytest

from coach.cli import main

JSON_KEYS = ["input", "exercise", "reps", "sets", "duration_s", "frames", "fps", "reps_detail", "warnings", "rejected"]


def analyze_json(capsys, *args) -> list[dict]:
    assert main(["analyze", *map(str, args), "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def labels(clips_dir) -> pd.DataFrame:
    return pd.read_csv(clips_dir / "labels.csv")


# Thunder costs 3-6x Lightning a frame, so to keep the suite under CI's 30 minutes it counts the
# shortest clip of each exercise and the clip with none (half the frames); every clip is counted
# on both Lightning models.
THUNDER_CLIPS = {"squat_side_3.mp4", "jumping_jacks_11.mp4", "glute_bridge_1.mp4", "no_exercise_balance.mp4",
                 "pullup_9_4.mp4", "pushup_dumbbell_6.mp4", "lunge_side_3.mp4"}


@pytest.mark.parametrize("model", ["lightning", pytest.param("lightning-int8", marks=pytest.mark.slow),
                                   pytest.param("thunder", marks=pytest.mark.slow)])
def test_every_shared_clip_gets_its_labelled_count(clips_dir, clip_poses, model):
    """Each model's poses, crop tracking on, as `coach analyze` finds them (the poses are computed
    once per clip and model for the whole run: tests/conftest.py), through the pipeline."""
    from coach.analyze import analyze_poses
    from coach.exercise_library import Library

    library = Library()
    for row in labels(clips_dir).itertuples():
        if model == "thunder" and row.file not in THUNDER_CLIPS:
            continue
        poses = clip_poses(row.file, model)
        analysis = analyze_poses(library.get(row.exercise), poses)
        assert analysis.count == row.reps, f"{model} {row.file}: {analysis.count} {row.exercise} reps, labelled {row.reps}"
        assert len(analysis.reps) == row.reps
        cap = cv2.VideoCapture(str(clips_dir / row.file))
        assert len(poses) == int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), f"{row.file}: a frame was lost"


# The clips of one clean movement repeated: the definition-free `auto` exercise counts them as
# their own definitions do. (On the others it needs what a definition knows: squat_side_2_long_idle
# raises its arms after the squats, which is a repeated movement too; squat_side_3_then_hold pulses
# in its hold; pushup_side_30 pikes between reps.)
AUTO_CLIPS = {"squat_side_3.mp4", "jumping_jacks_11.mp4", "jumping_jacks_15.mp4", "jumping_jacks_2_multi_person.mp4",
              "glute_bridge_1.mp4", "lunge_side_3.mp4", "pullup_9_4.mp4", "pushup_dumbbell_6.mp4"}


def test_auto_counts_a_clean_clip_of_any_exercise_with_no_definition_of_it(clips_dir, clip_poses):
    from coach.analyze import analyze_poses
    from coach.exercise_library import Library

    auto = Library().get("auto")
    for row in labels(clips_dir).itertuples():
        if row.file in AUTO_CLIPS:
            count = analyze_poses(auto, clip_poses(row.file, "lightning")).count
            assert count == row.reps, f"auto on {row.file}: {count}, labelled {row.reps} {row.exercise} reps"


def test_overlay_tables_and_reps_detail(clips_dir, tmp_path, capsys):
    out_video = tmp_path / "squat.mp4"
    [out] = analyze_json(capsys, clips_dir / "squat_side_3.mp4", "--exercise", "squat",
                         "--out", out_video, "--tables", tmp_path / "tables")
    assert list(out) == JSON_KEYS
    assert out["exercise"] == "squat" and out["reps"] == 3 and out["sets"] == 1 and out["warnings"] == []
    assert (out["frames"], out["fps"]) == (354, 30.0)
    rep = out["reps_detail"][0]
    for key in ("rep", "set", "start_t", "end_t", "counted_t", "rom_min", "rom_max", "time_down", "time_bottom", "time_up",
                "peak_speed", "asymmetry", "confidence", "flags", "knee_min"):
        assert key in rep
    assert 0 < rep["start_t"] < rep["end_t"] < out["duration_s"] and rep["rom_max"] - rep["rom_min"] > 30
    assert isinstance(rep["flags"], list)
    # The person stands ready at the start: every rep is counted as it ends, the first included.
    assert all(0 <= r["counted_t"] - r["end_t"] <= 0.3 for r in out["reps_detail"])
    # The overlay has every frame, at the clip's size and rate, with the HUD drawn in its corner.
    video = cv2.VideoCapture(str(out_video))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == out["frames"]
    assert (int(video.get(3)), int(video.get(4))) == (640, 360)
    source = cv2.VideoCapture(str(clips_dir / "squat_side_3.mp4"))
    (_, drawn), (_, plain) = video.read(), source.read()
    corner = (slice(10, 60), slice(10, 200))
    assert np.abs(drawn[corner].astype(int) - plain[corner].astype(int)).mean() > 20
    frames = pd.read_csv(tmp_path / "tables" / "squat_side_3_frames.csv")
    reps = pd.read_csv(tmp_path / "tables" / "squat_side_3_reps.csv")
    session = pd.read_csv(tmp_path / "tables" / "squat_side_3_session.csv")
    assert len(frames) == out["frames"] and frames["reps"].iloc[-1] == 3
    assert list(reps["rep"]) == [1, 2, 3]
    assert session.loc[0, "reps"] == 3 and session.loc[0, "exercise"] == "squat"


def test_keypoint_files_and_several_inputs(repcount_dir, tmp_path, capsys):
    series = np.load(repcount_dir / "stu1_27.npy")
    np.save(tmp_path / "jacks.npy", series)
    np.save(tmp_path / "jacks.times.npy", np.arange(len(series)) / 30.0)
    np.save(tmp_path / "nobody.npy", np.zeros((60, 17, 3), np.float32))
    outs = analyze_json(capsys, tmp_path / "jacks.npy", repcount_dir / "stu1_27.npy", tmp_path / "nobody.npy",
                        "--exercise", "jumping_jack", "--fps", "30")
    assert [o["reps"] for o in outs] == [7, 7, 0]
    assert outs[0]["fps"] == 30.0 and outs[0]["frames"] == len(series)
    assert outs[2]["warnings"] == [
        "no person was seen in any frame (the jumping jack needs shoulder, elbow, hip in view)"]
    # Without --fps, the times beside the file are used.
    [out] = analyze_json(capsys, tmp_path / "jacks.npy", "--exercise", "jumping_jack")
    assert out["reps"] == 7


@pytest.mark.parametrize("make, message", [
    (lambda p: np.save(p, np.zeros((10, 17, 2), np.float32)), "expected float32 [frames, 17, 3] of (y, x, score), got float32 [10, 17, 2]"),
    (lambda p: np.save(p, np.full((10, 17, 3), np.nan, np.float32)), "10 frame(s) hold NaN or infinite values"),
    (lambda p: p.write_text("not numpy"), "not a .npy array"),
])
def test_bad_keypoint_files_get_one_line_errors(tmp_path, capsys, make, message):
    path = tmp_path / "bad.npy"
    make(path)
    assert main(["analyze", str(path), "--exercise", "squat", "--fps", "30"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"coach: error: {path}: ") and message in err and err.count("\n") == 1


def test_unknown_exercise_lists_the_valid_ones(tmp_path, capsys):
    assert main(["analyze", "whatever.mp4", "--exercise", "squats"]) == 1
    err = capsys.readouterr().err
    assert err == ("coach: error: unknown exercise 'squats' (valid: auto, bench_press, bicep_curl, front_raise, glute_bridge, "
                   "jumping_jack, lunge, plank, pull_up, push_up, shoulder_press, sit_up, squat, wall_sit)\n")


def test_missing_fps_and_missing_file(tmp_path, capsys):
    np.save(tmp_path / "k.npy", np.zeros((5, 17, 3), np.float32))
    assert main(["analyze", str(tmp_path / "k.npy"), "--exercise", "squat"]) == 1
    assert "no k.times.npy beside it: give its frame rate with --fps" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "none.mp4"), "--exercise", "squat"]) == 1
    assert capsys.readouterr().err == f"coach: error: {tmp_path / 'none.mp4'}: no such file\n"


def test_not_a_video(tmp_path, capsys, models_dir):  # the model is loaded before the file is opened
    (tmp_path / "fake.mp4").write_bytes(b"not a video at all")
    assert main(["analyze", str(tmp_path / "fake.mp4"), "--exercise", "squat"]) == 1
    assert capsys.readouterr().err.startswith(f"coach: error: {tmp_path / 'fake.mp4'}: not a video")



@pytest.mark.parametrize("clip, exercise, reps", [("squat_side_3.mp4", "squat", 3), ("jumping_jacks_15.mp4", "jumping_jack", 15)])
def test_dropped_frames_and_half_the_frame_rate_keep_the_count(clip_poses, clip, exercise, reps):
    """The same MoveNet poses with 15% of the frames dropped at random, or every other frame gone,
    count the same: the session runs on the frames' times, not on their number."""
    from coach.analyze import analyze_poses
    from coach.exercise_library import Library

    exercise = Library().get(exercise)
    stream = clip_poses(clip, "lightning")
    assert analyze_poses(exercise, stream).count == reps
    rng = np.random.default_rng(7)
    for keep in [rng.random(len(stream)) > 0.15 for _ in range(3)] + [np.arange(len(stream)) % 2 == 0]:
        assert analyze_poses(exercise, [s for s, k in zip(stream, keep) if k]).count == reps
