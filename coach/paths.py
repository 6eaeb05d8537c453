"""Where coach keeps things, in one place: the built-in exercises and routines, the user's
exercises and routines, the data folder (the history database, recordings) and the folder of
model files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPOSITORY = PACKAGE.parent
# The built-in exercise definitions: the repository's exercises/ folder, which the wheel ships
# inside the package as coach/builtin_exercises (pyproject.toml maps one onto the other).
BUILTIN_EXERCISES = PACKAGE / "builtin_exercises" if (PACKAGE / "builtin_exercises").is_dir() else REPOSITORY / "exercises"
# Users' own definitions; the same id as a built-in replaces it.
USER_EXERCISES_ENV = "COACH_EXERCISES_DIR"
# The built-in routines likewise: routines/, shipped as coach/builtin_routines.
BUILTIN_ROUTINES = PACKAGE / "builtin_routines" if (PACKAGE / "builtin_routines").is_dir() else REPOSITORY / "routines"
USER_ROUTINES_ENV = "COACH_ROUTINES_DIR"
# Another data folder than the default, for the whole of coach (a service's own folder, a test's).
DATA_DIR_ENV = "COACH_DATA_DIR"


def from_checkout() -> bool:
    """Whether coach runs from a source checkout (pyproject.toml beside the package)."""
    return (REPOSITORY / "pyproject.toml").is_file()


def data_dir() -> Path:
    """COACH_DATA_DIR, else the repository's data/ folder when coach runs from a checkout (`make
    run`), else the user's data folder, the same from any working folder: $XDG_DATA_HOME/coach
    (default ~/.local/share/coach) on Linux, ~/Library/Application Support/coach on macOS,
    %LOCALAPPDATA%\\coach on Windows."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    if from_checkout():
        return REPOSITORY / "data"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "coach"


def model_dir() -> Path | None:
    """COACH_MODEL_DIR, else ../shared/models beside a checkout (where the project keeps the
    MoveNet files), else None: the models then come from the cache or a download."""
    if os.environ.get("COACH_MODEL_DIR"):
        return Path(os.environ["COACH_MODEL_DIR"])
    if from_checkout():
        return REPOSITORY.parent / "shared" / "models"
    return None


def user_exercises_dir() -> Path:
    """COACH_EXERCISES_DIR, else exercises/ in the data folder."""
    return Path(os.environ.get(USER_EXERCISES_ENV) or data_dir() / "exercises")


def user_routines_dir() -> Path:
    """COACH_ROUTINES_DIR, else routines/ in the data folder."""
    return Path(os.environ.get(USER_ROUTINES_ENV) or data_dir() / "routines")
