"""What the live video shows on top of the camera: skeleton, rep count, phase, range-of-motion
meter, and one message (the set-up check, else the cue, else the rest timer).

It only reads LiveUpdates: the count, phase, meter and message of the one the page shows (so the
video and the panel say the same), the skeleton of the newest, which may be a frame or two older
than the image it is drawn on (the model runs beside the camera, not in its way).
"""

from __future__ import annotations

import cv2
import numpy as np

from coach.palette import message_colour
from coach.render import HUD_FONT, WHITE, banner, draw_pose, hud_unit, shade, text
from coach.types import Pose

# Neutral: the meter measures how far the movement went, it does not judge it (red reads as an error).
METER = (120, 170, 230)
# The count's digits are this share of the video's height, readable from across a room.
COUNT_HEIGHT = 0.2


def draw_live(image: np.ndarray, shown, latest=None) -> np.ndarray:
    """The camera image with the figures and message of the LiveUpdate `shown` drawn over it, and
    the skeleton of `latest` (else of `shown`); the image as is before either."""
    skeleton = latest or shown
    if skeleton is None:
        return image
    height, width = image.shape[:2]
    pose = skeleton.result.result.pose
    out = draw_pose(image, scaled(pose, (width, height))) if pose is not None else image.copy()
    if shown is None:
        return out
    live = shown.result
    unit = hud_unit(image)
    big_count(out, live.result, unit)
    if live.meter is not None:
        meter(out, live.meter, unit)
    if live.message is not None:
        kind, what = live.message
        banner(out, what.text if kind == "cue" else what, message_colour(kind, what), unit)
    return out


def big_count(image: np.ndarray, result, unit: float):
    """Top left, in place: the count with its digits COUNT_HEIGHT of the image's height, and the
    set and phase under it."""
    height = image.shape[0]
    (_, digit), _ = cv2.getTextSize("0", HUD_FONT, 1.0, 1)
    scale = COUNT_HEIGHT * height / digit
    thickness = max(2, round(scale * 2))
    done = result.progress
    count = str(done.figure)  # the reps, or a hold's seconds held
    (tw, th), _ = cv2.getTextSize(count, HUD_FONT, scale, thickness)
    small = 0.6 * unit
    # " - ", not a middle dot: Hershey fonts have none.
    label = " - ".join(part for part in (done.unit, f"set {result.sets}" if result.sets else "",
                                         done.phase_words(result.phase) if result.visible else "not in view") if part)
    (lw, lh), _ = cv2.getTextSize(label, HUD_FONT, small, 1)
    pad = round(10 * unit)
    shade(image, (pad, pad, 3 * pad + max(tw, lw), 4 * pad + th + lh))
    text(image, count, (2 * pad, 2 * pad + th), scale, thickness)
    text(image, label, (2 * pad, 3 * pad + th + lh), small, 1)


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

