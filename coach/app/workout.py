"""One live workout: a `coach.pipeline.Pipeline` over the camera's frames with the history
recorder as its sink. No Streamlit here: the page and the tests drive it the same way.

`Workout.update(frame) -> StepResult` is what the LiveWorker runs on its analysis thread. The
page's START leads to a 3-2-1 countdown once the whole body is in view, and counting starts when
it ends (a camera on the wrong side does not hold it: the page asks the person to turn, and the
reps counted meanwhile are flagged wrong_view, as without a countdown); Pause stops counting and
Resume counts down again. The stream time that is not counted (before the countdown ends, paused) is
taken out of the times the pipeline sees, so a pause is neither rest nor a gap between sets.
Both are timed by the frames' timestamps, never by the wall clock.

The recorder writes on a thread of its own (`RecorderSink`), committing every rep the moment it
reaches it, so a slow or locked database never holds up the count, and closing the tab mid-set
loses no counted rep.
"""

from __future__ import annotations

import math
import threading

from coach import progress
from coach.exercises import Exercise
from coach.people import Crowd
from coach.pipeline import Pipeline, StepResult
from coach.progress import Progress
from coach.sinks import RecorderSink
from coach.types import Frame, FrameResult, HoldSet

# The live page's countdown after START, in seconds of stream time.
COUNTDOWN_S = 3.0
# Out of view this long, the countdown starts again. Shorter dropouts are the model losing a
# keypoint for a frame or two (an ankle behind a knee, a frame the encoder smeared); a person
# stepping out of view takes longer.
COUNTDOWN_DROPOUT_S = 0.5


class Workout:
    """The live pipeline of one workout: `update(frame) -> StepResult` on the analysis thread.

    `store` may be None (nothing is saved). The recorder opens the history session at the first
    frame, so a workout whose camera never started leaves nothing behind. `finish()` may come
    from another thread (the page's End button, the stream ending) and is idempotent.

    `routine`: the id of the routine this workout is a block of, for the history.

    `track`: the crop follows the person (the pose module's default for video), which keeps a
    person who is small in the frame sharp enough to count. `countdown_s`: counting starts this
    long after the body is in view (and again after `resume()`); 0 counts from the first frame.

    `everyone`: `model` is MultiPose, and everyone in view is counted, each by their own pipeline
    (a coach.people.Crowd in place of the one Pipeline); the steps shown and saved are the
    exerciser's. No countdown then (it waits for one body in view).
    """

    def __init__(self, model, exercise: Exercise, store=None, person: str | None = None,
                 definition: str | None = None, track: bool = True, routine: str | None = None,
                 countdown_s: float = 0.0, everyone: bool = False):
        if everyone and countdown_s:
            raise ValueError("counting everyone in view has no countdown: it waits for one body in view")
        self.exercise = exercise
        self.store = store
        self.recorder = (RecorderSink(store, exercise.id, person, source="live", definition=definition, routine=routine)
                         if store is not None else None)
        self.tally = Tally(exercise)
        sinks = [self.tally] + ([self.recorder] if self.recorder else [])
        # What the model sees in a frame (one person's pose, or everyone's) and what counts it.
        if everyone:
            self.pipeline = Crowd(exercise, sinks)
            self.see = lambda frame: model.predict(frame.image)
        else:
            self.pipeline = Pipeline(model, exercise, sinks=sinks, track=track)
            self.see = self.pipeline.tracker.update
        # The set-up check while nothing is counted: its pipeline's own count is never shown.
        self.check = Pipeline(None, exercise)
        self.countdown_s = countdown_s
        self.counting = False  # until the countdown ends (at once without one)
        self.paused = False
        self.ready_t: float | None = None  # when the body came into view, for the countdown
        self.seen_t = -math.inf  # when the body was last in view
        self.shift = 0.0  # stream seconds not counted so far, taken out of the pipeline's times
        self.last_t = -math.inf  # the stream time of the last frame taken
        self.last: StepResult | None = None  # the last counted step: its count shows while not counting
        self.session_id: int | None = None
        self.finished = False
        # Held while a frame goes through the pipeline, so that finishing (which counts the reps
        # left at the end of the stream) never runs beside a frame.
        self.lock = threading.RLock()

    def update(self, frame: Frame) -> StepResult | None:
        """One camera frame; None (skipped) for a frame that is not newer than the last, or one
        that comes after the workout was finished."""
        with self.lock:
            if self.finished or frame.t <= self.last_t:
                return None
            gap, self.last_t = frame.t - self.last_t, frame.t
            if self.paused:
                return self.not_counting(frame.t, None, paused=True)
            seen = self.see(frame)
            if not self.counting:
                if self.countdown_s > 0:
                    check = self.check.step_pose(seen, frame.t)
                    left = self.countdown_left(check)
                    if left > 0:
                        return self.not_counting(frame.t, check, countdown=None if math.isinf(left) else math.ceil(left))
                self.counting = True
                if self.last is not None:  # counted before: go on from just after its last frame
                    self.shift = frame.t - self.pipeline.last_t - gap
            t = frame.t - self.shift
            result = self.last = self.pipeline.step_pose(seen, t, Frame(frame.image, t, frame.index))
        return result

    def countdown_left(self, check: StepResult) -> float:
        """Seconds of countdown left at this check's frame; inf while the body is not in view,
        or was out of view for over COUNTDOWN_DROPOUT_S (the countdown starts again once it is)."""
        t = check.result.t
        if check.result.visible:
            self.seen_t = t
            if self.ready_t is None:
                self.ready_t = t
        elif t - self.seen_t > COUNTDOWN_DROPOUT_S:
            self.ready_t = None
        if self.ready_t is None:
            return math.inf
        # Elapsed time first: (t + 3) - t may round to a hair over 3, and show a 4.
        return self.countdown_s - (t - self.ready_t)

    def not_counting(self, t: float, check: StepResult | None, countdown: int | None = None,
                     paused: bool = False) -> StepResult:
        """What shows while nothing is counted: the count so far, with this frame's pose and
        set-up check (none while paused: the model rests)."""
        last = self.last.result if self.last is not None else None
        now = check.result if check is not None else None
        result = FrameResult(t, now.pose if now else None, now.signals if now else {},
                             "paused" if paused else now.phase, last.reps if last else 0,
                             last.sets if last else 0, now.visible if now else True,
                             held_s=last.held_s if last else None, hold=last.hold if last else None,
                             progress=self.progress)
        # While counting down, the only set-up message is the one that holds it (step into view),
        # and only once it holds it: a dropout the countdown runs through says nothing.
        setup = check.setup if check is not None and countdown is None and not check.result.visible else None
        return StepResult(result, setup=setup, view=check.view if check else None,
                          last_rep=self.last.last_rep if self.last else None, fps=check.fps if check else 0.0,
                          countdown=countdown, paused=paused)

    def pause(self):
        """Stop counting, keeping the set and the count, until `resume()`."""
        with self.lock:
            self.paused = True

    def resume(self):
        """Count again, after a countdown from when the body is in view (none without one)."""
        with self.lock:
            if not self.paused:
                return
            self.paused = False
            self.counting = False
            self.ready_t = None

    @property
    def progress(self) -> Progress:
        """What has been counted so far: the reps, or the time held (coach.progress)."""
        return self.tally.progress

    @property
    def holds(self) -> dict[int, HoldSet]:
        """A hold exercise's sets by index, as last seen (none for a rep exercise)."""
        return self.tally.holds

    def finish(self, status: str = "complete") -> int | None:
        """Close the history session (once), after what is queued is written; returns its id,
        None when nothing was recorded."""
        with self.lock:
            if self.finished:
                return self.session_id
            self.finished = True
            self.pipeline.close(status)
        self.session_id = self.recorder.session_id if self.recorder else None  # with its view (RecorderSink)
        return self.session_id


class Tally:
    """A sink keeping what a workout has counted: the latest progress (the reps counted when the
    stream ends included), and a hold exercise's sets by index, as last seen."""

    def __init__(self, exercise: Exercise):
        self.progress: Progress = progress.of(exercise)
        self.holds: dict[int, HoldSet] = {}

    def update(self, step: StepResult, frame: Frame | None) -> None:
        self.progress = step.result.progress
        if step.result.hold is not None:
            self.holds[step.result.hold.index] = step.result.hold

    def close(self, status: str) -> None:
        pass
