"""Causal smoothing driven by frame times: each filter settles on a constant and passes NaN,
the Butterworth filter is scipy's lfilter written out frame by frame, and its output does not
depend on the frame rate."""

import math

import numpy as np
import pytest
from scipy import signal as sps

from coach.exercises import Butterworth, Ema, OneEuro
from coach.smoothing import ButterworthFilter, EmaFilter, OneEuroFilter


def test_filters_settle_on_a_constant_and_skip_nan():
    for make in (lambda: ButterworthFilter(Butterworth(filter="butterworth", cutoff_hz=2)),
                 lambda: OneEuroFilter(OneEuro(filter="one_euro")), lambda: EmaFilter(Ema(filter="ema"))):
        f = make()
        outs = [f.update(5.0, i / 30) for i in range(30)]
        assert outs == pytest.approx([5.0] * 30)
        assert math.isnan(f.update(math.nan, 1.0))
        assert f.update(5.0, 1.03) == pytest.approx(5.0)


def test_butterworth_filters_as_scipy_does():
    """Frame by frame at the clock's own rate, the filter's output is scipy.signal.lfilter's over
    the whole series, started at rest on the first value (orders 1 to 4)."""
    x = np.cumsum(np.random.default_rng(2).normal(size=300))
    for order in (1, 2, 4):
        spec = Butterworth(filter="butterworth", cutoff_hz=1.5, order=order)
        f = ButterworthFilter(spec)
        ours = [f.update(float(v), i / spec.rate_hz) for i, v in enumerate(x)]
        b, a = sps.butter(order, 1.5, fs=spec.rate_hz)
        theirs, _ = sps.lfilter(b, a, x, zi=sps.lfilter_zi(b, a) * x[0])
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_butterworth_output_does_not_depend_on_the_frame_rate():
    """Driven by timestamps on a fixed 30 Hz clock: a 0.5 Hz sine sampled at 60 fps, at a jittery
    19-33 fps, or at 30 fps with dropped frames gives, at each frame, the 30 fps output of the
    last clock tick, up to the error of interpolating between frames."""
    spec = Butterworth(filter="butterworth", cutoff_hz=2)

    def run(times):
        f = ButterworthFilter(spec)
        return np.array([f.update(float(np.sin(np.pi * t)), t) for t in times])

    t30 = np.arange(0, 5, 1 / 30)
    y30 = run(t30)
    rng = np.random.default_rng(0)
    jitter = np.concatenate([[0], np.cumsum(rng.uniform(0.03, 0.052, 120))])
    for times in (np.arange(0, 4, 1 / 60), jitter[jitter < 4], np.delete(t30, [40, 41, 70])):
        y = run(times)
        last_tick = np.floor(times * 30 + 1e-6).astype(int)
        assert y == pytest.approx(y30[last_tick], abs=0.02)
