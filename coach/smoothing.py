"""Causal smoothing of one signal, frame by frame: `update(x, t) -> y`.

Each filter carries its own state from one frame to the next and is driven by the frames' real
times, so a dropped frame or a variable frame rate leaves the output (and the count) as it was.
The Butterworth filter runs on a fixed clock: the samples between two frames are interpolated
onto that clock and filtered in the direct form `scipy.signal.lfilter` uses, its state carried
from frame to frame. A frame brings one or two clock ticks, so the recursion is written out in
plain Python: one scipy call costs ten times as much (and sosfilt's sections are not needed at
the low orders allowed here). NaN (not seen) passes
through as NaN without disturbing the state; after a gap longer than `max_gap_s` the filter
starts again from the next value instead of sweeping across the gap.

Each definition's cutoff stays fixed. Tried and left out (December 2026, benchmarks/repcount.py
with every definition's smoothing changed; MAE of RepCount / Countix, each with the factors chosen
on the other source, and all 137; as shipped 0.157 / 0.251, 0.203):
- every cutoff times 0.8, 1.25 or 1.5: 0.233 / 0.245, 0.239; 0.163 / 0.265, 0.214; 0.258 / 0.289,
  0.274.
- the cutoff raised to k times the set's rep rate, from its last three reps as they are counted
  (a fast rep loses half its swing through a low cutoff: RepCount stu7_35's 0.6 s pull-ups through
  1.2 Hz fall under `min_range`): k 1.5 0.173 / 0.248, 0.210; k 2 0.194 / 0.268, 0.231 (the bench
  press's wobbles get through as reps). Even with each series' rate known in advance from its
  label, k 2 gives 0.143 / 0.251, 0.197: Countix is not held back by its smoothing.
- a running median of 3 or 5 frames before the filter, for keypoints that jump for a frame:
  0.159 / 0.250, 0.204; 0.175 / 0.250, 0.213.
"""

from __future__ import annotations

import math

from scipy import signal as sps

from coach.exercises import Butterworth, Ema, NoFilter, OneEuro

MAX_GAP_S = 0.5


class ButterworthFilter:
    def __init__(self, spec: Butterworth, max_gap_s: float = MAX_GAP_S):
        b, a = sps.butter(spec.order, spec.cutoff_hz, fs=spec.rate_hz)
        self.b, self.a = b.tolist(), a.tolist()
        self.zi_step = sps.lfilter_zi(b, a).tolist()
        self.dt = 1.0 / spec.rate_hz
        self.max_gap_s = max_gap_s
        self.zi = None
        self.last_t = self.last_x = self.t0 = None
        self.ticks = 0
        self.y = math.nan

    def update(self, x: float, t: float) -> float:
        if math.isnan(x):
            return math.nan
        if self.zi is None or t - self.last_t > self.max_gap_s:
            # Start at rest on this value: no ramp up from zero. Clock ticks are t0 + k * dt.
            self.zi = [z * x for z in self.zi_step]
            self.y, self.t0, self.ticks = x, t, 1
        else:
            # The clock ticks that fell since the last frame, with values interpolated between the
            # two frames (integer tick numbers: no drift from adding up dt).
            due = int(math.floor((t - self.t0) / self.dt + 1e-6)) + 1
            if due > self.ticks:
                slope = (x - self.last_x) / (t - self.last_t)
                for tick in range(self.ticks, due):
                    self.y = self.step(self.last_x + (self.t0 + self.dt * tick - self.last_t) * slope)
                self.ticks = due
        self.last_t, self.last_x = t, x
        return self.y

    def step(self, x: float) -> float:
        """One clock tick through the filter: transposed direct form II, as scipy.signal.lfilter."""
        b, a, z = self.b, self.a, self.zi
        y = b[0] * x + z[0]
        for k in range(1, len(z)):
            z[k - 1] = b[k] * x - a[k] * y + z[k]
        z[-1] = b[-1] * x - a[-1] * y
        return y


class OneEuroFilter:
    """Casiez, Roussel and Vogel (CHI 2012), with dt from the frame times."""

    def __init__(self, spec: OneEuro, max_gap_s: float = MAX_GAP_S):
        self.spec = spec
        self.max_gap_s = max_gap_s
        self.last_t = None
        self.x = self.dx = 0.0

    @staticmethod
    def alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def update(self, x: float, t: float) -> float:
        if math.isnan(x):
            return math.nan
        if self.last_t is None or t - self.last_t > self.max_gap_s:
            self.x, self.dx, self.last_t = x, 0.0, t
            return x
        dt = t - self.last_t
        if dt <= 0:
            return self.x
        dx = (x - self.x) / dt
        self.dx += self.alpha(self.spec.d_cutoff_hz, dt) * (dx - self.dx)
        cutoff = self.spec.min_cutoff_hz + self.spec.beta * abs(self.dx)
        self.x += self.alpha(cutoff, dt) * (x - self.x)
        self.last_t = t
        return self.x


class EmaFilter:
    def __init__(self, spec: Ema, max_gap_s: float = MAX_GAP_S):
        self.tau = spec.tau_s
        self.max_gap_s = max_gap_s
        self.last_t = None
        self.y = 0.0

    def update(self, x: float, t: float) -> float:
        if math.isnan(x):
            return math.nan
        if self.last_t is None or t - self.last_t > self.max_gap_s:
            self.y = x
        else:
            self.y += (1 - math.exp(-max(t - self.last_t, 0.0) / self.tau)) * (x - self.y)
        self.last_t = t
        return self.y


class Identity:
    def __init__(self, spec: NoFilter | None = None, max_gap_s: float = MAX_GAP_S):
        pass

    def update(self, x: float, t: float) -> float:
        return x


FILTERS = {"butterworth": ButterworthFilter, "one_euro": OneEuroFilter, "ema": EmaFilter, "none": Identity}


def make_filter(spec, max_gap_s: float = MAX_GAP_S):
    """A fresh filter (its own state) from a definition's `smoothing` settings."""
    return FILTERS[spec.filter](spec, max_gap_s)
