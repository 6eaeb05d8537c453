"""Records passed between the stages: frames -> pose -> signals -> counter -> session -> store.

Coordinates are pixels of the original image with the origin at the top left, x to the right and
y down. Times are seconds from the start of the stream, taken from the source's timestamps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from coach.progress import Progress, RepCount


@dataclass(frozen=True, slots=True)
class Frame:
    """One video frame: `image` uint8 RGB (H, W, 3), `t` seconds since the stream began."""

    image: np.ndarray
    t: float
    index: int = 0

    def __post_init__(self):
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(f"Frame.image must be uint8 (H, W, 3), got {self.image.dtype} {self.image.shape}")


@dataclass(frozen=True, slots=True)
class Pose:
    """MoveNet's 17 keypoints for one image, in that image's pixels.

    keypoints: float32 (17, 3) of (x, y, score), x and y in pixels, score 0..1, in the order
        of `coach.pose.skeleton.KEYPOINTS`.
    size: (width, height) of the image the pixels refer to.
    crop: the region the model looked at, (x0, y0, x1, y1) in pixels; None for the whole image.
    """

    keypoints: np.ndarray
    size: tuple[int, int]
    crop: tuple[float, float, float, float] | None = None

    def __post_init__(self):
        if self.keypoints.shape != (17, 3):
            raise ValueError(f"Pose.keypoints must be (17, 3), got {self.keypoints.shape}")

    @property
    def score(self) -> float:
        """Mean keypoint score: MoveNet's own confidence that a person is there."""
        return float(self.keypoints[:, 2].mean())


class Severity(StrEnum):
    """How a cue is meant: praise, a warning or an error (equal to its name as text)."""

    info = "info"
    warning = "warning"
    error = "error"


@dataclass(frozen=True, slots=True)
class Cue:
    """A form cue to say now, said at `t` seconds."""

    rule: str
    text: str
    severity: Severity
    t: float


@dataclass(frozen=True, slots=True)
class RepEvent:
    """One counted repetition, emitted by the counter the moment it completes.

    Times in seconds from the stream start; `rom_min`/`rom_max` and `peak_speed` are in the
    driving signal's units (degrees, or torso lengths) and units per second.
    `asymmetry` is the mean |left - right| of the driving signal over the rep, None where only
    one side was seen. `confidence` is the mean keypoint score over the rep. `depth_needed` is
    how far from its start the counter required this swing to go (its threshold then). `fps` is
    how many frames a second were analysed over the rep, measured when it completed. `ready`:
    the rep began from the set-up position (coach.counting: the person in view, not walking, and
    still at the start for the definition's `still_s`), so the set gate counts it at once.
    `counted_t` is when the rep was counted (the set gate may hold a set's first rep), NaN before.
    """

    index: int
    set_index: int
    start_t: float
    end_t: float
    rom_min: float
    rom_max: float
    time_down: float
    time_bottom: float
    time_up: float
    peak_speed: float
    asymmetry: float | None
    confidence: float
    flags: tuple[str, ...] = ()
    # The definition's extra per-rep metrics by name (`{signal}_{stat}`), e.g. {"hip_min": 84.0}.
    metrics: dict[str, float] = field(default_factory=dict)
    depth_needed: float = math.nan
    fps: float = math.nan
    ready: bool = False
    counted_t: float = math.nan

    @property
    def duration(self) -> float:
        return self.end_t - self.start_t


@dataclass(frozen=True, slots=True)
class HoldSet:
    """One held position (a set of a hold exercise: plank, wall sit), from `start_t` to `end_t`
    seconds; `held_s` is the time in position (short lapses under the grace period included).
    `done` is False while the hold goes on (the figures so far), True once it has ended."""

    index: int
    start_t: float
    end_t: float
    held_s: float
    target_s: float
    done: bool = False

    @property
    def reached(self) -> bool:
        return self.held_s >= self.target_s


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What the session knows after one frame: the live view draws this, the store logs it.

    signals: the smoothed signals of the exercise at this frame (NaN where not seen).
    phase: the counter's phase name, as in the exercise definition.
    rep: the repetition completed at this frame, if one was.
    cue: the cue to show from this frame on, if a new one fired.
    rejected: why a swing was not counted, if one was dropped at this frame; rejected_t: when
    that swing ended (this frame, or earlier for a set's first rep that no other joined).
    """

    t: float
    pose: Pose | None
    signals: dict[str, float]
    phase: str
    reps: int
    sets: int
    visible: bool
    rep: RepEvent | None = None
    cue: Cue | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # Why a swing was not counted as a rep, at the frame it was dropped (coach.counting.REJECTIONS).
    rejected: str | None = None
    rejected_t: float | None = None
    # A hold exercise: seconds held so far in the current hold (0 when not holding; None for a
    # rep exercise), and the hold as a set once it is long enough to count (done=True at the frame
    # it ended).
    held_s: float | None = None
    hold: HoldSet | None = None
    # A rep done but not counted yet: the set gate holds a set's first until the next comes.
    waiting: bool = False
    # How far the exercise has come (coach.progress: a count, or a time held), what the views
    # show; a result made without one (a test's, one read back) counts its `reps` and `sets`.
    progress: Progress | None = None

    def __post_init__(self):
        if self.progress is None:
            object.__setattr__(self, "progress", RepCount(self.reps, self.sets))
