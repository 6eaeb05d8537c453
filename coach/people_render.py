"""Several people drawn over a frame: each person in set-up with their skeleton and a label over
their head with their count. It only reads coach.people's results."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from coach.people import PersonResult
from coach.render import draw_person_label, draw_pose
from coach.words import plural


def person_label(person: PersonResult, exerciser: int | None = None) -> str:
    """"#1: 4 reps", and " (exerciser)" after the exerciser's."""
    return f"#{person.id}: {plural(person.result.reps, 'rep')}" + (" (exerciser)" if person.id == exerciser else "")


def draw_people(image: np.ndarray, people: Iterable[PersonResult], exerciser: int | None = None) -> np.ndarray:
    """Each person in set-up with their skeleton and their label; the `exerciser`'s label says so,
    and their skeleton is left to the view that draws their count (the live overlay). The boxes
    are in the image's pixels (the live camera's frames keep their size)."""
    for person in list(people):  # the analysis thread replaces the live dict, never changes it
        if person.ready:
            if person.id != exerciser:
                image = draw_pose(image, person.result.pose)
            image = draw_person_label(image, person.box, person_label(person, exerciser))
    return image
