"""How well "Any exercise" recognises the exercise, on both labelled sources in ../shared/data
(repcount, 69 series; countix, 68): the share recognised right by exercise and overall, when
(seconds into the series), and the count's MAE with the recognised definition beside the count
with the given one.

    .venv/bin/python benchmarks/recognise.py [--fps 30] [--evidence runs.pickle]

Each series goes once through coach.recognise.Recogniser with every candidate counting to the
end; each candidate's reps (their times and ranges) and the poses are kept (--evidence keeps
them in a file). The body's features over the window at each moment a rep was counted (as
coach.recognise.Body reads them) are then computed from the poses, and the decision,
coach.recognise.classify with the REPS gate, replayed on them for each set of thresholds in
GRID: neither a new feature nor the thresholds cost a new run of the candidates (the replay
takes about 2 minutes, most of it the grid). Honest figures: the shipped thresholds
(coach.recognise.Limits, round numbers read off what each feature means) on both sources, then
the thresholds best on one source (most right, then lowest MAE) scored on the other, both ways.
A series where nothing is recognised counts 0 and is wrong. Loading and scoring come from
benchmarks/repcount.py.

Measured here (2 shared cores, 15 fps, 330 s for the 137 series), share right per exercise.
"main" is 959323c; "now" adds two rules, each found in the confusion on one source and changing
nothing on the other: a pull-up read from the hands staying over the shoulders needs them over
the head at times (Limits.reach_up: lunges with the hands clasped at the chin had read as
pull-ups), and a jumping jack needs the feet opening as the hands rise (feet_with_hands over
in_step: a sit-up's set-up, the arms going overhead as the feet came together, had read as
jumping jacks). Each source is scored with the shipped thresholds, then with those best on the
other source: chosen on repcount (hanging 0.6), countix scores the same 0.735; chosen on countix
(hips_travel 0.07, uneven 0.7), repcount scores 0.739.

| exercise | repcount main | now | from countix's | countix main | now | from repcount's |
|---|---|---|---|---|---|---|
| bench_press | 0.60 | 0.60 | 0.60 | 0.38 | 0.38 | 0.38 |
| front_raise | 0.71 | 0.71 | 0.57 | 0.87 | 0.87 | 0.87 |
| jumping_jack | 0.88 | 0.88 | 0.88 | | | |
| lunge | | | | 0.64 | 0.73 | 0.73 |
| pull_up | 0.70 | 0.70 | 0.70 | 0.80 | 0.80 | 0.80 |
| push_up | 1.00 | 1.00 | 1.00 | 0.78 | 0.78 | 0.78 |
| sit_up | 0.75 | 0.83 | 0.83 | 0.78 | 0.78 | 0.78 |
| squat | 0.60 | 0.60 | 0.60 | 0.73 | 0.73 | 0.73 |
| overall | 0.739 | 0.754 | 0.739 | 0.721 | 0.735 | 0.735 |
| decided at, median s | 4.8 | 4.9 | 4.8 | 6.8 | 6.8 | 6.8 |
| count's MAE, recognised definition | 0.236 | 0.236 | 0.250 | 0.380 | 0.385 | 0.385 |
| count's MAE, given definition | 0.170 | 0.170 | 0.170 | 0.331 | 0.331 | 0.331 |

Two other ways to decide, replayed on the same evidence with the shipped thresholds (the last
lines the benchmark prints), and not kept:
- re-deciding until the set's third rep (`redecided`: the choice changes to what the body shows
  at a later read until the chosen definition has counted REPS + 1 reps): repcount 0.754,
  countix 0.735, the same decision as deciding at once on every series (before the two rules
  above it won stu3_31 on repcount, 0.739 -> 0.754, and nothing on countix);
- scoring each candidate by how rep-like its own reps are (`by_rhythm`: how many over the
  window, times how regular their period and range), times the share of the window's reads
  in which the body showed it, chosen when ahead of the next by a margin and re-decided until
  its third rep: repcount 0.725 (margin 1, chosen on countix), countix 0.706 (margin 2, chosen
  on repcount), worse on both. Among look-alikes alone (a squat and a lunge; a raise, a curl
  and a press; a pull-up and a jumping jack; the lying three) the most rep-like candidate is
  the labelled one in only 40 of 65 repcount series and 29 of 59 countix series (their first
  10 s; counting the reps alone, 42 and 32), far under what
  the body's features get: definitions of look-alike movements count the same reps as
  regularly, so how rep-like a candidate's reps are says little about which it is. Choosing
  a look-alike whose definition has counted reps when the one the body shows has counted none
  won lunge14 (and sit_up019) on countix but took look-alikes at the first reads elsewhere
  (with 3 or 4 of its reps needed: repcount 0.64-0.70, countix 0.69-0.72; a replay not kept
  here): also not kept.
A learned classifier over these features was not tried: trained on one source and scored on the
other, it cannot name the exercises the other alone has (countix has no jumping jacks, 16 of
repcount's 69; repcount no lunges, 11 of countix's 68), which caps it at 0.77 on repcount; and
neither source allows shipping what is learned from it (countix states no licence and ../shared
says to ship nothing trained on it; repcount's series state none either).

Since then (Dec 2026, main at 21c476c, the evidence gathered again), a stream that ends undecided
decides at its end (coach.recognise.Recogniser.finish, mirrored in `decide`): the body is read once
more, and the exercise it showed at the most reads wins if its definition counted one rep by
then, its set gate's last included. Shipped thresholds: repcount 0.754 -> 0.768 (train3899, two
squats of which the squat counted one), countix 0.735 -> 0.750 (squat028, whose second squat
counts only at the end); the count's MAE with the recognised definition 0.236 -> 0.221 and 0.383
-> 0.368. Thresholds chosen on countix score repcount 0.754 (0.739 before), chosen on repcount
score countix 0.750. Five series recognised as nothing before are now recognised wrong (stu2_62,
stu5_12, test2320, train143, val1244: what the body showed is already the confusion below), and
on the shared clips glute_bridge_1 (one rep) is recognised on lightning, while the clip with no
exercise stays none on the three models. (`redecided` and `by_rhythm` below do not decide at the
end.) Then, with the end decision in place, the choice waits for READS (2) reads in a row showing
the exercise: tried before it (below, "the same reading several times") it lost a 3 s front-raise
series on countix, which the end decision now keeps. repcount 0.768 -> 0.783 (stu3_31, jumping
jacks that start with the arms held up, read once as a hang at 1.9 s), countix 0.750 unchanged
(no series changes its choice); the median decision time moves by under 0.1 s on both, and one
series right before is decided later and still right (stu10_24, 6.9 -> 28 s). Thresholds chosen
on repcount are the shipped ones (countix 0.750); chosen on countix (hips_travel 0.07, uneven 0.7),
repcount scores 0.768.

Under the 0.8 wanted on each. What is left, by the confusion on each source (the "recognised as"
column) and when the decision fell:
- a series whose own definition counts under two reps was recognised as nothing, and its count is
  wrong either way: 3 squats and a bench press on repcount, a squat, a push-up and a bench press
  on countix (6 % and 4 %: the ceiling was 0.94 and 0.96; deciding at the end wins two of them);
- a bench press filmed from its end, the body running down the picture as a standing one does,
  the legs foreshortened and noisy, the hands seldom over the head (read as a lunge, a squat, a
  pull-up or a sit-up): 3 on repcount, 5 on countix, decided anywhere from 2 to 28 s in;
- the pose model's own lies: pull-ups whose series run across the picture like a body lying
  (the legs bent up behind, read as sit-ups or a bench press: stu9_36, train2534, pull_up020),
  and pullup_back_5, where the hands on the bar are also taken for the ankles (the body then
  runs upwards: read as a sit-up);
- lunges filmed from the front, the knees barely differing in height (read as squats), and a
  squat read as a lunge;
- a decision on the first 2-3 s of a series, when the window holds the set-up as much as the
  exercise (stu3_31, jumping jacks that start with the arms held up, read as a pull-up at 1.9 s).
  Reading only after 3-6 s seen, or only after the same reading several times, wins 1-2 of these
  on repcount and loses a 3 s front-raise series (2 reps) on countix, so it is not done.
A standing shoulder press reads as a pull-up (both rules): in the body's box the hands rise and
fall the same way, and the body rising to the bar shows only in the picture, which the shared
series do not keep. The series are BlazePose points min-max normalised on each axis per frame,
which is why every feature is a height or an order within the body's box rather than an angle or
a distance.

Tried for the bench presses read as lunges (stu3_5, stu7_13, stu8_10 on repcount;
bench_pressing23, 36 and 37 on countix), replayed on the same evidence with the shipped
thresholds, and not kept. Plotted, their series are mostly the pose model's noise: long stretches
unseen, left and right swapping, the press itself barely showing; their hips' travel (0.09 to
0.38 at the decision) is the box rescaling as the foreshortened ankles jump, not a movement at
the reps' pace. No read of theirs shows a body lying, so no gate on the leg rules makes them
right: with lunge never chosen they become a sit-up, a squat, a pull-up or nothing.
- the trunk sinking with the hips (legs that carry the body lower the shoulders with the hips:
  their heights' correlation over 0.3 or 0.5 for a squat or a lunge): repcount 0.754 unchanged,
  countix 0.721 or 0.706 (squats lost). The reads it refuses taken for a bench press when the
  arms swing (wrists_move over 0.2): chosen on countix (0.3), countix 0.750 (bench_pressing37)
  and repcount 0.754 (stu3_5 won, the push-up stu6_39 lost); chosen on repcount, the rule off;
- a lunge needing the knees to part as the hips sink (knees_uneven's correlation with the hips'
  height over 0.3 to 0.7, else a squat): squats show it as much, the unevenness being per
  hip-to-feet height, which shrinks at the bottom; repcount 0.739 at 0.3-0.5 (a push-up lost),
  countix 0.721 at 0.7 (a lunge lost); chosen on either source, the rule off;
- the standing arms alone, the feet's points moving, as a bench press (legs seen end-on):
  repcount 0.725, countix 0.721 (front raises and squats taken);
- the features of poses smoothed in time (a running median of 3 or 5 frames at 15 fps, against
  the jitter): repcount 0.725, countix 0.721 or 0.735; the bench presses move no less;
- a hang (the second pull-up rule) needing the hands to travel, as the arms bend (wrists_move over
  0.3): repcount 0.768 (stu8_70, squats with the hands held at the shoulders, won), countix
  unchanged, and at 0.25 or under nothing changes on either: one series, so not kept.
Nor, for the lying three (December 2026, with the end decision and READS; shipped 0.783 / 0.750):
- the torso's rise (the spread of the shoulders' height over the hips) instead of the shoulders'
  own height for a sit-up, at 0.4: countix 0.779 (sit_up019, whose hips move in the box as the
  torso rises, and bench_pressing30, read as a sit-up), repcount 0.783; but the bridge clip
  (glute_bridge_1) then reads as a sit-up, and at 0.2-0.35 repcount loses stu10_6. Counting only
  the shoulders' rise over the hips (none where the hips are over them, as in a bridge) keeps the
  clip and costs repcount a sit-up (0.768), and the thresholds countix then chooses (uneven 0.3)
  score repcount 0.725 (0.768 as shipped). Not kept.
- at the end of a stream still undecided, where the exercise the body showed counted no rep, a
  look-alike of it that did (a squat's lunge, a bench press's sit-up or bridge, a pull-up's
  jumping jack, a raise's curl or press): countix 0.779 (lunge14, sit_up019), repcount unchanged
  (no undecided series has a look-alike with reps). Two series of one source for a table of
  look-alikes in the code: not kept.
Nor, for the other confusions:
- a lunge when one ankle is far over the other (a split stance seen from the front puts the back
  foot higher in the picture; 90th percentile of their heights' difference per hip-to-feet height
  over 0.5 to 1.2, else a squat): countix's lunges 0.73 -> 0.91 at 0.5-0.7 (lunge5, lunge14) for
  its squats 0.73 -> 0.55 (squats' ankles differ as much, from the noise), repcount's squats
  0.6 -> 0.4 at 0.5; chosen on either source, off;
- reading the body only when the exercise it shows counts a rep itself, and needing it shown at
  its last 1, 2 or 3 own reps: repcount 0.754, 0.739, 0.725; countix 0.721, 0.706, 0.662;
- a window (WINDOW_S) of 5, 7 or 15 s instead of 10: repcount 0.725, 0.739, 0.739; countix 0.735,
  0.721, 0.676;
- a jumping jack whose hands travel (wrists_move over arms_swing) instead of going over the head:
  repcount 0.797 (train1665, half jacks with the hands to the shoulders), countix unchanged (its
  lunge4 goes from one wrong choice to another; countix has no jumping jacks): one series of one
  source, not kept.
Where the reads themselves are wrong, no decision rule helps: the exercise read most over a whole
series (not causal) is the labelled one in 52 of 69 repcount series and 53 of 68 countix ones,
about what the decision gets. And the bench presses read as standing have the proportions of a
standing body down the picture (the torso, thighs and shins a median 0.39, 0.22 and 0.25 of the
head-to-feet height, as a squat's 0.37, 0.25 and 0.26).
With coach.counting.SHORTEST_RETURN (Dec 2026, 4490f31), the evidence gathered again: no choice
changes on either source; the count's MAE with the recognised definition 0.210 -> 0.207 on
repcount and 0.368 -> 0.358 on countix (with the given one 0.174 and 0.316, at 15 fps).
Three more ways tried on that evidence (Dec 2026), none kept:
- the hands lower for a push-up (Limits.hands_on_floor 0.45 or 0.5, not in GRID): repcount's two
  front raises read as push-ups (stu3_18, stu5_12; hands_down 0.48 and 0.47) become a lunge and
  nothing, so 54 stays 54; at 0.55 the push-up stu6_39 is lost; countix changes nowhere;
- how cleanly a joint swings (its angle's 90th less 10th percentile after a 7-frame running median,
  over the median distance of the raw angle from that, first 15 s), to tell legs that bend from
  the foreshortened legs' noise under a bench press: the knee's is 7.4 to 14 on right squats and
  lunges (lunge10, squat017, squat023, squat031) and 5.8 to 14 on five of the six bench presses
  read as legs (stu7_13: 43), so no threshold parts them but at bench_pressing37 alone;
- the candidate whose reps fall with those of `auto` (the body's principal motion; a rep matched
  where their spans overlap by over 0.3 of their union), as the reps' own evidence of which
  joints carry the movement: it is the labelled exercise in 12 of 69 repcount series and 12 of 68
  countix ones; switching to it from the body's choice when ahead by 0.1 to 0.5 (an F1 of the
  matches) gives repcount 53 and countix 50 or 51 (54 and 51 now).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import multiprocessing
import os
import pickle
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from repcount import SHARED, library, relative_errors, score  # noqa: E402  (benchmarks/ is on the path)

from coach.keypoints import KeypointSeries  # noqa: E402
from coach.kinematics import gated  # noqa: E402
from coach.recognise import (MIN_SCORE, READS, REPS, WINDOW_S, Features, Limits, Recogniser, candidates,  # noqa: E402
                             classify, features, most_shown)
from coach.types import RepEvent  # noqa: E402

SOURCES = ("repcount", "countix")
# Every STRIDE-th frame only (15 fps, coach's FPS_FLOOR): eleven candidates a frame are costly on
# a shared 2-core machine. The count with the given definition is measured the same way.
STRIDE = 2
# The thresholds varied around the shipped ones (each a Limits field and its values).
GRID = {"lying": (0.1, 0.2, 0.3), "hips_travel": (0.07, 0.1, 0.13), "at_shoulders": (0.1, 0.15, 0.2),
        "arms_swing": (0.15, 0.2, 0.3), "uneven": (0.3, 0.5, 0.7), "hanging": (0.4, 0.5, 0.6),
        "reach_up": (0.0, 0.1, 0.2), "in_step": (0.3, 0.5, 0.7), "feet_open": (0.2, 0.3, 0.4)}
# The margins by_rhythm was tried with (the leader's score over the next one's).
MARGINS = (1.0, 1.5, 2.0, 3.0)


def evidence_of(job) -> dict:
    """One series: when each candidate counted its reps and the reps themselves (their range and
    times, "events"), each candidate's final count, and the poses as the Recogniser's Body keeps
    them (gated positions and their times)."""
    folder, name, exercise, reps, fps = job
    series = np.load(folder / f"{name}.npy")[::STRIDE]
    fps /= STRIDE
    recogniser = Recogniser(candidates(library()), reps=10**9)  # never decides: all the evidence
    poses = list(KeypointSeries.from_movenet(series, np.arange(len(series)) / fps).poses())
    for pose, t in poses:
        recogniser.update(pose, t)
    counts = {}
    for candidate, session in recogniser.sessions.items():
        session.finish()  # the reps the set gate counts only at the end
        counts[candidate] = session.gate.reps
    return {"name": name, "exercise": exercise, "reps": reps, "counts": counts,
            "counted": {candidate: [rep.counted_t for rep in done] for candidate, done in recogniser.counted.items()},
            "events": recogniser.counted,
            "t": np.array([t for _, t in poses]), "xy": np.stack([gated(pose.keypoints, MIN_SCORE) for pose, _ in poses])}


def read(row: dict) -> list[tuple[float, Features]]:
    """(t, the body's features over the window) at each moment some candidate counted a rep, as
    coach.recognise.Body reads them then; kept in the row, so that each set of thresholds reuses them."""
    if "read" not in row:
        moments = sorted({t for times in row["counted"].values() for t in times})
        window = [(row["t"] >= t - WINDOW_S) & (row["t"] <= t) for t in moments]
        row["read"] = [(t, features(row["xy"][seen])) for t, seen in zip(moments, window)]
    return row["read"]


def reps_by(row: dict, candidate: str | None, t: float) -> int:
    """The reps the candidate had counted by t (0 for None or an exercise that is no candidate)."""
    return sum(when <= t for when in row["counted"].get(candidate, []))


def decide(row: dict, limits: Limits) -> tuple[str | None, float]:
    """(the candidate chosen, the time it was), as coach.recognise.Recogniser decides, at the
    stream's end too (Recogniser.finish)."""
    shown, in_a_row = None, 0
    for t, body in read(row):
        previous, shown = shown, classify(body, limits)
        in_a_row = in_a_row + 1 if shown == previous else 1
        if in_a_row >= READS and reps_by(row, shown, t) >= REPS:
            return shown, t
    end = row["t"][-1]
    bodies = [body for _, body in read(row)] + [features(row["xy"][row["t"] >= end - WINDOW_S])]  # read once more
    reads = [shown for body in bodies if (shown := classify(body, limits)) in row["counts"]]
    chosen = most_shown(reads, row["counts"])  # the final counts, the set gates' last reps included
    return chosen, float(end) if chosen is not None else float("nan")


def redecided(row: dict, limits: Limits, final: int = REPS + 1) -> tuple[str | None, float]:
    """A decision tried and not kept: chosen as `decide` chooses, but changed to what the body
    shows at a later read (its own definition past REPS reps) until the candidate chosen has
    counted `final` reps: the set's third rep."""
    choice, when = None, float("nan")
    for t, body in read(row):
        shown = classify(body, limits)
        if shown != choice and reps_by(row, shown, t) >= REPS:
            choice, when = shown, t
        if reps_by(row, choice, t) >= final:
            break
    return choice, when


def rep_like(reps: list[RepEvent], t: float) -> float:
    """How rep-like a candidate's own reps counted over the window before t are: how many, times
    how regular their period and their range are (1 less each one's coefficient of variation, at
    least 0.1); 0 under REPS reps."""
    reps = [rep for rep in reps if t - WINDOW_S < rep.counted_t <= t]
    if len(reps) < REPS:
        return 0.0
    periods, ranges = np.diff([rep.end_t for rep in reps]), np.array([rep.rom_max - rep.rom_min for rep in reps])
    period_cv = periods.std() / periods.mean() if len(periods) > 1 and periods.mean() > 0 else 0.5
    range_cv = ranges.std() / ranges.mean() if ranges.mean() > 0 else 1.0
    return len(reps) * max(0.1, 1 - period_cv) * max(0.1, 1 - range_cv)


def by_rhythm(row: dict, limits: Limits, margin: float, final: int = REPS + 1) -> tuple[str | None, float]:
    """A decision tried and not kept: each candidate scored by the share of the window's reads in
    which the body showed it times how rep-like its own reps are (rep_like), chosen once its
    score is `margin` times the next one's, and chosen again so until it has counted `final` reps."""
    reads = [(t, classify(body, limits)) for t, body in read(row)]
    choice, when = None, float("nan")
    for t, _ in reads:
        shown = Counter(exercise for u, exercise in reads if t - WINDOW_S < u <= t and exercise in row["events"])
        scores = sorted(((n / sum(shown.values()) * rep_like(row["events"][c], t), c) for c, n in shown.items()), reverse=True)
        (top, leader), (runner_up, _) = (scores + [(0.0, None)] * 2)[:2]
        if top > 0 and top >= margin * runner_up and leader != choice:
            choice, when = leader, t
        if reps_by(row, choice, t) >= final:
            break
    return choice, when


def results(rows: list[dict], limits: Limits, decision=decide) -> pd.DataFrame:
    out = []
    for row in rows:
        chosen, t = decision(row, limits)
        out.append({"name": row["name"], "exercise": row["exercise"], "reps": row["reps"], "recognised": chosen,
                    "decided_s": t, "any": row["counts"].get(chosen, 0) if chosen else 0,
                    "given": row["counts"][row["exercise"]]})
    frame = pd.DataFrame(out)
    frame["right"] = frame["recognised"] == frame["exercise"]
    return frame


def table(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for name, group in [*frame.groupby("exercise"), ("overall", frame)]:
        out.append({"exercise": name, "series": len(group), "right": group["right"].mean(),
                    "decided at s (median)": group["decided_s"].median(),
                    "MAE any": score(group, "any")[0], "MAE given": score(group, "given")[0],
                    "recognised as": ", ".join(f"{k} {v}" for k, v in group["recognised"].fillna("-").value_counts().items())})
    return pd.DataFrame(out).set_index("exercise")


def grid() -> list[Limits]:
    return [dataclasses.replace(Limits(), **dict(zip(GRID, values))) for values in itertools.product(*GRID.values())]


def best(rows: list[dict]) -> Limits:
    """The thresholds most often right on these rows, then with the lowest MAE; then those that
    change the fewest shipped thresholds (a threshold the rows cannot tell apart keeps the value
    read off its meaning, not the grid's first)."""
    def key(limits):
        frame = results(rows, limits)
        shipped = sum(getattr(limits, name) != getattr(Limits(), name) for name in GRID)
        return -frame["right"].mean(), relative_errors(frame, "any").mean(), shipped
    return min(grid(), key=key)


def changed(limits: Limits) -> str:
    """The thresholds that differ from the shipped ones."""
    return ", ".join(f"{f.name} {getattr(limits, f.name)}" for f in dataclasses.fields(Limits)
                     if getattr(limits, f.name) != getattr(Limits(), f.name)) or "the shipped ones"


def gather(fps: float) -> dict[str, list[dict]] | None:
    """Each source's rows (evidence_of), the series counted in parallel; None when a source is missing."""
    rows = {}
    with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool:
        for source in SOURCES:
            folder = SHARED / "data" / source
            if not (folder / "labels.csv").exists():
                print(f"{folder} is missing: the benchmark reads ../shared in place", file=sys.stderr)
                return None
            labels = pd.read_csv(folder / "labels.csv")
            jobs = [(folder, r.name, r.exercise, r.reps, fps) for r in labels.itertuples()]
            rows[source] = list(pool.map(evidence_of, jobs))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--evidence", help="a pickle of the runs' evidence: read if it exists, else written")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.evidence and os.path.exists(args.evidence):
        with open(args.evidence, "rb") as file:
            rows = pickle.load(file)
    else:
        rows = gather(args.fps)
        if rows is None:
            return 1
        if args.evidence:
            with open(args.evidence, "wb") as file:
                pickle.dump(rows, file)
    print(f"{sum(map(len, rows.values()))} series through {len(candidates(library()))} candidates in "
          f"{time.perf_counter() - start:.0f} s\n")
    for source in SOURCES:
        print(f"{source}, shipped thresholds:")
        print(table(results(rows[source], Limits())).to_string(float_format=lambda x: f"{x:.3f}"), "\n")
    for chosen_on, scored_on in (SOURCES, SOURCES[::-1]):
        limits = best(rows[chosen_on])
        print(f"Thresholds chosen on {chosen_on} ({changed(limits)}), scored on {scored_on}:")
        print(table(results(rows[scored_on], limits)).to_string(float_format=lambda x: f"{x:.3f}"), "\n")
    print("Decisions tried, with the shipped thresholds (share right, median s decided at, count's MAE with the "
          "recognised definition); the rhythm's margin chosen on the other source:")
    for source, other in (SOURCES, SOURCES[::-1]):
        margin = max(MARGINS, key=lambda m: results(rows[other], Limits(), rhythm(m))["right"].mean())
        for name, decision in (("shipped", decide), ("re-decided until the third rep", redecided),
                               (f"rhythm, margin {margin}", rhythm(margin))):
            frame = results(rows[source], Limits(), decision)
            print(f"  {source:9s} {name:32s} {frame['right'].mean():.3f}  {frame['decided_s'].median():4.1f} s  "
                  f"{score(frame, 'any')[0]:.3f}")
    return 0


def rhythm(margin: float):
    return lambda row, limits: by_rhythm(row, limits, margin)


if __name__ == "__main__":
    sys.exit(main())
