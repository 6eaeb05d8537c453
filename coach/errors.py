"""The one family of errors the core raises; the CLI and the app turn them into one line."""


class CoachError(Exception):
    """Base of every error coach reports to a user as a one-line message."""


class InputError(CoachError):
    """A file or stream that cannot be read: missing, not an image or video, corrupt, wrong shape."""


class ModelError(CoachError):
    """A pose model that cannot be found, downloaded or loaded."""


class ExerciseError(CoachError):
    """An exercise definition that is unknown or invalid (message: `file:line field: problem`)."""


class RoutineError(CoachError):
    """A routine that is unknown or invalid (message: `file:line field: problem`)."""


class StoreError(CoachError):
    """The history database cannot be opened or written (locked, read-only, full)."""
