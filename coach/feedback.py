"""Form rules -> cues: `Feedback.update(t, phase, signals, rep) -> Advice`.

Each rule of a definition watches one signal during one phase (or the whole rep) and is judged
when that phase ends, on the phase's min, max or mean. A rule that fires flags the rep in
progress and says its cue, unless it spoke less than `cooldown_s` ago. A rep that completes with
no flag earns the definition's praise, with its own cooldown. At most one cue per frame: the most
severe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.exercises import Exercise, FormRule
from coach.types import Cue, RepEvent, Severity

SEVERITY = {"info": 0, "warning": 1, "error": 2}
# How long a cue stays on screen once said, in seconds: long enough to read between two reps
# (the rules' cooldowns decide how often a new one comes).
CUE_SHOW_S = 3.0


def on_screen(shown: Cue | None, said: Cue | None, t: float) -> Cue | None:
    """The cue to show at time `t`: one just said replaces the one shown, which goes after CUE_SHOW_S."""
    cue = said or shown
    return cue if cue is not None and t - cue.t < CUE_SHOW_S else None


@dataclass(frozen=True, slots=True)
class Advice:
    """What feedback has to say after one frame: a cue to show (or None) and, when a rep has just
    completed, the form flags of that rep."""

    cue: Cue | None = None
    flags: tuple[str, ...] = ()


class Stat:
    """Running min, max and mean of one signal over one phase."""

    def __init__(self):
        self.min, self.max, self.total, self.n = math.inf, -math.inf, 0.0, 0

    def add(self, x: float):
        if not math.isnan(x):
            self.min, self.max = min(self.min, x), max(self.max, x)
            self.total += x
            self.n += 1

    def get(self, stat: str) -> float:
        if self.n == 0:
            return math.nan
        return {"min": self.min, "max": self.max, "mean": self.total / self.n}[stat]


def fires(rule: FormRule, value: float) -> bool:
    if math.isnan(value):
        return False
    return (rule.above is not None and value > rule.above) or (rule.below is not None and value < rule.below)


class Feedback:
    def __init__(self, exercise: Exercise):
        self.rules = exercise.form
        self.praise = exercise.praise
        self.start_phase = exercise.rest_phase
        self.phase: str | None = None
        self.stats = {rule.rule: Stat() for rule in self.rules}
        self.flags: list[str] = []
        self.last_said: dict[str, float] = {}

    def update(self, t: float, phase: str, signals: dict[str, float], rep: RepEvent | None = None,
               visible: bool = True, counted: bool = True) -> Advice:
        fired: list[FormRule] = []
        ended = self.phase if phase != self.phase else None
        for rule in self.rules:
            whole_rep = rule.phase == "rep"
            # Judge a phase rule when its phase ends, a whole-rep rule when the rep completes; a
            # phase that ends with the person out of view was abandoned, not finished: no verdict.
            if (rep is not None) if whole_rep else (rule.phase == ended):
                if visible and fires(rule, self.stats[rule.rule].get(rule.stat)):
                    fired.append(rule)
                self.stats[rule.rule] = Stat()
            if rule.phase == phase or (whole_rep and phase != self.start_phase):
                self.stats[rule.rule].add(signals.get(rule.signal, math.nan))
        for rule in fired:
            if rule.rule not in self.flags:
                self.flags.append(rule.rule)
        cue = self.say(t, fired)
        flags: tuple[str, ...] = ()
        if rep is not None:
            flags = tuple(self.flags)
            # Praise only a rep counted on this frame: a set's first is held, and may be no rep at
            # all; said with the second's count, it would come between two numbers.
            if (not flags and cue is None and counted and self.praise
                    and self.ready("praise", t, self.praise.cooldown_s)):
                cue = Cue("praise", self.praise.text, "info", t)
                self.last_said["praise"] = t
        if rep is not None or (phase == self.start_phase and self.phase != self.start_phase):
            # A rep completed or was given up: its flags are spent.
            self.flags = []
            for rule in self.rules:
                if rule.phase == "rep":
                    self.stats[rule.rule] = Stat()
        self.phase = phase
        return Advice(cue, flags)

    def ready(self, key: str, t: float, cooldown: float) -> bool:
        return key not in self.last_said or t - self.last_said[key] >= cooldown

    def say(self, t: float, fired: list[FormRule]) -> Cue | None:
        ready = [rule for rule in fired if self.ready(rule.rule, t, rule.cooldown_s)]
        if not ready:
            return None
        rule = max(ready, key=lambda r: SEVERITY[r.severity])
        self.last_said[rule.rule] = t
        return Cue(rule.rule, rule.cue, Severity(rule.severity), t)
