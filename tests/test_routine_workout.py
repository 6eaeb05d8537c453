"""A routine's live workout without a browser: the real model on a shared clip played as a camera
twice over, a Workout per block, the guidance on its counts, each block a history session."""

import pytest

from coach.app.routine_view import arm
from coach.exercise_library import Library
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
        guides = []
        for frame in camera:
            if workout.update(frame) is not None:
                guides.append((frame.t, workout.guide))
        last_id = workout.finish()
        said = [text for _, guide in guides for text in guide.said]
        assert said == [
            "Jacks then anything. Set 1 of 2 - 3 jumping jacks.",
            "Set 1 done. Rest 1 seconds, then set 2 of 2, 3 jumping jacks.",
            "Set 2 of 2 - 3 jumping jacks. Go.",
            "Set 2 done. Rest 1 seconds, then repeated movement: set 1 of 1, 3 repeated movements.",
            "Set 1 of 1 - 3 repeated movements. Go.",
            "Set 1 done. Routine done: Jacks then anything. Well done."]
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
