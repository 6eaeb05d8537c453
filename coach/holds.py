"""The hold timer: `Hold.update(sample) -> HoldState`, a causal state machine over samples.

A hold exercise (plank, wall sit, dead hang) has no reps: it counts the time a position is held.
The position is a band per signal (`hold.position` of the definition). Two things keep the timer
honest on real poses: a hold already going only stops once a signal leaves its band by more than
`hysteresis` (a signal hovering at a threshold flickers in and out by a few degrees), and a lapse
(out of position, or the pose lost for a few frames) shorter than `grace_s` does not end the hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.exercises import Band, Exercise
from coach.types import HoldSet
from coach.words import plural


@dataclass(frozen=True, slots=True)
class HoldSample:
    """One frame for the timer: time `t`, the smoothed signals by name, and whether the person
    was seen."""

    t: float
    signals: dict[str, float]
    visible: bool = True


@dataclass(frozen=True, slots=True)
class HoldState:
    """After one sample: `phase` (the definition's holding or resting name), `held_s` of the hold
    going on (0 when none), `sets` counted so far (the one going on included once it is long
    enough), and `hold` (that set, or the one that ended at this sample)."""

    phase: str
    held_s: float
    sets: int
    hold: HoldSet | None = None


def inside(band: Band, value: float, margin: float) -> bool:
    """Whether `value` is in `band` widened by `margin` on each side; NaN (not seen) is not."""
    if math.isnan(value):
        return False
    return ((band.above is None or value >= band.above - margin)
            and (band.below is None or value <= band.below + margin))


class Hold:
    """Times the holds of one hold exercise; `target_s` overrides the definition's target."""

    def __init__(self, exercise: Exercise, target_s: float | None = None):
        if exercise.hold is None:
            raise ValueError(f"{exercise.id} is not a hold exercise")
        self.spec = exercise.hold
        self.target_s = self.spec.target_s if target_s is None else target_s
        self.holding, self.rest = self.spec.phases
        self.start_t: float | None = None  # the hold going on, or None
        self.last_in_t = -math.inf  # the last moment in position
        self.sets = 0

    def in_position(self, sample: HoldSample) -> bool:
        margin = self.spec.hysteresis if self.start_t is not None else 0.0
        return sample.visible and all(inside(band, sample.signals.get(name, math.nan), margin)
                                      for name, band in self.spec.position.items())

    def current(self, done: bool = False) -> HoldSet | None:
        """The hold going on as a set, if it is long enough to be one."""
        held = self.last_in_t - self.start_t
        if held < self.spec.min_hold_s:
            return None
        return HoldSet(self.sets, self.start_t, self.last_in_t, held, self.target_s, done)

    def update(self, sample: HoldSample) -> HoldState:
        if self.in_position(sample):
            if self.start_t is None:
                self.start_t = sample.t
            self.last_in_t = sample.t
        elif self.start_t is not None and sample.t - self.last_in_t > self.spec.grace_s:
            return self.end()
        if self.start_t is None:
            return HoldState(self.rest, 0.0, self.sets)
        hold = self.current()
        return HoldState(self.holding, self.last_in_t - self.start_t, self.sets + (hold is not None), hold)

    def end(self) -> HoldState:
        """The hold going on is over, at the last moment it was in position."""
        hold = self.current(done=True)
        self.start_t = None
        if hold is None:
            return HoldState(self.rest, 0.0, self.sets)
        self.sets += 1
        return HoldState(self.rest, 0.0, self.sets, hold)


def timed_sets(results) -> list[HoldSet]:
    """The sets of a hold exercise in a run of FrameResults, each as last seen (the one going on
    at the end too)."""
    return list({r.hold.index: r.hold for r in results if r.hold is not None}.values())


def live_figure(result, exercise: Exercise) -> tuple[str, int]:
    """The Workout page's main figure as (label, value): the reps, or for a hold the whole seconds
    held now beside its target, "Seconds held (target 30 s)", 12 (as few digits as a rep count:
    the figure is drawn big)."""
    if exercise.hold is None:
        return "Reps", result.reps
    return f"Seconds held (target {exercise.hold.target_s:g} s)", count_figure(result)


def count_figure(result) -> int:
    """The big figure of the live views: the reps, or a hold's whole seconds held."""
    return result.reps if result.held_s is None else int(result.held_s)


def live_phase(result) -> str:
    """The live views' phase words: the counter's phase, or for a hold (its results carry
    `held_s`) "holding" or "get into position" (its resting phase: before and between holds)."""
    if result.held_s is None:
        return result.phase.replace("_", " ")
    return "holding" if result.held_s else "get into position"


def live_banner(result, exercise: Exercise) -> str:
    """The banner of a hold while there is no set-up advice or cue to show: how far to go."""
    if not result.held_s:
        more = f" for set {result.sets + 1}" if result.sets else ""
        return f"Get into position{more}: the timer starts when you hold the {exercise.name.lower()}."
    left = exercise.hold.target_s - result.held_s
    return f"Holding: {left:.0f} s to the target." if left > 0 else "Target reached: hold on, or rest."


def workout_done(exercise: Exercise, reps: int, held_s: float | None) -> str:
    """What a workout did, as End workout says it: "3 squat reps", or a hold's "plank: 42.0 s held"."""
    if exercise.hold is None:
        return plural(reps, f"{exercise.name.lower()} rep")
    return f"{exercise.name.lower()}: {held_s or 0.0:.1f} s held"  # as the history lists it


def holds_line(holds: list[HoldSet]) -> str:
    """The holds of an analysis in words: "held 21.5 s, 6.8 s (target 30 s)", or "no hold"."""
    if not holds:
        return "no hold"
    return f"held {', '.join(f'{h.held_s:.1f} s' for h in holds)} (target {holds[0].target_s:g} s)"
