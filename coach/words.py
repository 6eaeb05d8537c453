"""Numbers as the pages, the spoken coach and the CLI say them: "1 rep", "3 reps", "2:05", "deg"."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    """ "1 rep", "0 reps", "3 sets"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def clock(seconds: float) -> str:
    """Seconds as minutes:seconds, "2:05", counted as a stopwatch does (59.9 s is 0:59)."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def short_unit(unit: str) -> str:
    """A signal's unit for a table or a label: "deg" for degrees; lengths as they are ("torso lengths")."""
    return "deg" if unit == "degrees" else unit
