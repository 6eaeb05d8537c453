"""One live workout: a `coach.pipeline.Pipeline` over the camera's frames with the history
recorder as its sink. No Streamlit here: the page and the tests drive it the same way.

`Workout.update(frame) -> StepResult` is what the LiveWorker runs on its analysis thread. The
recorder writes on a thread of its own (`RecorderSink`), committing every rep the moment it
reaches it, so a slow or locked database never holds up the count, and closing the tab mid-set
loses no counted rep.
"""

from __future__ import annotations

import threading
from collections import Counter

from coach.exercises import Exercise
from coach.pipeline import Pipeline, RecorderSink, StepResult
from coach.types import Frame, HoldSet


class Workout:
    """The live pipeline of one workout: `update(frame) -> StepResult` on the analysis thread.

    `store` may be None (nothing is saved). The recorder opens the history session at the first
    frame, so a workout whose camera never started leaves nothing behind. `finish()` may come
    from another thread (the page's End button, the stream ending) and is idempotent.

    `routine`: the id of the routine this workout is a block of, for the history.

    `track`: the crop follows the person (the pose module's default for video), which keeps a
    person who is small in the frame sharp enough to count.
    """

    def __init__(self, model, exercise: Exercise, store=None, person: str | None = None,
                 definition: str | None = None, track: bool = True, routine: str | None = None):
        self.exercise = exercise
        self.store = store
        self.seen_views: Counter[str] = Counter()  # frames per camera view, for the history
        self.holds: dict[int, HoldSet] = {}  # a hold exercise's sets by index, as last seen
        self.recorder = (RecorderSink(store, exercise.id, person, source="live", definition=definition, routine=routine)
                         if store is not None else None)
        self.pipeline = Pipeline(model, exercise, sinks=[self.recorder] if self.recorder else [], track=track)
        self.session_id: int | None = None
        self.finished = False
        # Held while a frame goes through the pipeline, so that finishing (which counts the reps
        # left at the end of the stream) never runs beside a frame.
        self.lock = threading.RLock()

    def update(self, frame: Frame) -> StepResult | None:
        """One camera frame; None (skipped) for a frame that is not newer than the last, or one
        that comes after the workout was finished."""
        with self.lock:
            if self.finished:
                return None
            result = self.pipeline.step(frame)
        if result is not None and result.view is not None:
            self.seen_views[result.view] += 1
        if result is not None and result.result.hold is not None:
            self.holds[result.result.hold.index] = result.result.hold
        return result

    @property
    def reps(self) -> int:
        return self.pipeline.reps

    @property
    def held_s(self) -> float | None:
        """A hold exercise's time held over its sets so far; None for a rep exercise."""
        return sum(h.held_s for h in self.holds.values()) if self.exercise.hold is not None else None

    def finish(self, status: str = "complete") -> int | None:
        """Close the history session (once), after what is queued is written; returns its id,
        None when nothing was recorded."""
        with self.lock:
            if self.finished:
                return self.session_id
            self.finished = True
            self.pipeline.close(status)
        self.session_id = self.recorder.session_id if self.recorder else None
        if self.seen_views and self.session_id is not None:  # the view it was mostly seen from
            self.store.set_view(self.session_id, self.seen_views.most_common(1)[0][0])
        return self.session_id
