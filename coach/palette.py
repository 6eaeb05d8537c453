"""The one palette of coach: a message's colour by its kind or its cue's severity, on the
videos (RGB), on the pages (CSS) and in the charts (a rep counted in praise's green, a broken
form rule in an error's red)."""

from __future__ import annotations


# The one palette of the messages, on the videos and on the pages, each under white text: praise
# green; a cue by its severity, a tip (info) blue, a warning amber, an error red (a corrective tip
# in praise's green read as praise); the set-up check and the countdown purple; rest and pause grey.
MESSAGE_COLOURS = {"praise": (46, 125, 50), "info": (21, 101, 192), "warning": (163, 92, 0), "error": (179, 38, 30),
                   "setup": (94, 53, 177), "rest": (74, 81, 96)}


def cue_colour(cue) -> tuple[int, int, int]:
    """Praise's colour, else its severity's."""
    return MESSAGE_COLOURS["praise" if cue.rule == "praise" else str(cue.severity)]


def message_colour(kind: str, what) -> tuple[int, int, int]:
    """The colour of a StepResult.message `(kind, what)`."""
    if kind == "cue":
        return cue_colour(what)
    return MESSAGE_COLOURS["setup" if kind in ("setup", "countdown") else "rest"]


def css_colour(rgb: tuple[int, int, int]) -> str:
    """An RGB colour as CSS writes it, "#2e7d32"."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# The charts: a rep counted (or a hold timed) in praise's green, a form rule broken in an error's red.
COUNTED = css_colour(MESSAGE_COLOURS["praise"])
BROKEN = css_colour(MESSAGE_COLOURS["error"])
