"""The one frame pipeline, for the live camera and for files:

    frame -> pose (coach.pose PoseTracker) -> Session.step (signals, counter, feedback)
          -> what a view shows (camera angle, range meter, rest timer, the cue on screen)
          -> sinks (history recorder, overlay video, progress)

`Pipeline.step(frame) -> StepResult` is what the live worker runs on its analysis thread; a file
is `Pipeline(model, exercise, sinks=...).run(VideoSource(path))`; a keypoint file skips the model
through `step_pose(pose, t)`. No Streamlit here.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
import math
import queue
import statistics
import threading
from collections import Counter as Tally, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coach.exercises import Exercise
from coach.feedback import on_screen
from coach.pose.skeleton import TORSO
from coach.session import Analysis, Session, frame_rate
from coach.types import Cue, Frame, FrameResult, Pose, RepEvent
from coach.words import clock

log = logging.getLogger(__name__)

# The rest timer shows after this long without a rep.
REST_SHOW_S = 3.0
# Shoulder width over torso length: above FRONT_RATIO the camera sees the front (or back),
# below SIDE_RATIO the side (measured on the shared clips: about 0.67 front, 0.04-0.12 side).
FRONT_RATIO = 0.4
SIDE_RATIO = 0.25
VIEW_WINDOW_S = 1.0
# A rep needs this many analysed frames to be counted reliably: jumping jacks sped up to 0.67 s a
# rep start losing reps below about 7 frames a rep (10 fps), and a 1 s rep at 8 fps lost one of 11
# (tests/test_live_honest.py measures it); 10 leaves a margin. Below FPS_FLOOR the count is not
# trusted whatever the pace (the pose jumps between frames and the smoothing lags behind).
FRAMES_PER_REP = 10
FPS_FLOOR = 15.0
# The analysed frame rate is measured over this much stream time.
RATE_WINDOW_S = 2.0
# Rep flags the pipeline adds: counted while too few frames were analysed, or while the camera
# saw the person from a side the exercise is not counted from.
LOW_FPS = "low_fps"
WRONG_VIEW = "wrong_view"


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one frame's step produced, and what a view shows after it.

    result: the session's FrameResult. progress: where the driving signal is between the start
    (0) and the far end (1) of the recent reps, None before it is known. setup: a sentence for the
    person while they are not ready to count (out of view, wrong camera angle), else None.
    view: the camera angle seen, 'front', 'side' or None. cue: the cue on screen now.
    rest_s: seconds since the last rep while resting, else None. last_rep: the latest rep.
    fps: frames analysed per second of stream time over the last RATE_WINDOW_S (0.0 until two
    frames came); needed_fps: what the exercise at the person's pace needs (`needed_fps`).
    wrong_view_reps: the reps flagged WRONG_VIEW so far. countdown: the live workout's seconds
    left before counting starts (3, 2, 1; coach.app.workout), else None. paused: the live workout
    is paused (nothing is counted).
    """

    result: FrameResult
    progress: float | None = None
    setup: str | None = None
    view: str | None = None
    cue: Cue | None = None
    rest_s: float | None = None
    last_rep: RepEvent | None = None
    fps: float = 0.0
    needed_fps: float = FPS_FLOOR
    wrong_view_reps: int = 0
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
        return view_of(statistics.median(r for _, r in self.ratios))


def needed_fps(rep_s: float | None) -> float:
    """The analysed frame rate a rep lasting `rep_s` seconds needs: FRAMES_PER_REP frames over
    it, and never under FPS_FLOOR (before the first rep, when the pace is not known yet)."""
    return FPS_FLOOR if not rep_s or rep_s <= 0 else max(FPS_FLOOR, FRAMES_PER_REP / rep_s)


class FrameRate:
    """Frames analysed per second of stream time over the last RATE_WINDOW_S (frame times, not the
    wall clock: the same stream gives the same rate however busy the machine)."""

    def __init__(self):
        self.times: list[float] = []  # in order: the window is found by bisection

    def update(self, t: float) -> float:
        """The rate now; 0.0 (not judged) until half of the window has passed."""
        self.times.append(t)
        if self.times[0] < t - 2 * (RATE_WINDOW_S + 1):  # trimmed now and then, not every frame
            del self.times[:bisect.bisect_left(self.times, t - RATE_WINDOW_S - 1)]
        if t - self.times[0] < RATE_WINDOW_S / 2:
            return 0.0
        return frame_rate(self.times[bisect.bisect_left(self.times, t - RATE_WINDOW_S):])


def view_of(ratio: float) -> str | None:
    """The camera view a shoulder ratio means: "front", "side", or None half turned (say nothing
    rather than guess)."""
    return "front" if ratio >= FRONT_RATIO else "side" if ratio <= SIDE_RATIO else None


class RangeMeter:
    """Where the driving signal is between the start and the far end: 0..1.

    The ends are the median top and bottom of the last reps; before the first rep, the extremes
    seen so far, spread at least the definition's `min_range`.
    """

    def __init__(self, exercise: Exercise, recent: int = 3):
        self.high_start = exercise.count.start == "high"
        self.min_range = exercise.count.min_range
        self.reps: deque[tuple[float, float]] = deque(maxlen=recent)
        self.ends = (math.nan, math.nan)  # the median (low, high) of `reps`, kept as they change
        self.low = math.inf
        self.high = -math.inf

    def update(self, value: float, rep: RepEvent | None) -> float | None:
        if rep is not None:
            self.reps.append((rep.rom_min, rep.rom_max))
            self.ends = tuple(statistics.median(x) for x in zip(*self.reps))
        if math.isnan(value):
            return None
        if self.reps:
            low, high = self.ends
        else:
            self.low, self.high = min(self.low, value), max(self.high, value)
            low, high = self.low, self.high
        span = max(high - low, self.min_range)
        if self.high_start:
            progress = (high - value) / span
        else:
            progress = (value - low) / span
        return float(min(1.0, max(0.0, progress)))


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
        if result.rep is not None:
            result = self.flag_doubtful(result, view)
            self.last_rep = result.rep
            self.wrong_view_reps += WRONG_VIEW in result.rep.flags
        if self.meter is not None:
            progress = self.meter.update(result.signals.get(self.exercise.count.signal, math.nan), result.rep)
        else:  # a hold: how far to the target time
            progress = min(1.0, result.held_s / self.session.hold.target_s)
        pace = self.last_rep.end_t - self.last_rep.start_t if self.last_rep is not None else None
        step = StepResult(result, progress if result.visible else None, self.setup_message(result, view), view,
                          self.cue, self.rest_seconds(result), self.last_rep, fps, needed_fps(pace),
                          self.wrong_view_reps)
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
        views: Tally[str] = Tally()
        status = "interrupted"
        try:
            for pose, t, frame in items:
                step = self.step(frame) if frame is not None else self.step_pose(pose, t)
                if step is None:
                    continue
                analysis.add(step.result)
                if step.result.visible:
                    views[step.view] += 1
            for step in self.flush():
                analysis.add(step.result)
            status = "complete"
        finally:
            self.close(status)
        self.warn_about_the_view(analysis, views)
        return analysis.finish()

    def warn_about_the_view(self, analysis: Analysis, views: Tally[str]) -> None:
        """Say so when the camera saw the person from a side the exercise is not counted from for
        most of the frames they were in view. A keypoint file without its image size (1 x 1)
        has lost the aspect the angle is judged by, so it is not judged."""
        seen = sum(views.values())
        if analysis.size == (1, 1) or not seen:
            return
        view, frames = max(((v, n) for v, n in views.items() if v is not None), key=lambda vn: vn[1],
                           default=(None, 0))
        if view is not None and view not in self.views and frames > seen / 2:
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


class ProgressSink:
    """`on_progress(frames_done, frames_total)` after each frame (total 0 when unknown)."""

    def __init__(self, on_progress: Callable[[int, int], None], total: int = 0):
        self.on_progress = on_progress
        self.total = total

    def update(self, step: StepResult, frame: Frame | None) -> None:
        if frame is not None:
            self.on_progress(frame.index + 1, self.total)

    def close(self, status: str) -> None:
        pass


class VideoSink:
    """The overlay video: skeleton, count, phase and the cue on screen, at `fps`."""

    def __init__(self, out, fps: float, exercise: Exercise):
        from coach.render import VideoWriter

        self.writer = VideoWriter(out, fps)
        self.exercise = exercise

    def update(self, step: StepResult, frame: Frame | None) -> None:
        from coach.render import draw_hud, draw_pose

        if frame is None:  # a rep counted when the stream ended has no frame to draw on
            return
        self.writer.write(draw_hud(draw_pose(frame.image, step.result.pose), step.result, self.exercise, step.cue))

    def close(self, status: str) -> None:
        self.writer.close()


class RecorderSink:
    """The history recorder on a thread of its own, off the analysis path.

    Steps go into an unbounded (lossless) queue of frozen FrameResults; the thread hands each to
    a SessionRecorder, which still commits every rep the moment it reaches it. A database that
    is locked or slow so delays the writing, never the counting. The session is opened at the
    first frame, so a camera that never started leaves nothing behind; with `keep_empty=False`,
    at the first rep counted or hold timed (the frames before it wait in the queue), so a file
    in which nothing was done leaves nothing either. `close(status)` waits for
    the queue to be written and ends the session; `session_id` is known from then (or once the
    first frame is written: `wait()`).
    """

    def __init__(self, store, exercise: str, person: str | None = None, *, keep_empty: bool = True,
                 **recorder_options):
        self.store = store
        self.keep_empty = keep_empty
        self.exercise = exercise
        self.person = person
        self.options = recorder_options
        self.results: queue.Queue[FrameResult | None] = queue.Queue()
        self.recorder = None
        self.session_id: int | None = None
        self.error: Exception | None = None
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self.write, name="history-recorder", daemon=True)

    def update(self, step: StepResult, frame: Frame | None) -> None:
        with self.lock:
            if self.closed:
                return
            done = step.result.rep is not None or step.result.hold is not None
            if self.thread.ident is None and (self.keep_empty or done):  # the first frame (or rep)
                self.thread.start()
            self.results.put(step.result)

    def write(self) -> None:
        while True:
            result = self.results.get()
            try:
                if result is None:
                    return
                if self.error is not None:
                    continue  # the recorder failed beyond its recovery file: keep draining
                try:
                    if self.recorder is None:
                        self.recorder = self.store.recorder(self.exercise, self.person, **self.options)
                        self.session_id = self.recorder.session_id
                    self.recorder.update(result)
                except Exception as error:  # noqa: BLE001 (raised again by close, on the caller's thread)
                    log.error("recording the session failed: %s", error)
                    self.error = error
            finally:
                self.results.task_done()

    def wait(self) -> None:
        """Until every result handed over so far is written (tests and the page use it to know)."""
        self.results.join()

    def close(self, status: str = "complete") -> int | None:
        """Write what is queued, then end the session ('complete' or 'interrupted'), once;
        returns its id, None when no frame came."""
        with self.lock:
            if self.closed:
                return self.session_id
            self.closed = True
            started = self.thread.ident is not None
        if started:
            self.results.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error
        if self.recorder is not None:
            self.session_id = self.recorder.finish(status)
        return self.session_id


def analyze_video(path, exercise: Exercise, model, fps: float | None = None, out=None,
                  on_progress: Callable[[int, int], None] | None = None,
                  record: Callable[[Analysis], Sink] | None = None) -> Analysis:
    """A video through the pipeline (crop tracking on), frame by frame as live.

    `fps` retimes the frames to that rate; `out` gets the overlay video (skeleton, count, phase,
    cue); `on_progress(frames_done, frames_total)` hears of each frame (total 0 when unknown);
    `record(analysis)` makes the sink that stores the session as it goes (a RecorderSink).
    """
    from coach.sources import read_video

    source = read_video(path)
    rate = fps or source.fps or 30.0
    sinks: list[Sink] = []
    if on_progress:
        sinks.append(ProgressSink(on_progress, len(source)))
    if out:
        sinks.append(VideoSink(out, rate, exercise))
    frames = (Frame(f.image, f.index / fps, f.index) for f in source) if fps else source
    analysis = Analysis(exercise, source=str(path), fps=rate, size=source.size, model=model.name)
    if record:
        sinks.append(record(analysis))
    return Pipeline(model, exercise, sinks=sinks).run(frames, analysis)


def analyze_keypoints(path, exercise: Exercise, fps: float | None = None,
                      record: Callable[[Analysis], Sink] | None = None) -> Analysis:
    """A keypoint file (coach.keypoints) through the pipeline without the model, frame by frame
    as live. It is measured in the image size written beside it, else as a square image.
    `record` as for analyze_video."""
    from coach import keypoints

    series = keypoints.load(path, fps)
    size = (int(series.size[0, 0]), int(series.size[0, 1])) if len(series) else keypoints.image_size(path)
    rate = series.rate() if len(series) > 1 else (fps or 30.0)
    analysis = Analysis(exercise, source=str(path), fps=float(rate), size=size)
    return Pipeline(None, exercise, sinks=[record(analysis)] if record else []).run_poses(series.poses(), analysis)
