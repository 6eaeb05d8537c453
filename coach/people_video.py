"""A video of several people: MultiPose, the tracker (coach.tracking) and one Pipeline per person
(coach.people) over each frame, as live, for `coach analyze --people all`."""

from __future__ import annotations

from typing import Sequence

from coach.analysis import Analysis
from coach.exercises import Exercise
from coach.people import People
from coach.tracking import Tracker


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
    from coach.people_render import draw_people
    from coach.render import VideoWriter, draw_hud
    from coach.sources import read_video

    source = read_video(path)
    rate = fps or source.fps or 30.0

    def blank(kind: Exercise) -> Analysis:
        return Analysis(kind, source=str(path), fps=rate, size=source.size, model=model.name)

    kinds = [exercise, *others]
    tracker = Tracker(rate)
    counted = [People(kind) for kind in kinds]
    analyses: list[dict[int, Analysis]] = [{} for _ in kinds]
    exerciser: int | None = None  # the first person to complete a rep of any of the exercises
    writer = VideoWriter(out, rate) if out else None
    try:
        for frame in source:
            t = frame.index / fps if fps else frame.t
            found = tracker.update(model.predict(frame.image), t)
            results = [people.update(found, t) for people in counted]
            for kind, people, by_id, frame_results in zip(kinds, counted, analyses, results):
                for person_id, person in frame_results.items():
                    analysis = by_id.setdefault(person_id, blank(kind))
                    analysis.add(person.result)
                    analysis.view = person.step.session_view  # as their pipeline decided it
                if exerciser is None:
                    exerciser = people.exerciser
            if writer:
                image = draw_people(frame.image, (results[doing(i, counted)][i] for i in found))
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
    return max(held, key=lambda k: (counted[k].reps(person_id), -k))
