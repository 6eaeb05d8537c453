"""One live workout, frame by frame: pose tracking, the exercise session, the history recorder,
and what the live view shows beside the count (set-up check, range-of-motion meter, rest timer,
the cue on screen). No Streamlit here: the page and the tests drive it the same way.

`Workout.update(frame) -> LiveFrame` is the pipeline the LiveWorker runs on its analysis thread;
every rep is committed to the store by the recorder the moment it is counted, so closing the tab
mid-set loses no counted rep.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from coach.exercises import Exercise
from coach.feedback import on_screen
from coach.pose import PoseTracker
from coach.pose.skeleton import TORSO
from coach.session import Session
from coach.types import Cue, Frame, FrameResult, Pose, RepEvent

log = logging.getLogger(__name__)

# The rest timer shows after this long without a rep.
REST_SHOW_S = 3.0
# Shoulder width over torso length: above FRONT_RATIO the camera sees the front (or back),
# below SIDE_RATIO the side (measured on the shared clips: about 0.67 front, 0.04-0.12 side).
FRONT_RATIO = 0.4
SIDE_RATIO = 0.25
VIEW_WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """What the live view shows after one frame.

    result: the session's FrameResult. progress: where the driving signal is between the start
    (0) and the far end (1) of the recent reps, None before it is known. setup: a sentence for the
    person while they are not ready to count (out of view, wrong camera angle), else None.
    view: the camera angle seen, 'front', 'side' or None. cue: the cue on screen now.
    rest_s: seconds since the last rep while resting, else None. last_rep: the latest rep.
    """

    result: FrameResult
    progress: float | None = None
    setup: str | None = None
    view: str | None = None
    cue: Cue | None = None
    rest_s: float | None = None
    last_rep: RepEvent | None = None


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
        median = float(np.median([r for _, r in self.ratios]))
        if median >= FRONT_RATIO:
            return "front"
        if median <= SIDE_RATIO:
            return "side"
        return None  # half turned: say nothing rather than guess


class RangeMeter:
    """Where the driving signal is between the start and the far end: 0..1.

    The ends are the median top and bottom of the last reps; before the first rep, the extremes
    seen so far, spread at least the definition's `min_range`.
    """

    def __init__(self, exercise: Exercise, recent: int = 3):
        self.high_start = exercise.count.start == "high"
        self.min_range = exercise.count.min_range
        self.reps: deque[tuple[float, float]] = deque(maxlen=recent)
        self.low = math.inf
        self.high = -math.inf

    def update(self, value: float, rep: RepEvent | None) -> float | None:
        if rep is not None:
            self.reps.append((rep.rom_min, rep.rom_max))
        if math.isnan(value):
            return None
        if self.reps:
            low, high = (float(np.median(x)) for x in zip(*self.reps))
        else:
            self.low, self.high = min(self.low, value), max(self.high, value)
            low, high = self.low, self.high
        span = max(high - low, self.min_range)
        if self.high_start:
            progress = (high - value) / span
        else:
            progress = (value - low) / span
        return float(min(1.0, max(0.0, progress)))


class Workout:
    """The live pipeline of one workout: `update(frame) -> LiveFrame` on the analysis thread.

    `store` may be None (nothing is saved). The recorder opens the history session at the first
    frame, so a workout whose camera never started leaves nothing behind. `finish()` may come
    from another thread (the page's End button, the stream ending) and is idempotent.

    `track`: the crop follows the person (the pose module's default for video), which keeps a
    person who is small in the frame sharp enough to count.
    """

    def __init__(self, model, exercise: Exercise, store=None, person: str | None = None,
                 definition: str | None = None, track: bool = True):
        self.exercise = exercise
        self.tracker = PoseTracker(model, track=track)
        self.session = Session(exercise)
        self.store = store
        self.person = person
        self.definition = definition
        self.views = {"front" if v == "back" else v for v in exercise.views}  # the ratio cannot tell them apart
        self.view_check = ViewCheck(exercise.visibility.min_score)
        self.seen_views: Counter[str] = Counter()  # frames per view, for the history
        self.meter = RangeMeter(exercise)
        self.recorder = None
        self.session_id: int | None = None
        self.finished = False
        self.lock = threading.Lock()
        self.cue: Cue | None = None
        self.last_rep: RepEvent | None = None

    def update(self, frame: Frame) -> LiveFrame | None:
        """One camera frame; None (skipped) for a frame that is not newer than the last."""
        if frame.t <= self.session.last_t:  # checked before the model runs on it
            return None
        pose = self.tracker.update(frame)
        result = self.session.step(pose, frame.t)
        self.record(result)
        self.cue = on_screen(self.cue, result.cue, result.t)
        if result.rep is not None:
            self.last_rep = result.rep
        view = self.view_check.update(pose if result.visible else None, result.t)
        if view is not None:
            self.seen_views[view] += 1
        progress = self.meter.update(result.signals.get(self.exercise.count.signal, math.nan), result.rep)
        return LiveFrame(result, progress if result.visible else None, self.setup_message(result, view), view,
                         self.cue, self.rest_seconds(result), self.last_rep)

    def setup_message(self, result: FrameResult, view: str | None) -> str | None:
        if not result.visible:
            needed = ", ".join(sorted({p.value.replace("_", " ") for p in self.exercise.visibility.keypoints}))
            return f"Step into view: the camera must see your {needed}."
        if view is not None and view not in self.views:
            wanted = " or ".join(self.exercise.views)
            return f"Turn so the camera sees you from the {wanted}: it sees your {view} now."
        return None

    def rest_seconds(self, result: FrameResult) -> float | None:
        if self.last_rep is None or result.phase != self.exercise.count.phases[0]:
            return None
        rest = result.t - self.last_rep.end_t
        return rest if rest >= REST_SHOW_S else None

    def record(self, result: FrameResult):
        if self.store is None:
            return
        with self.lock:
            if self.finished:
                return
            if self.recorder is None:
                self.recorder = self.store.recorder(self.exercise.id, self.person, source="live",
                                                    definition=self.definition)
                self.session_id = self.recorder.session_id
            self.recorder.update(result)

    @property
    def reps(self) -> int:
        return self.session.counter.reps

    def finish(self, status: str = "complete") -> int | None:
        """Close the history session (once); returns its id, None when nothing was recorded."""
        with self.lock:
            if self.finished:
                return self.session_id
            self.finished = True
            if self.recorder is None:
                return None
            self.session_id = self.recorder.finish(status)
            if self.seen_views and self.session_id is not None:  # the view it was mostly seen from
                self.store.set_view(self.session_id, self.seen_views.most_common(1)[0][0])
            return self.session_id
