"""The exercise definition: its pydantic schema, and `parse`/`load` through the one safe YAML
loader of every definition (coach.definitions). The library of them is coach.exercise_library.

A definition says what to measure (signals from named keypoints), which signal drives the rep
and how its four phases are told apart, how to smooth, when the person counts as seen, which form
rules to check and what to record per rep. Errors read `file:line field: problem`, with the line
taken from the YAML node the problem is in (coach.definitions, which routines share).
"""

from __future__ import annotations

import enum
import functools
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from coach import definitions
from coach.definitions import FieldProblem, Model, did_you_mean
from coach.errors import ExerciseError
from coach.pose.skeleton import KEYPOINTS, Keypoint

SIDES = ("left", "right")
# A keypoint name, or a side-less joint ("knee") that means the left and the right one.
JOINTS = sorted({name.split("_", 1)[1] for name in KEYPOINTS if name.startswith(SIDES)})
Point = enum.Enum("Point", {name: name for name in [*KEYPOINTS, *JOINTS]}, type=str)
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class DefinitionError(definitions.DefinitionError, ExerciseError):
    """An invalid exercise definition; `problems` holds each Problem, in line order."""


def sided(points: list[Point], side: str) -> tuple[Keypoint, ...]:
    """The keypoints of `points` on one side: a side-less joint becomes `{side}_{joint}`."""
    return tuple(Keypoint[p.value if p.value in KEYPOINTS else f"{side}_{p.value}"] for p in points)


def per_side(points: list[Point]) -> dict[str, tuple[Keypoint, ...]]:
    """{"left": ..., "right": ...} when a side-less joint is among `points`, else {"centre": ...}."""
    if any(p.value in JOINTS for p in points):
        return {side: sided(points, side) for side in SIDES}
    return {"centre": sided(points, "left")}


class Signal(Model):
    """A measurement per frame: an angle in degrees, or a length in torso or arm lengths.

    angle [a, b, c]: the angle at b. height [a, b]: how far a is above b. distance [a, b]: between
    them. inclination [a, b]: of a over b, from vertical (0 = a straight above b). A side-less
    joint makes the signal two-sided, combined by `side`. `scale` is the body length a height or
    distance is measured in: the torso (shoulder to hip), or the arm (shoulder to elbow to wrist,
    of the same side) for a signal that must be measured where the hips are out of view (a
    pull-up seen from behind).

    principal [points...]: the body's main direction of movement (coach.motion): the positions
    of `points` (all 17 keypoints when left out) around the torso, in torso lengths, projected on
    their first principal component over the last `window_s`. It needs no joint to be named, so a
    definition can count any repeated movement.
    """

    kind: Literal["angle", "height", "distance", "inclination", "principal"]
    points: list[Point] = []
    side: Literal["both", "visible", "min", "max", "left", "right"] = "both"
    scale: Literal["torso", "arm"] = "torso"
    window_s: float = Field(6.0, ge=2, le=30)

    @model_validator(mode="after")
    def check_points(self):
        if self.kind == "principal":
            return self
        needed = 3 if self.kind == "angle" else 2
        if len(self.points) != needed:
            raise FieldProblem(("points",), f"a {self.kind} takes {needed} keypoints, got {len(self.points)}")
        return self

    @property
    def unit(self) -> str:
        return "degrees" if self.kind in ("angle", "inclination") else f"{self.scale} lengths"

    @property
    def two_sided(self) -> bool:
        return "centre" not in self.keypoints

    @functools.cached_property
    def keypoints(self) -> dict[str, tuple[Keypoint, ...]]:
        """{"left": ..., "right": ...} for a two-sided signal, else {"centre": ...} (a principal
        signal: every keypoint it follows, both sides of a side-less joint)."""
        if self.kind == "principal":
            named = self.points or list(Point)
            return {"centre": tuple(dict.fromkeys(k for side in SIDES for k in sided(named, side)))}
        return per_side(self.points)


class Butterworth(Model):
    """A low-pass Butterworth filter run causally on a fixed clock of `rate_hz` (sosfilt with state)."""

    filter: Literal["butterworth"]
    cutoff_hz: float = Field(3.0, gt=0, le=15)
    order: int = Field(2, ge=1, le=4)
    rate_hz: float = Field(30.0, ge=10, le=240)

    @model_validator(mode="after")
    def check_nyquist(self):
        if self.cutoff_hz >= self.rate_hz / 2:
            raise FieldProblem(("cutoff_hz",), f"must be under half of rate_hz ({self.rate_hz / 2:g}), got {self.cutoff_hz:g}")
        return self


class OneEuro(Model):
    """The One-Euro filter (Casiez et al. 2012): less smoothing when the signal moves fast."""

    filter: Literal["one_euro"]
    min_cutoff_hz: float = Field(1.0, gt=0, le=30)
    beta: float = Field(0.01, ge=0)
    d_cutoff_hz: float = Field(1.0, gt=0, le=30)


class Ema(Model):
    """An exponential moving average with time constant `tau_s`, weighted by real frame gaps."""

    filter: Literal["ema"]
    tau_s: float = Field(0.1, gt=0, le=5)


class NoFilter(Model):
    filter: Literal["none"]


Smoothing = Annotated[Union[Butterworth, OneEuro, Ema, NoFilter], Field(discriminator="filter")]


class Visibility(Model):
    """When the person counts as seen: every listed keypoint at `min_score` or more.

    A side-less joint needs the whole list on at least one side (a side view sees one side).
    `settle_s`: seen (and not walking) this long, and then still at the start for the count's
    `still_s`, a rep begins from the set-up position (coach.counting: it counts at once).
    `lost_s`: unseen this long abandons the rep in progress.
    """

    keypoints: list[Point] = Field(min_length=1)
    min_score: float = Field(0.3, ge=0, le=1)
    settle_s: float = Field(0.3, ge=0, le=10)
    lost_s: float = Field(1.0, gt=0, le=30)

    def groups(self) -> list[tuple[Keypoint, ...]]:
        """The keypoint sets of which one must be seen whole."""
        return list(per_side(self.keypoints).values())


# Without a `hysteresis`, a phase turns only when the signal moves back this share of `min_range`.
HYSTERESIS_SHARE = 0.1


def with_default_hysteresis(data):
    """A drive's fields with `hysteresis` filled in where left out: a tenth of `min_range`."""
    if isinstance(data, dict) and data.get("hysteresis") is None and isinstance(data.get("min_range"), (int, float)):
        data = {**data, "hysteresis": HYSTERESIS_SHARE * data["min_range"]}
    return data


class Alternative(Model):
    """Another signal that may drive the rep (coach.drives), in its own units: where a rep starts on
    it, its smallest rep and its hysteresis (left out, a tenth of `min_range`); the rest of the
    `count:` block holds for it as for `signal`."""

    signal: Identifier
    start: Literal["high", "low"]
    min_range: float = Field(gt=0)
    hysteresis: float = Field(None, ge=0, validate_default=False)

    @model_validator(mode="before")
    @classmethod
    def default_hysteresis(cls, data):
        return with_default_hysteresis(data)


class Counting(Model):
    """Which signal drives the rep, and how its phases are told apart (the `count:` block).

    The rep starts at the `start` end of the signal (high: a squat's straight knee; low: a front
    raise's arm down), goes to the far end and comes back. The four `phases` name: resting at the
    start, going, at the far end (the turn), coming back.

    A swing counts when it spans at least `min_range` (signal units) and at least `depth` of the
    recent reps' range, and when it comes back `return_fraction` of its own range; so the
    counter follows each person's and camera's own range instead of fixed angles. `far_limit`
    and `near_limit` are optional absolute thresholds on top: the turn must pass `far_limit`
    and the return must pass `near_limit`. `count_at`: a rep counts when the swing comes back
    (`return`: a squat stood up) or the moment it is deep enough at the far end (`far`: a
    pull-up counts with the chin over the bar; lowering is the way back). `hysteresis` (signal units) keeps noise from
    flipping phases; left out, it is a tenth of `min_range` (0 let a phase flicker at its
    threshold).
    """

    signal: Identifier
    start: Literal["high", "low"]
    phases: list[Identifier]
    min_range: float = Field(gt=0)
    depth: float = Field(0.5, gt=0, le=1)
    return_fraction: float = Field(0.7, gt=0, le=1)
    hysteresis: float = Field(None, ge=0, validate_default=False)
    far_limit: float | None = None
    near_limit: float | None = None
    count_at: Literal["return", "far"] = "return"
    alternating: Literal["each", "pair"] = "each"
    min_rep_s: float = Field(0.3, gt=0, le=60)
    still_s: float = Field(0.6, gt=0, le=10)
    max_rep_s: float = Field(10.0, gt=0, le=600)
    hold_far_s: float = Field(0.0, ge=0, le=60)
    hold_near_s: float = Field(0.0, ge=0, le=60)
    rest_s: float = Field(10.0, gt=0, le=3600)
    set_gap_s: float = Field(3.0, gt=0, le=600)
    recent_reps: int = Field(3, ge=1, le=20)
    short_return: float = Field(0.5, gt=0, le=1)
    alike: float = Field(0.7, gt=0, le=1)
    alternatives: list[Alternative] = []

    @model_validator(mode="before")
    @classmethod
    def default_hysteresis(cls, data):
        return with_default_hysteresis(data)

    @model_validator(mode="after")
    def check_phases_and_limits(self):
        if len(self.phases) != 4:
            raise FieldProblem(("phases",), f"needs 4 phases (start, going, far end, coming back), got {len(self.phases)}")
        if len(set(self.phases)) != 4:
            raise FieldProblem(("phases",), "phase names must differ")
        if self.max_rep_s <= self.min_rep_s:
            raise FieldProblem(("max_rep_s",), f"must be above min_rep_s ({self.min_rep_s:g}), got {self.max_rep_s:g}")
        if self.far_limit is not None and self.near_limit is not None:
            low, high = (self.far_limit, self.near_limit) if self.start == "high" else (self.near_limit, self.far_limit)
            if low >= high:
                which = "far_limit must be under near_limit" if self.start == "high" else "near_limit must be under far_limit"
                raise FieldProblem(("far_limit",), f"with start: {self.start}, {which} (got {self.far_limit:g} and {self.near_limit:g})")
        return self


class Band(Model):
    """Where one signal must be for the position to count as held: above `above` and/or below
    `below` (signal units)."""

    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def check_bounds(self):
        if self.above is None and self.below is None:
            raise FieldProblem(("above",), "a band needs `above` or `below` (or both)")
        if self.above is not None and self.below is not None and self.above >= self.below:
            raise FieldProblem(("below",), f"must be above `above` ({self.above:g}), got {self.below:g}")
        return self


class Holding(Model):
    """A hold instead of reps (the `hold:` block, in place of `count:`): a plank, a wall sit.

    The position is held while every signal of `position` is in its band. A hold starts when
    they all are, and goes on while they stay within `hysteresis` outside their bands (noise at
    a threshold does not stop the timer); out of position (or out of view) longer than `grace_s`
    ends it, at the last moment it was in position. A hold of `min_hold_s` or more is a set.
    `phases`: the names of holding and of resting.
    """

    position: dict[Identifier, Band] = Field(min_length=1)
    phases: list[Identifier]
    target_s: float = Field(30.0, gt=0, le=3600)
    hysteresis: float = Field(5.0, ge=0)
    grace_s: float = Field(1.0, ge=0, le=10)
    min_hold_s: float = Field(3.0, gt=0, le=600)

    @model_validator(mode="after")
    def check_phases(self):
        if len(self.phases) != 2 or len(set(self.phases)) != 2:
            raise FieldProblem(("phases",), f"needs 2 different phase names (holding, resting), got {len(self.phases)}")
        return self

    @property
    def signal(self) -> str:
        """The signal shown as the driving one: the first of `position`."""
        return next(iter(self.position))


class FormRule(Model):
    """A form check: `stat` of `signal` over `phase` (a phase name, or `rep` for the whole rep),
    judged when that phase ends; it fires when the value is above `above` or below `below`."""

    rule: Identifier
    phase: Identifier
    signal: Identifier
    stat: Literal["min", "max", "mean"] = "mean"
    above: float | None = None
    below: float | None = None
    cue: str = Field(min_length=1, max_length=120)
    severity: Literal["info", "warning", "error"] = "warning"
    cooldown_s: float = Field(5.0, ge=0, le=600)

    @model_validator(mode="after")
    def check_bounds(self):
        if self.above is None and self.below is None:
            raise FieldProblem(("above",), "a rule needs `above` or `below` (or both)")
        return self


class Praise(Model):
    """Said when a rep completes with no form flag, at most once per `cooldown_s`."""

    text: str = Field(min_length=1, max_length=120)
    cooldown_s: float = Field(10.0, ge=0, le=600)


class Metric(Model):
    """An extra per-rep number: `stat` of `signal` over the rep, recorded as `{signal}_{stat}`."""

    signal: Identifier
    stat: Literal["min", "max", "mean"]


class Exercise(Model):
    id: Identifier
    name: str = Field(min_length=1, max_length=60)
    description: str = ""
    views: list[Literal["front", "side", "back"]] = Field(min_length=1)
    visibility: Visibility
    signals: dict[Identifier, Signal] = Field(min_length=1)
    smoothing: Smoothing = Field(default_factory=lambda: Butterworth(filter="butterworth"))
    count: Counting | None = None
    hold: Holding | None = None
    form: list[FormRule] = []
    praise: Praise | None = None
    metrics: list[Metric] = []

    @model_validator(mode="after")
    def check_references(self):
        names = sorted(self.signals)
        if self.count is None and self.hold is None:
            raise FieldProblem(("count",), "missing")  # or a `hold:` block: the reference says so
        if self.count is not None and self.hold is not None:
            raise FieldProblem(("hold",), "a definition has a `count:` block (reps) or a `hold:` block (a held "
                               "position), not both")
        for name in self.hold.position if self.hold else ():
            if name not in self.signals:
                raise FieldProblem(("hold", "position", name), f"unknown signal {name!r} (signals: {', '.join(names)})")
        for name, signal in self.signals.items():
            if any(len(set(points)) < len(points) for points in signal.keypoints.values()):
                raise FieldProblem(("signals", name, "points"), "the keypoints of a signal must differ, got "
                                   f"[{', '.join(p.value for p in signal.points)}]")
        if self.count is not None and self.count.signal not in self.signals:
            raise FieldProblem(("count", "signal"), f"unknown signal {self.count.signal!r} (signals: {', '.join(names)})")
        for i, alternative in enumerate(self.count.alternatives if self.count is not None else []):
            if alternative.signal not in self.signals:
                raise FieldProblem(("count", "alternatives", i, "signal"),
                                   f"unknown signal {alternative.signal!r} (signals: {', '.join(names)})")
        if self.count is not None and self.count.alternating == "pair" and not self.signals[self.count.signal].two_sided:
            raise FieldProblem(("count", "alternating"), f"`pair` needs a two-sided signal to tell the sides apart; "
                               f"{self.count.signal!r} has none (name a side-less joint such as `knee`)")
        seen = set()
        for i, rule in enumerate(self.form):
            if rule.signal not in self.signals:
                raise FieldProblem(("form", i, "signal"), f"unknown signal {rule.signal!r} (signals: {', '.join(names)})")
            if rule.phase not in (*self.phases, "rep"):
                raise FieldProblem(("form", i, "phase"), f"unknown phase {rule.phase!r} (phases: {', '.join(self.phases)}, rep)")
            if rule.rule in seen:
                raise FieldProblem(("form", i, "rule"), f"rule {rule.rule!r} is defined twice")
            seen.add(rule.rule)
        for i, metric in enumerate(self.metrics):
            if metric.signal not in self.signals:
                raise FieldProblem(("metrics", i, "signal"), f"unknown signal {metric.signal!r} (signals: {', '.join(names)})")
        return self

    @field_validator("views")
    @classmethod
    def unique_views(cls, views):
        if len(set(views)) != len(views):
            raise ValueError("a view is listed twice")
        return views

    @property
    def drive_name(self) -> str:
        return self.hold.signal if self.hold is not None else self.count.signal

    @property
    def drive(self) -> Signal:
        return self.signals[self.drive_name]

    @property
    def phases(self) -> list[str]:
        return self.hold.phases if self.hold is not None else self.count.phases

    @property
    def rest_phase(self) -> str:
        """The phase of not exercising: a rep's start, a hold's rest."""
        return self.hold.phases[1] if self.hold is not None else self.count.phases[0]


_TAGS = ("butterworth", "one_euro", "ema", "none")


def describe(error: dict) -> tuple[tuple, str]:
    """A pydantic error as (location, message): a keypoint or a filter named wrong is said so here,
    the rest as every definition says it (coach.definitions.describe)."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part in _TAGS))
    if error["type"] == "enum" and (error.get("ctx") or {}).get("expected", "").count(",") > 5:
        return loc, f"{error['input']!r} is not a keypoint" + (did_you_mean(error["input"], Point.__members__) or
                                                                f" (use one of {', '.join(KEYPOINTS)}, or a side-less joint: {', '.join(JOINTS)})")
    if error["type"] == "union_tag_invalid":
        tag = error["input"].get("filter")
        return (*loc, "filter"), f"unknown filter {tag!r}" + (did_you_mean(tag, _TAGS) or f" (use {', '.join(_TAGS)})")
    return definitions.describe(error, Exercise, loc)


KIND = definitions.Kind(Exercise, DefinitionError, "an exercise definition", "id, name, signals, count, ...", describe)


def parse(text: str, source: str = "<text>") -> Exercise:
    """An Exercise from YAML text; DefinitionError with each `source:line field: problem` otherwise."""
    return definitions.parse(text, source, KIND)


def read(path, lossy: bool = False) -> str:
    """A definition file's text (coach.definitions.read): DefinitionError naming it when it is
    not a regular file of UTF-8 text of at most MAX_FILE_BYTES. `lossy`: for the editor."""
    return definitions.read(path, KIND, lossy)


def load(path) -> Exercise:
    """An Exercise from a YAML file."""
    return parse(read(path), str(path))
