"""Exercise definitions: one pydantic schema, one safe YAML loader, and the library of them.

A definition says what to measure (signals from named keypoints), which signal drives the rep
and how its four phases are told apart, how to smooth, when the person counts as seen, which form
rules to check and what to record per rep. Errors read `file:line field: problem`, with the line
taken from the YAML node the problem is in.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach import paths
from coach.errors import ExerciseError
from coach.pose.skeleton import KEYPOINTS, Keypoint

BUILTIN_DIR = paths.BUILTIN_EXERCISES
USER_DIR_ENV = paths.USER_EXERCISES_ENV

SIDES = ("left", "right")
# A keypoint name, or a side-less joint ("knee") that means the left and the right one.
JOINTS = sorted({name.split("_", 1)[1] for name in KEYPOINTS if name.startswith(SIDES)})
Point = enum.Enum("Point", {name: name for name in [*KEYPOINTS, *JOINTS]}, type=str)
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class DefinitionError(ExerciseError):
    """An invalid definition; `problems` holds each `file:line field: problem` on its own."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class FieldProblem(ValueError):
    """A cross-field check that failed, naming the field (relative to the model it is checked in)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def sided(points: list[Point], side: str) -> tuple[Keypoint, ...]:
    """The keypoints of `points` on one side: a side-less joint becomes `{side}_{joint}`."""
    return tuple(Keypoint[p.value if p.value in KEYPOINTS else f"{side}_{p.value}"] for p in points)


def per_side(points: list[Point]) -> dict[str, tuple[Keypoint, ...]]:
    """{"left": ..., "right": ...} when a side-less joint is among `points`, else {"centre": ...}."""
    if any(p.value in JOINTS for p in points):
        return {side: sided(points, side) for side in SIDES}
    return {"centre": sided(points, "left")}


class Signal(Model):
    """A measurement per frame: an angle in degrees, or a length in torso lengths.

    angle [a, b, c]: the angle at b. height [a, b]: how far a is above b. distance [a, b]: between
    them. inclination [a, b]: of a over b, from vertical (0 = a straight above b). A side-less
    joint makes the signal two-sided, combined by `side`.
    """

    kind: Literal["angle", "height", "distance", "inclination"]
    points: list[Point]
    side: Literal["both", "visible", "min", "max", "left", "right"] = "both"

    @model_validator(mode="after")
    def check_points(self):
        needed = 3 if self.kind == "angle" else 2
        if len(self.points) != needed:
            raise FieldProblem(("points",), f"a {self.kind} takes {needed} keypoints, got {len(self.points)}")
        return self

    @property
    def unit(self) -> str:
        return "degrees" if self.kind in ("angle", "inclination") else "torso lengths"

    @property
    def two_sided(self) -> bool:
        return "centre" not in self.keypoints

    @functools.cached_property
    def keypoints(self) -> dict[str, tuple[Keypoint, ...]]:
        """{"left": ..., "right": ...} for a two-sided signal, else {"centre": ...}."""
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
    `settle_s`: seen this long before counting starts (setting up, walking in).
    `lost_s`: unseen this long abandons the rep in progress.
    """

    keypoints: list[Point] = Field(min_length=1)
    min_score: float = Field(0.3, ge=0, le=1)
    settle_s: float = Field(0.3, ge=0, le=10)
    lost_s: float = Field(1.0, gt=0, le=30)

    def groups(self) -> list[tuple[Keypoint, ...]]:
        """The keypoint sets of which one must be seen whole."""
        return list(per_side(self.keypoints).values())


class Count(Model):
    """Which signal drives the rep, and how its phases are told apart.

    The rep starts at the `start` end of the signal (high: a squat's straight knee; low: a front
    raise's arm down), goes to the far end and comes back. The four `phases` name: resting at the
    start, going, at the far end (the turn), coming back.

    A swing counts when it spans at least `min_range` (signal units) and at least `depth` of the
    recent reps' range, and when it comes back `return_fraction` of its own range; so the
    counter follows each person's and camera's own range instead of fixed angles. `far_limit`
    and `near_limit` are optional absolute thresholds on top: the turn must pass `far_limit`
    and the return must pass `near_limit`. `hysteresis` (signal units) keeps noise from
    flipping phases.
    """

    signal: Identifier
    start: Literal["high", "low"]
    phases: list[Identifier]
    min_range: float = Field(gt=0)
    depth: float = Field(0.5, gt=0, le=1)
    return_fraction: float = Field(0.7, gt=0, le=1)
    hysteresis: float = Field(0.0, ge=0)
    far_limit: float | None = None
    near_limit: float | None = None
    min_rep_s: float = Field(0.3, gt=0, le=60)
    max_rep_s: float = Field(10.0, gt=0, le=600)
    hold_far_s: float = Field(0.0, ge=0, le=60)
    hold_near_s: float = Field(0.0, ge=0, le=60)
    rest_s: float = Field(10.0, gt=0, le=3600)
    recent_reps: int = Field(3, ge=1, le=20)

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
    count: Count
    form: list[FormRule] = []
    praise: Praise | None = None
    metrics: list[Metric] = []

    @model_validator(mode="after")
    def check_references(self):
        names = sorted(self.signals)
        if self.count.signal not in self.signals:
            raise FieldProblem(("count", "signal"), f"unknown signal {self.count.signal!r} (signals: {', '.join(names)})")
        seen = set()
        for i, rule in enumerate(self.form):
            if rule.signal not in self.signals:
                raise FieldProblem(("form", i, "signal"), f"unknown signal {rule.signal!r} (signals: {', '.join(names)})")
            if rule.phase not in (*self.count.phases, "rep"):
                raise FieldProblem(("form", i, "phase"), f"unknown phase {rule.phase!r} (phases: {', '.join(self.count.phases)}, rep)")
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
    def drive(self) -> Signal:
        return self.signals[self.count.signal]


# ---------------------------------------------------------------------------------------------
# Loading: safe YAML with the line of every node, so a pydantic error can name its line.


class LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (a silent override hides typos)."""


def construct_mapping(loader: LineLoader, node: yaml.MappingNode, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)


def node_lines(node, path=(), lines=None) -> dict[tuple, int]:
    """{path: 1-based line} for every key and item of a composed YAML document."""
    lines = {} if lines is None else lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, key.value)] = key.start_mark.line + 1
            node_lines(value, (*path, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            node_lines(item, (*path, i), lines)
    return lines


def line_of(lines: dict[tuple, int], loc: tuple) -> int:
    """The line of the deepest part of `loc` the document has (a missing field: its parent's)."""
    loc = tuple(loc)
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def describe(error: dict) -> tuple[tuple, str]:
    """A pydantic error as (location, message), with cross-field problems placed on their field."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part in _TAGS))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        return (*loc, *cause.loc), str(cause)
    message = error["msg"]
    if error["type"] == "enum" and (error.get("ctx") or {}).get("expected", "").count(",") > 5:
        message = f"{error['input']!r} is not a keypoint (use one of {', '.join(KEYPOINTS)}, or a side-less joint: {', '.join(JOINTS)})"
    elif error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "union_tag_invalid":
        message = f"unknown filter {error['input'].get('filter')!r} (use {', '.join(_TAGS)})"
        loc = (*loc, "filter")
    elif error["type"] == "missing":
        message = "missing"
    elif isinstance(error.get("input"), (int, float, str)) and not isinstance(error.get("input"), bool):
        message = f"{message}, got {error['input']!r}"
    return loc, message.removeprefix("Value error, ")


_TAGS = ("butterworth", "one_euro", "ema", "none")


def parse(text: str, source: str = "<text>") -> Exercise:
    """An Exercise from YAML text; ExerciseError `source:line field: problem` otherwise."""
    loader = LineLoader(text)  # one pass: the nodes (their lines) and the data built from them
    try:
        document = loader.get_single_node()
        data = loader.construct_document(document) if document is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise DefinitionError([f"{source}:{line}: {error.problem or error.context}"]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([f"{source}: not YAML: {error}"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise DefinitionError([f"{source}:1: an exercise definition is a mapping of fields (id, name, signals, count, ...)"])
    try:
        return Exercise.model_validate(data)
    except ValidationError as errors:
        lines = node_lines(document)
        problems = []
        for error in errors.errors():
            loc, message = describe(error)
            field = ".".join(str(part) for part in loc) or "(top)"
            problems.append((line_of(lines, loc), f"{source}:{line_of(lines, loc)} {field}: {message}"))
        raise DefinitionError([text for _, text in sorted(problems)]) from None


def load(path) -> Exercise:
    """An Exercise from a YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ExerciseError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse(text, str(path))


def user_dir() -> Path:
    return paths.user_exercises_dir()


class Library:
    """The built-in definitions, then the user's (same id: the user's wins), then extra paths.

    Files load when the library is built, so a broken user file is reported at once with its
    line; `errors` keeps those problems for `coach exercises list` to show.
    """

    def __init__(self, builtin_dir=BUILTIN_DIR, user=None, extra=()):
        self.exercises: dict[str, Exercise] = {}
        self.sources: dict[str, Path] = {}
        self.errors: list[str] = []
        if not Path(builtin_dir).is_dir():  # an install without its definitions would know no exercise
            raise ExerciseError(f"the built-in exercise definitions are missing: no folder {builtin_dir}")
        folders = [Path(builtin_dir), Path(user) if user is not None else user_dir()]
        for folder in folders:
            for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
                self.add(path, strict=False)
        for path in extra:
            self.add(Path(path), strict=True)

    def add(self, path: Path, strict: bool) -> Exercise | None:
        try:
            exercise = load(path)
        except ExerciseError as error:
            if strict:
                raise
            self.errors.append(str(error))
            return None
        self.exercises[exercise.id] = exercise
        self.sources[exercise.id] = path
        return exercise

    def ids(self) -> list[str]:
        return sorted(self.exercises)

    def get(self, name: str) -> Exercise:
        """An exercise by id, or by the path of a YAML file."""
        if name in self.exercises:
            return self.exercises[name]
        if name.endswith((".yaml", ".yml")) or os.sep in name:
            return load(name)
        raise ExerciseError(f"unknown exercise {name!r} (valid: {', '.join(self.ids())})")

    def definition(self, name: str) -> str | None:
        """The YAML text of an exercise by id or by file path, as a session keeps it to be
        counted again later; None for an exercise with no file."""
        source = self.sources.get(name)
        if source is None and (name.endswith((".yaml", ".yml")) or os.sep in name):
            source = Path(name)
        return source.read_text(encoding="utf-8") if source is not None else None


def safe_file_name(exercise_id: str) -> str:
    """The file name a user definition is saved under: its id, never a path."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", exercise_id):
        raise ExerciseError(f"{exercise_id!r} cannot be a file name: use lower-case letters, digits and _")
    return f"{exercise_id}.yaml"
