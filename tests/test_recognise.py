""""Any exercise": the exercise recognised from the movement (coach.recognise), first on evidence
with known answers, then on synthetic people, real clips and the command line."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from coach.analyze import analyze_poses
from coach.cli import main
from coach.exercise_library import Library
from coach.recognise import REPS, STRENGTH, UPRIGHT, Proof, Recogniser, candidates, pick, recognise
from test_session import squat_knees, squat_pose

LIBRARY = Library()


def proofs(*strengths: float, lean: float = math.nan, clean: bool = True) -> list[Proof]:
    """Reps one a second with these strengths."""
    return [Proof(float(i), s, 1.0, lean, clean) for i, s in enumerate(strengths)]


def test_a_candidate_is_chosen_only_after_enough_clear_reps():
    assert REPS == 2
    assert pick({"squat": proofs(2.0)}) is None  # one rep may be a one-off movement
    assert pick({"squat": proofs(2.0, 2.0)}) == "squat"
    assert STRENGTH > 1.1
    assert pick({"squat": proofs(1.1, 1.1, 1.1)}) is None  # barely past min_range: following another movement
    assert pick({}) is None and pick({"squat": []}) is None


def test_the_clearest_swing_wins_even_with_fewer_reps():
    evidence = {"front_raise": proofs(2.0, 2.0, 2.0, 2.0), "jumping_jack": proofs(3.0, 3.0)}
    assert pick(evidence) == "jumping_jack"
    # And none is chosen while the clearest has too few reps: it may yet be the one.
    assert pick({"front_raise": proofs(2.0, 2.0, 2.0, 2.0), "jumping_jack": proofs(3.0)}) is None


def test_reps_its_form_rules_flag_or_in_a_posture_the_exercise_is_not_done_in_are_no_evidence():
    # Jumping jacks seen by front raises: arms overhead, which front raises flag.
    assert pick({"front_raise": proofs(7.0, 7.0, clean=False), "jumping_jack": proofs(2.5, 2.5)}) == "jumping_jack"
    standing, lying = UPRIGHT / 3, 90.0
    assert pick({"glute_bridge": proofs(4.0, 4.0, lean=standing), "squat": proofs(2.0, 2.0, lean=standing)}) == "squat"
    assert pick({"glute_bridge": proofs(4.0, 4.0, lean=lying), "squat": proofs(2.0, 2.0, lean=lying)}) == "glute_bridge"
    # An exercise the recogniser knows no posture of (a user's own) may be done in any.
    assert pick({"my_exercise": proofs(4.0, 4.0, lean=lying), "squat": proofs(2.0, 2.0, lean=lying)}) == "my_exercise"


def test_auto_and_holds_are_not_candidates():
    ids = {exercise.id for exercise in candidates(LIBRARY)}
    assert "auto" not in ids and "plank" not in ids and "wall_sit" not in ids
    assert {"squat", "push_up", "jumping_jack", "pull_up"} <= ids


def test_side_on_squats_are_recognised_and_counted_from_the_first():
    t, knees = squat_knees(5, 30)
    stream = [(squat_pose(k), ti) for k, ti in zip(knees, t)]
    recogniser = Recogniser(candidates(LIBRARY))
    for pose, ti in stream:
        recogniser.update(pose, ti)
    assert recogniser.choice == "squat"
    assert recogniser.decided_t < t[-1] / 2  # within the first reps
    recogniser.session.finish()
    # The chosen session has counted from the first frame: the count is the squat's own.
    assert recogniser.session.gate.reps == analyze_poses(LIBRARY.get("squat"), stream).count == 5


def test_standing_still_is_no_exercise():
    rng = np.random.default_rng(0)
    t = np.arange(0, 10, 1 / 30)
    jitter = [(squat_pose(175 + rng.normal(0, 2)), ti) for ti in t]
    assert recognise(candidates(LIBRARY), jitter) == (None, None)


# The real clips of one exercise the recogniser must tell from the rest of the library.
CLIPS = ["squat_side_3.mp4", "pushup_dumbbell_6.mp4", "pushup_side_30.mp4"]


@pytest.mark.parametrize("clip", CLIPS)
def test_real_clips_are_recognised_and_counted_as_labelled(clips_dir, clip_poses, clip):
    row = pd.read_csv(clips_dir / "labels.csv").set_index("file").loc[clip]
    poses = clip_poses(clip, "lightning")
    exercise, decided_t = recognise(candidates(LIBRARY), poses)
    assert exercise is not None and exercise.id == row.exercise, f"{clip}: recognised {exercise and exercise.id}"
    assert analyze_poses(exercise, poses).count == row.reps


def test_analyze_any_says_what_it_recognised_and_counts_from_the_start(clips_dir, capsys):
    clip = clips_dir / "squat_side_3.mp4"
    assert main(["analyze", str(clip), "--exercise", "any"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("squat_side_3.mp4: recognised squat at ")
    assert out[1].startswith("squat_side_3.mp4: 3 squat reps in 1 set")


def test_analyze_any_takes_no_other_exercise(capsys):
    assert main(["analyze", "x.mp4", "--exercise", "any,squat"]) == 1
    assert capsys.readouterr().err.strip() == \
        "coach: error: --exercise any recognises one person's exercise: it takes no other exercise and no --people all"
