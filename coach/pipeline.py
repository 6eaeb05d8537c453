"""The one frame pipeline, for the live camera and for files:

    frame -> pose (coach.pose PoseTracker) -> Session.step (signals, counter, feedback)
          -> what a view shows (camera angle: coach.camera_view, range meter: coach.range_meter,
             frame rate: coach.framerate, rest timer, the cue on screen)
          -> sinks (coach.sinks: history recorder, overlay video, progress)

`Pipeline.step(frame) -> StepResult` is what the live worker runs on its analysis thread; a file
is `Pipeline(model, exercise, sinks=...).run(frames)` (coach.analyze opens files and picks the
sinks); a keypoint file skips the model through `step_pose(pose, t)`. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from coach.analysis import Analysis
from coach.camera_view import SessionView, ViewCheck
from coach.exercises import Exercise
from coach.feedback import on_screen
from coach.framerate import FPS_FLOOR, FrameRate, needed_fps
from coach.range_meter import RangeMeter
from coach.session import Session
from coach.types import Cue, Frame, FrameResult, Pose, RepEvent
from coach.words import clock

log = logging.getLogger(__name__)

# The rest timer shows after this long without a rep.
REST_SHOW_S = 3.0
# Rep flags the pipeline adds: counted while too few frames were analysed, or while the camera
# saw the person from a side the exercise is not counted from.
LOW_FPS = "low_fps"
WRONG_VIEW = "wrong_view"


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one frame's step produced, and what a view shows after it.

    result: the session's FrameResult (its `progress`: the count or the time held). meter: what the
    on-screen meter fills, from 0 to 1: where the driving signal is between the start and the far
    end of the recent reps (a hold: how far to its target time), None before it is known. setup: a sentence for the
    person while they are not ready to count (out of view, wrong camera angle), else None.
    view: the camera angle seen, 'front', 'side' or None. cue: the cue on screen now.
    rest_s: seconds since the last rep while resting, else None. last_rep: the latest rep.
    fps: frames analysed per second of stream time (coach.framerate.FrameRate; 0.0 until two
    frames came); needed_fps: what the exercise at the person's pace needs (`needed_fps`).
    wrong_view_reps: the reps flagged WRONG_VIEW so far. session_view: the camera view of the
    session so far, as coach.camera_view.SessionView decides it (what the history stores). countdown: the live workout's seconds
    left before counting starts (3, 2, 1; coach.app.workout), else None. paused: the live workout
    is paused (nothing is counted).
    """

    result: FrameResult
    meter: float | None = None
    setup: str | None = None
    view: str | None = None
    cue: Cue | None = None
    rest_s: float | None = None
    last_rep: RepEvent | None = None
    fps: float = 0.0
    needed_fps: float = FPS_FLOOR
    wrong_view_reps: int = 0
    session_view: str | None = None
    countdown: int | None = None
    paused: bool = False

    @property
    def too_slow(self) -> bool:
        """Too few frames analysed to count reliably (once there is a rate to judge)."""
        return 0.0 < self.fps < self.needed_fps

    @property
    def message(self) -> tuple[str, str | Cue] | None:
        """The one message to show now, in order: paused, else the set-up check, else the
        countdown, else the cue, else the rest timer: ('paused', text), ('setup', text),
        ('countdown', text), ('cue', Cue) or ('rest', text); None when there is none."""
        if self.paused:
            return "paused", "Paused"
        if self.setup:
            return "setup", self.setup
        if self.countdown is not None:
            return "countdown", f"Get ready: {self.countdown}"
        if self.cue is not None:
            return "cue", self.cue
        if self.rest_s is not None:
            return "rest", f"Rest {clock(self.rest_s)}"
        return None


class Sink(Protocol):
    """Something done with each step: `update(step, frame)` in stream order (frame None for a
    keypoint file, and for the reps counted when the stream ends), then `close(status)` once
    ('complete' or 'interrupted')."""

    def update(self, step: StepResult, frame: Frame | None) -> None: ...

    def close(self, status: str) -> None: ...


class Pipeline:
    """One exercise counted over one stream of frames: `step(frame) -> StepResult`.

    `model` may be None for a stream of poses (`step_pose`). `track`: the crop follows the person
    (the pose module's default for video). `sinks` hear every step; `close()` closes them once.
    """

    def __init__(self, model, exercise: Exercise, *, sinks: Iterable[Sink] = (), track: bool = True):
        self.exercise = exercise
        self.tracker = None
        if model is not None:
            from coach.pose import PoseTracker  # cv2 loads with the model, not for a keypoint file

            self.tracker = PoseTracker(model, track=track)
        self.session = Session(exercise)
        self.sinks = list(sinks)
        self.views = {"front" if v == "back" else v for v in exercise.views}  # the ratio cannot tell them apart
        self.view_check = ViewCheck(exercise.visibility.min_score)
        self.seen = SessionView()
        self.meter = RangeMeter(exercise) if exercise.count is not None else None
        self.rate = FrameRate()
        self.cue: Cue | None = None
        self.last_rep: RepEvent | None = None
        self.wrong_view_reps = 0
        self.closed = False

    @property
    def last_t(self) -> float:
        return self.session.last_t

    @property
    def reps(self) -> int:
        return self.session.gate.reps if self.session.gate is not None else 0

    def step(self, frame: Frame) -> StepResult | None:
        """One frame through the model and the session; None (skipped) for a frame that is not
        newer than the last, checked before the model runs on it."""
        if frame.t <= self.session.last_t:
            return None
        return self.step_pose(self.tracker.update(frame), frame.t, frame)

    def step_pose(self, pose: Pose | None, t: float, frame: Frame | None = None) -> StepResult:
        """One pose (None: no person) at time `t` through the session and the sinks."""
        return self.deliver(self.session.step(pose, t), pose, frame)

    def flush(self) -> list[StepResult]:
        """The stream has ended: the reps the session counts only now, through the sinks."""
        return [self.deliver(result, None, None) for result in self.session.finish()]

    def deliver(self, result: FrameResult, pose: Pose | None, frame: Frame | None) -> StepResult:
        """One result of the session, with what the screen shows beside it, to the sinks."""
        fps = self.rate.update(result.t)
        self.cue = on_screen(self.cue, result.cue, result.t)
        view = self.view_check.update(pose if result.visible else None, result.t)
        if result.visible:
            self.seen.update(view)
        if result.rep is not None:
            result = self.flag_doubtful(result, view)
            self.last_rep = result.rep
            self.wrong_view_reps += WRONG_VIEW in result.rep.flags
        if self.meter is not None:
            filled = self.meter.update(result.signals.get(self.exercise.count.signal, math.nan), result.rep)
        else:  # a hold: how far to the target time
            filled = min(1.0, result.held_s / self.session.hold.target_s)
        pace = self.last_rep.end_t - self.last_rep.start_t if self.last_rep is not None else None
        step = StepResult(result, filled if result.visible else None, self.setup_message(result, view), view,
                          self.cue, self.rest_seconds(result), self.last_rep, fps, needed_fps(pace),
                          self.wrong_view_reps, self.seen.view)
        for sink in self.sinks:
            sink.update(step, frame)
        return step

    def flag_doubtful(self, result: FrameResult, view: str | None) -> FrameResult:
        """The rep flagged LOW_FPS when fewer frames were analysed over it than its length needs,
        WRONG_VIEW when the camera saw the person from a side the exercise is not counted from
        (it is still counted: the flag, stored with it, says why it is doubtful)."""
        rep = result.rep
        flags = []
        if rep.fps < needed_fps(rep.duration):  # measured by the session when the rep completed
            flags.append(LOW_FPS)
        if view is not None and view not in self.views:
            flags.append(WRONG_VIEW)
        if not flags:
            return result
        return dataclasses.replace(result, rep=dataclasses.replace(rep, flags=rep.flags + tuple(flags)))

    def setup_message(self, result: FrameResult, view: str | None) -> str | None:
        if not result.visible:
            needed = ", ".join(sorted({p.value.replace("_", " ") for p in self.exercise.visibility.keypoints}))
            return f"Step into view: the camera must see your {needed}."
        if view is not None and view not in self.views:
            return f"Turn so the camera sees you from the {self.wanted_views()}: it sees your {view} now."
        return None

    def wanted_views(self) -> str:
        return " or ".join(self.exercise.views)

    def rest_seconds(self, result: FrameResult) -> float | None:
        if self.last_rep is None or result.phase != self.exercise.rest_phase:
            return None
        rest = result.t - self.last_rep.end_t
        return rest if rest >= REST_SHOW_S else None

    def run(self, frames: Iterable[Frame], analysis: Analysis | None = None) -> Analysis:
        """A whole file, frame by frame exactly as live, into `analysis`; closes the sinks."""
        return self._run(((None, None, frame) for frame in frames), analysis)

    def run_poses(self, poses: Iterable[tuple[Pose | None, float]], analysis: Analysis | None = None) -> Analysis:
        """A whole stream of `(pose or None, t)` (a keypoint file) as `run` does frames."""
        return self._run(((pose, t, None) for pose, t in poses), analysis)

    def _run(self, items, analysis: Analysis | None) -> Analysis:
        analysis = Analysis(self.exercise) if analysis is None else analysis
        status = "interrupted"
        try:
            for pose, t, frame in items:
                step = self.step(frame) if frame is not None else self.step_pose(pose, t)
                if step is None:
                    continue
                analysis.add(step.result)
            for step in self.flush():
                analysis.add(step.result)
            status = "complete"
        finally:
            self.close(status)
        analysis.view = self.seen.view
        self.warn_about_the_view(analysis)
        return analysis.finish()

    def warn_about_the_view(self, analysis: Analysis) -> None:
        """Say so when the camera saw the person from a side the exercise is not counted from for
        most of the frames they were in view. A keypoint file without its image size (1 x 1)
        has lost the aspect the angle is judged by, so it is not judged."""
        view = self.seen.mostly
        if analysis.size == (1, 1):
            return
        if view is not None and view not in self.views:
            analysis.warnings.append(f"the camera saw the person from the {view}; the "
                                     f"{self.exercise.name.lower()} is counted from the {self.wanted_views()}")

    def close(self, status: str = "complete") -> None:
        """Close every sink once (they flush and save); errors of one do not skip the others."""
        if self.closed:
            return
        first: Exception | None = None
        try:
            self.flush()  # a live stream ends here: its last reps reach the store before it closes
        except Exception as error:  # re-raised below, after every sink had its turn
            first = error
        self.closed = True
        for sink in self.sinks:
            try:
                sink.close(status)
            except Exception as error:  # re-raised below, after every sink had its turn
                first = first or error
        if first is not None:
            raise first
