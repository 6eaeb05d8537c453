"""Why the live count may be wrong now, in words for the page: too few frames analysed for the
exercise's pace, or the camera seeing a side the exercise is not counted from. No Streamlit here:
the Workout page draws them."""

from __future__ import annotations

from coach.exercises import Exercise
from coach.pipeline import LOW_FPS, WRONG_VIEW, StepResult
from coach.words import plural


def notes(step: StepResult, exercise: Exercise) -> list[tuple[str, str]]:
    """(kind, sentence) for each reason the count is doubtful now: 'low_fps' and 'wrong_view'."""
    found = []
    name = exercise.name.lower()
    if step.too_slow:
        found.append((LOW_FPS, f"Analysing {step.fps:.0f} fps: {name} needs {step.needed_fps:.0f} fps to "
                               "count every rep, so reps counted now are marked low_fps. Pick a lighter live "
                               "model in Settings, or a smaller camera size, or close other programs."))
    if step.wrong_view_reps:
        found.append((WRONG_VIEW, f"{plural(step.wrong_view_reps, 'rep')} flagged wrong_view: counted while the "
                                  f"camera saw you from a side the {name} is not counted from (it is counted "
                                  f"from the {' or '.join(exercise.views)})."))
    return found

