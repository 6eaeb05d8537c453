"""A routine's live workout without a browser: the real model on a shared clip played as a camera
twice over, a Workout per block (each counting down 3-2-1 before it counts, as on the page), the
guidance on its counts, each block a history session."""

import pytest

from coach.app.routine_view import arm
from coach.exercise_library import Library
from coach.guidance import Stage
from coach.pose import load_model
from coach.routines import parse
from coach.sources import read_video
from coach.store import Store
from coach.types import Frame

ROUTINE = """\
id: jacks_then_anything
name: Jacks then anything
blocks:
  - exercise: jumping_jack
    sets: 2
    reps: 3
    rest_s: 1
  - exercise: auto
    reps: 3
"""


@pytest.fixture(scope="module")
def camera(clips_dir):
    """jumping_jacks_11.mp4 twice, one stream clock, as a looping fake camera plays it."""
    frames = list(read_video(clips_dir / "jumping_jacks_11.mp4"))
    lap = frames[-1].t + (frames[-1].t - frames[-2].t)
    return [Frame(f.image, f.t + n * lap, n * len(frames) + f.index) for n in range(2) for f in frames]


def test_a_two_block_routine_counts_rests_and_starts_the_next_exercise(camera, tmp_path):
    library = Library()
    routine = parse(ROUTINE, "jacks_then_anything.yaml", library.exercises)
    with Store.open(tmp_path / "coach.db") as store:
        workout = arm(load_model("lightning-int8"), library, store, routine, "ann")
        guides, countdowns = [], [[], []]
        for frame in camera:
            if (step := workout.update(frame)) is not None:
                guides.append((frame.t, workout.guide))
                if step.countdown is not None and step.countdown not in countdowns[workout.block]:
                    countdowns[workout.block].append(step.countdown)
        last_id = workout.finish()
        said = [text for _, guide in guides for text in guide.said]
        assert said == [
            "Jacks then anything. Set 1 of 2 - 3 jumping jacks.",
            "Set 1 done. Rest 1 seconds, then set 2 of 2, 3 jumping jacks.",
            "Set 2 of 2 - 3 jumping jacks. Go.",
            "Set 2 done. Rest 1 seconds, then repeated movement: set 1 of 1, 3 repeated movements.",
            "Repeated movement. Set 1 of 1 - 3 repeated movements.",
            "Set 1 done. Routine done: Jacks then anything. Well done."]
        # Each exercise counts down before it counts, the first after START, the next after its rest.
        assert countdowns == [[3, 2, 1], [3, 2, 1]]
        # The rest lasts its second of stream time, then the next exercise counts from 0.
        rest = [t for t, g in guides if g.stage.value == "rest" and g.block == 0 and g.set == 2]
        auto = [(t, g) for t, g in guides if g.block == 1]
        assert auto[0][0] - rest[0] == pytest.approx(1.0, abs=0.05) and auto[0][1].progress == "0 of 3"
        assert workout.exercise.id == "auto" and workout.sessions[-1] == last_id
        sessions = store.sessions().sort_values("id")
        assert list(sessions["exercise"]) == ["jumping_jack", "auto"]
        assert list(sessions["routine"]) == ["jacks_then_anything"] * 2
        assert list(sessions["status"]) == ["complete", "complete"]
        rows = workout.guidance.outcome()
        assert [r["Exercise"] for r in rows] == ["Jumping jack", "Repeated movement"]
        jacks = [int(n) for n in rows[0]["Done per set"].split(" + ")]
        assert len(jacks) == 2 and min(jacks) >= 3 and sum(jacks) == sessions["reps"].iloc[0]


def test_a_pause_in_a_rest_stops_its_clock_and_the_next_set_starts_the_rest_s_after_it_less_the_pause(camera):
    """Paused for 3 s of a 4 s rest: the rest shows the same time left all along the pause, and
    the next set starts 4 s of unpaused stream time after the rest began."""
    library = Library()
    routine = parse(ROUTINE.replace("rest_s: 1", "rest_s: 4"), "jacks_then_anything.yaml", library.exercises)
    workout = arm(load_model("lightning-int8"), library, None, routine, "ann")
    frames = iter(camera)
    rest_began = paused_at = None
    during_pause = []
    for frame in frames:
        if workout.update(frame) is None:
            continue
        guide = workout.guide
        if rest_began is None and guide.stage is Stage.REST:
            rest_began, paused_at = frame.t, frame.t + 0.5
        elif paused_at is not None and frame.t >= paused_at and not workout.paused and not during_pause:
            workout.pause()
        elif workout.paused:
            during_pause.append((frame.t, guide.stage, guide.rest_left_s, workout.progress.done))
            if frame.t - during_pause[0][0] >= 3.0:
                workout.resume()
        elif guide.stage is Stage.SET and rest_began is not None:
            next_set = frame.t
            break
    assert rest_began is not None and during_pause, "no rest, or no pause in it"
    paused_s = during_pause[-1][0] - during_pause[0][0]
    assert {stage for _, stage, _, _ in during_pause} == {Stage.REST}
    assert len({left for _, _, left, _ in during_pause}) == 1  # the clock stands still
    assert len({reps for _, _, _, reps in during_pause}) == 1  # and nothing is counted
    frame_s = camera[1].t - camera[0].t
    assert next_set - rest_began == pytest.approx(4.0 + paused_s, abs=2.5 * frame_s)
