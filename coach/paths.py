"""Where coach keeps things, in one place: the built-in exercises, the user's exercises and the
data folder (the history database, recordings)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPOSITORY = PACKAGE.parent


def from_checkout() -> bool:
    """Whether coach runs from a source checkout (pyproject.toml beside the package)."""
    return (REPOSITORY / "pyproject.toml").is_file()


def data_dir() -> Path:
    """The repository's data/ folder when coach runs from a checkout, else ./data."""
    if from_checkout():
        return REPOSITORY / "data"
    return Path.cwd() / "data"
