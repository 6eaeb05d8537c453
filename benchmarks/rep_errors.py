"""Where the counter's errors are: each counted rep of the 69 RepCount series set against the
labelled reps' start and end frames (`rep_bounds` in ../shared/data/repcount/labels.csv), each
extra or missing rep put in a class, and whether a counted rep outside the labelled reps can be
told from one inside by its range, its time, its start pose or the pose's jumps.

    .venv/bin/python benchmarks/rep_errors.py [--factors 1.25,1,1] [--csv classes.csv]

Each series goes once through coach's Session (benchmarks/repcount.py's `counted`), and the
counters' recorded input is replayed with the definitions scaled by `--factors` (depth,
min_rep_s, set_gap_s; 1.25,1,1 is what each source chose on its own in December 2026). A counted
rep is inside a labelled rep when they overlap by 30% of the shorter. The classes:
- extra: before the first labelled rep, between two labelled reps, after the last (`edge` where
  it ends within 1.5 s of the clip's end: a rep the labeller did not count as the clip stops),
  or more than one counted rep within one labelled rep (a wobble when one swung under half the
  other's range, else two alike swings);
- missing: pose missing (the drive seen on under 70% of the frames, or the swing dropped as not
  seen), merged (a counted rep over two labelled reps), dropped as too small, short or long,
  dropped as outside a set, the first or last labelled rep (edge), or never deep enough.
Each series' |count - label| / label is shared among the classes in its direction (an
over-count among the extra classes), so the shares add up to the MAE.

Measured (December 2026, main at 959323c, factors 1.25,1,1: MAE 0.157):

| class | reps | series | MAE share |
|---|---|---|---|
| missing: dropped too small, short or long | 27 | 14 | 0.028 |
| missing: merged, two labelled reps counted as one | 51 | 19 | 0.025 |
| missing: pose missing | 33 | 8 | 0.022 |
| extra: two alike swings in one labelled rep | 11 | 6 | 0.015 |
| extra: edge, after the last labelled rep at the clip's end | 9 | 9 | 0.015 |
| extra: between labelled reps / after the set / before the set | 14 / 6 / 14 | 9 / 5 / 11 | 0.010 / 0.009 / 0.009 |
| missing: never deep enough | 15 | 5 | 0.008 |
| extra: a wobble counted as a second rep | 2 | 2 | 0.008 |
| missing: edge, the first or last labelled rep | 4 | 4 | 0.006 |
| missing: dropped as outside a set | 1 | 1 | 0.001 |

Motion outside the set (before, between, after) is 34 reps and 0.028 of the MAE. Of the counted
reps with 3 others before them within 10 s, 23 are outside a labelled rep and 736 inside; each
threshold catches (outside / inside):
- range over the 3 reps' largest: > 1.5: 0 / 10; > 2: 0 / 4;
- time over their longest: > 1.5: 1 / 21; > 2: 1 / 11;
- start pose (17 keypoints, in the body's box) from theirs: > 0.15: 7 / 66; > 0.3: 4 / 28;
- keypoints jumping from frame to frame, over the series' usual: > 1.5: 8 / 108; > 2: 5 / 46.
None tells them apart: the reps outside the labelled ones move like the set's.

Countix has no rep bounds. Its 17 worst series (78% of its error; each 0.375 or more), classed by plotting
them, as shares of its MAE (0.251):
- pose missing or jumping (squat032, bench_pressing36, bench_pressing23, push_up029, squat017): 0.067;
- lunges not paired as labelled, with cuts (lunge17, lunge10): 0.029;
- motion outside the set: getting on and off the bar, standing before getting down, into and out
  of a held squat (pull_up017, push_up035, squat033): 0.022;
- a wobble at the far end counted as a rep (sit_up025, 8 for 4): 0.015;
- a drive that barely moves while the body does (push_up024, elbow 150-178 degrees): 0.015;
- a cut after which the range collapses (sit_up022): 0.009;
- half reps at the clip's edges (sit_up028): 0.007;
- not clear from the plots (front_raises066, lunge3, push_up022): 0.033.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from repcount import SHARED, counted, definition, scaled  # noqa: E402

from coach.counting import NOT_SEEN, SetGate  # noqa: E402
from coach.drives import Drives  # noqa: E402
from coach.keypoints import KeypointSeries  # noqa: E402

FPS = 30.0
MIN_SEEN = 0.7  # share of a labelled rep's frames with the drive seen, under which the pose is missing


def series_reps(job) -> dict:
    """One series replayed: its counted reps, the counter's rejections (time, why), the gate's
    dropped reps, the drive's times and whether it was seen, and the keypoints."""
    folder, name, exercise_id, reps, bounds, factors = job
    keypoints = np.load(folder / f"{name}.npy")
    exercise = definition(folder, exercise_id)
    _, samples = counted(exercise, KeypointSeries.from_movenet(keypoints, np.arange(len(keypoints)) / FPS))
    exercise = scaled(exercise, factors)
    drives, gate = Drives(exercise), SetGate(exercise.count)
    out = dict(name=name, exercise=exercise_id, reps=reps, bounds=bounds, counted=[], rejected=[], dropped=[],
               times=[], seen=[], keypoints=keypoints)
    t = 0.0
    for frame in samples:
        sample = frame[drives.drive]
        t = sample.t
        count = drives.update(frame)
        out["times"].append(t)
        out["seen"].append(sample.visible and not np.isnan(sample.value))
        if count.rejected:
            out["rejected"].append((t, count.rejected))
        rep = gate.update(count.rep, t)
        if rep is not None:
            out["counted"].append(rep)
        if gate.dropped is not None:
            out["dropped"].append(gate.dropped)
    out["counted"] += gate.finish(t)
    return out


def overlaps(bounds, rep) -> list[int]:
    """The labelled reps that `rep` overlaps by 30% of the shorter of the two."""
    return [i for i, (a, b) in enumerate(bounds)
            if min(b, rep.end_t) - max(a, rep.start_t) > 0.3 * min(b - a, rep.end_t - rep.start_t)]


def classes(series: dict) -> collections.Counter:
    """Each extra and missing rep of one series by class (extra classes start with +, missing with -)."""
    bounds, reps = series["bounds"], series["counted"]
    times, seen = np.array(series["times"]), np.array(series["seen"])
    out, used = collections.Counter(), collections.defaultdict(list)
    for rep in reps:
        inside = overlaps(bounds, rep)
        for i in inside:
            used[i].append(rep)
        if inside:
            continue
        if rep.start_t >= bounds[-1][1] - 0.5:
            out["+edge: after the last labelled rep, at the clip's end" if times[-1] - rep.end_t < 1.5 else "+after the set"] += 1
        elif rep.end_t <= bounds[0][0] + 0.5:
            out["+before the set"] += 1
        else:
            out["+between labelled reps"] += 1
    for on in used.values():
        # More than one counted rep within one labelled rep: a wobble when one swung under half
        # the other's range, else two swings alike (the label counts a cycle of two, or missed one).
        alone = [r.rom_max - r.rom_min for r in on if len(overlaps(bounds, r)) == 1]
        if len(alone) > 1:
            wobble = min(alone) < 0.5 * max(alone)
            out["+a wobble counted as a second rep" if wobble else "+two alike swings in one labelled rep"] += len(alone) - 1
    for rep in reps:
        # One counted rep over labelled reps that no other counted rep covers: they merged, or
        # the pose was missing between them.
        merged = max(0, sum(len(used[i]) == 1 for i in overlaps(bounds, rep)) - 1)
        frames = (times >= rep.start_t) & (times <= rep.end_t)
        out["-pose missing" if seen[frames].mean() < MIN_SEEN else "-merged: two labelled reps counted as one"] += merged
    for i, (a, b) in enumerate(bounds):
        if i in used:
            continue
        frames = (times >= a) & (times <= b)
        why = {w for t, w in series["rejected"] if a - 0.5 <= t <= b + 1.0}
        if seen[frames].mean() < MIN_SEEN or NOT_SEEN in why:
            out["-pose missing"] += 1
        elif any(r.start_t <= b and r.end_t >= a for r in reps):
            out["-merged: two labelled reps counted as one"] += 1
        elif why:
            out["-dropped: too small, short or long"] += 1
        elif any(a - 1 <= r.start_t <= b + 1 for r in series["dropped"]):
            out["-dropped: outside a set"] += 1
        elif i in (0, len(bounds) - 1):
            out["-edge: the first or last labelled rep"] += 1
        else:
            out["-never deep enough"] += 1
    return out


def pose_at(keypoints: np.ndarray, t: float, around_s: float = 0.2) -> np.ndarray:
    """The median pose (17 x (y, x), already in the body's box) over `around_s` either side of `t`."""
    part = keypoints[int(max(0, (t - around_s) * FPS)):int((t + around_s) * FPS) + 1]
    if not len(part) or not (part[:, :, 2] > 0).any():
        return np.full((17, 2), np.nan)
    return np.nanmedian(np.where(part[:, :, 2:] > 0, part[:, :, :2], np.nan), axis=0)


def features(series: dict) -> list[dict]:
    """Each counted rep after 3 others within 10 s: inside a labelled rep or not; its range, time
    and start pose against those 3; and how much its keypoints jump from frame to frame (the
    median over the rep of their mean move, over the series' median)."""
    rows, reps, keypoints = [], series["counted"], series["keypoints"]
    seen = keypoints[:, 0, 2] > 0
    moves = np.linalg.norm(np.diff(keypoints[:, :, :2], axis=0), axis=2).mean(axis=1)
    moves = np.where(seen[1:] & seen[:-1], moves, np.nan)
    for k in range(3, len(reps)):
        rep, before = reps[k], [r for r in reps[k - 3:k] if reps[k].start_t - r.end_t < 10]
        if len(before) < 3:
            continue
        pose = pose_at(series["keypoints"], rep.start_t)
        distance = np.nanmedian([np.nanmean(np.linalg.norm(pose - pose_at(series["keypoints"], r.start_t), axis=1))
                                 for r in before])
        rows.append(dict(inside=bool(overlaps(series["bounds"], rep)),
                         range=(rep.rom_max - rep.rom_min) / max(r.rom_max - r.rom_min for r in before),
                         time=rep.duration / max(r.duration for r in before), pose=distance,
                         jumps=np.nanmedian(moves[int(rep.start_t * FPS):int(rep.end_t * FPS) + 1]) / np.nanmedian(moves)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", default="1.25,1,1", help="depth, min_rep_s and set_gap_s factors (default 1.25,1,1)")
    parser.add_argument("--csv", help="also write each series' classes here")
    args = parser.parse_args()
    factors = tuple(float(x) for x in args.factors.split(","))
    folder = SHARED / "data" / "repcount"
    labels = pd.read_csv(folder / "labels.csv")
    jobs = []
    for row in labels.itertuples():
        frames = [int(x) for x in str(row.rep_bounds).split()] if isinstance(row.rep_bounds, str) else []
        bounds = [(frames[i] / FPS, frames[i + 1] / FPS) for i in range(0, len(frames), 2)]
        jobs.append((folder, row.name, row.exercise, row.reps, bounds, factors))
    with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(series_reps, jobs))

    rows, shares, reps = [], collections.Counter(), collections.Counter()
    for series in results:
        error = len(series["counted"]) - series["reps"]
        found = classes(series) if series["bounds"] else collections.Counter()
        rows.append(dict(name=series["name"], exercise=series["exercise"], reps=series["reps"],
                         counted=len(series["counted"]), **found))
        reps.update(found)
        direction = [k for k in found if found[k] and (k[0] == "+") == (error > 0)]
        for k in direction:
            shares[k] += abs(error) / max(series["reps"], 1) * found[k] / sum(found[k] for k in direction)
        if error and not direction:
            shares["unexplained"] += abs(error) / max(series["reps"], 1)
    frame = pd.DataFrame(rows).fillna(0)
    n = len(frame)
    print(f"RepCount, factors {args.factors}: MAE {sum(shares.values()) / n:.3f} over {n} series; by class:")
    print(pd.DataFrame([dict(cls=k, reps=reps.get(k, 0), series=int((frame[k] > 0).sum()) if k in frame else 0,
                             mae=v / n) for k, v in shares.most_common()]).to_string(index=False, float_format="{:.3f}".format))

    reps_after = pd.DataFrame([row for series in results if series["bounds"] for row in features(series)])
    print(f"\nCounted reps after 3 others: {int((~reps_after.inside).sum())} outside a labelled rep, "
          f"{int(reps_after.inside.sum())} inside; outside caught / inside lost by each threshold:")
    for name, thresholds in (("range", (1.5, 2)), ("time", (1.5, 2)), ("pose", (0.15, 0.3)), ("jumps", (1.5, 2))):
        print(f"  {name}: " + "; ".join(f"> {th}: {int(((reps_after[name] > th) & ~reps_after.inside).sum())} / "
                                        f"{int(((reps_after[name] > th) & reps_after.inside).sum())}" for th in thresholds))
    if args.csv:
        frame.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
