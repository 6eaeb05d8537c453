"""Form rules -> cues: a rule judged when its phase ends, flags carried to the rep, cooldowns,
the most severe cue of a frame, praise for a clean rep, and how long a cue stays on screen."""

import math

from coach.exercise_library import BUILTIN_DIR
from coach.exercises import load
from coach.feedback import CUE_SHOW_S, Feedback, on_screen
from coach.types import Cue, RepEvent

SQUAT = load(BUILTIN_DIR / "squat.yaml")  # shallow: bottom knee min above 110; lean: lean max above 55


def squat(feedback: Feedback, t: float, knee: float, lean: float = 20.0, rep: RepEvent | None = None):
    """One squat's phases from `t`, 0.1 s apart, with the knee at `knee` and the torso leaning
    `lean` degrees at the bottom; the advice of each frame."""
    frames = [("standing", 170.0, 5.0), ("descending", 140.0, 10.0), ("bottom", knee, lean),
              ("ascending", 140.0, 10.0), ("standing", 170.0, 5.0)]
    return [feedback.update(t + i / 10, phase, {"knee": k, "torso_lean": torso}, rep if i == 4 else None)
            for i, (phase, k, torso) in enumerate(frames)]


def rep(index: int, t: float) -> RepEvent:
    return RepEvent(index, 1, t, t + 0.4, 90.0, 170.0, 0.2, 0.1, 0.1, 100.0, None, 0.9)


def test_a_shallow_bottom_is_said_when_the_bottom_ends_and_flags_its_rep():
    feedback = Feedback(SQUAT)
    advice = squat(feedback, 0.0, knee=125.0, rep=rep(1, 0.0))
    assert [a.cue.rule if a.cue else None for a in advice] == [None, None, None, "shallow", None]
    assert advice[-1].flags == ("shallow",)


def test_a_rule_says_its_cue_once_per_cooldown_but_flags_every_rep():
    feedback = Feedback(SQUAT)  # shallow: cooldown_s 8
    said = [[a.cue.rule for a in squat(feedback, t, knee=125.0, rep=rep(i, t)) if a.cue]
            for i, t in enumerate([0.0, 2.0, 7.0, 8.5], start=1)]
    assert said == [["shallow"], [], [], ["shallow"]]
    assert squat(feedback, 10.0, knee=125.0, rep=rep(5, 10.0))[-1].flags == ("shallow",)


def test_two_rules_at_once_give_one_cue_and_both_flags():
    advice = squat(Feedback(SQUAT), 0.0, knee=125.0, lean=70.0, rep=rep(1, 0.0))
    assert sum(a.cue is not None for a in advice) == 1
    assert set(advice[-1].flags) == {"shallow", "lean"}


def test_a_clean_rep_is_praised_with_its_own_cooldown_and_a_held_one_is_not():
    feedback = Feedback(SQUAT)  # praise: cooldown_s 12
    assert squat(feedback, 0.0, knee=90.0, rep=rep(1, 0.0))[-1].cue.text == "Good squat!"
    assert squat(feedback, 2.0, knee=90.0, rep=rep(2, 2.0))[-1].cue is None
    held = Feedback(SQUAT)
    frames = squat(held, 0.0, knee=90.0)
    assert held.update(0.5, "standing", {"knee": 170.0}, rep(1, 0.0), counted=False).cue is None
    assert all(a.cue is None and a.flags == () for a in frames)


def test_a_cue_stays_on_screen_for_a_while_unless_a_new_one_is_said():
    first = Cue("shallow", "Go deeper", "warning", 10.0)
    later = Cue("praise", "Good rep!", "info", 11.0)
    assert on_screen(None, first, 10.0) is first
    assert on_screen(first, None, 10.0 + CUE_SHOW_S - 0.1) is first
    assert on_screen(first, None, 10.0 + CUE_SHOW_S) is None
    assert on_screen(first, later, 11.0) is later




def test_a_phase_abandoned_out_of_view_gets_no_verdict():
    def shallow_bottom(feedback):
        feedback.update(0.0, "standing", {"knee": 170.0})
        feedback.update(0.1, "descending", {"knee": 150.0})
        feedback.update(0.2, "bottom", {"knee": 125.0})

    seen = Feedback(SQUAT)
    shallow_bottom(seen)
    assert seen.update(0.3, "ascending", {"knee": 130.0}).cue.rule == "shallow"
    lost = Feedback(SQUAT)
    shallow_bottom(lost)
    assert lost.update(1.5, "standing", {"knee": math.nan}, visible=False).cue is None
