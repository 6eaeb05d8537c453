"""How far an exercise has come, behind one interface: a count of reps, or a time held.

A rep exercise is counted (coach.counting: the set gate's `progress`), a hold exercise timed
(coach.holds: `HoldState.progress`). Each frame's FrameResult carries the one its session made
(`FrameResult.progress`), a live workout its latest (`Workout.progress`); the live page, its
overlay and voice, a routine's guidance and End workout read a `Progress` and never ask which
kind it is. The one place that asks is `of`, for a workout before its first frame and a
routine's blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from coach.words import plural


class Progress(Protocol):
    """A count or a time held, with its target if any, and the words that show it."""

    @property
    def done(self) -> float:
        """What the workout has done so far: reps counted, or seconds held over all its holds."""

    @property
    def target(self) -> float | None:
        """What a set aims at in the figure's units (a hold's seconds), None when nothing is."""

    @property
    def sets(self) -> int:
        """Sets so far (a hold: holds long enough to be one, the one going on included)."""

    @property
    def figure(self) -> int:
        """The big number on screen: reps, or whole seconds of the hold going on."""

    @property
    def label(self) -> str:
        """What the figure is, as the page titles it: "Reps", "Seconds held (target 30 s)"."""

    @property
    def unit(self) -> str:
        """The figure's unit where it is not a count, for the overlay ("seconds held"), else ""."""

    def phase_words(self, phase: str) -> str:
        """The phase as the live views say it (the counter's phase, or holding or not)."""

    def meter(self, signal: str) -> tuple[str, str]:
        """What the page's meter measures, and of what: ("Range of motion", "knee")."""

    def banner(self, exercise_name: str) -> str:
        """The banner while there is no set-up advice, countdown or cue to show."""

    def spoken(self) -> str:
        """What was done, as the voice says it at the end: "3 reps", "42 seconds held"."""

    def beside(self, last: Progress | None) -> tuple[str, int | str, int | str | None]:
        """The end card's metric: (label, value, change since `last`, None without one)."""

    def words(self, exercise_name: str) -> str:
        """What was done, as End workout says it: "3 squat reps", "plank: 42.0 s held"."""


@dataclass(frozen=True, slots=True)
class RepCount:
    """A rep exercise's count: `reps` counted so far, in `sets` sets."""

    reps: int
    sets: int

    @property
    def done(self) -> float:
        return self.reps

    @property
    def target(self) -> None:
        return None

    @property
    def unit(self) -> str:
        return ""

    @property
    def label(self) -> str:
        return "Reps"

    @property
    def figure(self) -> int:
        return self.reps

    def phase_words(self, phase: str) -> str:
        return phase.replace("_", " ")

    def meter(self, signal: str) -> tuple[str, str]:
        return "Range of motion", signal

    def banner(self, exercise_name: str) -> str:
        return "Counting." if self.reps else "Ready: start when you like."

    def spoken(self) -> str:
        return plural(self.reps, "rep")

    def beside(self, last: Progress | None) -> tuple[str, int | str, int | str | None]:
        return "Reps", self.reps, None if last is None else self.reps - int(last.done)

    def words(self, exercise_name: str) -> str:
        return plural(self.reps, f"{exercise_name.lower()} rep")


@dataclass(frozen=True, slots=True)
class TimeHeld:
    """A hold exercise's time: `held_s` of the hold going on (0 when none), `total_s` over all
    the holds so far (the one going on included once it is a set), towards `target_s` a set."""

    held_s: float
    total_s: float
    target_s: float
    sets: int

    @property
    def done(self) -> float:
        return self.total_s

    @property
    def target(self) -> float:
        return self.target_s

    @property
    def unit(self) -> str:
        return "seconds held"

    @property
    def figure(self) -> int:
        return int(self.held_s)  # as few digits as a rep count: the figure is drawn big

    @property
    def label(self) -> str:
        return f"Seconds held (target {self.target_s:g} s)"

    def phase_words(self, phase: str) -> str:
        return "holding" if self.held_s else "get into position"  # its resting phase: before and between holds

    def meter(self, signal: str) -> tuple[str, str]:
        return "Time to the target", f"{self.target_s:g} s"

    def banner(self, exercise_name: str) -> str:
        """How far to go: "Holding: 12 s to the target."."""
        if not self.held_s:
            more = f" for set {self.sets + 1}" if self.sets else ""
            return f"Get into position{more}: the timer starts when you hold the {exercise_name.lower()}."
        left = self.target_s - self.held_s
        return f"Holding: {left:.0f} s to the target." if left > 0 else "Target reached: hold on, or rest."

    def spoken(self) -> str:
        return f"{plural(round(self.total_s), 'second')} held"

    def beside(self, last: Progress | None) -> tuple[str, int | str, int | str | None]:
        return "Held", f"{self.total_s:.1f} s", None if last is None else f"{self.total_s - last.done:+.1f} s"

    def words(self, exercise_name: str) -> str:
        return f"{exercise_name.lower()}: {self.total_s:.1f} s held"  # as the history lists it


def of(exercise, reps: int = 0, held_s: float = 0.0, sets: int = 0) -> Progress:
    """An exercise's progress from what was counted: `reps`, or for a hold `held_s` seconds held
    in all; nothing yet by default (a workout before its first frame)."""
    if exercise.hold is not None:
        return TimeHeld(0.0, held_s, exercise.hold.target_s, sets)
    return RepCount(reps, sets)
