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
from coach.progress import TimeHeld
from coach.types import HoldSet


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
    enough), `progress`: the time held, now and over all the holds so far (the one going on
    included once it is a set), and `hold` (that set, or the one that ended at this sample)."""

    phase: str
    held_s: float
    sets: int
    progress: TimeHeld
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
        self.ended_s = 0.0  # the time held over the holds that have ended

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
            return self.state(self.rest, 0.0, self.sets)
        hold = self.current()
        return self.state(self.holding, self.last_in_t - self.start_t, self.sets + (hold is not None), hold)

    def end(self) -> HoldState:
        """The hold going on is over, at the last moment it was in position."""
        hold = self.current(done=True)
        self.start_t = None
        if hold is None:
            return self.state(self.rest, 0.0, self.sets)
        self.sets += 1
        self.ended_s += hold.held_s
        return self.state(self.rest, 0.0, self.sets, hold)

    def state(self, phase: str, held_s: float, sets: int, hold: HoldSet | None = None) -> HoldState:
        going = hold.held_s if hold is not None and not hold.done else 0.0
        return HoldState(phase, held_s, sets, TimeHeld(held_s, self.ended_s + going, self.target_s, sets), hold)


def timed_sets(results) -> list[HoldSet]:
    """The sets of a hold exercise in a run of FrameResults, each as last seen (the one going on
    at the end too)."""
    return list({r.hold.index: r.hold for r in results if r.hold is not None}.values())
