"""Which way the camera sees the person: 'front' (or back) or 'side', from the shoulder width
over the torso length. `ViewCheck` judges it frame by frame (the last second of poses);
`SessionView` decides a whole session's view from those judgements: the one place that does."""

from __future__ import annotations

import math
import statistics
from collections import Counter, deque

import numpy as np

from coach.pose.skeleton import TORSO
from coach.types import Pose

# Shoulder width over torso length: above FRONT_RATIO the camera sees the front (or back),
# below SIDE_RATIO the side (measured on the shared clips: about 0.67 front, 0.04-0.12 side).
FRONT_RATIO = 0.4
SIDE_RATIO = 0.25
VIEW_WINDOW_S = 1.0


def shoulder_ratio(pose: Pose, min_score: float) -> float:
    """Shoulder width over torso length in the image; NaN when the torso is not seen."""
    k = pose.keypoints
    torso = k[TORSO]
    if torso[:, 2].min() < min_score:
        return math.nan
    shoulders = (torso[0, :2] + torso[1, :2]) / 2
    hips = (torso[2, :2] + torso[3, :2]) / 2
    length = float(np.linalg.norm(shoulders - hips))
    return float(np.linalg.norm(torso[0, :2] - torso[1, :2])) / length if length > 1 else math.nan


def view_of(ratio: float) -> str | None:
    """The camera view a shoulder ratio means: "front", "side", or None half turned (say nothing
    rather than guess)."""
    return "front" if ratio >= FRONT_RATIO else "side" if ratio <= SIDE_RATIO else None


class ViewCheck:
    """Which way the camera sees the person, from the last second of poses: `update -> view`."""

    def __init__(self, min_score: float):
        self.min_score = min_score
        self.ratios: deque[tuple[float, float]] = deque()

    def update(self, pose: Pose | None, t: float) -> str | None:
        ratio = shoulder_ratio(pose, self.min_score) if pose is not None else math.nan
        if not math.isnan(ratio):
            self.ratios.append((t, ratio))
        while self.ratios and self.ratios[0][0] < t - VIEW_WINDOW_S:
            self.ratios.popleft()
        if not self.ratios:
            return None
        return view_of(statistics.median(r for _, r in self.ratios))


class SessionView:
    """The camera view of a whole session, from the view judged at each frame the person was in
    view: `update(view)` per such frame; `view` is the one most of them were seen from (None
    when none was judged), `mostly` the same only when it was more than half of them."""

    def __init__(self):
        self.frames: Counter[str | None] = Counter()  # frames in view per judged view (None: half turned)

    def update(self, view: str | None) -> None:
        self.frames[view] += 1

    @property
    def view(self) -> str | None:
        judged = [(view, n) for view, n in self.frames.items() if view is not None]
        return max(judged, key=lambda vn: vn[1])[0] if judged else None

    @property
    def mostly(self) -> str | None:
        view = self.view
        return view if view is not None and self.frames[view] > self.frames.total() / 2 else None
