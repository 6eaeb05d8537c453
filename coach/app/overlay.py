"""What the live video shows on top of the camera: skeleton, rep count, phase, range-of-motion
meter, and one message (the set-up check, else the cue, else the rest timer).

It only reads the latest LiveUpdate; the pose may be a frame or two older than the image it is
drawn on (the model runs beside the camera, not in its way).
"""

from __future__ import annotations

import cv2
import numpy as np

from coach.render import WHITE, banner, count_panel, cue_colour, draw_pose, hud_unit, shade
from coach.types import Pose

METER = (60, 200, 90)
SETUP_COLOUR = (40, 90, 200)
REST_COLOUR = (90, 90, 90)


def draw_live(image: np.ndarray, update) -> np.ndarray:
    """The camera image with the latest LiveUpdate drawn over it (the image as is before one)."""
    if update is None:
        return image
    live = update.result
    height, width = image.shape[:2]
    unit = hud_unit(image)
    pose = live.result.pose
    out = draw_pose(image, scaled(pose, (width, height))) if pose is not None else image.copy()
    count_panel(out, live.result, unit)
    if live.progress is not None:
        meter(out, live.progress, unit)
    message, colour = banner_text(live)
    if message:
        banner(out, message, colour, unit)
    return out


def scaled(pose: Pose, size: tuple[int, int]) -> Pose:
    """The pose in another frame size (the camera may change resolution mid-stream)."""
    if tuple(pose.size) == tuple(size):
        return pose
    sx, sy = size[0] / pose.size[0], size[1] / pose.size[1]
    keypoints = pose.keypoints * np.array([sx, sy, 1.0], np.float32)
    return Pose(keypoints.astype(np.float32), size)


def meter(image: np.ndarray, progress: float, unit: float):
    """A vertical bar on the right: empty at the start position, full at the far end."""
    height, width = image.shape[:2]
    w = round(16 * unit)
    x1, y0, y1 = width - round(12 * unit), round(20 * unit), height - round(70 * unit)
    x0 = x1 - w
    shade(image, (x0, y0, x1, y1))
    top = round(y1 - progress * (y1 - y0))
    cv2.rectangle(image, (x0, top), (x1, y1), METER, -1)
    cv2.rectangle(image, (x0, y0), (x1, y1), WHITE, 1)


def banner_text(live) -> tuple[str | None, tuple[int, int, int]]:
    """The StepResult's one message (its `message` orders them) with its colour."""
    if live.message is None:
        return None, REST_COLOUR
    kind, what = live.message
    if kind == "cue":
        return what.text, cue_colour(what)
    return what, SETUP_COLOUR if kind == "setup" else REST_COLOUR
