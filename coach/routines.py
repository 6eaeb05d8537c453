"""Routines: a workout with a goal, as a list of blocks (an exercise, its sets, the reps or the
seconds held of each set, the rest after each), one YAML file each, like exercises.

The schema and its errors are those of every definition (coach.definitions): `file:line field:
problem`, with a did-you-mean. A block's exercise is checked against the exercise library when
one is given (the library and `coach routines validate` do): it must exist, and a hold (plank)
takes `seconds` where a rep exercise takes `reps`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationInfo, model_validator

from coach import definitions, paths
from coach.definitions import FieldProblem, Model, did_you_mean
from coach.errors import RoutineError
from coach.exercises import Exercise, Identifier
from coach.words import plural

BUILTIN_DIR = paths.BUILTIN_ROUTINES


class DefinitionError(definitions.DefinitionError, RoutineError):
    """An invalid routine; `problems` holds each Problem, in line order."""


class Block(Model):
    """One exercise of a routine: `sets` sets of `reps` reps, or of `seconds` held for a hold
    exercise (a plank), with `rest_s` seconds of rest after each set but the routine's last."""

    exercise: Identifier
    sets: int = Field(1, ge=1, le=20)
    reps: int | None = Field(None, ge=1, le=500)
    seconds: float | None = Field(None, gt=0, le=3600)
    rest_s: float = Field(60.0, ge=0, le=3600)

    @model_validator(mode="after")
    def check_target(self, info: ValidationInfo):
        if (self.reps is None) == (self.seconds is None):
            raise FieldProblem(("reps",), "a block takes `reps` (a rep exercise) or `seconds` (a hold), one of them")
        exercises: dict[str, Exercise] | None = (info.context or {}).get("exercises")
        if exercises is None:
            return self
        exercise = exercises.get(self.exercise)
        if exercise is None:
            raise FieldProblem(("exercise",), f"unknown exercise {self.exercise!r}" + (
                did_you_mean(self.exercise, exercises) or f" (exercises: {', '.join(sorted(exercises))})"))
        if exercise.hold is not None and self.seconds is None:
            raise FieldProblem(("reps",), f"{exercise.name} is a hold: give `seconds` held, not `reps`")
        if exercise.hold is None and self.reps is None:
            raise FieldProblem(("seconds",), f"{exercise.name} counts reps: give `reps`, not `seconds`")
        return self

    @property
    def target(self) -> float:
        """What one set asks for: reps, or seconds held."""
        return self.reps if self.reps is not None else self.seconds


class Routine(Model):
    id: Identifier
    name: str = Field(min_length=1, max_length=60)
    description: str = ""
    blocks: list[Block] = Field(min_length=1, max_length=50)


KIND = definitions.Kind(Routine, DefinitionError, "a routine", "id, name, blocks")


def parse(text: str, source: str = "<text>", exercises: dict[str, Exercise] | None = None) -> Routine:
    """A Routine from YAML text, its blocks checked against `exercises` (id -> Exercise) when given;
    DefinitionError with each `source:line field: problem` otherwise."""
    return definitions.parse(text, source, KIND, {"exercises": exercises} if exercises is not None else None)


def load(path, exercises: dict[str, Exercise] | None = None) -> Routine:
    """A Routine from a YAML file (see parse)."""
    return parse(definitions.read(path, KIND), str(path), exercises)


def read(path) -> str:
    return definitions.read(path, KIND)


class Library(definitions.Library):
    """The built-in routines, then the user's (same id: the user's wins), checked against the
    exercise library `exercises`. A bad file only disables itself (coach.definitions.Library): its
    problems are for `coach routines list` and the app to show."""

    def __init__(self, exercises: dict[str, Exercise], builtin_dir=BUILTIN_DIR, user=None):
        self.exercises = exercises
        super().__init__((Path(builtin_dir), Path(user) if user is not None else paths.user_routines_dir()),
                         lambda path: load(path, exercises), "routines")

    @property
    def routines(self) -> dict[str, Routine]:
        return self.items

    def get(self, name: str) -> Routine:
        """A routine by id, or by the path of a YAML file."""
        routine = self.find(name)
        if routine is None:
            raise RoutineError(f"unknown routine {name!r}" + (did_you_mean(name, self.routines) or
                                                              f" (valid: {', '.join(self.ids())})"))
        return routine


def set_words(block: Block, exercise: Exercise) -> str:
    """One set of a block in words: "10 squats", "30 s plank"."""
    name = exercise.name.lower()
    return plural(block.reps, name) if block.reps is not None else f"{block.seconds:g} s {name}"


def plan_line(block: Block, exercise: Exercise, last: bool = False) -> str:
    """A block in words: "3 x 10 squats, 60 s rest", "3 x 30 s plank". `last`: the routine's
    last block, whose rest comes only between its own sets."""
    rest = block.rest_s and not (last and block.sets == 1)
    return f"{block.sets} x {set_words(block, exercise)}" + (f", {block.rest_s:g} s rest" if rest else "")


def plan(routine: Routine, exercises: dict[str, Exercise]) -> list[str]:
    """The routine's blocks in words, in order (plan_line)."""
    return [plan_line(b, exercises[b.exercise], i == len(routine.blocks) - 1) for i, b in enumerate(routine.blocks)]
