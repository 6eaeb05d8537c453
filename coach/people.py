"""Several people in view: each tracked person with their own Pipeline, and the exerciser among them.

`People.update(detected, t) -> dict[track id, PersonResult]` runs once a frame on what MultiPose
found. People are followed from frame to frame by ByteTrack (Roboflow's `trackers`) on their boxes
(OC-SORT lost a man doing jumping jacks: his box doubles in width with his arms out);
every state a person has (a Pipeline without a model: filters, counter, cues, range meter; the
set-up check) is kept in a dict keyed by their
track id, never by their place in the frame's list, so a person keeps their count when someone
else enters, leaves or passes in front of them.

A person's pipeline sees their pose only while they hold the set-up position: the exercise's
keypoints in view, the camera seeing them from a side the exercise suits, and standing in one
place (not walking through). Otherwise it gets no pose, as for a person out of view, so a
bystander who walks past, or one who stands at the edge, counts nothing. The exerciser is the
first person to complete a rep from the set-up position, and stays chosen for the whole set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from coach.analysis import Analysis
from coach.camera_view import ViewCheck
from coach.exercises import Exercise
from coach.pipeline import Pipeline, StepResult
from coach.pose.multipose import Detected
from coach.session import Walking
from coach.types import Pose
from coach.words import plural

# Seconds a track lives on unseen before the tracker gives its id up: a person hidden for a
# moment by someone passing in front keeps their id, count and filters.
LOST_S = 2.0


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
    """Everyone MultiPose finds, tracked, each counted by their own Pipeline (poses in, no model).

    `frame_rate` is the frames' rate (the tracker's motion model steps by it). `exerciser` is the
    id of the first person who completed a rep from the set-up position, None before anyone has.
    """

    def __init__(self, exercise: Exercise, frame_rate: float = 30.0):
        from trackers import ByteTrackTracker  # loads supervision: only when several people are asked for

        self.exercise = exercise
        rate = frame_rate if math.isfinite(frame_rate) and frame_rate > 0 else 30.0
        # `trackers` counts lost_track_buffer in frames at 30 fps whatever the rate and, given
        # timestamps, lets a track go unseen lost_track_buffer / 30 s: so LOST_S * 30 at any rate.
        # MultiPose's person scores run 0.2-0.5 here, under ByteTrack's defaults for a detector.
        self.tracker = ByteTrackTracker(lost_track_buffer=round(LOST_S * 30), frame_rate=rate,
                                        track_activation_threshold=0.3, minimum_consecutive_frames=3,
                                        high_conf_det_threshold=0.3)
        self.pipelines: dict[int, Pipeline] = {}
        self.checks: dict[int, SetUpCheck] = {}
        self.ever_ready: set[int] = set()
        self.last_seen: dict[int, float] = {}
        self.exerciser: int | None = None

    def update(self, detected: list[Detected], t: float) -> dict[int, PersonResult]:
        """One frame's people: every person still remembered gets a result, those not seen now
        (hidden, gone) a result with no pose, so each pipeline's time keeps going."""
        return self.step_found(self.track(detected, t), t)

    def step_found(self, found: dict[int, Detected], t: float) -> dict[int, PersonResult]:
        """`update` after the tracker: this frame's people by track id (another People's
        tracking, when several exercises are counted over the same people)."""
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

    def track(self, detected: list[Detected], t: float) -> dict[int, Detected]:
        """The people of this frame by track id; those the tracker has not yet confirmed are left out."""
        import supervision as sv

        if detected:
            boxes = np.array([d.box for d in detected], dtype=np.float32)
            scores = np.array([d.score for d in detected], dtype=np.float32)
            detections = sv.Detections(xyxy=boxes, confidence=scores, data={"index": np.arange(len(detected))})
        else:
            detections = sv.Detections.empty()
        tracked = self.tracker.update(detections, timestamp=t)
        if len(tracked) == 0:
            return {}
        return {int(track_id): detected[int(index)]
                for track_id, index in zip(tracked.tracker_id, tracked.data["index"]) if track_id >= 0}


def analyze_people(path, exercise: Exercise, model, fps: float | None = None, out=None,
                   on_progress=None, others: Sequence[Exercise] = ()) -> tuple[Analysis, dict[int, Analysis]]:
    """A video through MultiPose, the tracker and one Pipeline per person, frame by frame as live.

    Returns the exerciser's Analysis (an empty one, with a warning, when nobody completed a rep
    from the set-up position) and one Analysis per person who held the set-up position, by id,
    each from the frame that person was first seen. `out` gets the overlay video: every person
    in set-up with their skeleton and a label, and the exerciser's count in the corner.

    `others`: more exercises the people may be doing (one each). Everyone is counted in each
    (one tracker, a People per exercise: the pipelines need no model) and reported in the one
    they did the most reps of, the first listed on a tie: a squat barely moves the arms a
    jumping jack is counted by, and a jumping jack never bends the knees to a squat's depth.
    """
    from coach.render import VideoWriter, draw_hud, draw_person_label, draw_pose
    from coach.sources import read_video

    source = read_video(path)
    rate = fps or source.fps or 30.0

    def blank(kind: Exercise) -> Analysis:
        return Analysis(kind, source=str(path), fps=rate, size=source.size, model=model.name)

    kinds = [exercise, *others]
    counted = [People(kind, rate) for kind in kinds]
    analyses: list[dict[int, Analysis]] = [{} for _ in kinds]
    exerciser: int | None = None  # the first person to complete a rep of any of the exercises
    writer = VideoWriter(out, rate) if out else None
    try:
        for frame in source:
            t = frame.index / fps if fps else frame.t
            found = counted[0].track(model.predict(frame.image), t)
            results = [people.step_found(found, t) for people in counted]
            for kind, people, by_id, frame_results in zip(kinds, counted, analyses, results):
                for person_id, person in frame_results.items():
                    by_id.setdefault(person_id, blank(kind)).add(person.result)
                if exerciser is None:
                    exerciser = people.exerciser
            if writer:
                image = frame.image
                for person_id in found:
                    person = results[doing(person_id, counted)][person_id]
                    if person.ready:
                        image = draw_pose(image, person.result.pose)
                        image = draw_person_label(image, person.box, person_label(person))
                if exerciser is not None and exerciser in found:
                    k = doing(exerciser, counted)
                    chosen = results[k][exerciser]
                    image = draw_hud(image, chosen.result, kinds[k], chosen.step.cue)
                writer.write(image)
            if on_progress:
                on_progress(frame.index + 1, len(source))
    finally:
        if writer:
            writer.close()
    for people, by_id in zip(counted, analyses):
        for person_id, steps in people.flush().items():
            for step in steps:
                by_id[person_id].add(step.result)
        for person_id, analysis in by_id.items():  # the view each person's pipeline decided
            analysis.view = people.pipelines[person_id].seen.view if person_id in people.pipelines else None
        if exerciser is None:
            exerciser = people.exerciser
    ready = sorted(set().union(*(people.ever_ready for people in counted)))
    everyone = {i: analyses[doing(i, counted)][i].finish() for i in ready}
    if exerciser is None:
        nobody = blank(exercise).finish()
        nobody.warnings[:] = ["nobody completed a repetition from the set-up position"]
        return nobody, everyone
    return everyone[exerciser], everyone


def doing(person_id: int, counted: list[People]) -> int:
    """The index of the exercise a person is doing: the most reps so far among those they held
    the set-up position of (the first such on a tie, the first of all before any)."""
    held = [k for k, people in enumerate(counted) if person_id in people.ever_ready] or [0]
    return max(held, key=lambda k: (reps_of(counted[k], person_id), -k))


def reps_of(people: People, person_id: int) -> int:
    pipeline = people.pipelines.get(person_id)
    return pipeline.reps if pipeline is not None else 0


def person_label(person: PersonResult) -> str:
    reps = person.result.reps
    return f"#{person.id}: {plural(reps, 'rep')}"


class LivePeople:
    """Everyone in front of the live camera: `update(frame) -> StepResult` for the LiveWorker, as
    a Workout's, with `people` (the latest {id: PersonResult}) for the labels and the page.

    The step it returns is the exerciser's once someone completed a rep, before that the first
    person in set-up's (else a step with no pose: "step into view"). The history gets the
    exerciser's steps from the frame they were chosen (their first rep included); `store` None
    saves nothing. `finish()` may come from another thread and is idempotent, as a Workout's.
    """

    def __init__(self, model, exercise: Exercise, store=None, person: str | None = None,
                 definition: str | None = None, frame_rate: float = 30.0):
        import threading

        from coach.sinks import RecorderSink

        self.model = model
        self.exercise = exercise
        self.tracked = People(exercise, frame_rate)
        self.nobody = Pipeline(None, exercise)  # the step shown while no one is in set-up
        self.recorder = (RecorderSink(store, exercise.id, person, source="live", definition=definition)
                         if store is not None else None)
        self.people: dict[int, PersonResult] = {}
        self.session_id: int | None = None
        self.finished = False
        self.lock = threading.RLock()  # as a Workout's: held over a frame, so finishing never runs beside one

    def update(self, frame) -> StepResult | None:
        with self.lock:
            if self.finished or frame.t <= self.nobody.last_t:
                return None
            self.people = self.tracked.update(self.model.predict(frame.image), frame.t)
            idle = self.nobody.step_pose(None, frame.t)
            chosen = self.people.get(self.tracked.exerciser)
            if chosen is not None:
                if self.recorder is not None:
                    self.recorder.update(chosen.step, frame)
                return chosen.step
            return next((p.step for p in self.people.values() if p.ready), idle)

    @property
    def reps(self) -> int:
        chosen = self.tracked.pipelines.get(self.tracked.exerciser)
        return chosen.reps if chosen is not None else 0

    def finish(self, status: str = "complete") -> int | None:
        with self.lock:
            if self.finished:
                return self.session_id
            self.finished = True
            if self.recorder is not None:
                for step in self.tracked.flush().get(self.tracked.exerciser, []):
                    self.recorder.update(step, None)
        if self.recorder is not None:
            self.session_id = self.recorder.close(status)
        return self.session_id


def arm_everyone(exercise: Exercise, store, person: str | None, definition: str | None, draw_live):
    """The live page's analyser and overlay when everyone in view is counted: (LivePeople with
    its own MultiPose model, annotate(image, shown, latest)). `draw_live` is the page's one-person
    overlay (the exerciser's skeleton, count, meter and message); the labels go on top."""
    from coach.pose.multipose import MultiPoseModel

    people = LivePeople(MultiPoseModel(), exercise, store, person, definition)

    def annotate(image, shown, latest):
        return draw_people(draw_live(image, shown, latest), people.people, people.tracked.exerciser)
    return people, annotate


def draw_people(image: np.ndarray, people: dict[int, PersonResult], exerciser: int | None) -> np.ndarray:
    """Each person in set-up with their skeleton and a label over their head with their count;
    the exerciser's label says so. The boxes are in the image's pixels (the live camera's frames
    keep their size)."""
    from coach.render import draw_person_label, draw_pose

    for person in list(people.values()):  # the analysis thread replaces the dict, never changes it
        if person.ready:
            if person.id != exerciser and person.result.pose is not None:
                image = draw_pose(image, person.result.pose)
            label = person_label(person) + (" (exerciser)" if person.id == exerciser else "")
            image = draw_person_label(image, person.box, label)
    return image


def counts_line(people: dict[int, PersonResult], exerciser: int | None) -> str:
    """The page's one line of everyone's counts, e.g. "#1: 4 reps (exerciser) · #2: 3 reps"."""
    return " · ".join(person_label(p) + (" (exerciser)" if p.id == exerciser else "")
                      for p in people.values() if p.ready or p.result.reps)
