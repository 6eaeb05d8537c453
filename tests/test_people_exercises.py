"""A different exercise per person (issue 12): `coach analyze --people all --exercise a,b` counts
each person in the exercise they do, on a side-by-side composite of two shared clips with the
real MultiPose model."""

import json
import subprocess

import pytest

from coach.cli import main


@pytest.fixture(scope="module")
def squat_beside_jacks(clips_dir, tmp_path_factory):
    """squat_side_3 (3 squats, seen from the side) beside jumping_jacks_11 (11 jacks, from the
    front), both 360 px high at 30 fps; the shorter clip holds its last frame to the end."""
    out = tmp_path_factory.mktemp("composite") / "squat_3_beside_jacks_11.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", clips_dir / "squat_side_3.mp4",
                    "-i", clips_dir / "jumping_jacks_11.mp4", "-filter_complex",
                    "[0:v]scale=-2:360,fps=30[a];[1:v]scale=-2:360,fps=30[b];[a][b]hstack=inputs=2[v]",
                    "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", out], check=True)
    return out


@pytest.mark.slow
def test_each_person_is_counted_in_the_exercise_they_do(squat_beside_jacks, capsys):
    assert main(["analyze", str(squat_beside_jacks), "--exercise", "squat,jumping_jack", "--people", "all", "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    out = json.loads(line)
    done = sorted((person["exercise"], person["reps"]) for person in out["people"])
    assert done == [("jumping_jack", 11), ("squat", 3)]
    # The exerciser (the first to complete a rep) is reported with their own exercise.
    assert (out["exercise"], out["reps"]) in done


def test_several_exercises_need_every_person_counted(clips_dir, capsys):
    assert main(["analyze", str(clips_dir / "squat_side_3.mp4"), "--exercise", "squat,jumping_jack"]) == 1
    err = capsys.readouterr().err
    assert "coach: error: --exercise squat,jumping_jack: several exercises need --people all" in err
    assert "Traceback" not in err
