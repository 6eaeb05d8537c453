"""What the live video shows on top of the camera: skeleton, rep count, phase, range-of-motion
meter, and one message (the set-up check, else the cue, else the rest timer).

It only reads the latest LiveUpdate; the pose may be a frame or two older than the image it is
drawn on (the model runs beside the camera, not in its way).
"""

from __future__ import annotations

import cv2
import numpy as np

from coach.render import draw_pose
from coach.types import Pose

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
PANEL = (20, 20, 20)
METER = (60, 200, 90)
SEVERITY_COLOURS = {"info": (46, 160, 67), "warning": (230, 140, 0), "error": (210, 40, 40)}
SETUP_COLOUR = (40, 90, 200)
REST_COLOUR = (90, 90, 90)


def draw_live(image: np.ndarray, update) -> np.ndarray:
    """The camera image with the latest LiveUpdate drawn over it (the image as is before one)."""
    if update is None:
        return image
    live = update.result
    height, width = image.shape[:2]
    unit = max(height, width) / 640  # sizes below are for a 640-pixel-wide frame
    pose = live.result.pose
    out = draw_pose(image, scaled(pose, (width, height))) if pose is not None else image.copy()
    count_panel(out, live, unit)
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


def count_panel(image: np.ndarray, live, unit: float):
    result = live.result
    x, y = round(10 * unit), round(10 * unit)
    w, h = round(150 * unit), round(92 * unit)
    shade(image, (x, y, x + w, y + h))
    text(image, str(result.reps), (x + round(10 * unit), y + round(52 * unit)), 1.8 * unit, max(2, round(3 * unit)))
    label = f"set {result.sets}" if result.sets else "reps"
    text(image, label, (x + round(82 * unit), y + round(30 * unit)), 0.55 * unit, 1)
    text(image, result.phase.replace("_", " "), (x + round(10 * unit), y + round(80 * unit)), 0.55 * unit, 1)


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
    if live.setup:
        return live.setup, SETUP_COLOUR
    if live.cue is not None:
        return live.cue.text, SEVERITY_COLOURS.get(live.cue.severity, SEVERITY_COLOURS["warning"])
    if live.rest_s is not None:
        minutes, seconds = divmod(int(live.rest_s), 60)
        return f"Rest {minutes}:{seconds:02d}", REST_COLOUR
    return None, REST_COLOUR


def banner(image: np.ndarray, message: str, colour, unit: float):
    height, width = image.shape[:2]
    scale = 0.6 * unit
    (tw, th), _ = cv2.getTextSize(message, FONT, scale, 1)
    if tw > width - 20 * unit:  # too long for the frame: shrink rather than cut
        scale *= (width - 20 * unit) / tw
        (tw, th), _ = cv2.getTextSize(message, FONT, scale, 1)
    pad = round(10 * unit)
    y1 = height - pad
    y0 = y1 - th - 2 * pad
    x0 = (width - tw) // 2 - pad
    cv2.rectangle(image, (x0, y0), (x0 + tw + 2 * pad, y1), colour, -1)
    text(image, message, (x0 + pad, y1 - pad), scale, 1)


def shade(image: np.ndarray, box: tuple[int, int, int, int]):
    """Darken a box so white text reads on any background."""
    x0, y0, x1, y1 = (max(0, v) for v in box)
    region = image[y0:y1, x0:x1]
    region[:] = (region * 0.45 + np.array(PANEL) * 0.55).astype(np.uint8)


def text(image: np.ndarray, message: str, origin: tuple[int, int], scale: float, thickness: int):
    cv2.putText(image, message, origin, FONT, scale, WHITE, thickness, cv2.LINE_AA)
