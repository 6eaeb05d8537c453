"""Several people in view: each tracked person counted by their own Pipeline, as one person is.

`People.update(found, t) -> dict[track id, PersonResult]` runs once a frame on the people the
tracker (coach.tracking) followed to this frame. Every state a person has (a Pipeline without a
model: filters, counter, cues, range meter; the set-up check) is kept in a dict keyed by their
track id, never by their place in the frame's list, so a person keeps their count when someone
else enters, leaves or passes in front of them. `Crowd` is the live camera's: the tracker and
People over what MultiPose found, the step of the exerciser out, as a Pipeline's.

A person's pipeline sees their pose only while they hold the set-up position: the exercise's
keypoints in view, the camera seeing them from a side the exercise suits, and standing in one
place (not walking through). Otherwise it gets no pose, as for a person out of view, so a
bystander who walks past, or one who stands at the edge, counts nothing. The exerciser is the
first person to complete a rep from the set-up position, and stays chosen for the whole set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from coach.camera_view import ViewCheck
from coach.exercises import Exercise
from coach.pipeline import Pipeline, Sink, StepResult
from coach.pose.multipose import Detected
from coach.session import Walking
from coach.tracking import LOST_S, Tracker
from coach.types import Frame, Pose


@dataclass(frozen=True, slots=True)
class PersonResult:
    """One tracked person after one frame: their track id, their pipeline's StepResult, whether
    they held the set-up position in this frame (`ready`), and their box when seen."""

    id: int
    step: StepResult
    ready: bool
    box: tuple[float, float, float, float] | None = None

    @property
    def result(self):
        return self.step.result


class SetUpCheck:
    """Whether one person holds the set-up position: `update(pose, t) -> bool`.

    In view (the exercise's keypoints seen), seen from a side the exercise suits, and not
    walking (coach.session.Walking).
    """

    def __init__(self, exercise: Exercise):
        self.min_score = exercise.visibility.min_score
        self.groups = [list(group) for group in exercise.visibility.groups()]
        self.views = {"front" if v == "back" else v for v in exercise.views}  # the ratio cannot tell them apart
        self.view_check = ViewCheck(self.min_score)
        self.walking = Walking(self.min_score)

    def update(self, pose: Pose, t: float) -> bool:
        scores = pose.keypoints[:, 2]
        in_view = any(scores[group].min() >= self.min_score for group in self.groups)
        view = self.view_check.update(pose if in_view else None, t)
        walking = self.walking.update(pose, t)
        return in_view and (view is None or view in self.views) and not walking


class People:
    """Everyone the tracker follows, each counted by their own Pipeline (poses in, no model).

    `exerciser` is the id of the first person who completed a rep from the set-up position,
    None before anyone has.
    """

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.pipelines: dict[int, Pipeline] = {}
        self.checks: dict[int, SetUpCheck] = {}
        self.ever_ready: set[int] = set()
        self.last_seen: dict[int, float] = {}
        self.exerciser: int | None = None

    def update(self, found: dict[int, Detected], t: float) -> dict[int, PersonResult]:
        """One frame's people (this frame's by track id): every person still remembered gets a
        result, those not seen now (hidden, gone) a result with no pose, so each pipeline's time
        keeps going."""
        self.last_seen.update((person_id, t) for person_id in found)
        # Passers-by who never held the set-up position are forgotten once the tracker has let
        # them go, so a long live session does not keep a pipeline for everyone who ever walked by.
        for person_id in [i for i, seen in self.last_seen.items() if t - seen > LOST_S and i not in self.ever_ready]:
            del self.last_seen[person_id], self.pipelines[person_id]
            self.checks.pop(person_id, None)
        out = {}
        for person_id in sorted(set(self.pipelines) | set(found)):
            pipeline = self.pipelines.setdefault(person_id, Pipeline(None, self.exercise))
            person = found.get(person_id)
            ready = False
            if person is not None:
                ready = self.checks.setdefault(person_id, SetUpCheck(self.exercise)).update(person.pose, t)
            if ready:
                self.ever_ready.add(person_id)
            step = pipeline.step_pose(person.pose if ready else None, t)
            if self.exerciser is None and step.result.rep is not None:
                self.exerciser = person_id
            out[person_id] = PersonResult(person_id, step, ready, person.box if person else None)
        return out

    def flush(self) -> dict[int, list[StepResult]]:
        """The stream has ended: each person's reps counted only now (Pipeline.flush), by id. If no
        one was the exerciser yet, it is the one whose first of these reps was done first."""
        out = {person_id: steps for person_id, pipeline in self.pipelines.items() if (steps := pipeline.flush())}
        if self.exerciser is None and out:
            self.exerciser = min(out, key=lambda person_id: out[person_id][0].result.rep.end_t)
        return out

    def reps(self, person_id: int) -> int:
        """A person's count so far (0 for one never seen)."""
        pipeline = self.pipelines.get(person_id)
        return pipeline.reps if pipeline is not None else 0


class Crowd:
    """Everyone in front of the live camera, counted as one person is: `step_pose(detected, t,
    frame) -> StepResult` over what MultiPose found in a frame, as a Pipeline's over one pose, for
    a Workout (coach.app.workout).

    The tracker gives each detection its person and People steps each person's own Pipeline, in
    the stream time it is given (a Workout's, paused stretches taken out, so a pause does not lose
    the tracks). The step returned is the exerciser's once someone completed a rep, before that
    the first person in set-up's (else a step with no pose: "step into view"). The sinks (the
    history recorder) hear the exerciser's steps from the frame they were chosen, their first rep
    included. `latest` is the last frame's {id: PersonResult}, for the labels and the page.
    """

    def __init__(self, exercise: Exercise, sinks: Iterable[Sink] = (), frame_rate: float = 30.0):
        self.exercise = exercise
        self.tracker = Tracker(frame_rate)
        self.people = People(exercise)
        self.nobody = Pipeline(None, exercise)  # the step shown while no one is in set-up
        self.sinks = list(sinks)
        self.latest: dict[int, PersonResult] = {}
        self.closed = False

    @property
    def last_t(self) -> float:
        return self.nobody.last_t

    @property
    def exerciser(self) -> int | None:
        return self.people.exerciser

    def step_pose(self, detected: list[Detected], t: float, frame: Frame | None = None) -> StepResult:
        self.latest = self.people.update(self.tracker.update(detected, t), t)
        idle = self.nobody.step_pose(None, t)
        chosen = self.latest.get(self.people.exerciser)
        if chosen is None:
            return next((p.step for p in self.latest.values() if p.ready), idle)
        for sink in self.sinks:
            sink.update(chosen.step, frame)
        return chosen.step

    def close(self, status: str = "complete") -> None:
        """The stream has ended: the exerciser's reps counted only now reach the sinks, which close."""
        if self.closed:
            return
        self.closed = True
        for step in self.people.flush().get(self.people.exerciser, []):
            for sink in self.sinks:
                sink.update(step, None)
        for sink in self.sinks:
            sink.close(status)
