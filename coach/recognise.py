"""Which exercise of the library is being done, from the movement: `Recogniser.update(pose, t) -> Exercise | None`.

Two questions, each answered by what the body shows:

1. How is the body placed, and which joints carry the motion? `Body` keeps the last WINDOW_S
   seconds of poses, each scaled to the box of the body without its arms on each axis (a swinging
   arm then moves nothing else; a camera's distance drops out; and the shared keypoint series,
   min-max normalised per frame on each axis, read the same as a camera's pixels).
   `features()` measures the posture (whether the body runs down the box or across it, the hands
   over the head or under the hips) and the motion (hips, shoulders, knees and elbows up and down,
   the feet apart and together, one knee under the other). `classify` reads them in a fixed
   order: hands under the hips is a push-up in any view; a body lying is a sit-up when the
   shoulders rise, a glute bridge when the hips do, a bench press when the arms do; standing, the
   hands over the head in most frames (the feet not opening as they rise) or staying over the
   shoulders and going over the head at times (the straight arms of a hang) is a pull-up, the
   arms from the sides to overhead with the feet opening as they rise a jumping jack, the hips or
   the knees travelling a squat (a lunge when one knee goes far under the other), else the arms
   alone, the feet staying put: a bicep curl when the elbows stay put, a shoulder press when the
   hands never come under the shoulders, else a front raise.
2. Does that exercise's own definition swing like reps? Every candidate counts the stream side by
   side with its own Session (signals, smoothing, counter and form rules, as when it is chosen);
   at each rep any of them counts, the body is read, and the exercise it shows is chosen once its
   own Session has counted REPS reps and READS reads in a row have shown it. When the stream ends
   undecided (a clip of one rep, or a set whose definition missed a rep), the exercise the body
   showed most is chosen if its definition counted one rep (`Recogniser.finish`). A posture held
   still, or a movement no definition counts, recognises nothing.

Pairs that are the same movement to these features, and so may be confused: a front raise and a
shoulder press or a bicep curl (the hands travel, the body is still; told apart by where the hands
start and whether the elbows rise), a squat and a lunge (told apart only by the knees' heights, which
a camera in front of a lunge barely shows), a pull-up and a jumping jack (the hands over the head;
told apart by how long they stay there and whether the feet jump with them), a bench press filmed
from its end and any standing exercise (the body then runs down the picture). Only the built-in
exercises are known: one a user defines is never recognised.

Once decided the choice stays, and its Session, which has counted from the first frame, goes on
counting: the reps before the decision are not lost (`Recogniser.session`). The thresholds
(`Limits`) are round numbers read off what each feature means; benchmarks/recognise.py measures
them on both shared sources and chooses them on one source to score them on the other.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.exercise_library import Library
from coach.exercises import Exercise
from coach.kinematics import gated
from coach.pose.skeleton import Keypoint as K
from coach.session import Session
from coach.types import Pose, RepEvent

# The exercise id that asks for the exercise to be recognised: `coach analyze --exercise any`, and
# "Any exercise" on the app's pickers.
ANY = "any"
# Reps the recognised exercise's own definition must have counted before it is chosen: one rep
# can be a one-off movement.
REPS = 2
# Reads in a row (one at each rep any candidate counts) that must show the exercise before it is
# chosen: one read can catch a glimpse of something else (the arms raised in setting up).
READS = 2
# Seconds of poses the body's features are measured over: two or three slow reps.
WINDOW_S = 10.0
# The box a pose is scaled to: the body without the arms.
BOX = [K.nose, K.left_shoulder, K.right_shoulder, K.left_hip, K.right_hip,
       K.left_knee, K.right_knee, K.left_ankle, K.right_ankle]
MIN_SCORE = 0.3  # a keypoint under this score is not seen (the definitions' own gate)


def both(xy: np.ndarray, left: K, right: K) -> np.ndarray:
    """The mean of a pair of keypoints over the frames, (n, 2); NaN where neither is seen."""
    return np.nanmean(xy[:, [left, right]], axis=1)


def spread(values: np.ndarray) -> float:
    """How far a measure moves: its 90th minus its 10th percentile over the frames seen."""
    values = values[~np.isnan(values)]
    return float(np.percentile(values, 90) - np.percentile(values, 10)) if len(values) else math.nan


def along(values: np.ndarray) -> np.ndarray:
    """How far positions (n, 5) run along the body from the head to the feet, per frame: the
    correlation of each frame's values with the order of the points (1 when they grow from the
    head to the feet, -1 when they shrink, near 0 when they do neither), times their range; the
    points unseen are left out. In the body's box a standing body runs about 1 down its height
    and a lying one about 1 across its width, whatever the scale of each axis (the shared series
    are scaled on each axis on its own); a body seen from the front barely runs across."""
    order = np.broadcast_to(np.arange(values.shape[1], dtype=float), values.shape)
    order = np.where(np.isnan(values), np.nan, order)
    dv, do = values - np.nanmean(values, axis=1, keepdims=True), order - np.nanmean(order, axis=1, keepdims=True)
    correlation = np.nansum(dv * do, axis=1) / np.sqrt(np.nansum(dv**2, axis=1) * np.nansum(do**2, axis=1))
    return correlation * (np.nanmax(values, axis=1) - np.nanmin(values, axis=1))  # a chain bunched up says little


def together(a: np.ndarray, b: np.ndarray) -> float:
    """The correlation of two measures over the frames where both are seen: 1 when they rise and
    fall together; NaN when either stays put or too few frames see both."""
    seen = ~np.isnan(a) & ~np.isnan(b)
    if seen.sum() < 5 or np.std(a[seen]) == 0 or np.std(b[seen]) == 0:
        return math.nan
    return float(np.corrcoef(a[seen], b[seen])[0, 1])


def percentile(values: np.ndarray, q: float) -> float:
    values = values[~np.isnan(values)]
    return float(np.percentile(values, q)) if len(values) else math.nan


def median(values: np.ndarray) -> float:
    return percentile(values, 50)


@dataclass(frozen=True, slots=True)
class Features:
    """What a window of poses shows, in heights and widths of the body without its arms (0..1;
    y grows downwards). Posture, medians over the frames: `upright` (the head's height over the
    feet less its offset from them: about 0.8 standing, 0 or under lying), `hands_up` (the share
    of frames with the wrists over the nose), `hands_down` (the wrists' height under the hips),
    `hips` (the hips' height: about 0.5 standing, near 1 sitting up with the knees raised). Motion,
    90th less 10th percentile: `hips_move` and `shoulders_move` (their height), `feet_move` (the
    ankles' distance apart), `elbows_move` (the elbows' height from the shoulders); `knees_uneven`
    (90th percentile of one knee's height over the other's, per hip-to-feet height);
    `feet_with_hands` (the correlation of the ankles' distance apart with the wrists' height over
    the shoulders: near 1 when the feet open as the hands rise, as in a jumping jack; NaN when the
    feet or the hands are not seen)."""

    upright: float
    hands_up: float
    hands_down: float
    hips: float
    hips_move: float
    shoulders_move: float
    feet_move: float
    elbows_move: float
    knees_uneven: float
    thighs_move: float
    wrists_move: float
    wrists_low: float
    wrists_high: float
    feet_with_hands: float


def features(xy: np.ndarray) -> Features:
    """The features of poses (n, 17, 2) in any units, NaN where unseen (see `Features`)."""
    box = xy[:, BOX]
    # An unseen joint is NaN, as meant: numpy's warnings about all-NaN slices say nothing new.
    with np.errstate(all="ignore"), warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        low, high = np.nanmin(box, axis=1, keepdims=True), np.nanmax(box, axis=1, keepdims=True)
        xy = (xy - low) / np.maximum(high - low, 0.05 * np.nanmax(high - low, axis=2, keepdims=True))
        nose, shoulders, hips = xy[:, K.nose], both(xy, K.left_shoulder, K.right_shoulder), both(xy, K.left_hip, K.right_hip)
        wrists, elbows = both(xy, K.left_wrist, K.right_wrist), both(xy, K.left_elbow, K.right_elbow)
        knees, ankles = both(xy, K.left_knee, K.right_knee), both(xy, K.left_ankle, K.right_ankle)
        feet = np.where(np.isnan(ankles), hips, ankles)  # upper body only: the hips are the lowest seen
        chain = np.stack([nose, shoulders, hips, knees, ankles], axis=1)  # head to feet, (n, 5, 2)
        legs = np.maximum(np.abs(feet[:, 1] - hips[:, 1]), 0.05)
        apart = np.abs(xy[:, K.left_ankle, 0] - xy[:, K.right_ankle, 0])  # the feet's distance apart
        return Features(
            upright=median(along(chain[..., 1]) - np.abs(along(chain[..., 0]))),
            hands_up=float(np.mean(wrists[:, 1] < nose[:, 1])),
            hands_down=median(wrists[:, 1] - hips[:, 1]),
            hips=median(hips[:, 1]),
            hips_move=spread(hips[:, 1]),
            shoulders_move=spread(shoulders[:, 1]),
            feet_move=spread(apart),
            elbows_move=spread(elbows[:, 1] - shoulders[:, 1]),
            knees_uneven=float(np.nanpercentile(np.abs(xy[:, K.left_knee, 1] - xy[:, K.right_knee, 1]) / legs, 90))
            if not np.isnan(xy[:, [K.left_knee, K.right_knee], 1]).all() else math.nan,
            thighs_move=spread((knees[:, 1] - hips[:, 1]) / legs),
            wrists_move=spread(wrists[:, 1] - shoulders[:, 1]),
            wrists_low=percentile(wrists[:, 1] - shoulders[:, 1], 90),
            wrists_high=percentile(wrists[:, 1] - shoulders[:, 1], 10),
            feet_with_hands=together(apart, shoulders[:, 1] - wrists[:, 1]),
        )


@dataclass(frozen=True, slots=True)
class Limits:
    """The thresholds of `classify`, each in the units of the feature it reads (see `Features`).
    Round numbers read off what each measure means; benchmarks/recognise.py varies them, chooses
    them on one shared source and scores them on the other."""

    lying: float = 0.2  # upright under this: the body runs across more than down
    hands_on_floor: float = 0.4  # hands_down over this: the hands well under the hips
    shoulders_rise: float = 0.25  # shoulders_move over this: the torso lifts (a sit-up)
    hips_travel: float = 0.1  # hips_move over this: the hips go up and down (a bridge, a squat, a lunge)
    thighs_turn: float = 0.15  # thighs_move over this: the knees rise towards the hips' height
    feet_open: float = 0.3  # feet_move over this: the feet move apart and together (a jumping jack; not the arms alone)
    uneven: float = 0.5  # knees_uneven over this: one knee far under the other (a split stance)
    arms_swing: float = 0.2  # wrists_move over this: the hands travel
    at_shoulders: float = 0.15  # wrists_low under this: the hands never come down past the shoulders
    overhead: float = -0.15  # wrists_high under this: the hands go over the shoulders
    elbows_still: float = 0.25  # elbows_move under this share of wrists_move: the upper arms stay put
    hanging: float = 0.5  # hands_up over this: the hands over the head most of the time
    reach_up: float = 0.1  # hands_up over this: the hands go over the head at times (a hang's straight arms)
    in_step: float = 0.5  # feet_with_hands over this: the feet open as the hands rise


def classify(f: Features, limits: Limits = Limits()) -> str | None:
    """The built-in exercise these features show (see the module's docstring); None when the body
    shows none: nothing moves enough, or nothing in a way the library knows."""
    if f.hands_down > limits.hands_on_floor:
        return "push_up"
    if f.upright < limits.lying:
        if f.shoulders_move > limits.shoulders_rise:
            return "sit_up"
        if f.hips_move > limits.hips_travel and f.hands_down > 0:
            return "glute_bridge"
        return "bench_press" if f.wrists_move > limits.arms_swing else None
    if f.hands_up > limits.hanging and not f.feet_with_hands > limits.in_step:
        return "pull_up"  # hanging: the hands over the head most of the time, the legs not jumping with them
    if f.wrists_low < limits.at_shoulders and f.wrists_high < limits.overhead and f.hands_up > limits.reach_up:
        return "pull_up"  # hanging: the hands stay up, and go over the head as the arms straighten
    if (f.wrists_high < limits.overhead and f.wrists_low > limits.at_shoulders and f.feet_move > limits.feet_open
            and f.feet_with_hands > limits.in_step):
        return "jumping_jack"  # the feet open as the hands rise
    if f.hips_move > limits.hips_travel or f.thighs_move > limits.thighs_turn:
        return "lunge" if f.knees_uneven > limits.uneven else "squat"
    if f.wrists_move > limits.arms_swing and not f.feet_move > limits.feet_open:  # the arms alone: the feet stay put
        if f.elbows_move < limits.elbows_still * f.wrists_move:
            return "bicep_curl"
        return "shoulder_press" if f.wrists_low < limits.at_shoulders else "front_raise"
    return None


class Body:
    """The last `window_s` seconds of one person's poses: `update(pose, t)`, then `features()`."""

    def __init__(self, window_s: float = WINDOW_S):
        self.window_s = window_s
        self.poses: deque[tuple[float, np.ndarray]] = deque()  # (t, (17, 2) positions, NaN unseen)

    def update(self, pose: Pose | None, t: float) -> None:
        if pose is not None:
            self.poses.append((t, gated(pose.keypoints, MIN_SCORE)))
        while self.poses and self.poses[0][0] < t - self.window_s:
            self.poses.popleft()

    def features(self) -> Features | None:
        """None while nobody has been seen in the window."""
        return features(np.stack([xy for _, xy in self.poses])) if self.poses else None


def candidates(library: Library) -> list[Exercise]:
    """The exercises a movement can be recognised as: those counted in reps, but `auto`, which
    counts any movement."""
    return [library.get(i) for i in library.ids() if i != "auto" and library.get(i).count is not None]


def recognise(exercises: Iterable[Exercise], stream: Iterable[tuple[Pose | None, float]]) -> tuple[Exercise | None, float | None]:
    """(the exercise recognised in a stream of `(pose or None, t)`, the time it was), stopping
    there; (None, None) when none is by the end."""
    recogniser, t = Recogniser(exercises), None
    for pose, t in stream:
        if recogniser.update(pose, t) is not None:
            return recogniser.exercises[recogniser.choice], recogniser.decided_t
    if t is not None and recogniser.finish(t) is not None:
        return recogniser.exercises[recogniser.choice], recogniser.decided_t
    return None, None


class Recogniser:
    """Recognises the exercise of one person's stream of poses among `exercises`."""

    def __init__(self, exercises: Iterable[Exercise], reps: int = REPS, window_s: float = WINDOW_S,
                 limits: Limits = Limits()):
        self.exercises = {exercise.id: exercise for exercise in exercises}
        self.sessions = {name: Session(exercise) for name, exercise in self.exercises.items()}
        self.counted: dict[str, list[RepEvent]] = {name: [] for name in self.exercises}  # each one's reps so far
        self.body = Body(window_s)
        self.reps = reps
        self.limits = limits
        self.choice: str | None = None
        self.shown: str | None = None  # what the body showed at the last rep counted, chosen or not
        self.reads: list[str] = []  # what it showed at each rep counted, where that is a candidate
        self.in_a_row = 0  # reads in a row that showed `shown`
        self.decided_t: float | None = None  # the frame time of the choice

    @property
    def session(self) -> Session | None:
        """The chosen exercise's Session, which has counted every frame so far; None until chosen."""
        return self.sessions[self.choice] if self.choice is not None else None

    def update(self, pose: Pose | None, t: float) -> Exercise | None:
        """One frame (`pose` None: nobody seen): the exercise recognised by now, else None. After
        the choice, only the chosen exercise's Session steps."""
        if self.choice is not None:
            self.session.step(pose, t)
            return self.exercises[self.choice]
        self.body.update(pose, t)
        counted = False
        for name, session in self.sessions.items():
            if (rep := session.step(pose, t).rep) is not None:
                self.counted[name].append(rep)
                counted = True
        if counted:  # the body is read only when some definition counts a rep
            previous, self.shown = self.shown, self.read_body()
            self.in_a_row = self.in_a_row + 1 if self.shown == previous else 1
            if self.shown in self.exercises:
                self.reads.append(self.shown)
                if self.in_a_row >= READS and len(self.counted[self.shown]) >= self.reps:
                    self.choice, self.decided_t = self.shown, t
        return self.exercises[self.choice] if self.choice is not None else None

    def read_body(self) -> str | None:
        """The exercise the body shows over the window now (`classify`); None for none, or while
        nobody has been seen."""
        features = self.body.features()
        return classify(features, self.limits) if features is not None else None

    def finish(self, t: float) -> Exercise | None:
        """The stream has ended (its last frame at `t` s). Still undecided, the body is read once
        more, and the exercise it showed at the most reads (the later on a tie) whose own
        definition counted a rep, its set gate's last included, is chosen: no more reps will come
        to wait for. None when there is none."""
        if self.choice is None:
            for session in self.sessions.values():
                session.finish()  # the reps a set gate counts only at the end
            if (shown := self.read_body()) in self.exercises:  # read once more
                self.reads.append(shown)
            self.choice = most_shown(self.reads, {name: session.gate.reps for name, session in self.sessions.items()})
            self.decided_t = t if self.choice is not None else None
        return self.exercises[self.choice] if self.choice is not None else None


def most_shown(reads: list[str], counts: dict[str, int]) -> str | None:
    """Of the exercises the body showed at `reads`, the one shown most often (the later on a tie)
    whose definition counted a rep (`counts`, by exercise); None when none did."""
    last = {name: i for i, name in enumerate(reads)}
    ranked = sorted(last, key=lambda name: (reads.count(name), last[name]), reverse=True)
    return next((name for name in ranked if counts.get(name, 0) >= 1), None)


def recognise_file(path: Path, library: Library, model, fps: float | None = None) -> tuple[Exercise | None, float | None]:
    """(the exercise of the library recognised in a video or keypoint file, when), or (None, None);
    the video's poses through `model` with crop tracking, as the pipeline finds them. The caller
    then counts the file from its start with that exercise."""
    if path.suffix.lower() == ".npy":
        from coach import keypoints

        poses = keypoints.load(path, fps).poses()
    else:  # cv2 and the pose model load only for a video, as in coach.pipeline
        from coach.pose import PoseTracker
        from coach.sources import read_video

        tracker = PoseTracker(model)
        poses = ((tracker.update(frame), frame.index / fps if fps else frame.t) for frame in read_video(path))
    return recognise(candidates(library), poses)
