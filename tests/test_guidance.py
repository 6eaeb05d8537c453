"""The routine's guidance as a state machine on synthetic input: counts and times given by the
test, as a workout would feed them frame by frame."""

from pathlib import Path

import pytest

from coach.exercise_library import Library
from coach.guidance import Guidance, Stage
from coach.routines import parse

EXERCISES = Library(user=Path("/nonexistent")).exercises
ROUTINE = parse("""\
id: two_blocks
name: Two blocks
blocks:
  - exercise: squat
    sets: 2
    reps: 5
    rest_s: 30
  - exercise: plank
    sets: 1
    seconds: 20
""", "two_blocks.yaml", EXERCISES)


def feed(guidance, steps):
    """[(t, done), ...] through update; every guide back."""
    return [guidance.update(t, done) for t, done in steps]


def test_a_two_block_routine_runs_through_sets_rests_and_the_next_exercise():
    guidance = Guidance(ROUTINE, EXERCISES)
    first = guidance.update(0.0, 0)
    assert (first.stage, first.block, first.set, first.headline, first.progress) == (
        Stage.SET, 0, 1, "Set 1 of 2 - 5 squats", "0 of 5")
    assert first.said == ("Two blocks. Set 1 of 2 - 5 squats.",)
    # Reps come (the set gate may bring two at once), "3 to go" is said once.
    guides = feed(guidance, [(2.0, 2), (3.0, 3), (4.0, 3), (5.0, 4)])
    assert [g.progress for g in guides] == ["2 of 5", "3 of 5", "3 of 5", "4 of 5"]
    assert [g.said for g in guides] == [("3 to go",), (), (), ()]
    done = guidance.update(6.0, 5)
    assert (done.stage, done.rest_left_s) == (Stage.REST, 30.0)
    assert done.said == ("Set 1 done. Rest 30 seconds, then set 2 of 2, 5 squats.",)
    assert done.headline == "Rest 0:30 - next: set 2 of 2, 5 squats" and done.coming == "set 2 of 2, 5 squats"
    # A rep during the rest belongs to the set that ended; ten seconds before the end, what comes next.
    resting = feed(guidance, [(10.0, 6), (25.9, 6), (26.0, 6), (35.5, 6)])
    assert [g.stage for g in resting] == [Stage.REST] * 4
    assert resting[0].progress == "6 of 5" and resting[3].headline == "Rest 0:01 - next: set 2 of 2, 5 squats"
    assert [g.said for g in resting] == [(), (), ("10 seconds. Next: set 2 of 2, 5 squats.",), ()]
    second = guidance.update(36.0, 7)  # a rep on the frame the rest ends: still the first set's
    assert (second.stage, second.set, second.progress, second.said) == (
        Stage.SET, 2, "0 of 5", ("Set 2 of 2 - 5 squats. Go.",))
    ended = feed(guidance, [(40.0, 10), (42.0, 12)])[-1]
    assert ended.stage is Stage.REST and ended.said == (
        "Set 2 done. Rest 30 seconds, then plank: set 1 of 1, 20 s plank.",)
    # The rest over, the next block: the plank's workout counts its seconds held from 0, after
    # its own countdown (which says "Go!"), so the guidance names the exercise without a "Go".
    plank = guidance.update(72.0, 12)
    assert (plank.stage, plank.block, plank.set, plank.headline, plank.progress, plank.said) == (
        Stage.SET, 1, 1, "Set 1 of 1 - 20 s plank", "0 of 20 s", ("Plank. Set 1 of 1 - 20 s plank.",))
    holding = feed(guidance, [(80.0, 6.5), (84.0, 10.5), (90.0, 16.0)])
    assert [g.progress for g in holding] == ["6 of 20 s", "10 of 20 s", "16 of 20 s"]
    assert [g.said for g in holding] == [(), ("10 seconds to go",), ()]
    last = guidance.update(94.0, 20.0)
    assert last.stage is Stage.DONE and last.headline == "Routine done: Two blocks"
    assert last.said == ("Set 1 done. Routine done: Two blocks. Well done.",)
    assert guidance.outcome() == [
        {"Exercise": "Squat", "Plan": "2 x 5 squats", "Done per set": "7 + 5", "Against the plan": "12 of 10"},
        {"Exercise": "Plank", "Plan": "1 x 20 s plank", "Done per set": "20 s", "Against the plan": "20 s of 20 s"}]


def test_a_routine_ended_early_says_how_far_it_got_with_the_reps_counted_as_it_closed():
    guidance = Guidance(ROUTINE, EXERCISES)
    feed(guidance, [(0.0, 0), (5.0, 5), (40.0, 5), (45.0, 7)])
    guidance.close(0, 8)  # the workout counted one more rep as it closed (the set gate held it)
    assert guidance.outcome() == [
        {"Exercise": "Squat", "Plan": "2 x 5 squats", "Done per set": "5 + 3", "Against the plan": "8 of 10"},
        {"Exercise": "Plank", "Plan": "1 x 20 s plank", "Done per set": "not started", "Against the plan": "0 s of 20 s"}]


@pytest.mark.parametrize("rest_s, expected", [(0, Stage.SET), (5, Stage.REST)])
def test_no_rest_starts_the_next_set_at_once(rest_s, expected):
    routine = ROUTINE.model_copy(update={"blocks": [ROUTINE.blocks[0].model_copy(update={"rest_s": rest_s})]})
    guidance = Guidance(routine, EXERCISES)
    feed(guidance, [(0.0, 0), (5.0, 5)])
    after = guidance.update(5.1, 5)
    assert after.stage is expected and (after.set == 2) == (expected is Stage.SET)
    if not rest_s:
        assert after.said == ("Set 2 of 2 - 5 squats. Go.",)
