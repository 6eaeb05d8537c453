"""Which exercise of the library is being done, from the movement: `Recogniser.update(pose, t) -> Exercise | None`.

Every rep exercise of the library counts the same stream side by side, each with its own Session
(its signals, smoothing, counter and form rules, exactly as when it is chosen). A definition whose
driving signal swings like reps counts them; but a squat moves the arms too, and jumping jacks
swing them like front raises, so counting is not enough. A rep is evidence for a candidate only
when it looks like a rep of that exercise:

- done as its definition expects: none of its form rules flagged the rep (front raises flag arms
  swung overhead, jumping jacks arms that stay low, a lunge a torso leaning forward);
- in its posture: the torso upright for an exercise done standing or hanging, leaning past
  UPRIGHT for one done lying or face down (LYING, STANDING).

`pick` then takes the candidate whose evidence swings most clearly, its strength being the median
range of those reps over its own `min_range` (in its own units), once it has REPS such reps and a
strength of at least STRENGTH (a drive that only follows another movement swings just past its
min_range: a squatter's arms, as front raises see them, tests/test_recognise.py).

Once decided the choice stays, and its Session, which has counted from the first frame, goes on
counting: the reps before the decision are not lost (`Recogniser.session`).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from coach.exercise_library import Library
from coach.exercises import Exercise
from coach.kinematics import HIPS, SHOULDERS, gated, inclination, mean_seen
from coach.session import Session
from coach.types import Pose

# Reps a candidate must have counted before it can be chosen: one rep can be a one-off movement.
REPS = 2
# How many times its `min_range` a candidate's reps must span at the median. 1.0 to 1.5 score
# alike on the shared series and 2.0 worse (benchmarks/recognise.py chooses it on each source and
# scores it on the other); under 1.5, a squatter's arms count as front raises.
STRENGTH = 1.5
# The torso's lean from upright over a rep tells standing and hanging exercises from those done
# lying or face down. The definitions do not say which they are, so the built-in ones are listed
# here (one of them defined by a user may be recognised in any posture). A rep whose torso leant
# under UPRIGHT degrees at the median is upright.
UPRIGHT = 45.0
LYING = {"bench_press", "glute_bridge", "push_up", "sit_up"}
STANDING = {"bicep_curl", "front_raise", "jumping_jack", "lunge", "pull_up", "shoulder_press", "squat"}


@dataclass(frozen=True, slots=True)
class Proof:
    """One rep a candidate counted: when (the frame it was counted), its range over the
    candidate's min_range, how long it lasted in seconds, the torso's median lean from upright
    over it in degrees (0 standing, 90 lying; NaN unseen), and whether it passed all the
    candidate's form rules (a rep of it done as the definition expects)."""

    t: float
    strength: float
    rep_s: float
    lean: float = float("nan")
    clean: bool = True


def candidates(library: Library) -> list[Exercise]:
    """The exercises a movement can be recognised as: those counted in reps, but `auto`, which
    counts any movement."""
    return [library.get(i) for i in library.ids() if i != "auto" and library.get(i).count is not None]


def pick(evidence: dict[str, list[Proof]], reps: int = REPS, strength: float = STRENGTH) -> str | None:
    """The candidate the evidence shows (see the module's docstring), or None while none is clear."""
    suited = {name: [p.strength for p in proofs if p.clean and fits(name, p.lean)] for name, proofs in evidence.items()}
    strengths = {name: statistics.median(values) for name, values in suited.items() if values}
    if not strengths:
        return None
    best = max(strengths, key=strengths.get)
    return best if len(suited[best]) >= reps and strengths[best] >= strength else None


def recognise(exercises: Iterable[Exercise], stream: Iterable[tuple[Pose | None, float]]) -> tuple[Exercise | None, float | None]:
    """(the exercise recognised in a stream of `(pose or None, t)`, the time it was), stopping
    there; (None, None) when none is by the end."""
    recogniser = Recogniser(exercises)
    for pose, t in stream:
        if recogniser.update(pose, t) is not None:
            return recogniser.exercises[recogniser.choice], recogniser.decided_t
    return None, None


def fits(name: str, lean: float) -> bool:
    """Whether a torso leaning `lean` degrees from upright fits the exercise's posture."""
    if math.isnan(lean):
        return True
    return lean >= UPRIGHT if name in LYING else lean < UPRIGHT if name in STANDING else True


class Recogniser:
    """Recognises the exercise of one person's stream of poses among `exercises`."""

    def __init__(self, exercises: Iterable[Exercise], reps: int = REPS, strength: float = STRENGTH):
        self.exercises = {exercise.id: exercise for exercise in exercises}
        self.sessions = {name: Session(exercise) for name, exercise in self.exercises.items()}
        self.min_score = min(e.visibility.min_score for e in self.exercises.values())
        self.evidence: dict[str, list[Proof]] = {name: [] for name in self.exercises}
        self.reps = reps
        self.strength = strength
        self.choice: str | None = None
        self.decided_t: float | None = None  # the frame time of the choice
        self.leans: deque[tuple[float, float]] = deque()  # (t, the torso's lean), as long as a rep may last
        self.longest_rep_s = max(e.count.max_rep_s for e in self.exercises.values())

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
        self.leans.append((t, self.lean(pose)))
        while self.leans[0][0] < t - self.longest_rep_s:
            self.leans.popleft()
        for name, session in self.sessions.items():
            result = session.step(pose, t)
            exercise = self.exercises[name]
            if result.rep is not None:
                span = result.rep.rom_max - result.rep.rom_min
                leans = [lean for lean_t, lean in self.leans if result.rep.start_t <= lean_t <= result.rep.end_t]
                lean = float(np.nanmedian(leans)) if not np.isnan(leans).all() else math.nan
                self.evidence[name].append(Proof(t, span / exercise.count.min_range, result.rep.duration, lean,
                                                  not result.rep.flags))
        self.choice = pick(self.evidence, self.reps, self.strength)
        if self.choice is not None:
            self.decided_t = t
        return self.exercises[self.choice] if self.choice is not None else None

    def lean(self, pose: Pose | None) -> float:
        """The torso's lean from upright in degrees (shoulders' midpoint over the hips'), NaN unseen."""
        if pose is None:
            return math.nan
        xy = gated(pose.keypoints, self.min_score)
        shoulders, hips = mean_seen(*xy[list(SHOULDERS)]), mean_seen(*xy[list(HIPS)])
        return float(inclination(shoulders, hips))
