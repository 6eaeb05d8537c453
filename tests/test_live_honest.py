"""Honest live figures: reps counted while too few frames were analysed, or while the camera saw
the wrong side, are flagged (and stored so in the history), and the page is told why. Frame rates
are of stream time and the camera waits for the worker, so no test here depends on the machine's
load."""

import pytest

from coach.app.live_notes import notes
from coach.app.worker import LiveWorker
from coach.app.workout import Workout
from coach.exercise_library import Library
from coach.framerate import FPS_FLOOR, needed_fps
from coach.pipeline import LOW_FPS, WRONG_VIEW, Pipeline
from coach.pose import load_model
from coach.sources import read_video
from coach.store import Store

HANG_S = 60


@pytest.fixture(scope="module")
def library():
    return Library()


@pytest.fixture(scope="module")
def jacks(clips_dir):
    return list(read_video(clips_dir / "jumping_jacks_11.mp4"))


def flagged(steps, flag):
    return [s.result.rep.index for s in steps if s.result.rep is not None and flag in s.result.rep.flags]


def test_the_rate_a_rep_needs_comes_from_its_length_with_a_floor():
    assert needed_fps(None) == FPS_FLOOR
    assert needed_fps(2.0) == FPS_FLOOR  # a slow squat: the floor
    assert needed_fps(0.5) == pytest.approx(20.0)  # a 0.5 s jumping jack: 10 frames over it


def test_jacks_sped_up_lose_reps_below_the_rate_a_rep_needs(library, clip_poses):
    """Why FRAMES_PER_REP is 10: jumping jacks at 0.67 s a rep (jumping_jacks_15 played 1.6 times
    as fast) keep all 15 reps at 16 fps and lose some at 10 fps or less: about 7 frames a rep."""
    poses = [(pose, t / 1.6) for pose, t in clip_poses("jumping_jacks_15.mp4")]

    def count(step):
        pipeline = Pipeline(None, library.get("jumping_jack"))
        steps = [pipeline.step_pose(pose, t) for pose, t in poses[::step]]
        return pipeline.reps, steps

    full, steps = count(1)
    assert full == 15 and flagged(steps, LOW_FPS) == []  # 48 fps: nothing to flag
    low, steps = count(5)  # 9.6 fps
    assert low < 15
    assert steps[-1].too_slow
    assert flagged(steps, LOW_FPS) == list(range(1, low + 1))  # every rep counted then is marked


def test_a_worker_fed_at_8_fps_warns_and_flags_and_stores_its_reps(library, jacks, models_dir, tmp_path):
    """The camera at a third of the clip's rate (8 fps), each frame waiting for the worker: the
    page gets the warning with its remedy, and the reps are stored flagged low_fps."""
    from fractions import Fraction

    import av

    store = Store.open(tmp_path / "coach.db")
    workout = Workout(load_model("lightning-int8"), library.get("jumping_jack"), store, "me")
    worker = LiveWorker(workout, on_stopped=workout.finish)
    for frame in jacks[::3]:
        av_frame = av.VideoFrame.from_ndarray(frame.image, format="rgb24")
        av_frame.pts, av_frame.time_base = round(frame.t * 90000), Fraction(1, 90000)
        worker.callback(av_frame)
        assert worker.wait_idle(HANG_S)
    step = worker.latest.result
    assert step.too_slow and step.fps == pytest.approx(8.0, abs=0.5)
    [(kind, text)] = notes(step, library.get("jumping_jack"))
    assert kind == "low_fps"
    assert text.startswith("Analysing 8 fps: jumping jack needs")
    assert "lighter live model" in text and "smaller camera size" in text
    assert worker.stop(HANG_S)
    reps = store.reps([workout.session_id])
    assert len(reps) == workout.progress.done > 0
    assert all(LOW_FPS in flags.split(",") for flags in reps["flags"])


def test_side_view_squats_picked_as_jumping_jacks_are_flagged_with_the_reason(library, clip_poses):
    """squat_side_3 with Jumping jack picked: the camera sees the side, the jumping jack is
    counted from the front, so what is counted is flagged wrong_view and the page says why."""
    pipeline = Pipeline(None, library.get("jumping_jack"))
    steps = [pipeline.step_pose(pose, t) for pose, t in clip_poses("squat_side_3.mp4")]
    reps = [s.result.rep for s in steps if s.result.rep is not None]
    assert all(WRONG_VIEW in rep.flags for rep in reps)
    assert reps  # counted by the arm signal, which squats swing too
    assert dict(notes(steps[-1], library.get("jumping_jack")))["wrong_view"] == (
        f"{len(reps)} reps flagged wrong_view: counted while the camera saw you from a side the jumping jack "
        "is not counted from (it is counted from the front or back).")
    assert steps[-1].setup == "Turn so the camera sees you from the front or back: it sees your side now."


def test_the_right_exercise_from_the_right_side_is_not_flagged(library, clip_poses):
    for clip, exercise in [("squat_side_3.mp4", "squat"), ("jumping_jacks_11.mp4", "jumping_jack")]:
        pipeline = Pipeline(None, library.get(exercise))
        steps = [pipeline.step_pose(pose, t) for pose, t in clip_poses(clip)]
        assert flagged(steps, WRONG_VIEW) == [] and flagged(steps, LOW_FPS) == []
        assert not any(notes(s, library.get(exercise)) for s in steps)


def test_a_rep_counted_when_the_stream_ends_is_judged_on_the_frames_over_it(library, clip_poses):
    """glute_bridge_1's one rep, two minutes out of view, then the clip again: the first rep, done
    set up, counts as it ends; the second, begun just after coming back (not set up yet), is a lone
    rep that the set gate counts only when the stream ends, over two minutes after the first. Each
    is judged on the frames analysed over it: not low_fps at the clip's rate, low_fps at a fifth
    of it."""
    clip = clip_poses("glute_bridge_1.mp4")
    dt = clip[1][1] - clip[0][1]
    away = [(None, clip[-1][1] + dt * (i + 1)) for i in range(int(120 / dt))]
    again = [(pose, away[-1][1] + dt + t) for pose, t in clip]

    def reps(step):
        """(the reps counted during the stream, those counted when it ends)"""
        pipeline = Pipeline(None, library.get("glute_bridge"))
        steps = [pipeline.step_pose(pose, t) for pose, t in [*clip, *away, *again][::step]]
        return [s.result.rep for s in steps if s.result.rep is not None], [s.result.rep for s in pipeline.flush()]

    during, at_end = reps(1)
    assert [rep.index for rep in during] == [1] and [rep.index for rep in at_end] == [2]
    assert at_end[0].start_t - during[0].end_t > 120
    assert [LOW_FPS in rep.flags for rep in during + at_end] == [False, False]
    assert all(rep.fps == pytest.approx(1 / dt, rel=0.01) for rep in during + at_end)
    during, at_end = reps(5)
    assert [LOW_FPS in rep.flags for rep in during + at_end] == [True, True]
