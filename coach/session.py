"""One person doing one exercise: `Session.step(pose, t) -> FrameResult`.

The live camera and a file go through this same causal step, frame by frame (coach.pipeline
calls it): signals from the pose (kinematics), the person and visibility gates, smoothing with
carried state, the counter, and form feedback.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import statistics
from collections import deque

import numpy as np

from coach.counting import Sample, SetGate, peak_speed
from coach.drives import Drives
from coach.exercises import Exercise
from coach.feedback import Feedback
from coach.framerate import frame_rate
from coach.holds import Hold, HoldSample
from coach.kinematics import measure_signals
from coach.motion import PrincipalMotion
from coach.pose.skeleton import TORSO
from coach.sides import SideMix
from coach.smoothing import make_filter
from coach.types import FrameResult, Pose, RepEvent

log = logging.getLogger(__name__)

# A person whose hips travel faster than this many torso lengths a second (over the last
# second) is walking, not exercising: walkers here cross at 1.5-3. A squat's descent moves the
# hips about as fast (squat_side_3: median 0.71, p90 1.10; jumping_jacks_11 0.16, 0.58), so its
# frames read as walking too. That costs nothing: a swing's readiness is read as it leaves the
# start, standing.
MAX_TRAVEL = 0.8
TRAVEL_WINDOW_S = 1.0


class PersonGate:
    """Keeps to the person being followed: a pose whose torso is far from where that person's
    torso was (others walking through, the model jumping to someone else) is not theirs.

    The reference centre follows the accepted poses; the reference size is the median torso size
    of the poses accepted in the last `size_window_s`, so one frame whose torso points collapse
    together (shoulders seen from behind) does not become the size the next frames are judged by.
    After `forget_s` without a match, the next person seen becomes the reference.
    """

    def __init__(self, min_score: float, max_jump: float = 1.5, forget_s: float = 2.0, size_window_s: float = 1.0):
        self.min_score = min_score
        self.max_jump = max_jump
        self.forget_s = forget_s
        self.size_window_s = size_window_s
        self.centre: np.ndarray | None = None
        self.sizes: deque[tuple[float, float]] = deque()
        self.size = 0.0
        self.last_t = -math.inf

    def update(self, pose: Pose, t: float) -> bool:
        torso = pose.keypoints[TORSO]
        seen = torso[:, 2] >= self.min_score
        if seen.sum() < 2:
            return True  # nothing to judge by; the visibility gate decides
        centre = torso[seen, :2].mean(axis=0)
        size = max(float(np.ptp(torso[seen, :2], axis=0).max()), 1e-6)
        if self.centre is not None and t - self.last_t <= self.forget_s:
            jump = float(np.linalg.norm(centre - self.centre)) / self.size
            scale = size / self.size
            if jump > self.max_jump or not 0.5 < scale < 2.0:
                return False
        else:
            self.sizes.clear()
        self.sizes.append((t, size))
        while self.sizes[0][0] < t - self.size_window_s:
            self.sizes.popleft()
        self.centre, self.size, self.last_t = centre, statistics.median(s for _, s in self.sizes), t
        return True


class Walking:
    """Whether the person is walking rather than exercising: `update(pose, t) -> bool`, True when
    their hip centre moved more than MAX_TRAVEL torso lengths a second over the last
    TRAVEL_WINDOW_S (judged once half of it has passed). `pose` None: not seen now."""

    def __init__(self, min_score: float):
        self.min_score = min_score
        self.hips: deque[tuple[float, np.ndarray, float]] = deque()

    def update(self, pose: Pose | None, t: float) -> bool:
        torso = pose.keypoints[TORSO] if pose is not None else None
        if torso is not None and torso[:, 2].min() >= self.min_score:
            hips = (torso[2, :2] + torso[3, :2]) / 2
            length = float(np.linalg.norm((torso[0, :2] + torso[1, :2]) / 2 - hips))
            self.hips.append((t, hips, max(length, 1.0)))
        while self.hips and self.hips[0][0] < t - TRAVEL_WINDOW_S:
            self.hips.popleft()
        if len(self.hips) < 2:
            return False
        (t0, start, _), (t1, end, length) = self.hips[0], self.hips[-1]
        if t1 - t0 < TRAVEL_WINDOW_S / 2:
            return False
        return float(np.linalg.norm(end - start)) / length / (t1 - t0) > MAX_TRAVEL


class Session:
    """Counts and coaches one exercise from a stream of poses with their times."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.min_score = exercise.visibility.min_score
        self.groups = [list(group) for group in exercise.visibility.groups()]
        # Each side smoothed on its own (coach.sides) for a two-sided signal with `side: both`, whose
        # value is their mean, and for the counter's two-sided drive, whose sides give a rep's
        # asymmetry; any other signal is smoothed as measured.
        drive = exercise.count.signal if exercise.count is not None else None
        self.mixes = {name: SideMix(exercise.smoothing) for name, spec in exercise.signals.items()
                      if spec.two_sided and (spec.side == "both" or name == drive)}
        self.filters = {name: make_filter(exercise.smoothing) for name, spec in exercise.signals.items()
                        if name not in self.mixes or spec.side != "both"}
        self.motions = {name: PrincipalMotion(spec.keypoints["centre"], spec.window_s, self.min_score)
                        for name, spec in exercise.signals.items() if spec.kind == "principal"}
        self.person = PersonGate(self.min_score)
        self.walking = Walking(self.min_score)
        # A rep exercise is counted, a hold exercise timed (the definition's `count:` or `hold:`);
        # the count by the drive in use of the definition's candidates (coach.drives).
        self.drives = Drives(exercise) if exercise.count is not None else None
        self.driven_by: dict[float, str] = {}  # a rep's start_t -> the drive that completed it, until counted
        self.gate = SetGate(exercise.count) if exercise.count is not None else None
        self.hold = Hold(exercise) if exercise.hold is not None else None
        self.feedback = Feedback(exercise)
        self.last_t = -math.inf
        # The recent smoothed signals, for the per-rep metrics: no longer than a rep can last.
        self.history: deque[tuple[float, dict[str, float]]] = deque()

    def step(self, pose: Pose | None, t: float) -> FrameResult:
        """One frame: `pose` is None when no person was found. Times must increase."""
        if t <= self.last_t:
            raise ValueError(f"frame times must increase: got {t} after {self.last_t}")
        self.last_t = t
        warnings: list[str] = []
        visible, confidence = False, 0.0
        raw = {name: (math.nan,) * 3 for name in self.exercise.signals}
        if pose is not None:
            scores = pose.keypoints[:, 2]
            group_scores = [scores[group] for group in self.groups]
            best = max(group_scores, key=lambda s: s.min())
            confidence = float(best.mean())
            visible = bool(best.min() >= self.min_score)
            if visible and not self.person.update(pose, t):
                visible = False
                warnings.append("someone else is in view")
            if visible:
                raw |= {name: tuple(float(x) for x in values)
                        for name, values in measure_signals(self.exercise.signals, pose.keypoints, self.min_score).items()}
        for name, motion in self.motions.items():
            raw[name] = (motion.update(pose.keypoints if visible else None, t),) * 3
        if not visible and not warnings:
            warnings.append("the body is not fully in view")
        caught_up = self.catch_up(t, confidence) if self.drives is not None else None
        sides = {name: mix.update(raw[name][1], raw[name][2], t) for name, mix in self.mixes.items()}
        signals = {name: self.filters[name].update(raw[name][0], t) if name in self.filters else sides[name][0] for name in raw}
        if self.hold is not None:
            held = self.hold.update(HoldSample(t, signals, visible))
            advice = self.feedback.update(t, held.phase, signals, None, visible)
            return FrameResult(t, pose, signals, held.phase, 0, held.sets, visible, None, advice.cue, tuple(warnings),
                               held_s=held.held_s, hold=held.hold, progress=held.progress)
        walking = self.walking.update(pose if visible else None, t)
        count = self.drives.update({name: Sample(t, signals[name], *(sides[name][1:] if name in sides else (math.nan, math.nan)),
                                                 visible, confidence, walking) for name in self.drives.counters})
        done = count.rep or caught_up
        if count.rep is not None:
            self.driven_by[count.rep.start_t] = self.drives.drive
        # Form and the frame rate are judged on the rep just done; the set gate may count it later.
        counted = done is not None and self.gate.counts_now(done)
        advice = self.feedback.update(t, count.phase, signals, done, visible, counted)
        if done is not None:
            done = dataclasses.replace(done, flags=advice.flags, metrics=self.rep_metrics(done),
                                       fps=self.frame_rate(done, t))
        rep = self.in_own_units(self.gate.update(done, t))
        if self.gate.dropped is not None:
            self.driven_by.pop(self.gate.dropped.start_t, None)
        if rep is not None:
            log.info("rep %d at %.2f s: %.0f..%.0f", rep.index, rep.end_t, rep.rom_min, rep.rom_max)
        self.history.append((t, signals))
        while self.history[0][0] < t - self.exercise.count.max_rep_s - 1:
            self.history.popleft()
        rejected_t = t if count.rejected else self.gate.dropped.end_t if self.gate.dropped else None
        return FrameResult(t, pose, signals, count.phase, self.gate.reps, self.gate.sets, visible, rep, advice.cue,
                           tuple(warnings), count.rejected or self.gate.rejected, rejected_t,
                           waiting=self.gate.held is not None, progress=self.gate.progress)

    def finish(self) -> list[FrameResult]:
        """The stream has ended: the reps the set gate counts only now (coach.counting.SetGate),
        each as a result with no pose just after the last frame. Empty the second time."""
        if self.gate is None:
            return []
        out = []
        for rep in map(self.in_own_units, self.gate.finish(self.last_t)):
            self.last_t += 1e-3
            log.info("rep %d at the end: %.0f..%.0f", rep.index, rep.rom_min, rep.rom_max)
            out.append(FrameResult(self.last_t, None, {name: math.nan for name in self.exercise.signals},
                                   self.exercise.count.phases[0], self.gate.reps, self.gate.sets, False, rep,
                                   progress=self.gate.progress))
        return out

    def in_own_units(self, rep: RepEvent | None) -> RepEvent | None:
        """A counted rep that another of the definition's candidate drives completed (coach.drives)
        is shown and stored in the units of the definition's own drive, as every rep is: its range
        and fastest speed are that signal's over the rep, and it has no depth line on it."""
        own = self.exercise.count.signal
        if rep is None or self.driven_by.pop(rep.start_t, own) == own:
            return rep
        seen = [(t, signals[own]) for t, signals in self.history if rep.start_t <= t <= rep.end_t and not math.isnan(signals[own])]
        if not seen:
            return dataclasses.replace(rep, rom_min=math.nan, rom_max=math.nan, peak_speed=math.nan, depth_needed=math.nan)
        times, values = np.array(seen).T
        return dataclasses.replace(rep, rom_min=float(values.min()), rom_max=float(values.max()),
                                   peak_speed=peak_speed(times, values), depth_needed=math.nan)

    def catch_up(self, t: float, confidence: float) -> RepEvent | None:
        """A `principal` drive has no value until its movement has a direction (coach.motion).
        On the frame it first has one, the filter and the counter are fed the window's earlier
        frames projected on it, so that the first rep counts (late, and never taken back).
        Returns a rep that completed among them."""
        drive = self.exercise.count.signal
        if drive not in self.motions:
            return None
        rep = None
        for frame_t, value in self.motions[drive].take_backlog(t):
            smoothed = self.filters[drive].update(value, frame_t)  # it has had only NaN before
            rep = self.drives.counters[drive].update(Sample(frame_t, smoothed, confidence=confidence)).rep or rep
        return rep

    def frame_rate(self, rep: RepEvent, t: float) -> float:
        """Frames analysed a second over `rep` (a step is one analysed frame; `t` is this one)."""
        times = [frame_t for frame_t, _ in self.history if frame_t >= rep.start_t] + [t]
        return frame_rate([frame_t for frame_t in times if frame_t <= rep.end_t])

    def rep_metrics(self, rep: RepEvent) -> dict[str, float]:
        """The definition's extra per-rep metrics, from the smoothed signals over the rep."""
        out = {}
        for metric in self.exercise.metrics:
            values = np.array([s[metric.signal] for t, s in self.history if rep.start_t <= t <= rep.end_t])
            values = values[~np.isnan(values)]
            out[f"{metric.signal}_{metric.stat}"] = float(getattr(np, metric.stat)(values)) if len(values) else math.nan
        return out
