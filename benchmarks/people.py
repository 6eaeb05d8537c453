"""Several people: single-pose Lightning against MultiPose, end to end, speed and counts, one run.

For each clip: frames per second of the whole count (decode, pose, tracking, sessions) with the
default single-pose path (`analyze_video`, crop tracking) and with MultiPose and one session per
tracked person (`analyze_people`), the median of `--repeats` runs each, their ratio, and the reps
each way counts (single-pose: the one person it follows; MultiPose: the exerciser and each person).
The composite is jumping_jacks_11 beside jumping_jacks_15 (ffmpeg hstack into a temporary folder).

    .venv/bin/python benchmarks/people.py [--repeats 3]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from coach.analyze import analyze_video
from coach.exercise_library import Library
from coach.people_video import analyze_people
from coach.pose import load_model
from coach.pose.multipose import MultiPoseModel
from coach.sources import read_video

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"


def side_by_side(folder: Path) -> Path:
    out = folder / "jacks_11_beside_15.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", CLIPS / "jumping_jacks_11.mp4", "-i", CLIPS / "jumping_jacks_15.mp4",
                    "-filter_complex", "[0:v]scale=-2:640,fps=30[a];[1:v]fps=30[b];[a][b]hstack=inputs=2[v]",
                    "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", out], check=True)
    return out


def timed(run, frames: int, repeats: int):
    """(median frames per second, the last run's result) of `run()` over a clip of `frames`."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        rates.append(frames / (time.perf_counter() - start))
    return statistics.median(rates), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    exercise = Library().get("jumping_jack")
    single, multi = load_model("lightning"), MultiPoseModel()
    with tempfile.TemporaryDirectory() as tmp:
        clips = {"jumping_jacks_2_multi_person (2, the man only)": CLIPS / "jumping_jacks_2_multi_person.mp4",
                 "jacks 11 beside 15 (11 and 15)": side_by_side(Path(tmp))}
        print(f"{'clip':50} {'single fps':>10} {'multi fps':>10} {'ratio':>6}  single reps  multipose reps (exerciser; each person)")
        for label, clip in clips.items():
            def one():
                return analyze_video(clip, exercise, single).count

            def several():
                exerciser, people = analyze_people(clip, exercise, multi)
                return exerciser.count, {i: a.count for i, a in people.items()}

            frames = len(read_video(clip))
            single_fps, single_reps = timed(one, frames, args.repeats)
            multi_fps, (exerciser_reps, each) = timed(several, frames, args.repeats)
            print(f"{label:50} {single_fps:10.1f} {multi_fps:10.1f} {multi_fps / single_fps:6.2f}  "
                  f"{single_reps:11d}  {exerciser_reps}; {each}")


if __name__ == "__main__":
    main()
