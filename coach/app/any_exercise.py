""""Any exercise" on the Workout page: a live workout whose exercise is recognised from the movement
(coach.recognise) and then counted with that exercise's definition from the start of the set.

`RecognisingWorkout` is a `coach.app.workout.Workout` (countdown, pause, finishing) whose pipeline
is a `RecognisingPipeline` until the exercise is known: every counted frame's pose goes to the
Recogniser, and the count shown stays 0. Once it recognises the exercise, the exercise's own
Pipeline (with the history recorder, for that exercise) takes the poses of the set so far, then
every frame after: the reps done before the decision count, and the history holds the exercise
recognised. A workout that ends undecided is decided on what was seen (Recogniser.finish).
"""

from __future__ import annotations

from dataclasses import replace

from coach import progress
from coach.app.text import plain
from coach.app.workout import Workout
from coach.exercise_library import Library
from coach.exercises import Exercise
from coach.pipeline import Pipeline, StepResult
from coach.recognise import Recogniser, candidates
from coach.sinks import RecorderSink
from coach.types import Frame, Pose

# Until the exercise is recognised the workout follows the library's `auto` (a repeated movement,
# no joint named): its set-up check asks for the torso in view, and its count is never shown.
UNTIL_RECOGNISED = "auto"


class RecognisingPipeline:
    """Stands in for a Workout's Pipeline while the exercise is unknown: the same `tracker`,
    `step_pose`, `last_t`, `reps` and `close`. `start(exercise)` gives the recognised exercise's
    sinks (the recorder)."""

    def __init__(self, model, library: Library, start, track: bool = True):
        self.model, self.track, self.start = model, track, start
        self.waiting = Pipeline(model, library.get(UNTIL_RECOGNISED), track=track)  # tracks the person
        self.tracker = self.waiting.tracker
        self.recogniser = Recogniser(candidates(library))
        self.seen: list[tuple[Pose | None, float]] = []  # the set's poses until the choice
        self.chosen: Pipeline | None = None

    @property
    def last_t(self) -> float:
        return (self.chosen or self.waiting).last_t

    @property
    def reps(self) -> int:
        return self.chosen.reps if self.chosen is not None else 0

    def step_pose(self, pose: Pose | None, t: float, frame: Frame | None = None) -> StepResult:
        if self.chosen is not None:
            return self.chosen.step_pose(pose, t, frame)
        exercise = self.recogniser.update(pose, t)
        if exercise is None:
            self.seen.append((pose, t))
            step = self.waiting.step_pose(pose, t, frame)
            nothing = progress.RepCount(0, 0)  # the count shown stays 0 until the exercise is known
            return replace(step, result=replace(step.result, reps=0, sets=0, waiting=False, progress=nothing), last_rep=None)
        self.choose(exercise)
        return self.chosen.step_pose(pose, t, frame)

    def choose(self, exercise: Exercise) -> None:
        """Count with `exercise` from now on, from the set's start: the poses seen so far go
        through its pipeline first (their frames' images are gone)."""
        self.chosen = Pipeline(self.model, exercise, sinks=self.start(exercise), track=self.track)
        self.chosen.tracker = self.tracker  # the crop keeps following the person
        for seen_pose, seen_t in self.seen:
            self.chosen.step_pose(seen_pose, seen_t)
        self.seen.clear()

    def close(self, status: str = "complete") -> None:
        """The stream has ended: still undecided, the recogniser decides on what it saw
        (coach.recognise.Recogniser.finish), and the reps of the exercise chosen so reach the history."""
        if self.chosen is None and self.seen and (exercise := self.recogniser.finish(self.seen[-1][1])) is not None:
            self.choose(exercise)
        (self.chosen or self.waiting).close(status)


class RecognisingWorkout(Workout):
    """A live workout with no exercise picked (see the module's docstring). `exercise` is the
    library's `auto` until the exercise is recognised, then the one recognised."""

    def __init__(self, model, library: Library, store=None, person: str | None = None, track: bool = True,
                 countdown_s: float = 0.0):
        super().__init__(model, library.get(UNTIL_RECOGNISED), None, person, track=track, countdown_s=countdown_s)
        self.library, self.store, self.person = library, store, person
        self.pipeline = RecognisingPipeline(model, library, self.recognised, track)
        self.see = self.pipeline.tracker.update

    @property
    def recognising(self) -> bool:
        return self.pipeline.chosen is None

    def recognised(self, exercise: Exercise) -> list:
        """The exercise is known: the workout is that exercise's from now on, its progress kept by
        the workout's tally and recorded as it."""
        self.exercise = exercise
        if self.store is not None:
            self.recorder = RecorderSink(self.store, exercise.id, self.person, source="live",
                                         definition=self.library.definition(exercise.id))
        return [self.tally] + ([self.recorder] if self.recorder else [])


def figure(workout, reps: int) -> tuple[str, int] | None:
    """The Workout page's main figure while recognising ("Recognising the exercise", 0) and after
    ("Squats", 2); None for a workout with its exercise picked."""
    if not isinstance(workout, RecognisingWorkout):
        return None
    if workout.recognising:
        return "Any exercise: recognising it from your first reps", reps
    name = workout.exercise.name
    return plain(name + ("es" if name.endswith(("s", "sh", "ch", "x")) else "s")), reps
