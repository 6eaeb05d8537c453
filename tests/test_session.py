"""The session: one causal step for files and live frames, time from timestamps, the person gate,
form cues with cooldowns, and the tables."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from coach.analyze import analyze_keypoints, analyze_poses
from coach.exercise_library import BUILTIN_DIR, Library
from coach.exercises import load
from coach.keypoints import KeypointSeries
from coach.pose.layout import pixels_from_movenet
from coach.pose.skeleton import Keypoint as K
from coach.session import Session
from coach.types import Pose
from support import reps_signal

SQUAT = load(BUILTIN_DIR / "squat.yaml")
SIZE = (640, 480)


def squat_pose(knee: float, x0: float = 320, score: float = 0.8) -> Pose:
    """A side-on squatter in a 640x480 frame: thighs and shins 90 px, the knee bent to `knee`
    degrees (180 standing), the hips sinking as it bends and the torso leaning a little."""
    kp = np.zeros((17, 3), np.float32)
    kp[:, 2] = score
    bend = math.radians(180 - knee)
    ankle = np.array([x0, 440.0])
    knee_xy = ankle + 90 * np.array([math.sin(bend / 2), -math.cos(bend / 2)])
    hip = knee_xy + 90 * np.array([-math.sin(bend / 2), -math.cos(bend / 2)])
    shoulder = hip + 110 * np.array([math.sin(bend / 3), -math.cos(bend / 3)])
    for side in ("left", "right"):
        kp[K[f"{side}_ankle"], :2] = ankle
        kp[K[f"{side}_knee"], :2] = knee_xy
        kp[K[f"{side}_hip"], :2] = hip
        kp[K[f"{side}_shoulder"], :2] = shoulder
        kp[K[f"{side}_elbow"], :2] = shoulder + (30, 50)
        kp[K[f"{side}_wrist"], :2] = shoulder + (60, 60)
    kp[:5, :2] = shoulder + (10, -40)
    return Pose(kp, SIZE)


def squat_knees(n: int, fps: float, bottom: float = 80.0, period: float = 2.0, rest: float = 1.0):
    return reps_signal(n, period, top=175, bottom=bottom, fps=fps, rest=rest)


def test_counts_squats_from_poses_and_reports_every_signal():
    t, knees = squat_knees(4, 30)
    analysis = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti in zip(knees, t)))
    assert analysis.count == 4 and analysis.sets == 1
    result = analysis.results[len(t) // 2]
    assert set(result.signals) == {"knee", "hip", "torso_lean"} and result.visible
    rep = analysis.reps[0]
    hips = [r.signals["hip"] for r in analysis.results if rep.start_t <= r.t <= rep.end_t]
    assert (rep.rom_min, rep.rom_max) == pytest.approx((min(hips), max(hips)))  # the hip angle drives the squat
    assert rep.rom_max - rep.rom_min > 50
    assert rep.metrics["knee_min"] == pytest.approx(80, abs=3)
    assert rep.asymmetry == pytest.approx(0, abs=1e-3)  # both sides seen, identical
    assert set(rep.metrics) == {"knee_min", "hip_min", "torso_lean_max"}
    assert rep.confidence == pytest.approx(0.8)


def test_standing_ready_every_rep_counts_on_the_frame_it_ends_the_first_included():
    """A squatter standing still in view first (the set-up position): no rep waits for another."""
    t, knees = squat_knees(3, 30)
    results = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti in zip(knees, t))).results
    reps = [r.rep for r in results if r.rep is not None]
    assert [r.index for r in reps] == [1, 2, 3] and not any(r.waiting for r in results)
    assert all(rep.counted_t == rep.end_t for rep in reps)


def test_a_sets_first_rep_not_from_the_set_up_position_is_said_to_be_waiting_until_the_second_counts_it():
    """A squatter still walking in (hips travelling 2 torso lengths a second) until the first squat
    has begun: that squat waits for the second."""
    t, knees = squat_knees(3, 30)
    x0 = 100 + 220 * np.minimum(t, 2.0)
    results = analyze_poses(SQUAT, ((squat_pose(k, x), ti) for k, x, ti in zip(knees, x0, t))).results
    waiting = [i for i, r in enumerate(results) if r.waiting]
    counted = [i for i, r in enumerate(results) if r.rep is not None]
    assert waiting == list(range(waiting[0], counted[0]))  # one stretch, until it counts
    assert results[waiting[0]].reps == 0 and results[counted[0]].reps == 1
    assert waiting[0] > counted[0] - 3 * 30  # since the first rep came back, a rep or so before
    # The video overlay says so too: "reps +1" under the title, inside the count panel.
    from coach.render import draw_hud

    held = results[waiting[0]]
    blank = np.zeros((480, 640, 3), np.uint8)
    drawn = draw_hud(blank, held, SQUAT) != draw_hud(blank, dataclasses.replace(held, waiting=False), SQUAT)
    rows, columns = np.nonzero(drawn.any(axis=2))
    assert len(rows) and columns.min() > 10 + 82 and columns.max() < 10 + 170 and 30 < rows.min() < rows.max() < 60


@pytest.mark.parametrize("fps", [24, 30, 60])
def test_the_count_does_not_depend_on_the_frame_rate_or_dropped_frames(fps):
    t, knees = squat_knees(5, fps)
    keep = np.ones(len(t), bool)
    keep[np.random.default_rng(fps).choice(len(t), len(t) // 10, replace=False)] = False  # drop 10%
    for mask in (np.ones(len(t), bool), keep):
        analysis = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti, m in zip(knees, t, mask) if m))
        assert analysis.count == 5


def test_a_file_and_the_same_frames_live_get_the_same_count(repcount_dir, tmp_path):
    """`coach analyze` on a keypoint file and a Session fed the same frames one by one, as the
    live camera does, agree frame for frame."""
    library = Library()
    labels = pd.read_csv(repcount_dir / "labels.csv").set_index("name")
    for name in ("stu1_27", "stu4_63", "stu2_34"):
        exercise = library.get(labels.loc[name, "exercise"])
        series = np.load(repcount_dir / f"{name}.npy")
        np.save(tmp_path / f"{name}.npy", series)
        np.save(tmp_path / f"{name}.times.npy", np.arange(len(series)) / 30.0)
        from_file = analyze_keypoints(tmp_path / f"{name}.npy", exercise)
        live = Session(exercise)
        counts = []
        for i, yxs in enumerate(series):
            result = live.step(Pose(pixels_from_movenet(yxs, (1, 1)), (1, 1)), i / 30.0)
            counts.append(result.reps)
        assert [r.reps for r in from_file.results] == counts
        assert from_file.count == counts[-1] > 0


def far_leg_flickering(pose: Pose, seen: bool) -> Pose:
    """The pose as a side view often comes out: the far (left) leg drawn straight on in line with
    the body whatever the near leg does, its knee passing the score gate only when `seen`."""
    kp = pose.keypoints.copy()
    hip, shoulder = kp[K.left_hip, :2], kp[K.left_shoulder, :2]
    down = (hip - shoulder) / np.linalg.norm(hip - shoulder)
    kp[K.left_knee, :2], kp[K.left_ankle, :2] = hip + 90 * down, hip + 180 * down
    kp[K.left_knee, 2] = 0.8 if seen else 0.1
    return Pose(kp, pose.size)


@pytest.mark.parametrize("reps", [0, 3])
def test_a_far_leg_flickering_in_and_out_of_view_adds_no_reps(reps):
    """Squats with the near leg (or a deep hold: `reps` 0) while the far leg, drawn straight, comes
    and goes in runs of 0.45 s. The mean of the sides seen would jump between the near leg alone
    and half-way at each change (by 46 deg in the hold); a side missed for under half a second
    keeps its place in the mean."""
    t, knees = squat_knees(reps, 30) if reps else (np.arange(0, 10, 1 / 30), np.full(300, 70.0))
    seen = (t // 0.45) % 2 == 0
    analysis = analyze_poses(SQUAT, ((far_leg_flickering(squat_pose(k), s), ti) for k, s, ti in zip(knees, seen, t)))
    assert analysis.count == reps


def test_someone_walking_through_is_not_counted():
    """A second person appears far to the side for a moment: those frames are not the squatter's."""
    t, knees = squat_knees(3, 30)
    stream = []
    for ti, k in zip(t, knees):
        intruder = 2.2 < ti < 3.4
        stream.append((squat_pose(120 if intruder else k, x0=60 if intruder else 320), ti))
    analysis = analyze_poses(SQUAT, stream)
    flagged = [r for r in analysis.results if "someone else is in view" in r.warnings]
    assert flagged and all(2.2 < r.t < 3.4 for r in flagged)
    assert not any(r.visible for r in flagged)


def test_no_person_gives_zero_reps_and_a_warning():
    analysis = analyze_poses(SQUAT, ((None, i / 30) for i in range(90)))
    assert analysis.count == 0
    assert analysis.warnings == ["no person was seen in any frame (the squat needs hip, knee, ankle in view)"]
    assert all(r.warnings == ("the body is not fully in view",) for r in analysis.results)
    low = analyze_poses(SQUAT, ((squat_pose(170, score=0.1), i / 30) for i in range(90)))
    assert low.count == 0 and low.warnings[0].startswith("no person was seen")


def test_shallow_reps_are_flagged_with_a_cue_and_a_cooldown():
    t, knees = squat_knees(4, 30, bottom=125, period=1.5)  # knee never under 110: shallow
    analysis = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti in zip(knees, t)))
    assert analysis.count == 4
    assert all("shallow" in rep.flags for rep in analysis.reps)
    cues = [r.cue for r in analysis.results if r.cue]
    assert cues and cues[0].rule == "shallow" and cues[0].text == "Go deeper - hips down to knee height"
    # One cue per cooldown (8 s), not one per rep.
    assert len(cues) == 1
    t, knees = squat_knees(3, 30)
    # Standing ready first: praised with the first rep's count, on the frame it is counted.
    deep = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti in zip(knees, t)))
    assert [c.cue.rule for c in deep.results if c.cue] == ["praise"]
    [praised] = [i for i, c in enumerate(deep.results) if c.cue]
    assert deep.results[praised].rep.index == 1
    # Walking in until the first squat has begun: said with the third rep's count, not for the
    # first while the set gate held it (it might have been walking in), nor between the counts of
    # the first two (the second's completion counts the first, the next frame the second).
    x0 = 100 + 220 * np.minimum(t, 2.0)
    walked_in = analyze_poses(SQUAT, ((squat_pose(k, x), ti) for k, x, ti in zip(knees, x0, t)))
    [praised] = [i for i, c in enumerate(walked_in.results) if c.cue]
    assert walked_in.results[praised].rep.index == 3 and walked_in.results[praised - 1].reps == 2
    assert all(rep.flags == () for rep in deep.reps + walked_in.reps)


def test_times_must_increase():
    session = Session(SQUAT)
    session.step(squat_pose(170), 1.0)
    with pytest.raises(ValueError, match="frame times must increase"):
        session.step(squat_pose(170), 1.0)


def test_tables(tmp_path):
    t, knees = squat_knees(3, 30)
    analysis = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti in zip(knees, t)))
    frames, reps, summary = analysis.tables()
    assert len(frames) == len(t) and list(frames.columns[:5]) == ["t", "phase", "reps", "sets", "visible"]
    assert {"knee", "hip", "torso_lean", "cue", "rep"} <= set(frames.columns)
    assert frames["rep"].astype(bool).sum() == 3
    assert list(reps["rep"]) == [1, 2, 3] and {"time_down", "time_bottom", "time_up", "knee_min"} <= set(reps.columns)
    row = summary.iloc[0]
    assert (row["exercise"], row["reps"], row["sets"]) == ("squat", 3, 1)
    assert row["mean_tempo_s"] == pytest.approx(reps["duration"].mean())
    assert row["mean_rom"] == pytest.approx((reps["rom_max"] - reps["rom_min"]).mean())
    assert row["duration_s"] == pytest.approx(t[-1])


def test_a_keypoint_series_reads_movenet_layout():
    yxs = np.zeros((2, 17, 3), np.float32)
    yxs[:, :, 0], yxs[:, :, 1], yxs[:, :, 2] = 0.5, 0.25, 0.9
    series = KeypointSeries.from_movenet(yxs, np.array([0.0, 0.1]), (640, 480))
    (pose, t), _ = list(series.poses())
    assert t == 0.0 and pose.keypoints[0].tolist() == pytest.approx([160, 240, 0.9])
    assert np.array_equal(series.to_movenet(), yxs)


def test_a_swing_left_alone_is_marked_where_it_ended_not_where_it_was_dropped():
    """A slower, smaller swing while walking in (hips travelling 1.8 torso lengths a second as it
    begins), then a set of three 5 s later: the swing is dropped as `outside a set` when the
    set's first rep comes, and the chart and `--json` place it where the swing ended, before the set."""
    from coach.app.signal_chart import rejection_frame

    walk_t, walk = squat_knees(1, 30, bottom=120, period=3.5, rest=2.5)
    set_t, squats = squat_knees(3, 30, rest=2.5)
    knees = np.concatenate([walk, squats])
    t = np.arange(len(knees)) / 30
    x0 = 100 + 200 * np.clip(t - 1.5, 0, 1.5)
    analysis = analyze_poses(SQUAT, ((squat_pose(k, x), ti) for k, x, ti in zip(knees, x0, t)))
    assert analysis.count == 3
    [dropped] = [r for r in analysis.results if r.rejected]
    assert dropped.rejected == "outside a set" and dropped.t > walk_t[-1] + 2.5  # decided in the set
    assert 1.0 < dropped.rejected_t < walk_t[-1]  # marked on the swing
    assert analysis.summary()["rejected"] == [{"t": round(dropped.rejected_t, 3), "reason": "outside a set"}]
    marked = rejection_frame(analysis.results, SQUAT).iloc[0]
    assert marked["t"] == dropped.rejected_t and marked["value"] > 120


def test_the_signal_chart_marks_each_swing_not_counted_and_why():
    """Two squats, a half squat, two squats: four reps, and the half squat drawn where it was
    dropped, as `too small`, in the chart that the Analyse page and the editor show."""
    from coach.app.signal_chart import rejection_frame, signal_chart

    parts = [squat_knees(2, 30, rest=0.5)[1], squat_knees(1, 30, bottom=135, rest=0.0)[1], squat_knees(2, 30, rest=0.5)[1]]
    knees = np.concatenate(parts)
    t = np.arange(len(knees)) / 30
    analysis = analyze_poses(SQUAT, ((squat_pose(k), ti) for k, ti in zip(knees, t)))
    assert analysis.count == 4
    half = (len(parts[0]) / 30, (len(parts[0]) + len(parts[1])) / 30)
    dropped = rejection_frame(analysis.results, SQUAT)
    assert list(dropped["reason"]) == ["too small"]
    assert half[0] < dropped["t"][0] <= half[1] + 0.5
    chart = signal_chart(analysis.results, SQUAT).to_dict()
    marks = [layer["mark"]["type"] for layer in chart["layer"]]
    assert marks[-2:] == ["point", "text"]
    assert chart["layer"][-1]["encoding"]["text"]["field"] == "reason"


def arm_pose(reach: float) -> Pose:
    """A person standing side-on, both arms held forward-down at 60 degrees from the body, the
    wrist `reach` px from the shoulder along that line (upper arm and forearm 100 px each: 200
    is a straight arm, less bends the elbow): the arm's angle at the shoulder never changes, the
    wrist's height does."""
    kp = np.zeros((17, 3), np.float32)
    kp[:, 2] = 0.8
    shoulder, along = np.array([320.0, 200.0]), np.array([math.sin(math.radians(60)), math.cos(math.radians(60))])
    elbow = shoulder + reach / 2 * along + math.sqrt(100**2 - (reach / 2) ** 2) * np.array([along[1], -along[0]])
    for side in ("left", "right"):
        kp[K[f"{side}_shoulder"], :2] = shoulder
        kp[K[f"{side}_elbow"], :2] = elbow
        kp[K[f"{side}_wrist"], :2] = shoulder + reach * along
        kp[K[f"{side}_hip"], :2] = (320, 330)
        kp[K[f"{side}_knee"], :2] = (320, 400)
        kp[K[f"{side}_ankle"], :2] = (320, 460)
    kp[:5, :2] = shoulder + (10, -40)
    return Pose(kp, SIZE)


def test_a_rep_counted_by_a_candidate_drive_is_shown_in_the_definitions_own_units():
    """Five reps of the wrist rising (0.35 arm lengths, 1.75 of wrist_up's smallest rep) while the
    front raise's own drive, the arm's angle at the shoulder, stays at 60 degrees: the candidate
    counts them through the same step as every frame (coach.drives), and each rep's range is
    given in the angle's degrees, as the app and the history show every front raise, with no depth
    line on it. Without the candidate, none is counted."""
    exercise = load(BUILTIN_DIR / "front_raise.yaml")
    t, reach = reps_signal(5, period=2.5, top=200, bottom=60)
    poses = [(arm_pose(r), ti) for r, ti in zip(reach, t)]
    analysis = analyze_poses(exercise, poses)
    assert analysis.count == 5
    for rep in analysis.reps:
        assert (rep.rom_min, rep.rom_max) == pytest.approx((60, 60), abs=0.5) and math.isnan(rep.depth_needed)
        assert rep.peak_speed == pytest.approx(0, abs=0.05)  # degrees a second: the angle does not move
    alone = exercise.model_copy(update={"count": exercise.count.model_copy(update={"alternatives": []})})
    assert analyze_poses(alone, poses).count == 0
