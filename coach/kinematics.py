"""Joint angles and body-normalised distances, vectorised over frames.

Every function takes keypoints of shape (..., 17, 3) of (x_px, y_px, score): one frame (17, 3)
or a whole clip (T, 17, 3) goes through the same numpy code. Geometry is done in pixel space (an
angle measured in MoveNet's squashed 0..1 square is bent by the aspect ratio); a keypoint whose
score is under the gate is NaN, never a point at (0, 0), and NaN propagates into every signal that
needs it.
"""

from __future__ import annotations

import numpy as np

from coach.pose.skeleton import Keypoint

SHOULDERS = (Keypoint.left_shoulder, Keypoint.right_shoulder)
HIPS = (Keypoint.left_hip, Keypoint.right_hip)


def gated(keypoints: np.ndarray, min_score: float) -> np.ndarray:
    """(..., 17, 2) float64 pixel positions, NaN where the score is under `min_score`."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    xy = keypoints[..., :2].copy()
    xy[keypoints[..., 2] < min_score] = np.nan
    return xy


def angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The angle ABC at b, in degrees 0..180, for points of shape (..., 2)."""
    ba, bc = a - b, c - b
    cross = ba[..., 0] * bc[..., 1] - ba[..., 1] * bc[..., 0]
    dot = (ba * bc).sum(axis=-1)
    # atan2 of |cross| and dot is accurate near 0 and 180 degrees, where arccos is not.
    return np.degrees(np.arctan2(np.abs(cross), dot))


def inclination(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The angle of the segment b->a from straight up, in degrees 0..180 (0: a right above b)."""
    d = a - b
    return np.degrees(np.arctan2(np.abs(d[..., 0]), -d[..., 1]))


def torso_length(xy: np.ndarray) -> np.ndarray:
    """Shoulder-to-hip length in pixels (mean of the sides seen), shape (...); NaN if neither side is."""
    left, right = (np.linalg.norm(xy[..., s, :] - xy[..., h, :], axis=-1) for s, h in zip(SHOULDERS, HIPS))
    return mean_seen(left, right)


def arm_length(xy: np.ndarray, side: str) -> np.ndarray:
    """Shoulder-to-elbow plus elbow-to-wrist in pixels on one side ("left", "right"), or the mean of
    the sides seen ("centre"); NaN where that arm is not seen."""
    if side == "centre":
        return mean_seen(arm_length(xy, "left"), arm_length(xy, "right"))
    s, e, w = (xy[..., Keypoint[f"{side}_{joint}"], :] for joint in ("shoulder", "elbow", "wrist"))
    return np.linalg.norm(s - e, axis=-1) + np.linalg.norm(e - w, axis=-1)


def measure(kind: str, points: list[np.ndarray], torso: np.ndarray) -> np.ndarray:
    """One signal from its points (each (..., 2)): the units are degrees or body lengths (`torso`,
    in pixels: the torso or the arm length).

    angle: the angle at the middle of three points; height: how far the first point is above the
    second; distance: between two points; inclination: of the first point over the second, from
    vertical.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "angle":
            return angle(*points)
        if kind == "height":
            return (points[1][..., 1] - points[0][..., 1]) / torso
        if kind == "distance":
            return np.linalg.norm(points[0] - points[1], axis=-1) / torso
        if kind == "inclination":
            return inclination(*points)
    raise ValueError(f"unknown signal kind {kind!r}")


def combine(left: np.ndarray, right: np.ndarray, side: str, left_score: np.ndarray | None, right_score: np.ndarray | None) -> np.ndarray:
    """Both sides of a signal as one value per frame.

    both: the mean of the sides seen; visible: the side whose keypoints score higher (a side view
    sees one side well); min / max: the smaller / larger (the front leg of a lunge); left / right.
    A side that is NaN is ignored; the result is NaN only where neither side is seen. The scores
    are read by `visible` only.
    """
    if side == "left":
        return left
    if side == "right":
        return right
    if side == "both":
        return mean_seen(left, right)
    if side == "min":
        return np.fmin(left, right)
    if side == "max":
        return np.fmax(left, right)
    if side == "visible":
        use_left = (left_score >= right_score) & ~np.isnan(left) | np.isnan(right)
        return np.where(use_left, left, right)
    raise ValueError(f"unknown side rule {side!r}")


def mean_seen(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The mean of two arrays where both are seen, the one seen where only one is, else NaN."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))


def measure_signals(signals: dict, keypoints: np.ndarray, min_score: float) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every signal of a definition for one frame (17, 3) or a clip (T, 17, 3).

    `signals` maps names to `coach.exercises.Signal` (a `principal` one is left out: it needs the
    frames before this one). Returns {name: (value, left, right)}, each
    of shape (...): the combined value and the two sides (both equal to the value for a signal
    with no sides), NaN where the keypoints it needs are under `min_score`.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    xy = gated(keypoints, min_score)
    scores = keypoints[..., 2]
    torso = torso_length(xy)
    out = {}
    for name, spec in signals.items():
        if spec.kind == "principal":
            continue  # followed over time, not measured in one frame (coach.motion, by the session)
        values = {side: measure(spec.kind, [xy[..., k, :] for k in points], torso if spec.scale == "torso" else arm_length(xy, side))
                  for side, points in spec.keypoints.items()}
        if "centre" in values:
            value = values["centre"]
            out[name] = (value, value, value)
            continue
        # Only the `visible` rule weighs the sides by their keypoints' scores.
        side_scores = {side: scores[..., list(points)].mean(axis=-1) if spec.side == "visible" else None
                       for side, points in spec.keypoints.items()}
        left, right = values["left"], values["right"]
        out[name] = (combine(left, right, spec.side, side_scores["left"], side_scores["right"]), left, right)
    return out
