"""Which of a definition's candidate drives counts the set: `Drives.update(samples) -> Count`.

A definition names its driving signal (`count.signal`) and may name `count.alternatives`: other
signals that can drive the rep, each in its own units (a front raise: where the camera sees the
arms' angle at the shoulder hardly change, the higher wrist still rises to the shoulder). Each
candidate has a Counter of its own, fed every frame, so that a change of drive never loses the rep
in progress. Between sets (the drive in use has completed no rep for `rest_s`), the drive is the
candidate that swung most over the last WINDOW_S in its own `min_range` (how many of its smallest
reps the swing is worth; the 5-95% spread, so that a glitch does not count); once the drive in use
completes a rep, it keeps the set. With no alternatives the definition's own signal drives.

Only the front raise names one (its higher wrist): chosen so on each labelled source on its own, it
holds on the other (front raise MAE RepCount 0.058 -> 0.049, Countix 0.243 -> 0.127). The
candidates tried for the push-up and the bench press did not hold both ways; the figures are in
benchmarks/drive_options.py (option d).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from coach.counting import Count, Counter, Sample
from coach.exercises import Exercise

# Seconds of each candidate's drive over which its swing is judged: a rep or two (3 and 6 s chose
# the same drives on both sources).
WINDOW_S = 3.0


class Drives:
    """The candidate drives of one person doing one exercise, and which of them counts."""

    def __init__(self, exercise: Exercise, counter=Counter):
        count = exercise.count
        self.rest_s = count.rest_s
        self.counters = {count.signal: counter(exercise)}
        for alternative in count.alternatives:
            spec = count.model_copy(update=alternative.model_dump())
            self.counters[alternative.signal] = counter(exercise.model_copy(update={"count": spec}))
        self.windows: dict[str, deque[tuple[float, float]]] = {name: deque() for name in self.counters}
        self.drive = count.signal  # the candidate in use
        self.last_rep_t = -math.inf  # when the drive in use last completed a rep

    def update(self, samples: dict[str, Sample]) -> Count:
        """One frame: `samples` has each candidate's Sample by signal name. Returns the Count of the
        drive in use."""
        counts = {name: counter.update(samples[name]) for name, counter in self.counters.items()}
        t = samples[self.drive].t
        if len(self.counters) > 1:
            self.remember(samples, t)
            if t - self.last_rep_t > self.rest_s:
                self.drive = max(self.counters, key=self.swing)  # a tie keeps the definition's own
        count = counts[self.drive]
        if count.rep is not None:
            self.last_rep_t = t
        return count

    def remember(self, samples: dict[str, Sample], t: float):
        for name, window in self.windows.items():
            if not math.isnan(samples[name].value):
                window.append((t, samples[name].value))
            while window and window[0][0] < t - WINDOW_S:
                window.popleft()

    def swing(self, name: str) -> float:
        """How many of its smallest reps (`min_range`) the candidate swung over the window."""
        values = [v for _, v in self.windows[name]]
        if len(values) < 10:
            return 0.0
        low, high = np.percentile(values, [5, 95])
        return float(high - low) / self.counters[name].spec.min_range
