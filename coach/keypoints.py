"""Keypoint series: what a session saw, frame by frame, to count it again.

One record (`KeypointSeries`, pixels) for the store's chunks and for keypoint files. A keypoint
file is what `coach pose --keypoints-out` writes and `coach analyze` reads:
  <stem>.npy        float32 [frames, 17, 3] of MoveNet's (y, x, score), normalised 0..1
  <stem>.times.npy  float64 [frames], each frame's time in seconds (else --fps gives the rate)
  <stem>.meta.json  {"width": ..., "height": ...} of the images (else a square image, 1 x 1)
`load` checks every part before trusting it, with one rule: each bad file is one InputError
naming it, and no array is read before its header's shape and type are known to be sane.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.errors import InputError
from coach.files import read_regular
from coach.framerate import frame_rate
from coach.pose.layout import movenet_from_pixels, pixels_from_movenet
from coach.types import Pose

# The highest frame rate coach takes, from --fps or implied by a .times.npy.
MAX_FPS = 1000.0
# A day at 120 fps: more frames than this is a corrupt header, not a recording.
MAX_FRAMES = 24 * 3600 * 120
# An image side in pixels: over this, a .meta.json is damaged (the largest video is 16K).
MAX_SIDE = 100_000
MAX_META_BYTES = 1_000_000


@dataclass(frozen=True)
class KeypointSeries:
    """A session's raw keypoints: t float64 [n] seconds; xys float32 [n,17,3] of Pose.keypoints
    (x px, y px, score); size int32 [n,2] (width, height); present bool [n]."""

    t: np.ndarray
    xys: np.ndarray
    size: np.ndarray
    present: np.ndarray

    def __post_init__(self):
        n = len(self.t)
        if self.xys.shape != (n, 17, 3) or self.size.shape != (n, 2) or self.present.shape != (n,):
            raise ValueError(f"KeypointSeries shapes disagree: t {self.t.shape}, xys {self.xys.shape}, "
                             f"size {self.size.shape}, present {self.present.shape}")

    @classmethod
    def empty(cls) -> KeypointSeries:
        return cls(np.zeros(0), np.zeros((0, 17, 3), np.float32), np.zeros((0, 2), np.int32), np.zeros(0, bool))

    @classmethod
    def from_movenet(cls, yxs: np.ndarray, times: np.ndarray, size: tuple[int, int] = (1, 1)) -> KeypointSeries:
        """From MoveNet's normalised (y, x, score) [n, 17, 3] over images of `size`, every frame present."""
        n = len(yxs)
        return cls(np.asarray(times, np.float64), pixels_from_movenet(yxs, size),
                   np.tile(np.asarray(size, np.int32), (n, 1)), np.ones(n, bool))

    def __len__(self) -> int:
        return len(self.t)

    def poses(self) -> Iterator[tuple[Pose | None, float]]:
        """The frames as the engine takes them, `(pose or None, t)`."""
        for t, xys, size, present in zip(self.t, self.xys, self.size, self.present):
            yield (Pose(xys, (int(size[0]), int(size[1]))) if present else None), float(t)

    def to_movenet(self) -> np.ndarray:
        """float32 [n,17,3] of (y, x, score) normalised 0..1, as a keypoint file holds it."""
        return movenet_from_pixels(self.xys, self.size)

    def rate(self) -> float:
        """Frames per second over the whole series; 0.0 for fewer than two frames."""
        return float(frame_rate(self.t))


def beside(path: Path, suffix: str) -> Path:
    """The file beside a keypoint file: its frame times (.times.npy) or image size (.meta.json)."""
    return path.with_name(path.stem + suffix)


def save(path: str | Path, series: KeypointSeries, **meta) -> None:
    """Write `series` as a keypoint file with its times and image size beside it (`meta` adds
    fields to the .meta.json, e.g. the model and source)."""
    path = Path(path)
    np.save(path, series.to_movenet())
    np.save(beside(path, ".times.npy"), np.asarray(series.t, np.float64))
    width, height = (int(v) for v in series.size[0]) if len(series) else (1, 1)
    beside(path, ".meta.json").write_text(json.dumps({"width": width, "height": height, **meta}))


def _read_npy(path: Path, shape_ok, expected: str) -> np.ndarray:
    """A .npy whose header is checked before any data is read: its shape by `shape_ok`, a
    numeric type, no more than MAX_FRAMES frames, and as many bytes as the header says."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise InputError(f"{path}: the file is empty; expected {expected}")
        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(file)
            offset = file.tell()
    except InputError:
        raise
    except (ValueError, OSError, SyntaxError) as error:
        raise InputError(f"{path}: not a .npy array: {error}") from None
    if dtype.kind not in "iuf" or not shape_ok(shape):
        raise InputError(f"{path}: expected {expected}, got {dtype} {list(shape)}")
    if shape[0] > MAX_FRAMES:
        raise InputError(f"{path}: the header claims {shape[0]} frames, over the {MAX_FRAMES} coach reads")
    if size - offset != math.prod(shape) * dtype.itemsize:
        raise InputError(f"{path}: the header claims {list(shape)} of {dtype} "
                         f"({math.prod(shape) * dtype.itemsize} bytes) but the file holds {size - offset}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise InputError(f"{path}: not a .npy array: {error}") from None


def _finite_float32(path: Path, values: np.ndarray, what: str) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # too large for float32 becomes inf: caught below
        out = values.astype(np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        frames = int(bad.reshape(len(out), -1).any(axis=1).sum())
        raise InputError(f"{path}: {frames} frame(s) hold NaN or infinite values (or values beyond float32); "
                         f"{what}")
    return out


def image_size(path: Path) -> tuple[int, int]:
    """The (width, height) in <stem>.meta.json beside a keypoint file; (1, 1) without one."""
    meta = beside(path, ".meta.json")
    if not meta.exists() and not meta.is_symlink():
        return (1, 1)
    try:
        data = json.loads(read_regular(meta, MAX_META_BYTES))
        size = (data["width"], data["height"])
        shown = f"got {str(size[0])[:20]} and {str(size[1])[:20]}"
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size):
            raise ValueError(f"width and height must be positive whole numbers, {shown}")
        if max(size) > MAX_SIDE:
            raise ValueError(f"width and height must be at most {MAX_SIDE} pixels, {shown}")
        return size
    except OSError as error:
        raise InputError(f"{meta}: cannot read it: {error.strerror or error}") from None
    except RecursionError:
        raise InputError(f"{meta}: expected {{\"width\": ..., \"height\": ...}}: JSON nested too deeply") from None
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{meta}: expected {{\"width\": ..., \"height\": ...}}: {error}") from None


def load(path: str | Path, fps: float | None = None) -> KeypointSeries:
    """A keypoint file with its times (or `fps`) and image size, every part checked."""
    path = Path(path)
    yxs = _read_npy(path, lambda s: len(s) == 3 and s[1:] == (17, 3), "float32 [frames, 17, 3] of (y, x, score)")
    yxs = _finite_float32(path, yxs, "keypoints must be finite (score 0 marks a missing point)")
    times_path = beside(path, ".times.npy")
    if times_path.exists() and fps is None:
        times = _read_npy(times_path, lambda s: s == (len(yxs),), f"float64 [{len(yxs)}] of frame times in seconds")
        times = times.astype(np.float64)
        if not np.isfinite(times).all() or (len(times) > 1 and np.any(np.diff(times) <= 0)):
            raise InputError(f"{times_path}: expected {len(yxs)} increasing frame times in seconds")
        if (rate := frame_rate(times)) > MAX_FPS:
            raise InputError(f"{times_path}: the times imply {rate:.3g} frames per second, over the "
                             f"{MAX_FPS:g} coach takes (as for --fps)")
    elif fps is not None:
        times = np.arange(len(yxs)) / fps
    else:
        raise InputError(f"{path}: no {times_path.name} beside it: give its frame rate with --fps")
    return KeypointSeries.from_movenet(yxs, times, image_size(path))
