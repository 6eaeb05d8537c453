"""The one pipeline: the live worker and a file give the same reps at the same times, the
history recorder is off the analysis path (a locked database costs no rep), and keypoint files
are checked before they are trusted."""

import sqlite3
import threading

import numpy as np
import pytest

from coach.analysis import Analysis
from coach.analyze import analyze_poses, analyze_video
from coach.app.worker import LiveWorker
from coach.app.workout import Workout
from coach.cli import main
from coach.exercise_library import Library
from coach.pipeline import Pipeline
from coach.pose import load_model
from coach.sources import read_video
from coach.store import Store

HANG_S = 60  # a hang guard, not a timing


@pytest.fixture(scope="module")
def model(models_dir):
    return load_model("lightning")


class Paced:
    """A Workout that keeps each step it returns and signals after each frame, so the test can
    hand the worker one frame at a time and no frame is dropped: the live path, frame by frame."""

    def __init__(self, workout):
        self.workout = workout
        self.steps = []
        self.done = threading.Semaphore(0)

    def update(self, frame):
        try:
            step = self.workout.update(frame)
            self.steps.append(step)
            return step
        finally:
            self.done.release()


def test_the_live_worker_and_a_file_find_the_same_reps_at_the_same_times(model, clips_dir):
    exercise = Library().get("squat")
    clip = clips_dir / "squat_side_3.mp4"
    from_file = analyze_video(clip, exercise, model)

    paced = Paced(Workout(model, exercise))
    worker = LiveWorker(paced)
    for frame in read_video(clip):
        worker.submit(frame)
        assert paced.done.acquire(timeout=HANG_S)
    assert worker.stop(HANG_S)
    assert worker.stats.dropped == 0
    # Read from the steps the worker ran, not from its latest one: the set gate counts a set's
    # first two reps on two frames in a row, which a look after each frame could miss.
    live_reps = [step.result.rep for step in paced.steps if step is not None and step.result.rep is not None]
    assert [(r.index, r.start_t, r.end_t, r.counted_t) for r in live_reps] == \
        [(r.index, r.start_t, r.end_t, r.counted_t) for r in from_file.reps]
    assert len(live_reps) == 3


def test_a_locked_database_holds_up_no_rep(model, clip_poses, tmp_path):
    """Another program holds the database's write lock (a real BEGIN EXCLUSIVE) from the first
    rep on: the count goes on meanwhile, and once the lock is released every rep is stored."""
    db = tmp_path / "coach.db"
    store = Store.open(db, timeout_s=30)
    workout = Workout(model, Library().get("squat"), store, "dee")
    frames = clip_poses("squat_side_3.mp4", "lightning")  # the poses the model finds, cached
    blocker = sqlite3.connect(db, isolation_level=None, timeout=30)
    counted = []
    locked_at = None
    for pose, t in frames:
        step = workout.pipeline.step_pose(pose, t)
        if step.result.rep is not None:
            counted.append(step.result.rep.index)
            if locked_at is None:
                workout.recorder.wait()  # the first rep is in; now lock the database mid-set
                blocker.execute("BEGIN EXCLUSIVE")
                locked_at = step.result.rep.index
    assert counted == [1, 2, 3] and locked_at == 1  # counted while the database was locked
    assert workout.progress.done == 3
    reader = Store.open(db, timeout_s=30)
    blocker.execute("COMMIT")
    blocker.close()
    session_id = workout.finish()
    row = reader.session(session_id)
    assert (row["status"], row["reps"]) == ("complete", 3)
    assert list(reader.reps([session_id])["rep_index"]) == [1, 2, 3]
    assert len(reader.keypoints(session_id)) == len(frames)


def test_a_workout_of_one_rep_stores_it_when_it_ends(model, clip_poses, tmp_path):
    """One glute bridge and nothing else, begun a moment after the person came into view (a
    second with nobody seen first), so before they were set up: no second rep ever makes a set,
    so the set gate counts the lone rep when the workout ends, and it reaches the history like any
    other. (From the clip's first frame the person is set up and it counts as it ends.)"""
    store = Store.open(tmp_path / "coach.db")
    workout = Workout(model, Library().get("glute_bridge"), store, "dee")
    clip = clip_poses("glute_bridge_1.mp4", "lightning")
    dt = clip[1][1] - clip[0][1]
    frames = [(None, i * dt) for i in range(int(1 / dt))] + [(pose, 1 + t) for pose, t in clip]
    counts = [workout.pipeline.step_pose(pose, t).result.reps for pose, t in frames]
    assert counts[-1] == 0  # held: it may yet be the first rep of a set
    session_id = workout.finish()
    assert workout.progress.done == 1
    assert (store.session(session_id)["reps"], list(store.reps([session_id])["rep_index"])) == (1, [1])


@pytest.mark.parametrize("clip, exercise, view", [("jumping_jacks_11.mp4", "jumping_jack", "front"),
                                                  ("squat_side_3.mp4", "squat", "side")])
def test_a_session_s_camera_view_is_decided_once_and_stored_with_it(model, clip_poses, tmp_path, clip, exercise, view):
    """The pipeline decides the view (coach.camera_view.SessionView); a live workout stores it as
    it ends, and a file's Analysis, which the CLI and the Analyse page store, reports the same."""
    store = Store.open(tmp_path / "coach.db")
    kind = Library().get(exercise)
    workout = Workout(model, kind, store, "dee")
    poses = clip_poses(clip, "lightning")
    steps = [workout.pipeline.step_pose(pose, t) for pose, t in poses]
    session_id = workout.finish()
    assert steps[-1].session_view == analyze_poses(kind, poses).view == store.session(session_id)["view"] == view


def write_times(path, times):
    np.save(path.with_name(path.stem + ".times.npy"), times)


GOOD = np.full((10, 17, 3), 0.5, np.float32)


def huge_header(path):
    """A .npy whose header claims 5e12 frames over a few bytes of data."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (5_000_000_000_000, 17, 3)}
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(file, header)
        file.write(b"\0" * 64)


@pytest.mark.parametrize("make, bad, message", [
    (lambda p: p.write_bytes(b""), "bad.npy", "the file is empty"),
    (lambda p: (np.save(p, GOOD), p.with_name("bad.times.npy").write_bytes(b"")), "bad.times.npy", "the file is empty"),
    (huge_header, "bad.npy", "the header claims 5000000000000 frames"),
    (lambda p: (np.save(p, GOOD), write_times(p, np.array([str(i) for i in range(10)]))), "bad.times.npy",
     "expected float64 [10] of frame times in seconds, got <U1 [10]"),
    (lambda p: (np.save(p, GOOD), write_times(p, np.array([{"t": i} for i in range(10)], dtype=object))),
     "bad.times.npy", "expected float64 [10] of frame times in seconds, got object [10]"),
    (lambda p: np.save(p, np.full((10, 17, 3), 1e300)), "bad.npy",
     "10 frame(s) hold NaN or infinite values (or values beyond float32)"),
    (lambda p: (np.save(p, GOOD), write_times(p, np.arange(10) / 30), p.with_name("bad.meta.json").write_text('{"width": 0, "height": 480}')),
     "bad.meta.json", "width and height must be positive whole numbers, got 0 and 480"),
    (lambda p: (np.save(p, GOOD), write_times(p, np.arange(10) / 30), p.with_name("bad.meta.json").write_text('{"width": -640, "height": 480}')),
     "bad.meta.json", "width and height must be positive whole numbers, got -640 and 480"),
    (lambda p: (np.save(p, GOOD), write_times(p, np.arange(10) * 1e-12)), "bad.times.npy",
     "the times imply 1e+12 frames per second, over the 1000 coach takes (as for --fps)"),
])
def test_bad_keypoint_files_are_one_line_errors_naming_the_file(tmp_path, capsys, make, bad, message):
    path = tmp_path / "bad.npy"
    make(path)
    assert main(["analyze", str(path), "--exercise", "squat"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"coach: error: {tmp_path / bad}: ") and err.count("\n") == 1, err
    assert message in err, err


def test_a_file_filmed_from_the_wrong_side_warns_about_the_camera_angle(clip_poses):
    """The view check is in the pipeline, so a file hears of the camera angle as the live view does."""
    poses = clip_poses("squat_side_3.mp4", "lightning")
    jacks = Library().get("jumping_jack")
    analysis = Pipeline(None, jacks).run_poses(poses, Analysis(jacks, size=poses[0][0].size))
    assert "the camera saw the person from the side; the jumping jack is counted from the front or back" \
        in analysis.warnings
    squat = Library().get("squat")
    assert not any("camera saw" in w for w in Pipeline(None, squat).run_poses(poses, Analysis(squat, size=poses[0][0].size)).warnings)
