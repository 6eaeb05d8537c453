"""A routine's live workout: a Workout (coach.app.workout) per block in turn, guided by
coach.guidance. No Streamlit here: the page and the tests drive it as they drive a Workout,
`update(frame) -> StepResult` on the analysis thread.

Each block is a history session of its own exercise, marked with the routine's id. When the
guidance moves to the next block (its rest over), the block's workout is finished (saved as
complete) and the next exercise's starts on the same frame stream, counting from 0 (after its
countdown, on the page). A paused stretch is neither set nor rest: the guidance's clock stops.
"""

from __future__ import annotations

import threading
from typing import Callable

from coach.app.workout import Workout
from coach.guidance import Guidance, Guide
from coach.pipeline import StepResult
from coach.routines import Routine
from coach.types import Frame


class RoutineWorkout:
    """`update(frame)` runs the current block's Workout and the guidance on its count.

    `start(exercise_id) -> Workout` makes a block's workout (the page's: the shared model, the
    store, the person, the routine's id). `guide` is the latest Guide; `take_said()` hands the
    page what the guidance said since it last asked, to speak. `sessions`: the history session of
    each block finished so far.
    """

    def __init__(self, routine: Routine, guidance: Guidance, start: Callable[[str], Workout]):
        self.routine = routine
        self.guidance = guidance
        self.start = start
        self.block = 0
        self.workout = start(routine.blocks[0].exercise)
        self.guide: Guide | None = None
        self.sessions: list[int] = []
        self.finished = False
        self.said: list[str] = []
        self.paused_s = 0.0  # stream seconds paused so far, taken out of the guidance's clock
        self.last_t: float | None = None
        self.lock = threading.RLock()  # a frame, and finishing, one at a time

    def update(self, frame: Frame) -> StepResult | None:
        with self.lock:
            if self.finished:
                return None
            step = self.workout.update(frame)
            if step is None:
                return None
            if step.paused and self.last_t is not None:
                self.paused_s += frame.t - self.last_t
            self.last_t = frame.t
            self.guide = self.guidance.update(frame.t - self.paused_s, self.counted())
            self.said.extend(self.guide.said)
            if self.guide.block != self.block:  # the rest is over: the next exercise starts now
                self.end_block()
                self.block = self.guide.block
                self.workout = self.start(self.routine.blocks[self.block].exercise)
            return step

    def end_block(self, status: str = "complete"):
        session_id = self.workout.finish(status)
        if session_id is not None:
            self.sessions.append(session_id)
        self.guidance.close(self.block, self.counted())

    def counted(self) -> float:
        """The current block's count: reps, or seconds held."""
        return self.workout.progress.done

    def take_said(self) -> list[str]:
        with self.lock:
            said, self.said = self.said, []
            return said

    # What the page reads of a Workout: the current block's.
    @property
    def exercise(self):
        return self.workout.exercise

    @property
    def progress(self):
        return self.workout.progress

    @property
    def holds(self):
        return self.workout.holds

    # Pause and resume act on the block under way; `update` stops the guidance's clock meanwhile.
    @property
    def paused(self) -> bool:
        return self.workout.paused

    def pause(self):
        self.workout.pause()

    def resume(self):
        self.workout.resume()

    def finish(self, status: str = "complete") -> int | None:
        """End the routine (once): the current block's session is closed; returns its id."""
        with self.lock:
            if not self.finished:
                self.finished = True
                self.end_block(status)
        return self.sessions[-1] if self.sessions else None
