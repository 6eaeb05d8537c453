"""The definition-free signal (`kind: principal`, coach.motion) and the `auto` exercise built on it:
synthetic people with known rep counts, moving about the frame, near and far, at several frame rates."""

import math

import numpy as np
import pytest

from coach.analyze import analyze_poses
from coach.exercise_library import BUILTIN_DIR, Library
from coach.exercises import parse
from coach.motion import PrincipalMotion
from coach.pose.skeleton import Keypoint as K
from coach.types import Pose
from support import reps_signal

SIZE = (640, 480)
AUTO = Library().get("auto")
AUTO_TEXT = (BUILTIN_DIR / "auto.yaml").read_text()


def person(arms: float = 20.0, knees: float = 180.0, x: float = 320.0, scale: float = 1.0, rng=None) -> Pose:
    """A person facing the camera: both arms raised sideways `arms` degrees from hanging (180 =
    overhead), knees bent to `knees` degrees (hips sinking), standing at `x`, `scale` times the
    size of a person 110 px from shoulder to hip; with `rng`, 2 px of jitter on every keypoint."""
    kp = np.zeros((17, 3))
    kp[:, 2] = 0.9
    bend = math.radians(180 - knees)
    ankle_y = 440.0
    for sign, side in ((-1, "left"), (1, "right")):
        ankle = np.array([sign * 25, ankle_y])
        knee = ankle + 90 * np.array([0, -math.cos(bend / 2)]) + 90 * np.array([sign * math.sin(bend / 2), 0]) * 0.3
        hip = knee + 90 * np.array([0, -math.cos(bend / 2)])
        shoulder = hip + (sign * 5, -110)
        up = math.radians(arms)
        elbow = shoulder + 60 * np.array([sign * math.sin(up), math.cos(up)])
        wrist = elbow + 55 * np.array([sign * math.sin(up), math.cos(up)])
        for joint, xy in (("ankle", ankle), ("knee", knee), ("hip", hip), ("shoulder", shoulder),
                          ("elbow", elbow), ("wrist", wrist)):
            kp[K[f"{side}_{joint}"], :2] = xy
    head = (kp[K.left_shoulder, :2] + kp[K.right_shoulder, :2]) / 2 + (0, -45)
    for name, offset in (("nose", (0, 0)), ("left_eye", (-8, -8)), ("right_eye", (8, -8)),
                         ("left_ear", (-15, -4)), ("right_ear", (15, -4))):
        kp[K[name], :2] = head + offset
    # Scale about the ankles' midpoint, then stand at x.
    base = np.array([0.0, ankle_y])
    kp[:, :2] = (kp[:, :2] - base) * scale + base + (x, 0)
    if rng is not None:
        kp[:, :2] += rng.normal(0, 2, (17, 2))
    return Pose(kp.astype(np.float32), SIZE)


def reps_wave(n: int, period: float, fps: float):
    """Times and a 0..1 wave: 2 s still, n reps of `period` seconds, 2 s still."""
    return reps_signal(n, period, top=0.0, bottom=1.0, fps=fps, rest=2.0)


@pytest.mark.parametrize("case, n, period, fps, pose_at", [
    ("arms raised sideways", 8, 1.5, 30, lambda w, t: dict(arms=20 + 140 * w)),
    ("squats", 6, 2.0, 30, lambda w, t: dict(knees=175 - 90 * w)),
    ("fast arm raises", 12, 0.8, 30, lambda w, t: dict(arms=20 + 120 * w)),
    ("at 10 fps", 8, 1.5, 10, lambda w, t: dict(arms=20 + 140 * w)),
    ("walking across the frame", 8, 1.5, 30, lambda w, t: dict(arms=20 + 140 * w, x=150 + 20 * t)),
    ("walking towards the camera", 8, 1.5, 30, lambda w, t: dict(arms=20 + 140 * w, scale=0.7 + 0.04 * t)),
])
def test_auto_counts_any_repeated_movement(case, n, period, fps, pose_at):
    rng = np.random.default_rng(0)
    t, wave = reps_wave(n, period, fps)
    analysis = analyze_poses(AUTO, ((person(**pose_at(w, ti), rng=rng), ti) for w, ti in zip(wave, t)))
    assert analysis.count == n, case


def test_standing_still_with_jitter_is_no_rep():
    rng = np.random.default_rng(1)
    t = np.arange(0, 20, 1 / 30)
    analysis = analyze_poses(AUTO, ((person(arms=20, rng=rng), ti) for ti in t))
    assert analysis.count == 0


def test_the_direction_keeps_its_sign_from_one_window_to_the_next():
    """A principal component has no sign of its own: each new one is turned to agree with the
    last, so the signal keeps rising with the arms in every window, as in the first."""
    t, wave = reps_wave(10, 1.5, 30)
    motion = PrincipalMotion(AUTO.signals["motion"].keypoints["centre"], window_s=6.0, min_score=0.3)
    rng = np.random.default_rng(2)
    values = np.array([motion.update(person(arms=20 + 140 * w, rng=rng).keypoints, ti) for w, ti in zip(wave, t)])
    assert np.isnan(values[: 2 * 30]).all()  # nothing while the person stands still
    seen = ~np.isnan(values)
    signs = [np.sign(np.corrcoef(values[seen][i:i + 60], wave[seen][i:i + 60])[0, 1])
             for i in range(0, seen.sum() - 60, 60) if np.ptp(wave[seen][i:i + 60]) > 0.5]
    assert len(signs) > 5 and len(set(signs)) == 1


def test_unseen_frames_give_no_value_and_the_person_is_followed_again():
    motion = PrincipalMotion(AUTO.signals["motion"].keypoints["centre"], window_s=6.0, min_score=0.3)
    t, wave = reps_wave(6, 1.5, 30)
    out = [motion.update(None if 4 < ti < 5 else person(arms=20 + 140 * w).keypoints, ti) for w, ti in zip(wave, t)]
    assert all(math.isnan(v) for v, ti in zip(out, t) if 4 < ti < 5)
    assert not math.isnan(out[-1])


def test_a_principal_signal_needs_no_points_and_may_name_some():
    text = AUTO_TEXT.replace("    kind: principal\n", "    kind: principal\n    points: [wrist, elbow]\n")
    arms = parse(text, "arms.yaml").signals["motion"]
    assert set(arms.keypoints["centre"]) == {K.left_wrist, K.right_wrist, K.left_elbow, K.right_elbow}
    assert len(AUTO.signals["motion"].keypoints["centre"]) == 17
    assert AUTO.drive.unit == "torso lengths" and not AUTO.drive.two_sided



def test_the_overlay_keeps_a_long_exercise_name_inside_its_panel():
    from coach.render import draw_hud

    t, wave = reps_wave(1, 1.5, 30)
    result = analyze_poses(AUTO, ((person(arms=20 + 140 * w), ti) for w, ti in zip(wave, t))).results[-1]
    drawn = draw_hud(np.zeros((480, 640, 3), np.uint8), result, AUTO)
    panel_right = 10 + 170  # count_panel's box at this size (hud_unit 1)
    assert drawn[10:50, :panel_right].any() and not drawn[10:50, panel_right:].any()
