"""The body's main direction of movement, frame by frame: `PrincipalMotion.update(keypoints, t) -> value`.

A signal of `kind: principal` needs no joint to be named: it follows where the keypoints are around
the torso (centred on the shoulders and hips, in torso lengths, so walking about and the distance
to the camera drop out) and projects each frame on the direction those positions varied most over
the last `window_s` seconds, their first principal component. A repeated movement of any limb is
then one signal swinging back and forth, which the counter counts like any other.

Causal and cheap: the direction is recomputed every RECOMPUTE_S from the frames in the window (an
eigenproblem of two coordinates a keypoint followed, 34x34 for all 17), and between recomputations
each frame costs one dot product. It is taken only when one direction dominates the window's
movement (DOMINANT), so that standing still does not make a direction out of jitter. A principal
component has no sign of its own: the first is turned so that the rest the movement began from is
high (the definition's `start: high`), and each new one to agree with the last; otherwise a
recomputation could flip the signal upside down in the middle of a rep.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

import numpy as np

from coach.kinematics import HIPS, SHOULDERS, gated, torso_length

# Seconds between two recomputations of the direction.
RECOMPUTE_S = 0.5
# Seconds of frames the first direction needs at least, and between two looks for it.
FIRST_S = 1.0
SEARCH_S = 0.1
# Seconds of torso lengths whose median is the unit of length.
SCALE_S = 1.0
# A coordinate seen in fewer than this share of the window's frames is left out of the direction.
MIN_SEEN = 0.5
# A direction is taken only when the window's movement has one: when it holds at least this share
# of the variance of all the coordinates. Jitter spreads over all of them (2 px of it on a person
# standing still puts 0.13-0.19 of the variance in the top direction, tests/test_motion.py's
# person), while a limb swinging puts most of it in one. Until then the signal says nothing, and
# through a rest it keeps the last direction taken.
DOMINANT = 0.5


class PrincipalMotion:
    """One `principal` signal of one person."""

    def __init__(self, keypoints: tuple[int, ...], window_s: float, min_score: float):
        self.keypoints = list(keypoints)
        self.window_s = window_s
        self.min_score = min_score
        self.frames: deque[tuple[float, np.ndarray]] = deque()  # (t, positions), NaN where not seen
        self.lengths: deque[tuple[float, float]] = deque()  # (t, torso length in pixels)
        self.direction: np.ndarray | None = None
        self.mean: np.ndarray | None = None
        self.next_t = -math.inf
        self.backlog_taken = False

    def positions(self, keypoints: np.ndarray, t: float) -> np.ndarray | None:
        """The followed keypoints' (x, y) around the torso centre in torso lengths, flattened;
        None when the torso is not seen well enough to measure by."""
        xy = gated(keypoints, self.min_score)
        torso = xy[[*SHOULDERS, *HIPS]]
        seen = ~np.isnan(torso).any(axis=1)
        length = float(torso_length(xy))
        if seen.sum() < 2 or not length > 0:
            return None
        # The median torso length of the last SCALE_S, not this frame's: a frame's length jitters
        # by a few percent, which would scale every point at once and look like one big movement.
        self.lengths.append((t, length))
        while self.lengths[0][0] < t - SCALE_S:
            self.lengths.popleft()
        scale = statistics.median(length for _, length in self.lengths)
        return ((xy[self.keypoints] - torso[seen].mean(axis=0)) / scale).ravel()

    def update(self, keypoints: np.ndarray | None, t: float) -> float:
        """The signal at this frame (NaN while the person is not seen, or before any movement has
        had a main direction); `keypoints` (17, 3) in pixels, None when nobody is seen."""
        positions = None if keypoints is None else self.positions(keypoints, t)
        if positions is not None:
            self.frames.append((t, positions))
        while self.frames and self.frames[0][0] < t - self.window_s:
            self.frames.popleft()
        # Until there is a direction, it is looked for more often (the frames before it is found
        # are caught up on: take_backlog).
        if t >= self.next_t and self.frames and t - self.frames[0][0] >= FIRST_S:
            self.recompute()
            self.next_t = t + (RECOMPUTE_S if self.direction is not None else SEARCH_S)
        if positions is None or self.direction is None:
            return math.nan
        return self.project(positions)

    def project(self, positions: np.ndarray) -> float:
        return float(np.nan_to_num(positions - self.mean) @ self.direction)

    def take_backlog(self, t: float) -> list[tuple[float, float]]:
        """Once, on the frame (at `t`) the first direction is found: the window's frames before
        it projected on it, (t, value) in time order, for the counter to catch up on. The movement
        had begun before it had a direction; without them the first rep would be lost."""
        if self.backlog_taken or self.direction is None:
            return []
        self.backlog_taken = True
        return [(frame_t, self.project(positions)) for frame_t, positions in self.frames if frame_t < t]

    def recompute(self):
        window = np.array([p for _, p in self.frames])
        kept = np.mean(~np.isnan(window), axis=0) >= MIN_SEEN
        if not kept.any():
            return
        mean = np.zeros(window.shape[1])
        mean[kept] = np.nanmean(window[:, kept], axis=0)
        # An unseen coordinate sits at its mean: it adds nothing to the direction or the value.
        centred = np.nan_to_num(window - mean)
        centred[:, ~kept] = 0.0
        values, vectors = np.linalg.eigh(centred.T @ centred)
        if values[-1] <= 0 or values[-1] < DOMINANT * values.sum():
            return
        direction = vectors[:, -1]
        if self.direction is not None:
            turn = direction @ self.direction < 0
        else:
            # The first direction: a movement begins at rest, so where the window begins is the
            # start of the rep, which a definition of `start: high` counts from.
            turn = centred[: max(1, len(centred) // 10)].mean(axis=0) @ direction < 0
        if turn:
            direction = -direction
        self.direction, self.mean = direction, mean
