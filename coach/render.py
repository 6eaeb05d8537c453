"""Drawing: the skeleton overlay of the MoveNet tutorial, and writers for PNG, MP4 and GIF.

Annotators only read results: `draw_*(image, result) -> new image`.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np

from coach.errors import InputError
from coach.palette import cue_colour
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


def check_video_out(path) -> Path:
    """`path` as a Path when it names an overlay video coach can write, else an InputError."""
    path = Path(path)
    if path.suffix.lower() not in (".mp4", ".gif"):
        raise InputError(f"{path}: an overlay video must end in .mp4 or .gif")
    return path


class VideoWriter:
    """Writes RGB frames to .mp4 (H.264, plays in browsers) or an animated .gif.

    A GIF is kept small: at most 480 px wide and 15 frames a second.
    """

    GIF_WIDTH = 480
    GIF_FPS = 15

    def __init__(self, path, fps: float):
        self.path = check_video_out(path)
        self.fps = fps
        self.suffix = self.path.suffix.lower()
        self.count = 0
        if self.suffix == ".mp4":
            # x264's veryfast preset: at the same quality setting, a third of the default preset's CPU
            # (150 frames of jumping_jacks_2_multi_person, 1768x994: 4.9 CPU-s against 13.8, more
            # than the pose model takes) and a file no larger (4.7 MB against 5.9).
            self.writer = imageio.get_writer(self.path, fps=fps, codec="libx264", quality=7,
                                             macro_block_size=2, ffmpeg_log_level="error",
                                             ffmpeg_params=["-preset", "veryfast"])
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


# -- The count overlay: shared by `coach analyze --out` and the live camera view. ---------------

HUD_FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE = (255, 255, 255)
PANEL = (20, 20, 20)
def draw_hud(image: np.ndarray, result, exercise, cue=None) -> np.ndarray:
    """A copy of an RGB image with the rep count, set, phase and `cue` (a Cue, or None) drawn on.

    `result` is the FrameResult of this frame and `exercise` its Exercise; only read.
    """
    out = image.copy()
    unit = hud_unit(out)
    count_panel(out, result, unit, title=exercise.name)
    if cue is not None:
        banner(out, cue.text, cue_colour(cue), unit)
    return out


def hud_unit(image: np.ndarray) -> float:
    """The overlay's sizes are for a 640-pixel frame; this scales them to the image."""
    return max(image.shape[:2]) / 640


def count_panel(image: np.ndarray, result, unit: float, title: str | None = None):
    """Top left, in place: the count, the set (or "reps"), the phase, and an optional title."""
    x, y = round(10 * unit), round(10 * unit)
    width, title_x = 170, 82  # the panel's width and where the title and label start, at unit 1
    shade(image, (x, y, x + round(width * unit), y + round(92 * unit)))
    # A hold shows its seconds held (smaller from three digits on, to keep clear of the label).
    big = str(result.reps) if result.held_s is None else f"{result.held_s:.0f}"
    scale = 1.8 * min(1.0, 2 / len(big)) * unit
    text(image, big, (x + round(10 * unit), y + round(52 * unit)), scale, max(2, round(3 * unit)))
    # The title and the label shrink to end inside the panel: "Repeated movement" ran over its edge.
    room = (width - title_x - 6) * unit
    if title:
        fitted_text(image, title, (x + round(title_x * unit), y + round(22 * unit)), 0.5 * unit, room)
    label = "s held" if result.held_s is not None else f"set {result.sets}" if result.sets else "reps"
    if result.waiting:  # a set's first rep, done, held by the set gate until the next one comes
        label += " +1"
    fitted_text(image, label, (x + round(title_x * unit), y + round(46 * unit)), 0.55 * unit, room)
    phase = result.phase.replace("_", " ") if result.visible else "not in view"
    text(image, phase, (x + round(10 * unit), y + round(80 * unit)), 0.55 * unit, 1)


def banner(image: np.ndarray, message: str, colour, unit: float):
    """Bottom centre, in place: one message on a coloured band, shrunk rather than cut to fit."""
    height, width = image.shape[:2]
    scale = 0.6 * unit
    (tw, th), _ = cv2.getTextSize(message, HUD_FONT, scale, 1)
    if tw > width - 20 * unit:
        scale *= (width - 20 * unit) / tw
        (tw, th), _ = cv2.getTextSize(message, HUD_FONT, scale, 1)
    pad = round(10 * unit)
    y1 = height - pad
    x0 = (width - tw) // 2 - pad
    cv2.rectangle(image, (x0, y1 - th - 2 * pad), (x0 + tw + 2 * pad, y1), colour, -1)
    text(image, message, (x0 + pad, y1 - pad), scale, 1)


def shade(image: np.ndarray, box: tuple[int, int, int, int]):
    """Darken a box in place so white text reads on any background."""
    x0, y0, x1, y1 = (max(0, v) for v in box)
    region = image[y0:y1, x0:x1]
    region[:] = (region * 0.45 + np.array(PANEL) * 0.55).astype(np.uint8)


def fitted_text(image: np.ndarray, message: str, origin: tuple[int, int], scale: float, room: float):
    """One line of thin text, shrunk to at most `room` pixels wide."""
    drawn = cv2.getTextSize(message, HUD_FONT, scale, 1)[0][0]
    text(image, message, origin, scale * min(1.0, room / drawn), 1)


def text(image: np.ndarray, message: str, origin: tuple[int, int], scale: float, thickness: int):
    cv2.putText(image, message, origin, HUD_FONT, scale, WHITE, thickness, cv2.LINE_AA)


def draw_person_label(image: np.ndarray, box, message: str) -> np.ndarray:
    """A copy of an RGB image with `message` on a dark tag just above a person's box
    (x0, y0, x1, y1) in pixels, kept inside the image; the image unchanged when `box` is None."""
    if box is None:
        return image
    out = image.copy()
    height, width = out.shape[:2]
    unit = hud_unit(out)
    scale = 0.6 * unit
    (tw, th), _ = cv2.getTextSize(message, HUD_FONT, scale, 1)
    pad = round(6 * unit)
    x0 = int(min(max(0, (box[0] + box[2]) / 2 - tw / 2 - pad), max(0, width - tw - 2 * pad)))
    y0 = int(min(max(0, box[1] - th - 2 * pad), max(0, height - th - 2 * pad)))
    shade(out, (x0, y0, x0 + tw + 2 * pad, y0 + th + 2 * pad))
    text(out, message, (x0 + pad, y0 + th + pad), scale, 1)
    return out
