"""Angles and normalised distances: known geometry, pixel space, missing keypoints as NaN, and one
vectorised function for a frame or a clip."""

import math

import numpy as np
import pytest

from coach.exercise_library import BUILTIN_DIR
from coach.exercises import load
from coach.kinematics import angle, combine, gated, inclination, measure_signals, torso_length
from coach.pose.skeleton import Keypoint as K


def standing(knee_angle: float = 180.0, score: float = 0.9) -> np.ndarray:
    """A side-on person (x, y, score) in pixels: torso 100 px, thigh and shin 80 px each."""
    kp = np.zeros((17, 3), np.float32)
    kp[:, 2] = score
    for side in ("left", "right"):
        kp[K[f"{side}_shoulder"], :2] = (300, 100)
        kp[K[f"{side}_hip"], :2] = (300, 200)
        kp[K[f"{side}_knee"], :2] = (300, 280)
        bend = math.radians(180 - knee_angle)
        kp[K[f"{side}_ankle"], :2] = (300 + 80 * math.sin(bend), 280 + 80 * math.cos(bend))
        kp[K[f"{side}_elbow"], :2] = (300, 160)
        kp[K[f"{side}_wrist"], :2] = (300, 210)
    kp[K.nose, :2] = (300, 70)
    return kp


def test_angle_of_known_triangles():
    b = np.array([0.0, 0.0])
    assert angle(np.array([1.0, 0]), b, np.array([0.0, 1])) == pytest.approx(90)
    assert angle(np.array([1.0, 0]), b, np.array([-1.0, 0])) == pytest.approx(180)
    assert angle(np.array([1.0, 0]), b, np.array([1.0, 1])) == pytest.approx(45)
    assert angle(np.array([1.0, 0]), b, np.array([2.0, 1e-9])) == pytest.approx(0, abs=1e-6)
    assert math.isnan(angle(np.array([np.nan, 0]), b, np.array([0.0, 1])))


def test_inclination_from_vertical():
    hip = np.array([0.0, 100])
    assert inclination(np.array([0.0, 0]), hip) == pytest.approx(0)  # shoulder straight above the hip
    assert inclination(np.array([100.0, 100]), hip) == pytest.approx(90)  # lying
    assert inclination(np.array([50.0, 50]), hip) == pytest.approx(45)


def test_one_function_for_a_frame_and_a_clip():
    squat = load(BUILTIN_DIR / "squat.yaml")
    frames = np.stack([standing(a) for a in (180, 150, 90, 60)])
    clip = measure_signals(squat.signals, frames, 0.3)
    for i, expected in enumerate((180, 150, 90, 60)):
        single = measure_signals(squat.signals, frames[i], 0.3)
        assert single["knee"][0] == pytest.approx(expected, abs=1e-4)
        assert clip["knee"][0][i] == pytest.approx(single["knee"][0])
    assert clip["knee"][0].shape == (4,)
    assert clip["torso_lean"][0] == pytest.approx([0, 0, 0, 0], abs=1e-6)


def test_angles_are_measured_in_pixels_not_in_the_squashed_square():
    """A 120-degree knee in a 640x360 frame reads 120 degrees; measured in MoveNet's normalised
    0..1 coordinates of the same frame it would read about 136."""
    kp = standing(120)
    squat = load(BUILTIN_DIR / "squat.yaml")
    assert measure_signals(squat.signals, kp, 0.3)["knee"][0] == pytest.approx(120, abs=1e-4)
    squashed = kp.copy()
    squashed[:, 0] /= 640
    squashed[:, 1] /= 360
    assert measure_signals(squat.signals, squashed, 0.3)["knee"][0] == pytest.approx(135.7, abs=0.1)


def test_keypoints_under_the_score_gate_are_missing_not_zero():
    kp = standing(90)
    kp[K.left_ankle, 2] = 0.1
    kp[K.left_ankle, :2] = 0  # where MoveNet puts nothing useful
    xy = gated(kp, 0.3)
    assert np.isnan(xy[K.left_ankle]).all() and not np.isnan(xy[K.right_ankle]).any()
    squat = load(BUILTIN_DIR / "squat.yaml")
    value, left, right = measure_signals(squat.signals, kp, 0.3)["knee"]
    assert math.isnan(left) and right == pytest.approx(90, abs=1e-4)
    assert value == pytest.approx(90, abs=1e-4)  # "both" uses the side that is seen
    kp[K.right_ankle, 2] = 0.1
    assert math.isnan(measure_signals(squat.signals, kp, 0.3)["knee"][0])


def test_side_rules():
    left, right = np.array([100.0, np.nan, 80]), np.array([60.0, 70, np.nan])
    ls, rs = np.array([0.9, 0.2, 0.9]), np.array([0.5, 0.8, 0.1])
    assert combine(left, right, "both", ls, rs) == pytest.approx([80, 70, 80])
    assert combine(left, right, "min", ls, rs) == pytest.approx([60, 70, 80])
    assert combine(left, right, "max", ls, rs) == pytest.approx([100, 70, 80])
    assert combine(left, right, "visible", ls, rs) == pytest.approx([100, 70, 80])
    np.testing.assert_array_equal(combine(left, right, "left", ls, rs), left)


def test_heights_and_distances_are_in_torso_lengths():
    kp = standing()
    xy = gated(kp, 0.3)
    assert torso_length(xy) == pytest.approx(100)
    press = load(BUILTIN_DIR / "shoulder_press.yaml")
    value, _, _ = measure_signals(press.signals, kp, 0.3)["press"]
    assert value == pytest.approx(-1.1)  # wrists 110 px (1.1 torso) below the shoulders
    jack = load(BUILTIN_DIR / "jumping_jack.yaml")
    kp[K.left_ankle, 0] += 50
    feet, left, right = measure_signals(jack.signals, kp, 0.3)["feet"]
    assert feet == pytest.approx(0.5) and left == feet == right  # one value: no sides
