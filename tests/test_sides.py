"""Both sides of a signal as one: each side smoothed on its own, a side missed for a moment kept
in the mean at its last value, and dropped from it once gone longer than MAX_GAP_S."""

import math

import pytest

from coach.exercises import Ema, NoFilter
from coach.sides import SideMix
from coach.smoothing import MAX_GAP_S


def test_the_mean_keeps_a_side_missed_for_a_moment_and_drops_it_after_the_gap():
    mix = SideMix(NoFilter(filter="none"))
    assert mix.update(100.0, 80.0, 0.0) == (90.0, 100.0, 80.0)
    mean, left, right = mix.update(math.nan, 84.0, 0.1)  # the far leg flickers out of view
    assert mean == 92.0 and math.isnan(left) and right == 84.0
    mean, _, _ = mix.update(math.nan, 84.0, 0.1 + MAX_GAP_S)
    assert mean == 84.0  # gone longer than the gap: the near leg alone
    assert all(math.isnan(value) for value in mix.update(math.nan, math.nan, 1.0))


def test_each_side_is_smoothed_on_its_own():
    mix = SideMix(Ema(filter="ema"))
    for i in range(60):
        mean, left, right = mix.update(120.0, 60.0, i / 30)
    assert (left, right, mean) == pytest.approx((120.0, 60.0, 90.0))
