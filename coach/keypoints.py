"""A recorded keypoint series: what a session saw, frame by frame, to count it again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from coach.types import Pose


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

    def __len__(self) -> int:
        return len(self.t)

    def poses(self) -> Iterator[tuple[Pose | None, float]]:
        """The frames as the engine takes them, `(pose or None, t)`."""
        for t, xys, size, present in zip(self.t, self.xys, self.size, self.present):
            yield (Pose(xys, (int(size[0]), int(size[1]))) if present else None), float(t)

    def to_movenet(self) -> np.ndarray:
        """float32 [n,17,3] of (y, x, score) normalised 0..1, as `coach pose --keypoints-out` writes."""
        w = np.maximum(self.size[:, 0], 1)[:, None].astype(np.float32)
        h = np.maximum(self.size[:, 1], 1)[:, None].astype(np.float32)
        return np.stack([self.xys[..., 1] / h, self.xys[..., 0] / w, self.xys[..., 2]], axis=-1).astype(np.float32)
