"""Drawing: the skeleton overlay of the MoveNet tutorial, and writers for PNG, MP4 and GIF.

Annotators only read results: `draw_*(image, result) -> new image`.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np

from coach.errors import InputError
from coach.pose.skeleton import EDGES
from coach.types import Pose

# The tutorial's colours (magenta left, cyan right, yellow centre), as RGB.
SIDE_COLOURS = {"left": (255, 0, 255), "right": (0, 255, 255), "centre": (255, 255, 0)}
POINT_COLOUR = (255, 20, 147)
CROP_COLOUR = (255, 0, 0)
# The tutorial draws keypoints and edges whose score is above this.
KEYPOINT_THRESHOLD = 0.11


def draw_pose(image: np.ndarray, pose: Pose, threshold: float = KEYPOINT_THRESHOLD, show_crop: bool = False) -> np.ndarray:
    """A copy of an RGB image with the skeleton drawn over it (and the crop rectangle if asked)."""
    out = image.copy()
    scale = max(1, round(max(image.shape[:2]) / 400))
    xy, score = pose.keypoints[:, :2], pose.keypoints[:, 2]
    for (a, b), side in EDGES.items():
        if score[a] > threshold and score[b] > threshold:
            cv2.line(out, to_point(xy[a]), to_point(xy[b]), SIDE_COLOURS[side], 2 * scale, cv2.LINE_AA)
    for point, s in zip(xy, score):
        if s > threshold:
            cv2.circle(out, to_point(point), 3 * scale, POINT_COLOUR, -1, cv2.LINE_AA)
    if show_crop and pose.crop is not None:
        x0, y0, x1, y1 = pose.crop
        cv2.rectangle(out, to_point((x0, y0)), to_point((x1, y1)), CROP_COLOUR, scale)
    return out


def to_point(xy) -> tuple[int, int]:
    return int(round(float(xy[0]))), int(round(float(xy[1])))


def write_image(path, image: np.ndarray):
    """Write an RGB image (PNG or JPEG by the file's suffix)."""
    if not cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise InputError(f"{path}: cannot write an image there")


class VideoWriter:
    """Writes RGB frames to .mp4 (H.264, plays in browsers) or an animated .gif.

    A GIF is kept small: at most 480 px wide and 15 frames a second.
    """

    GIF_WIDTH = 480
    GIF_FPS = 15

    def __init__(self, path, fps: float):
        self.path = Path(path)
        self.fps = fps
        self.suffix = self.path.suffix.lower()
        if self.suffix not in (".mp4", ".gif"):
            raise InputError(f"{path}: an overlay video must end in .mp4 or .gif")
        self.count = 0
        if self.suffix == ".mp4":
            self.writer = imageio.get_writer(self.path, fps=fps, codec="libx264", quality=7,
                                             macro_block_size=2, ffmpeg_log_level="error")
        else:
            self.step = max(1, round(fps / self.GIF_FPS))
            self.writer = imageio.get_writer(self.path, mode="I", duration=1000 * self.step / fps, loop=0)

    def write(self, image: np.ndarray):
        if self.suffix == ".gif":
            if self.count % self.step == 0:
                self.writer.append_data(shrink(image, self.GIF_WIDTH))
        else:
            self.writer.append_data(even_size(image))
        self.count += 1

    def close(self):
        self.writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def shrink(image: np.ndarray, width: int) -> np.ndarray:
    if image.shape[1] <= width:
        return image
    height = round(image.shape[0] * width / image.shape[1])
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def even_size(image: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p needs even sides: drop a last odd row or column."""
    height, width = image.shape[:2]
    return image[: height - height % 2, : width - width % 2]


# -- The analysis overlay of `coach analyze --out`: count, set, phase and the current cue. --------

HUD_FONT = cv2.FONT_HERSHEY_SIMPLEX
CUE_COLOURS = {"info": (46, 160, 67), "warning": (230, 140, 0), "error": (210, 40, 40)}


def draw_hud(image: np.ndarray, result, exercise, cue=None) -> np.ndarray:
    """A copy of an RGB image with the rep count, set, phase and `cue` (a Cue, or None) drawn on.

    `result` is the FrameResult of this frame and `exercise` its Exercise; only read.
    """
    out = image.copy()
    height, width = out.shape[:2]
    unit = max(height, width) / 640
    x0, y0 = round(10 * unit), round(10 * unit)
    x1, y1 = x0 + round(190 * unit), y0 + round(100 * unit)
    region = out[y0:y1, x0:x1]
    region[:] = (region * 0.4 + 12).astype(np.uint8)
    white, thin = (255, 255, 255), max(1, round(unit))
    cv2.putText(out, str(result.reps), (x0 + round(10 * unit), y0 + round(55 * unit)), HUD_FONT, 1.8 * unit, white,
                max(2, round(3 * unit)), cv2.LINE_AA)
    cv2.putText(out, exercise.name, (x0 + round(80 * unit), y0 + round(25 * unit)), HUD_FONT, 0.5 * unit, white, thin, cv2.LINE_AA)
    if result.sets:
        cv2.putText(out, f"set {result.sets}", (x0 + round(80 * unit), y0 + round(50 * unit)), HUD_FONT, 0.5 * unit, white, thin, cv2.LINE_AA)
    phase = result.phase.replace("_", " ") if result.visible else "not in view"
    cv2.putText(out, phase, (x0 + round(10 * unit), y0 + round(85 * unit)), HUD_FONT, 0.6 * unit, white, thin, cv2.LINE_AA)
    if cue is not None:
        scale = 0.65 * unit
        (tw, th), _ = cv2.getTextSize(cue.text, HUD_FONT, scale, thin)
        scale *= min(1.0, (width - 40 * unit) / max(tw, 1))
        (tw, th), _ = cv2.getTextSize(cue.text, HUD_FONT, scale, thin)
        pad = round(10 * unit)
        bx0, by1 = (width - tw) // 2 - pad, height - pad
        cv2.rectangle(out, (bx0, by1 - th - 2 * pad), (bx0 + tw + 2 * pad, by1), CUE_COLOURS.get(cue.severity, (230, 140, 0)), -1)
        cv2.putText(out, cue.text, (bx0 + pad, by1 - pad), HUD_FONT, scale, white, thin, cv2.LINE_AA)
    return out
