"""Rep-count accuracy on the 69 labelled RepCount series in ../shared/data/repcount, by exercise and
overall, beside the plain two-threshold rule of Ultralytics' AIGym computed here on the same data.

    .venv/bin/python benchmarks/repcount.py [--fps 30] [--csv out.csv]

MAE is mean |predicted - true| / true (a series with 0 true reps counts |predicted| instead of
dividing by zero); OBO is the share of series within one rep. Each series goes frame by frame
through coach's Session exactly as a live camera would (30 fps, as RepCount's README advises).

The baseline is AIGym's rule as Ultralytics ships it: one joint angle from three keypoints of one
side, no smoothing, no score gate; a rep counts when the angle, having been above `up`, drops under
`down`. The angles and thresholds below are AIGym's defaults (right shoulder-elbow-wrist, 145/90)
where they fit, and the obvious joint for the others.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.exercises import Library  # noqa: E402
from coach.kinematics import angle  # noqa: E402
from coach.keypoints import KeypointSeries  # noqa: E402
from coach.session import run  # noqa: E402

SHARED = Path(os.environ.get("COACH_SHARED_DIR", ROOT.parent / "shared"))

# AIGym: (keypoint indices a, b, c of the angle at b, up, down).
AIGYM = {
    "push_up": ((6, 8, 10), 145, 90),
    "pull_up": ((6, 8, 10), 145, 90),
    "bench_press": ((6, 8, 10), 145, 90),
    "squat": ((12, 14, 16), 145, 90),
    "sit_up": ((6, 12, 14), 145, 90),
    # Arms: hip-shoulder-elbow opens from ~20 to ~160 degrees (jumping jack), hip-shoulder-wrist to ~90.
    "jumping_jack": ((12, 6, 8), 120, 60),
    "front_raise": ((12, 6, 10), 70, 40),
}


def aigym_count(series: np.ndarray, exercise: str) -> int:
    """Ultralytics AIGym's counter on one series of MoveNet (y, x, score) keypoints."""
    (a, b, c), up, down = AIGYM[exercise]
    xy = series[:, :, 1::-1].astype(np.float64)  # (x, y), as AIGym reads them
    angles = angle(xy[:, a], xy[:, b], xy[:, c])
    count, stage = 0, None
    for value in angles:
        if value > up:
            stage = "up"
        if value < down and stage == "up":
            stage = "down"
            count += 1
    return count


def score(frame: pd.DataFrame, column: str) -> tuple[float, float]:
    error = (frame[column] - frame["reps"]).abs()
    return float((error / frame["reps"].clip(lower=1)).mean()), float((error <= 1).mean())


def evaluate(folder: Path, fps: float = 30.0) -> pd.DataFrame:
    """One row per series: name, exercise, true reps, ours, baseline."""
    labels = pd.read_csv(folder / "labels.csv")
    library = Library()
    rows = []
    for row in labels.itertuples():
        series = np.load(folder / f"{row.name}.npy")
        times = np.arange(len(series)) / fps
        ours = run(library.get(row.exercise), KeypointSeries.from_movenet(series, times).poses()).count
        rows.append({"name": row.name, "exercise": row.exercise, "frames": len(series), "reps": row.reps, "ours": ours,
                     "aigym": aigym_count(series, row.exercise)})
    return pd.DataFrame(rows)


def table(results: pd.DataFrame) -> pd.DataFrame:
    out = []
    for name, group in [*results.groupby("exercise"), ("overall", results)]:
        mae, obo = score(group, "ours")
        base_mae, base_obo = score(group, "aigym")
        out.append({"exercise": name, "series": len(group), "MAE": mae, "OBO": obo,
                    "AIGym MAE": base_mae, "AIGym OBO": base_obo})
    return pd.DataFrame(out).set_index("exercise")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--csv", help="also write the per-series counts here")
    args = parser.parse_args()
    folder = SHARED / "data" / "repcount"
    if not (folder / "labels.csv").exists():
        print(f"{folder} is missing: the benchmark reads ../shared in place", file=sys.stderr)
        return 1
    start = time.perf_counter()
    results = evaluate(folder, args.fps)
    elapsed = time.perf_counter() - start
    if args.csv:
        results.to_csv(args.csv, index=False)
    print(table(results).to_string(float_format=lambda x: f"{x:.3f}"))
    frames = int(results["frames"].sum())
    print(f"\n{len(results)} series, {frames} frames at {args.fps:g} fps, in {elapsed:.1f} s "
          f"({1e6 * elapsed / frames:.0f} us a frame for both counters)")
    exact = results[results["ours"] == results["reps"]]
    print(f"exact: {len(exact)} of {len(results)}; zero-rep series predicted as "
          f"{results.loc[results['reps'] == 0, 'ours'].tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
