"""Guidance through a routine: which set of which block is under way, how far it is towards its
target, the rest between sets counting down with what comes next, and what to say.

`Guidance.update(t, done) -> Guide` is a state machine fed by the workout: `t` the stream time of
the frame (s), `done` what the current block's workout has counted so far (reps, or seconds held
for a hold). It has no clock of its own, so it runs the same on a camera, a file and a test.

    SET   a set is under way; it ends when `done` since the set began reaches the block's target
    REST  the block's rest_s counts down (the set just ended keeps what is counted meanwhile);
          then the next set starts, or the next block (Guide.block moves on: the caller starts
          a workout of the next exercise, whose count begins at 0)
    DONE  the routine's last set reached its target

Each block's workout counts from 0, so a set's count is `done` minus the count when it began.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from coach.exercises import Exercise
from coach.routines import Block, Routine, set_words
from coach.words import clock

# Said once per set when this little is left: "3 to go" (reps), "10 seconds to go" (a hold).
TO_GO_REPS = 3
TO_GO_S = 10
# Said once per rest, with what comes next, when this much of it is left (a shorter rest says it
# when it begins).
NEXT_WARNING_S = 10


class Stage(enum.Enum):
    SET = "set"
    REST = "rest"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Guide:
    """Where the routine is after one update.

    block: index into the routine's blocks; set: 1-based set of that block, of `sets`; target: a
    set's reps or seconds; done: counted towards it in this set (in REST and DONE: in the set
    just ended); rest_left_s: seconds of rest left, None outside REST. headline: "Set 2 of 3 -
    10 squats", "Rest 0:42 - next: set 3 of 3, 10 squats" or "Routine done: ..."; progress:
    "7 of 10" (reps), "12 of 30 s" (a hold). coming: in REST, what comes next ("set 3 of 3, 10
    squats"). said: what to say now, new at this update.
    """

    stage: Stage
    block: int
    set: int
    sets: int
    target: float
    done: float
    rest_left_s: float | None
    headline: str
    progress: str
    coming: str | None = None
    said: tuple[str, ...] = ()


class Guidance:
    """A routine's state machine: `update(t, done)` on every analysed frame (see the module)."""

    def __init__(self, routine: Routine, exercises: dict[str, Exercise]):
        self.routine = routine
        self.exercises = exercises
        self.stage = Stage.SET
        self.block = 0
        self.set = 1
        self.base = 0.0  # the block's count when this set began
        self.bases = [0.0 for _ in routine.blocks]  # the same, for each block's last set begun
        self.rest_until: float | None = None
        self.warned = False  # "3 to go" (a set) or what comes next (a rest) said
        self.started = False
        # What each set achieved, per block: reps or seconds (the set under way included).
        self.achieved: list[list[float]] = [[0.0]] + [[] for _ in routine.blocks[1:]]

    @property
    def current(self) -> Block:
        return self.routine.blocks[self.block]

    def exercise(self, block: Block) -> Exercise:
        return self.exercises[block.exercise]

    def update(self, t: float, done: float) -> Guide:
        said: list[str] = []
        if not self.started:
            self.started = True
            said.append(f"{self.routine.name}. {self.set_title()}.")
        if self.stage is Stage.REST and t >= self.rest_until:
            self.achieved[self.block][-1] = done - self.base  # what came in the rest, up to now
            done = self.next_set(done, said)
        counted = done - self.base
        self.achieved[self.block][-1] = counted  # the set under way, or the one just ended
        if self.stage is Stage.SET:
            self.follow_set(t, counted, said)
        if self.stage is Stage.REST:
            self.follow_rest(t, said)
        return self.guide(t, counted, said)

    def follow_set(self, t: float, counted: float, said: list[str]):
        block = self.current
        left = block.target - counted
        if left <= 0:
            self.end_set(t, counted, said)
            return
        near = TO_GO_REPS if block.reps is not None else TO_GO_S
        if left <= near < block.target and not self.warned:
            self.warned = True
            said.append(f"{left:g} to go" if block.reps is not None else f"{left:.0f} seconds to go")

    def end_set(self, t: float, counted: float, said: list[str]):
        block = self.current
        last_block = self.block == len(self.routine.blocks) - 1
        if last_block and self.set == block.sets:
            self.stage = Stage.DONE
            said.append(f"Set {self.set} done. Routine done: {self.routine.name}. Well done.")
            return
        self.stage, self.rest_until, self.warned = Stage.REST, t + block.rest_s, False
        if block.rest_s:  # with none, the next update starts the next set
            said.append(f"Set {self.set} done. Rest {block.rest_s:g} seconds, then {self.next_words()}.")

    def follow_rest(self, t: float, said: list[str]):
        left = self.rest_until - t
        if not self.warned and left <= NEXT_WARNING_S and self.current.rest_s > NEXT_WARNING_S:
            self.warned = True
            said.append(f"{left:.0f} seconds. Next: {self.next_words()}.")

    def next_set(self, done: float, said: list[str]) -> float:
        """The rest is over: the next set of this block, or the first of the next block (whose
        workout counts from 0: the count given now is still the last block's). Returns the
        count of the set now under way."""
        if self.set < self.current.sets:
            self.set += 1
            self.base = self.bases[self.block] = done
        else:
            self.block, self.set, self.base, done = self.block + 1, 1, 0.0, 0.0
        self.stage, self.rest_until, self.warned = Stage.SET, None, False
        self.achieved[self.block].append(0.0)
        if self.set > 1:
            said.append(f"{self.set_title()}. Go.")
        else:  # a new exercise: its workout counts down once the body is in view, and says go
            said.append(f"{self.exercise(self.current).name}. {self.set_title()}.")
        return done

    def close(self, block: int, done: float):
        """The block's workout has ended with `done` counted in all: its last set keeps what was
        counted after the guidance moved on (reps the set gate held until the workout closed)."""
        self.achieved[block][-1] = done - self.bases[block]

    def next_words(self) -> str:
        """What comes after this set: "set 2 of 3, 10 squats", or "push-ups: set 1 of 3, 8 push-ups"."""
        block = self.current
        if self.set < block.sets:
            return f"set {self.set + 1} of {block.sets}, {set_words(block, self.exercise(block))}"
        following = self.routine.blocks[self.block + 1]
        exercise = self.exercise(following)
        return f"{exercise.name.lower()}: set 1 of {following.sets}, {set_words(following, exercise)}"

    def set_title(self) -> str:
        block = self.current
        return f"Set {self.set} of {block.sets} - {set_words(block, self.exercise(block))}"

    def guide(self, t: float, counted: float, said: list[str]) -> Guide:
        block = self.current
        if self.stage is Stage.SET:
            headline = self.set_title()
        elif self.stage is Stage.REST:
            headline = f"Rest {clock(math.ceil(max(0.0, self.rest_until - t)))} - next: {self.next_words()}"
        else:
            headline = f"Routine done: {self.routine.name}"
        unit = "" if block.reps is not None else " s"
        shown = f"{counted:g}" if block.reps is not None else f"{counted:.0f}"
        return Guide(self.stage, self.block, self.set, block.sets, block.target, counted,
                     max(0.0, self.rest_until - t) if self.stage is Stage.REST else None,
                     headline, f"{shown} of {block.target:g}{unit}",
                     self.next_words() if self.stage is Stage.REST else None, tuple(said))

    def outcome(self) -> list[dict[str, str]]:
        """The routine against its plan, a row per block: what was planned, what each set did,
        and the total beside the plan's."""
        rows = []
        for block, sets in zip(self.routine.blocks, self.achieved):
            exercise = self.exercise(block)
            unit = "" if block.reps is not None else " s"
            each = " + ".join(f"{n:g}" if block.reps is not None else f"{n:.0f}" for n in sets) or "not started"
            total = sum(sets)
            rows.append({"Exercise": exercise.name, "Plan": f"{block.sets} x {set_words(block, exercise)}",
                         "Done per set": each + (unit if sets else ""),
                         "Against the plan": f"{total:.0f}{unit} of {block.sets * block.target:g}{unit}"})
        return rows
