"""The rep counter: a small state machine over the four phases of a definition's driving signal.

`Counter.update(sample) -> Count` once per frame, in time order. It only reads numbers and emits
a RepEvent the moment a rep is completed, or the reason a swing was not one; it never draws and
keeps no global state. One method per phase (`at_start`, `going`, `at_far`, `returning`) calls
one method per transition (`leave_start`, `settle`, `fall_short`, `reach_far`, `turn_back`,
`turn_down`, `come_back`, `return_short`; `give_up` from any phase). Its reps are not numbered:
`SetGate` decides which count and numbers them (index, set, `counted_t`), the one numbering.

The rep runs from the `start` end of the signal to the far end and back. Internally the signal
is turned so that the start is always high (`v = value` for start: high, `-value` for low):

    START      at the start position; `top` follows the highest value since the last turn.
    GOING      left the top by more than `hysteresis`; not yet deep enough for a rep. Still
               (within the hysteresis) for still_s, it is back at START from where it rests:
               settling after walking in, a drifting stance or a hold is not part of a rep.
    FAR        deep enough: `top - v` reached max(min_range, depth x the recent reps' range)
               and, where given, passed `far_limit`. `bottom` follows the lowest value. With
               `count_at: far` the rep counts here (a pull-up is done at the top).
    RETURNING  turned back by more than `hysteresis`. The rep counts when v climbs back
               `return_fraction` of (top - bottom) and, where given, past `near_limit`; or,
               when it turns down again short of that (the top was a spike, or the person's
               start position drifted), if it came back `short_return` of the recent reps' range
               and SHORTEST_RETURN of its own swing: then the next rep has already begun
               from that turning point. Short of that too, it is back at FAR (a wobble at
               the far end).

The thresholds are relative to each swing's own top and bottom and to the recent reps (reset at
each new set), so the count follows the person's own range of motion and a drifting camera
rather than fixed angles. A GOING that comes back to the top before it is deep enough is a
partial rep, not counted; but `recent_reps` partial reps in a row, alike in size and each past `min_range`, mean that the
person's range has changed (a lighter second set, a new camera angle): they become the recent
reps, so the swings after them count; so do swings dropped at the far end as too short (with
`count_at: far`, a swing much bigger than the recent reps gets deep enough at once). Too short
or too long a rep is dropped, and frames where the person is not seen (the visibility gate) are
skipped; unseen for `lost_s` abandons the rep in progress. Each dropped swing that went at least
half the depth needed says why (REJECTIONS). With `alternating: pair`, a swing on the other side
from the one that opened a pair completes it and is no rep of its own.

What each rule is worth, switched off on both labelled sources (benchmarks/rules.py), is in that
benchmark's docstring.

A rep is `ready` when its swing began from the set-up position: the person in view and not
walking, and the signal still (within the hysteresis) at the start, for `settle_s` and `still_s`
or since the stream began (a camera started on a person ready to go).
`SetGate` then decides which of the counter's reps are counted: a ready rep at once, and any
other once it is part of a set.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from coach.exercises import Counting, Exercise
from coach.progress import RepCount
from coach.types import RepEvent

# Share of the rep's range around its far end that counts as "at the far end" for time_bottom.
BOTTOM_BAND = 0.15
# Share of its own swing (top to bottom) that a swing turning down again short of its start
# must have come back to be a rep: less is a wobble at the far end (leaning back at the top of
# a sit-up), which would otherwise count, and, as a set's first rep, become the set's range.
SHORTEST_RETURN = 0.25


class Phase(enum.IntEnum):
    START = 0
    GOING = 1
    FAR = 2
    RETURNING = 3


@dataclass(frozen=True, slots=True)
class Sample:
    """One frame's input to the counter: the smoothed driving signal (NaN where not measured),
    its two sides (NaN where not seen, and for a signal with no sides), whether the
    visibility gate passed, the mean score of the gate's keypoints, and whether the person is
    walking (coach.session.Walking: not set up to exercise)."""

    t: float
    value: float
    left: float = math.nan
    right: float = math.nan
    visible: bool = True
    confidence: float = 1.0
    walking: bool = False


@dataclass(frozen=True, slots=True)
class Count:
    """The counter after one frame: the phase's name, and the rep completed now, if any (not yet
    numbered: the set gate numbers the reps it counts)."""

    phase: str
    rep: RepEvent | None = None
    # Why a swing that went at least half the depth a rep needs was not counted, at the frame it
    # was dropped: one of REJECTIONS.
    rejected: str | None = None


# The reasons a swing is not a rep.
TOO_SMALL, TOO_SHORT, TOO_LONG, NOT_HELD, NOT_SEEN = "too small", "too short", "too long", "not held at the far end", "not seen"
OUTSIDE_SET = "outside a set"
REJECTIONS = (TOO_SMALL, TOO_SHORT, TOO_LONG, NOT_HELD, NOT_SEEN, OUTSIDE_SET)


class Counter:
    """Counts the reps of one person doing one exercise. Its reps are not numbered: the set gate
    (SetGate), which decides which of them count, numbers those it counts."""

    def __init__(self, exercise: Exercise):
        self.spec = spec = exercise.count
        self.lost_s = exercise.visibility.lost_s
        self.settle_s = exercise.visibility.settle_s
        self.names = list(spec.phases)
        self.sign = 1.0 if spec.start == "high" else -1.0
        self.far_limit = None if spec.far_limit is None else self.sign * spec.far_limit
        self.near_limit = None if spec.near_limit is None else self.sign * spec.near_limit
        self.ranges: deque[float] = deque(maxlen=spec.recent_reps)
        self.recent = 0.0  # median of `ranges`, kept as they change (read every frame)
        self.partials: deque[float] = deque(maxlen=spec.recent_reps)  # since the last rep
        self.reps = 0  # reps completed, before the set gate
        self.rejected: str | None = None  # set on the frame a swing is dropped
        self.last_rep_end: float | None = None
        self.opener: str | None = None  # alternating: pair: the side of the swing that opened a pair
        self.seen_since: float | None = None
        self.last_seen: float | None = None
        self.stream_start: float | None = None  # the first frame's time
        self.settled_since: float | None = None  # in view and not walking on every frame since
        # The last still_s of (t, v) seen: still when it spans under the hysteresis. And the
        # frame before them: after a gap in the frames (a slow machine drops them, or the person
        # was unseen for a moment) the last value seen.
        self.window: deque[tuple[float, float]] = deque()
        self.before_window: tuple[float, float] | None = None
        self.restart()

    def restart(self):
        """Forget the rep in progress (the person left, or the rep was not a rep)."""
        self.phase = Phase.START
        self.top = -math.inf
        self.start_t = None
        self.start_since = None
        self.bottom = math.inf
        self.depth_needed = math.nan  # the threshold the swing passed to reach FAR
        self.peak, self.peak_t = -math.inf, None
        self.frames: list[Sample] = []
        self.counted = False  # counted at the far end already (count_at: far)
        self.ready = False  # the swing in progress began from the set-up position

    def needed_depth(self) -> float:
        """How far from the top a swing must go to be a rep: the floor, or a share of the set's recent reps."""
        return max(self.spec.min_range, self.spec.depth * self.set_range())

    def needed_return(self) -> float:
        """How far a swing that never got back to its start must come back to be a rep anyway: the
        floor, a share of the set's recent reps, and a share of the swing itself."""
        return max(self.spec.min_range, self.spec.short_return * self.set_range(), SHORTEST_RETURN * (self.top - self.bottom))

    def starts_a_set(self) -> bool:
        """Whether the swing in progress began over rest_s after the last rep: a new set."""
        return self.last_rep_end is None or self.start_t - self.last_rep_end > self.spec.rest_s

    def set_range(self) -> float:
        """The recent reps' range where the swing in progress is part of their set; 0 for a new
        set's first rep, which the person may make differently after a rest."""
        return 0.0 if self.starts_a_set() else self.recent

    def set_ranges(self, ranges):
        self.ranges = deque(ranges, maxlen=self.spec.recent_reps)
        self.recent = float(np.median(self.ranges)) if self.ranges else 0.0

    def update(self, sample: Sample) -> Count:
        spec, t = self.spec, sample.t
        v = self.sign * sample.value
        self.rejected = None
        if not sample.visible or math.isnan(v) or sample.walking:
            self.settled_since = None
        elif self.settled_since is None:
            self.settled_since = t
        if self.stream_start is None:
            self.stream_start = t
        if not sample.visible or math.isnan(v):
            if self.last_seen is not None and t - self.last_seen > self.lost_s:
                self.drop_lost()
                self.seen_since = None
            return self.result()
        if self.seen_since is None or (self.last_seen is not None and t - self.last_seen > self.lost_s):
            self.drop_lost()
            self.seen_since = t
        self.last_seen = t

        self.window.append((t, v))
        while self.window[0][0] < t - spec.still_s:
            self.before_window = self.window.popleft()
        step = {Phase.START: self.at_start, Phase.GOING: self.going, Phase.FAR: self.at_far, Phase.RETURNING: self.returning}
        rep = step[self.phase](v, sample)
        self.frames.append(sample)
        if self.phase != Phase.START and self.start_t is not None and t - self.start_t > spec.max_rep_s:
            self.give_up(v, t)
        return self.result(rep)

    # One method per phase reads v (the signal turned so that the start is high) and the sample,
    # and calls the method named for the transition whose condition is met; that method moves to
    # the next phase and returns the rep completed, if any.

    def at_start(self, v: float, sample: Sample) -> None:
        t, h = sample.t, self.spec.hysteresis
        self.top = max(self.top, v)
        if v >= self.top - h:
            # Still at the top: the rep, when it comes, starts from here.
            self.start_t, self.frames = t, []
        if self.start_since is None:
            self.start_since = t
        if v < self.top - h and t - self.start_since >= self.spec.hold_near_s:
            self.leave_start(v, t)

    def going(self, v: float, sample: Sample) -> RepEvent | None:
        t, h = sample.t, self.spec.hysteresis
        if self.still():
            return self.settle(t)
        if v <= self.bottom:
            self.bottom, self.peak, self.peak_t = v, v, t
        elif v > self.peak:
            self.peak, self.peak_t = v, t
        needed = self.needed_depth()
        if self.top - v >= needed and (self.far_limit is None or v <= self.far_limit):
            return self.reach_far(v, sample, needed)
        if v > self.bottom + h and v >= self.top - h:
            self.fall_short(v, t)
        return None

    def at_far(self, v: float, sample: Sample) -> None:
        self.bottom = min(self.bottom, v)
        if v > self.bottom + self.spec.hysteresis:
            self.turn_back(v, sample.t)

    def returning(self, v: float, sample: Sample) -> RepEvent | None:
        spec = self.spec
        if v > self.peak:
            self.peak, self.peak_t = v, sample.t
        if v < self.bottom:
            return self.turn_down(v)
        if v >= self.bottom + spec.return_fraction * (self.top - self.bottom) and (
            self.near_limit is None or v >= self.near_limit
        ):
            return self.come_back(v, sample)
        if v < self.peak - spec.hysteresis:
            if self.peak - self.bottom >= self.needed_return() and self.near_limit is None:
                return self.return_short(v, sample.t)
            return self.turn_down(v)
        return None

    # The transitions, START -> GOING -> FAR -> RETURNING -> START and the ways off that round.

    def leave_start(self, v: float, t: float) -> None:
        """START -> GOING: left the top by more than the hysteresis (after `hold_near_s` there)."""
        self.phase, self.bottom, self.ready = Phase.GOING, v, self.set_up(t)

    def settle(self, t: float) -> None:
        """GOING -> START: stood still short of a rep (settling after walking in, a drifting stance,
        a hold): the rep, when it comes, starts from where the person rests now."""
        self.back_to_start(max(v for _, v in self.window), t)

    def fall_short(self, v: float, t: float) -> None:
        """GOING -> START: back at the top without going deep enough: a partial rep, not counted."""
        self.partial(self.top - self.bottom)
        self.back_to_start(v, t)

    def reach_far(self, v: float, sample: Sample, needed: float) -> RepEvent | None:
        """GOING -> FAR: deep enough; with count_at: far, the rep counts here."""
        self.phase, self.depth_needed = Phase.FAR, needed
        if self.spec.count_at != "far":
            return None
        rep = self.complete([*self.frames, sample], self.top - v)
        self.counted = rep is not None
        return rep

    def turn_back(self, v: float, t: float) -> None:
        """FAR -> RETURNING: turned back from the far end by more than the hysteresis."""
        self.phase, self.peak, self.peak_t = Phase.RETURNING, v, t

    def turn_down(self, v: float) -> None:
        """RETURNING -> FAR: turned towards the far end again before coming back (a wobble)."""
        self.phase, self.bottom = Phase.FAR, min(self.bottom, v)

    def come_back(self, v: float, sample: Sample) -> RepEvent | None:
        """RETURNING -> START: came back `return_fraction` of the swing (and past `near_limit`):
        the rep completes now (count_at: return)."""
        rep = self.came_back([*self.frames, sample], self.top - self.bottom)
        self.back_to_start(v, sample.t)
        return rep

    def return_short(self, v: float, t: float) -> RepEvent | None:
        """RETURNING -> GOING: turned down again short of the start (the start was a spike, or the
        person's top drifted), having come back `needed_return`: a full rep, and the next one has
        begun from that turn."""
        rep = self.came_back([f for f in self.frames if f.t <= self.peak_t], self.peak - self.bottom)
        self.going_from_peak(v, t)
        return rep

    def give_up(self, v: float, t: float) -> None:
        """Any phase -> START: the swing has lasted longer than max_rep_s (dropped as too long if it
        had gone deep enough); a rep, if one comes, starts from here."""
        if self.phase in (Phase.FAR, Phase.RETURNING) and not self.counted:
            self.rejected = TOO_LONG
        self.back_to_start(v, t)

    def drop_lost(self):
        """Unseen for lost_s: the rep in progress, if it had gone deep enough, is dropped as not seen."""
        if self.phase in (Phase.FAR, Phase.RETURNING) and not self.counted:
            self.rejected = NOT_SEEN
        self.restart()

    def set_up(self, t: float) -> bool:
        """Whether a swing leaving the start at `t` began from the set-up position: the person in
        view and not walking, and the signal still at the start (within the hysteresis, over
        the window but for this frame; with no frame in it but this one, where it was last seen),
        for settle_s and still_s, or since the stream began (a camera started on a person ready
        to go)."""
        if self.settled_since is None:
            return False
        if t - self.settled_since < self.settle_s + self.spec.still_s and self.settled_since != self.stream_start:
            return False
        values = [v for wt, v in self.window if wt >= self.settled_since][:-1]
        if not values and self.before_window is not None and self.before_window[0] >= self.settled_since:
            values = [self.before_window[1]]
        return bool(values) and max(values) - min(values) < self.spec.hysteresis

    def still(self) -> bool:
        """Whether the signal stayed within the hysteresis for the whole of the last still_s."""
        (t0, _), (t1, _) = self.window[0], self.window[-1]
        values = [v for _, v in self.window]
        return t1 - t0 >= 0.9 * self.spec.still_s and max(values) - min(values) < self.spec.hysteresis

    def partial(self, span: float):
        """Remember a partial rep (and say why it was not one when it went half the depth
        needed); enough alike in a row replace the recent reps' range."""
        if span >= 0.5 * self.needed_depth():
            self.rejected = TOO_SMALL
        self.remember_partial(span)

    def remember_partial(self, span: float):
        if span < self.spec.min_range:
            return
        self.partials.append(span)
        if len(self.partials) == self.partials.maxlen and min(self.partials) >= self.spec.alike * max(self.partials):
            self.set_ranges(self.partials)
            self.partials.clear()

    def going_from_peak(self, v: float, t: float):
        """A new swing began at the last turn (the peak): it is the top now, and v is going down."""
        top, top_t = self.peak, self.peak_t
        since_top = [f for f in self.frames if f.t >= top_t]
        self.restart()
        self.top, self.start_t, self.start_since, self.frames = top, top_t, top_t, since_top
        self.phase, self.bottom, self.peak, self.peak_t = Phase.GOING, v, v, t

    def back_to_start(self, v: float, t: float):
        self.restart()
        self.top, self.start_t, self.start_since = v, t, t

    def came_back(self, frames: list[Sample], span: float) -> RepEvent | None:
        """The swing came back to the start: the rep completes now, or (count_at: far) it was
        counted at the far end and its whole span replaces the part it had swung by then."""
        if self.spec.count_at == "return":
            return self.complete(frames, span)
        if self.counted:
            self.set_ranges([*list(self.ranges)[:-1], span])
        else:
            # Dropped at the far end (too short: deep enough that soon only because the recent
            # reps were small): its whole span still tells whether the person's range has changed.
            self.remember_partial(span)
        return None

    def complete(self, frames: list[Sample], span: float) -> RepEvent | None:
        """The swing came back: a rep if it lasted long enough and held where it must.

        `frames` run from the start of the rep to its end; `span` is how far it swung.
        """
        spec = self.spec
        held = self.far_hold(frames) >= spec.hold_far_s
        # Counted at the far end, half the rep has gone by.
        duration = (frames[-1].t - self.start_t) * (2 if spec.count_at == "far" else 1)
        rep = None
        if not held:
            self.rejected = NOT_HELD
        elif duration < spec.min_rep_s:
            self.rejected = TOO_SHORT
        else:
            if self.starts_a_set():
                # The person may move differently now, so the recent range starts afresh.
                self.set_ranges([])
                self.opener = None
            self.set_ranges([*self.ranges, span])
            self.partials.clear()
            self.last_rep_end = frames[-1].t
            if not self.second_of_pair(frames):
                self.reps += 1
                rep = self.rep_event(frames)
        return rep

    def second_of_pair(self, frames: list[Sample]) -> bool:
        """With `alternating: pair`, whether this swing is the other side's turn after the swing
        that opened a pair (counted then): the pair is done, and this swing is not a rep of its own."""
        if self.spec.alternating != "pair":
            return False
        side = self.far_side(frames)
        if side is not None and self.opener is not None and side != self.opener:
            self.opener = None
            return True
        self.opener = side
        return False

    def far_side(self, frames: list[Sample]) -> str | None:
        """The side that went further at the far end of this swing ('left' or 'right'), None where
        one of them was not seen there."""
        _, _, band = self.bottom_band(frames)
        ends = [self.sign * np.array([getattr(frames[i], side) for i in band]) for side in ("left", "right")]
        if not len(band) or any(np.isnan(end).all() for end in ends):
            return None
        left, right = (float(np.nanmean(end)) for end in ends)
        return "left" if left < right else "right"

    def bottom_band(self, frames: list[Sample]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The frames' times and values, and the indices of those in the band at the far end."""
        times = np.array([f.t for f in frames])
        values = np.array([f.value for f in frames])
        band = np.flatnonzero(self.sign * values <= self.bottom + BOTTOM_BAND * (self.top - self.bottom))
        return times, values, band

    def far_hold(self, frames: list[Sample]) -> float:
        """Seconds spent in the band at the far end of this swing."""
        times, _, band = self.bottom_band(frames)
        return float(times[band[-1]] - times[band[0]]) if len(band) else 0.0

    def rep_event(self, frames: list[Sample]) -> RepEvent:
        times, values, band = self.bottom_band(frames)
        v = self.sign * values
        first, last = (band[0], band[-1]) if len(band) else (int(np.argmin(v)),) * 2
        left = np.array([f.left for f in frames])
        right = np.array([f.right for f in frames])
        both = ~np.isnan(left) & ~np.isnan(right)
        asymmetry = float(np.mean(np.abs(left[both] - right[both]))) if both.any() else None
        return RepEvent(
            index=0,  # numbered by the set gate, which counts it
            set_index=0,
            start_t=float(times[0]),
            end_t=float(times[-1]),
            rom_min=float(np.nanmin(values)),
            rom_max=float(np.nanmax(values)),
            time_down=float(times[first] - times[0]),
            time_bottom=float(times[last] - times[first]),
            time_up=float(times[-1] - times[last]),
            peak_speed=peak_speed(times, values),
            asymmetry=asymmetry,
            confidence=float(np.mean([f.confidence for f in frames])),
            depth_needed=self.depth_needed,
            ready=self.ready,
        )

    def result(self, rep: RepEvent | None = None) -> Count:
        return Count(self.names[self.phase], rep, self.rejected)


class SetGate:
    """Counts the counter's reps that are part of the exercise, each on its own frame. A rep that
    began from the set-up position (`ready`) counts at once, a set's first included. Any other
    rep counts once it is part of a set: one that is not ready and starts a set is held until the
    next starts within `set_gap_s` of its end (or within twice the length of the quicker of the two,
    for slow reps); then both count, the held one at once and the next on the frame after, so that
    one frame never counts two. A held rep that stays alone was motion outside a set (walking in,
    setting up, getting off the bar): it is dropped, `outside a set`, when the next rep starts
    too late.
    When the stream ends (`finish`), a rep still held counts if it is alike the set's last reps
    (it is the set's last rep, after a pause), and a stream in which no two reps ever made a set
    (one rep, or singles with rests between) counts its lone reps."""

    def __init__(self, spec: Counting):
        self.gap_s, self.rest_s, self.alike_share = spec.set_gap_s, spec.rest_s, spec.alike
        self.reps = 0
        self.sets = 0
        self.dropped: RepEvent | None = None  # a held rep, on the frame it is dropped
        self.previous: RepEvent | None = None  # the last rep the counter completed
        self.in_set: deque[RepEvent] = deque(maxlen=spec.recent_reps)  # the last reps counted
        self.held: RepEvent | None = None  # the first rep of what may be a set
        self.alone: list[RepEvent] = []  # held reps that no other joined
        self.confirmed: deque[RepEvent] = deque()  # to count, one a frame
        self.last_counted: RepEvent | None = None

    def update(self, rep: RepEvent | None, t: float) -> RepEvent | None:
        """`rep`: the one the counter completed on this frame (at `t` s), if any. Returns the rep
        counted on it."""
        self.dropped = None
        if rep is not None:
            joins = self.previous is not None and self.joins(self.previous, rep)
            if self.held is not None and joins:
                self.confirm(self.held)
            elif self.held is not None:
                self.drop(self.held)
            self.held = None
            if joins or rep.ready:
                self.confirm(rep)
            else:
                self.held = rep
            self.previous = rep
        return self.count(self.confirmed.popleft(), t) if self.confirmed else None

    def confirm(self, rep: RepEvent):
        self.confirmed.append(rep)
        self.in_set.append(rep)

    def drop(self, rep: RepEvent):
        self.alone.append(rep)
        self.dropped = rep

    @property
    def progress(self) -> RepCount:
        """The reps counted so far, and their sets (coach.progress)."""
        return RepCount(self.reps, self.sets)

    @property
    def rejected(self) -> str | None:
        """Why a rep was dropped on this frame, if one was."""
        return OUTSIDE_SET if self.dropped is not None else None

    def counts_now(self, rep: RepEvent) -> bool:
        """Whether `rep`, just completed, is counted on this very frame: it is ready or joins the
        rep before it, and no rep is counted before it (a held one it joins, or one confirmed)."""
        joins = self.previous is not None and self.joins(self.previous, rep)
        return (joins or rep.ready) and not self.confirmed and not (joins and self.held is not None)

    def joins(self, previous: RepEvent, rep: RepEvent) -> bool:
        """Whether `rep` started soon enough after `previous` to be in its set. Slow reps may rest
        longer between them; the quicker of the two sets the pace, as a swing of setting up is slow."""
        pace = min(previous.duration, rep.duration)
        return rep.start_t - previous.end_t <= max(self.gap_s, 2 * pace)

    def finish(self, t: float) -> list[RepEvent]:
        """The stream has ended (its last frame at `t` s): the reps still to count, in order."""
        left = list(self.confirmed)
        if self.held is not None and not self.in_set:
            left = [*self.alone, self.held]
        elif self.held is not None and alike(self.in_set, self.held, self.alike_share):
            left.append(self.held)
        self.confirmed.clear()
        self.held, self.alone = None, []
        return [self.count(rep, t) for rep in left]

    def count(self, rep: RepEvent, t: float) -> RepEvent:
        if self.last_counted is None or rep.start_t - self.last_counted.end_t > self.rest_s:
            self.sets += 1
        self.reps += 1
        self.last_counted = rep
        return dataclasses.replace(rep, index=self.reps, set_index=self.sets, counted_t=t)


def alike(reps: Iterable[RepEvent], rep: RepEvent, share: float) -> bool:
    """Whether `rep` is like `reps` (a set's last ones): its range and its time each within the
    spread of theirs, widened by `share` (at least `share` of the smallest, at most the largest
    over `share`). The spread, not one neighbour: reps of one set vary in time."""
    for size in (lambda r: r.rom_max - r.rom_min, lambda r: r.duration):
        sizes = [size(r) for r in reps]
        if not share * min(sizes) <= size(rep) <= max(sizes) / share:
            return False
    return True


def peak_speed(times: np.ndarray, values: np.ndarray) -> float:
    """A rep's fastest change of its signal, in its units a second (0 with one frame)."""
    if len(times) < 2:
        return 0.0
    return float(np.nanmax(np.abs(np.diff(values) / np.maximum(np.diff(times), 1e-6))))
