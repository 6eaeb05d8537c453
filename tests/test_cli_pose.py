"""`coach pose` as a user runs it: the console script in a subprocess."""

import json
import subprocess
import sys

import cv2
import imageio.v2 as imageio
import numpy as np
import pytest

from coach.pose.skeleton import KEYPOINTS


def coach(*args):
    return subprocess.run([sys.executable, "-m", "coach", *map(str, args)], capture_output=True, text=True)


def test_image_json_and_overlay(shared, tmp_path):
    out = tmp_path / "astronaut.png"
    result = coach("pose", shared / "data" / "images" / "astronaut.png", "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "lightning"
    assert [k["name"] for k in data["keypoints"]] == KEYPOINTS
    nose = data["keypoints"][0]
    assert 150 < nose["x"] < 300 and 60 < nose["y"] < 200 and nose["score"] > 0.4
    assert 0.2 < data["score"] < 1
    overlay = cv2.imread(str(out))
    original = cv2.imread(str(shared / "data" / "images" / "astronaut.png"))
    assert overlay.shape == original.shape
    assert (np.abs(overlay.astype(int) - original).sum(axis=2) > 60).mean() > 0.005


def test_video_keypoints_and_times(clips_dir, tmp_path):
    keypoints = tmp_path / "bridge.npy"
    video = tmp_path / "bridge.mp4"
    result = coach("pose", clips_dir / "glute_bridge_1.mp4", "--model", "lightning-int8",
                   "--keypoints-out", keypoints, "--out", video, "--json")
    assert result.returncode == 0, result.stderr
    series = np.load(keypoints)
    times = np.load(tmp_path / "bridge.times.npy")
    assert series.dtype == np.float32 and series.shape == (91, 17, 3)
    assert times.shape == (91,) and times[0] == 0 and np.all(np.diff(times) > 0)
    # Normalised (y, x, score) as MoveNet gives them; the person is in view all along.
    assert series[..., :2].min() > -0.1 and series[..., :2].max() < 1.1
    assert series[..., 2].mean() > 0.4
    assert json.loads(result.stdout)["frames"] == 91
    written = cv2.VideoCapture(str(video))
    assert int(written.get(cv2.CAP_PROP_FRAME_COUNT)) == 91
    assert written.read()[1].shape == (480, 640, 3)


def test_video_to_gif(clips_dir, tmp_path):
    gif = tmp_path / "balance.gif"
    result = coach("pose", clips_dir / "no_exercise_balance.mp4", "--out", gif)
    assert result.returncode == 0, result.stderr
    frames = imageio.mimread(gif)
    # 100 frames at 60 fps become 25 at 15 fps, 480 px wide at most.
    assert len(frames) == 25
    assert frames[0].shape[1] <= 480


@pytest.mark.parametrize("case", ["missing", "text", "truncated", "bad_model", "unknown_model", "wrong_out"])
def test_bad_input_is_one_line_and_a_nonzero_exit(case, tmp_path, clips_dir):
    clip = clips_dir / "glute_bridge_1.mp4"
    args = {
        "missing": ["pose", tmp_path / "missing.mp4"],
        "text": ["pose", tmp_path / "notes.mov"],
        "truncated": ["pose", tmp_path / "cut.mp4"],
        "bad_model": ["pose", clip, "--model", tmp_path / "weights.tflite"],
        "unknown_model": ["pose", clip, "--model", "lightening"],
        "wrong_out": ["pose", clip, "--out", tmp_path / "overlay.png"],
    }[case]
    (tmp_path / "notes.mov").write_text("hello")
    (tmp_path / "cut.mp4").write_bytes(clip.read_bytes()[:3000])
    (tmp_path / "weights.tflite").write_bytes(b"\0" * 64)
    result = coach(*args)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("coach:")]
    assert len(lines) == 1 and lines[0].startswith("coach: error: ")
    assert "Traceback" not in result.stderr


def test_a_videos_keypoint_file_counts_like_the_video(clips_dir, tmp_path):
    """`coach pose --keypoints-out` keeps the frame times and image size, so `coach analyze` on the
    keypoint file measures the same angles, at the same times, as on the video itself."""
    keypoints = tmp_path / "squat.npy"
    assert coach("pose", clips_dir / "squat_side_3.mp4", "--keypoints-out", keypoints).returncode == 0
    meta = json.loads((tmp_path / "squat.meta.json").read_text())
    assert (meta["width"], meta["height"]) == (640, 360)
    counts = []
    for source in [clips_dir / "squat_side_3.mp4", keypoints]:
        result = coach("analyze", source, "--exercise", "squat", "--json")
        assert result.returncode == 0, result.stderr
        counts.append(json.loads(result.stdout))
    video, from_file = counts
    assert video["reps"] == from_file["reps"] == 3
    for a, b in zip(video["reps_detail"], from_file["reps_detail"]):
        assert a["end_t"] == pytest.approx(b["end_t"], abs=0.05)
        assert a["rom_min"] == pytest.approx(b["rom_min"], abs=1.0)
