"""Several people in view, end to end with the real MultiPose model: each person counted on their
own (`coach analyze --people all`), bystanders who walk through counting nothing, and the label
drawn over each person."""

import json
import subprocess

import cv2
import numpy as np
import pytest

from coach.cli import main

from test_analyze import JSON_KEYS


def analyze_json(capsys, *args) -> dict:
    assert main(["analyze", *map(str, args), "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    return json.loads(line)


@pytest.fixture(scope="module")
def side_by_side(clips_dir, tmp_path_factory):
    """jumping_jacks_11 (landscape) beside jumping_jacks_15 (portrait), both 640 px high at 30 fps:
    two people doing jumping jacks at once. The shorter clip holds its last frame to the end."""
    out = tmp_path_factory.mktemp("composite") / "jacks_11_beside_15.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", clips_dir / "jumping_jacks_11.mp4",
                    "-i", clips_dir / "jumping_jacks_15.mp4", "-filter_complex",
                    "[0:v]scale=-2:640,fps=30[a];[1:v]fps=30[b];[a][b]hstack=inputs=2[v]",
                    "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", out], check=True)
    return out


@pytest.mark.slow
def test_two_people_side_by_side_are_counted_each(side_by_side, tmp_path, capsys):
    overlay = tmp_path / "people.mp4"
    out = analyze_json(capsys, side_by_side, "--exercise", "jumping_jack", "--people", "all", "--out", overlay)
    assert list(out) == [*JSON_KEYS, "people"]  # the single-person keys stay, for the exerciser
    assert sorted(person["reps"] for person in out["people"]) == [11, 15]
    for person in out["people"]:
        assert len(person["reps_detail"]) == person["reps"]
    ids = [person["id"] for person in out["people"]]
    assert len(set(ids)) == 2
    # The exerciser is the first to complete a rep: one of the two, with that person's count.
    assert out["reps"] in (11, 15)
    cap = cv2.VideoCapture(str(overlay))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == int(cv2.VideoCapture(str(side_by_side)).get(cv2.CAP_PROP_FRAME_COUNT))


@pytest.mark.slow
def test_walkers_count_nothing_and_the_man_on_the_box_counts_two(clips_dir, capsys):
    clip = clips_dir / "jumping_jacks_2_multi_person.mp4"
    out = analyze_json(capsys, clip, "--exercise", "jumping_jack", "--people", "all")
    assert out["reps"] == 2
    # The man took the set-up position; the people walking through never did, so they are not
    # listed, and whoever is listed besides him counted nothing.
    counts = sorted(person["reps"] for person in out["people"])
    assert counts[-1] == 2 and sum(counts) == 2
    # --model multipose alone counts the exerciser with the single-person keys.
    single = analyze_json(capsys, clip, "--exercise", "jumping_jack", "--model", "multipose")
    assert list(single) == JSON_KEYS
    assert single["reps"] == 2


@pytest.mark.parametrize("fps", [10, 30, 60])
@pytest.mark.parametrize("hidden_s, same_id", [(1.5, True), (3.0, False)])
def test_a_person_hidden_keeps_their_id_for_two_seconds_at_any_frame_rate(fps, hidden_s, same_id):
    """The tracker's memory is LOST_S seconds whatever the frame rate: a person hidden 1.5 s (by
    someone passing in front) comes back as themselves, one gone 3 s as somebody new."""
    from coach.pose.multipose import Detected
    from coach.tracking import LOST_S, Tracker

    assert 1.5 < LOST_S < 3.0
    tracker = Tracker(frame_rate=fps)
    person = [Detected(pose=None, box=(100.0, 50.0, 220.0, 400.0), score=0.45)]
    ids = []
    for i in range(round((2 + hidden_s + 1) * fps)):
        t = i / fps
        seen = tracker.update(person if not 2 <= t < 2 + hidden_s else [], t)
        ids.extend(seen)
    assert len(set(ids)) == (1 if same_id else 2), ids


def test_the_exerciser_is_who_did_a_rep_first_not_the_lower_id():
    """Two people each do one squat from the set-up position, each counted as it ends: person
    2's squat comes first, so person 2 is the exerciser, not the lower id."""
    from coach.exercise_library import Library
    from coach.people import People
    from coach.pose.multipose import Detected
    from support import reps_signal
    from test_session import squat_pose

    t, one_squat = reps_signal(1, top=175, bottom=80, rest=1.0)
    late = np.concatenate([np.full(len(t), 175.0), one_squat])  # person 1 stands first, then squats
    early = np.concatenate([one_squat, np.full(len(t), 175.0)])
    people = People(Library().get("squat"))
    counted = {}
    for i, (knee_1, knee_2) in enumerate(zip(late, early)):
        found = {1: Detected(squat_pose(knee_1, x0=160), (100, 100, 260, 460), 0.9),
                 2: Detected(squat_pose(knee_2, x0=480), (420, 100, 580, 460), 0.9)}
        for person_id, person in people.update(found, i / 30).items():
            if person.result.rep is not None:
                counted.setdefault(person_id, []).append(person.result.rep.index)
        if counted == {2: [1]}:
            assert people.exerciser == 2
    assert counted == {1: [1], 2: [1]} and not any(people.flush().values())
    assert people.exerciser == 2


@pytest.mark.slow
def test_everyone_in_view_is_a_workout_that_pauses_and_keeps_each_persons_id(clips_dir):
    """Counting everyone in view is a Workout as one person's is (a Crowd in place of its one
    Pipeline): paused from 4.0 s to 7.5 s of jumping_jacks_11, longer than the tracker keeps a
    person unseen (LOST_S), nothing is analysed and the count stays; after Resume the same man,
    under the same id, counts on from where he was."""
    from coach.app.workout import Workout
    from coach.exercise_library import Library
    from coach.pose.multipose import MultiPoseModel
    from coach.sources import read_video
    from coach.tracking import LOST_S

    workout = Workout(MultiPoseModel(), Library().get("jumping_jack"), everyone=True)
    steps = []
    for frame in read_video(clips_dir / "jumping_jacks_11.mp4"):
        if frame.t >= 4.0 and not workout.paused and not steps[-1].paused:
            workout.pause()
        if frame.t >= 4.0 + LOST_S + 1.5 and workout.paused:
            workout.resume()
        steps.append(workout.update(frame))
    workout.finish()
    paused = [step for step in steps if step.paused]
    before = steps[steps.index(paused[0]) - 1].result.reps
    assert paused and {step.result.reps for step in paused} == {before} and before >= 3
    crowd = workout.pipeline
    assert list(crowd.people.pipelines) == [crowd.exerciser]  # one man, one id, before and after the pause
    assert workout.progress.done == crowd.people.reps(crowd.exerciser) >= before + 3
