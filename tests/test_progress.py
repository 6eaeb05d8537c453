"""coach.progress: a count of reps and a time held behind one interface, each worded as the live
page, its voice and End workout say it (no ../shared needed)."""

import inspect

from coach import progress
from coach.exercise_library import BUILTIN_DIR
from coach.exercises import load
from coach.progress import Progress, RepCount, TimeHeld

SQUAT = load(BUILTIN_DIR / "squat.yaml")
PLANK = load(BUILTIN_DIR / "plank.yaml")


def test_a_count_and_a_time_held_each_have_every_member_of_the_interface():
    members = {name for name in dir(Progress) if not name.startswith("_")}
    assert members == {"done", "target", "sets", "figure", "label", "unit", "phase_words", "meter", "banner",
                       "spoken", "words", "beside"}
    for made in (RepCount(3, 1), TimeHeld(12.6, 40.2, 30.0, 2)):
        for name in members:
            assert hasattr(made, name), (made, name)
            if inspect.isfunction(getattr(Progress, name)):
                assert callable(getattr(made, name))


def test_reps_are_worded_as_a_count():
    reps = RepCount(3, 1)
    assert (reps.done, reps.target, reps.figure, reps.label, reps.unit) == (3, None, 3, "Reps", "")
    assert reps.phase_words("going_down") == "going down"
    assert reps.meter("knee") == ("Range of motion", "knee")
    assert (RepCount(0, 0).banner("Squat"), reps.banner("Squat")) == ("Ready: start when you like.", "Counting.")
    assert (reps.spoken(), RepCount(1, 1).words("Squat")) == ("3 reps", "1 squat rep")
    assert reps.beside(RepCount(5, 2)) == ("Reps", 3, -2) and reps.beside(None) == ("Reps", 3, None)


def test_a_hold_is_worded_as_time_towards_its_target():
    held = TimeHeld(12.6, 40.2, 30.0, 2)
    assert (held.done, held.target, held.figure, held.unit) == (40.2, 30.0, 12, "seconds held")
    assert held.label == "Seconds held (target 30 s)" and held.meter("body_line") == ("Time to the target", "30 s")
    assert held.phase_words("holding") == "holding" and TimeHeld(0.0, 0.0, 30.0, 0).phase_words("resting") == "get into position"
    assert TimeHeld(0.0, 21.0, 30.0, 1).banner("Plank") == "Get into position for set 2: the timer starts when you hold the plank."
    assert held.banner("Plank") == "Holding: 17 s to the target."
    assert TimeHeld(31.0, 31.0, 30.0, 1).banner("Plank") == "Target reached: hold on, or rest."
    assert (held.spoken(), held.words("Plank")) == ("40 seconds held", "plank: 40.2 s held")
    assert held.beside(TimeHeld(0.0, 42.4, 30.0, 1)) == ("Held", "40.2 s", "-2.2 s")


def test_an_exercise_starts_from_nothing_of_its_kind():
    assert progress.of(SQUAT) == RepCount(0, 0) and progress.of(SQUAT, reps=4, sets=1) == RepCount(4, 1)
    assert progress.of(PLANK) == TimeHeld(0.0, 0.0, PLANK.hold.target_s, 0)
    assert progress.of(PLANK, held_s=42.4).words(PLANK.name) == "plank: 42.4 s held"


def test_a_frame_result_made_without_one_counts_its_reps():
    from coach.types import FrameResult

    assert FrameResult(0.0, None, {}, "standing", 4, 2, True).progress == RepCount(4, 2)
