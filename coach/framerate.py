"""The frame rate, from frame times (never from the wall clock or a rounded fps): `frame_rate(times)`
is the one computation, `FrameRate` keeps it over a sliding window of the stream, and `needed_fps`
says what a rep needs to be counted reliably."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

# A rep needs this many analysed frames to be counted reliably: jumping jacks sped up to 0.67 s a
# rep start losing reps below about 7 frames a rep (10 fps), and a 1 s rep at 8 fps lost one of 11
# (tests/test_live_honest.py measures it); 10 leaves a margin. Below FPS_FLOOR the count is not
# trusted whatever the pace (the pose jumps between frames and the smoothing lags behind).
FRAMES_PER_REP = 10
FPS_FLOOR = 15.0
# The analysed frame rate is measured over this much stream time.
RATE_WINDOW_S = 2.0


def frame_rate(times: Sequence[float]) -> float:
    """Frames (or any events) a second over their times in order: 0.0 for fewer than two."""
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def needed_fps(rep_s: float | None) -> float:
    """The analysed frame rate a rep lasting `rep_s` seconds needs: FRAMES_PER_REP frames over
    it, and never under FPS_FLOOR (before the first rep, when the pace is not known yet)."""
    return FPS_FLOOR if not rep_s or rep_s <= 0 else max(FPS_FLOOR, FRAMES_PER_REP / rep_s)


class FrameRate:
    """Frames analysed per second of stream time over the last RATE_WINDOW_S (frame times, not the
    wall clock: the same stream gives the same rate however busy the machine)."""

    def __init__(self):
        self.times: list[float] = []  # in order: the window is found by bisection

    def update(self, t: float) -> float:
        """The rate now; 0.0 (not judged) until half of the window has passed."""
        self.times.append(t)
        if self.times[0] < t - 2 * (RATE_WINDOW_S + 1):  # trimmed now and then, not every frame
            del self.times[:bisect.bisect_left(self.times, t - RATE_WINDOW_S - 1)]
        if t - self.times[0] < RATE_WINDOW_S / 2:
            return 0.0
        return frame_rate(self.times[bisect.bisect_left(self.times, t - RATE_WINDOW_S):])
