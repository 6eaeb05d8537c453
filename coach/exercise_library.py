"""The library of exercise definitions: the built-in ones, then the user's folder, loaded by the
one loader of every library (coach.definitions.Library); and saving a definition into the user's
folder."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from coach import definitions, paths
from coach.errors import ExerciseError
from coach.exercises import Exercise, load, read

BUILTIN_DIR = paths.BUILTIN_EXERCISES
USER_DIR_ENV = paths.USER_EXERCISES_ENV


def user_dir() -> Path:
    return paths.user_exercises_dir()


class Library(definitions.Library):
    """The built-in exercise definitions, then the user's (same id: the user's wins), then `extra`
    paths, which must load. A bad user file only disables itself (coach.definitions.Library): its
    problems are for `coach exercises list`, `coach analyze` and the app to show."""

    def __init__(self, builtin_dir=BUILTIN_DIR, user=None, extra=()):
        builtin = Path(builtin_dir)
        if not builtin.is_dir():  # an install without its definitions would know no exercise
            raise ExerciseError(f"the built-in exercise definitions are missing: no folder {builtin}")
        super().__init__((builtin, Path(user) if user is not None else user_dir()), load, "exercises")
        for path in extra:
            self.add(Path(path), strict=True)

    @property
    def exercises(self) -> dict[str, Exercise]:
        return self.items

    def get(self, name: str) -> Exercise:
        """An exercise by id, or by the path of a YAML file."""
        exercise = self.find(name)
        if exercise is None:
            raise ExerciseError(f"unknown exercise {name!r} (valid: {', '.join(self.ids())})")
        return exercise

    def definition(self, name: str) -> str | None:
        """The YAML text of an exercise by id or by file path, as a session keeps it to be
        counted again later; None for an exercise with no file."""
        source = self.sources.get(name)
        if source is None and definitions.is_path(name):
            source = Path(name)
        return read(source) if source is not None else None


def safe_file_name(exercise_id: str) -> str:
    """The file name a user definition is saved under: its id, never a path."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", exercise_id):
        raise ExerciseError(f"{exercise_id!r} cannot be a file name: use lower-case letters, digits and _")
    return f"{exercise_id}.yaml"


def save(folder: Path, exercise_id: str, text: str) -> Path:
    """Write a definition into the user's folder as `<id>.yaml`, whole or not at all.

    The text goes to a new temporary file of its own in the same folder (O_EXCL: never a file
    or link already there, so two saves at once never share one and a planted link is never
    followed), then replaces the target atomically: a reader sees the old file or the new one.
    """
    folder = Path(folder)
    target = folder / safe_file_name(exercise_id)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ExerciseError(f"cannot save {target.name}: {folder} is not a folder (see {USER_DIR_ENV})") from None
    except OSError as error:
        raise ExerciseError(f"cannot save into {folder}: {error.strerror or error}") from None
    try:
        fd, partial = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise ExerciseError(f"cannot save into {folder}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
    except OSError as error:
        Path(partial).unlink(missing_ok=True)
        raise ExerciseError(f"cannot save {target}: {error.strerror or error}") from None
    return target
