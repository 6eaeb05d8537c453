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
