"""How far through a rep the person is, for the meter on screen: `RangeMeter.update -> 0..1`."""

from __future__ import annotations

import math
import statistics
from collections import deque

from coach.exercises import Exercise
from coach.types import RepEvent


class RangeMeter:
    """Where the driving signal is between the start and the far end: 0..1.

    The ends are the median top and bottom of the last reps; before the first rep, the extremes
    seen so far, spread at least the definition's `min_range`.
    """

    def __init__(self, exercise: Exercise, recent: int = 3):
        self.high_start = exercise.count.start == "high"
        self.min_range = exercise.count.min_range
        self.reps: deque[tuple[float, float]] = deque(maxlen=recent)
        self.ends = (math.nan, math.nan)  # the median (low, high) of `reps`, kept as they change
        self.low = math.inf
        self.high = -math.inf

    def update(self, value: float, rep: RepEvent | None) -> float | None:
        if rep is not None:
            self.reps.append((rep.rom_min, rep.rom_max))
            self.ends = tuple(statistics.median(x) for x in zip(*self.reps))
        if math.isnan(value):
            return None
        if self.reps:
            low, high = self.ends
        else:
            self.low, self.high = min(self.low, value), max(self.high, value)
            low, high = self.low, self.high
        span = max(high - low, self.min_range)
        if self.high_start:
            progress = (high - value) / span
        else:
            progress = (value - low) / span
        return float(min(1.0, max(0.0, progress)))
