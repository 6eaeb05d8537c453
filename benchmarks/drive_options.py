"""The ways of issue 27 (item 1) to keep a drive from collapsing, measured on both labelled sources:
tuned on one source, scored on the other, both ways. (a) to (c) were measured before any was built
into the pipeline, and none held; (d) holds for the front raise and is coach.drives.

    .venv/bin/python benchmarks/drive_options.py [--option abc|d] [--csv counts.csv]

Each series of ../shared/data/repcount and ../shared/data/countix goes through coach's Session
(coach.analyze.analyze_poses, 30 fps) once per candidate drive: the definition's own; an alternative where
the issue names one (push-up: the shoulders' height over the wrists, bench press: the wrists' over
the shoulders, in torso lengths; front raise: the higher arm, `side: max`, for one-armed raises);
and `auto`'s principal motion (exercises/auto.yaml). From those traces:

(a) choose: at the first rep any candidate completes (the start of the set), the candidate whose
    smoothed drive swung most clearly above its noise over the last `window_s`: its 5-95%
    spread over its `hysteresis` or `min_range` (the definition's own units of noise and of a
    rep), or over the median |step| or |second difference| of the signal; that candidate counts.
(c) fall back: as (a) with `auto` only, but `auto` counts only when the definition's drive swung
    under `min_range` (times a share) while `auto` swung over its own.
(b) exemplars: the poses at both ends of the definition's first two counted reps (the start and
    the middle of the far end) become the exemplars; from then on the drive is d_top / (d_top +
    d_far), the mean distance over the keypoints seen (around the torso, in torso lengths) to
    each, 0 at the top and 1 at the far end, counted by the same Counter and SetGate with
    `min_range` in that unit; with `refresh`, each rep counted replaces the exemplars by the
    mean of the last two reps' ends.

(d) candidates (--option d, what coach.drives does): the definition names candidate drives beside
    its own (CANDIDATES) and the session picks, between sets, the one that swung most over the
    last 3 s in its own `min_range`. Each series goes once through the Session with every
    candidate of its exercise, and each subset of them is replayed through coach.drives.Drives;
    per exercise the subset best on one source (on a tie, the fewest) is scored on the other.

A configuration is one choice of each option's free settings; "tuned on X" is the one with the
lowest MAE on source X, and its figures on the other source are the honest ones. Nothing here
changes what coach counts.

Measured again (Dec 2026, branch counter2, the definitions as shipped with the front raise's
candidate drive, Countix's lunges counted a pair at a time as labelled), MAE / OBO; the definitions
score RepCount 0.165 / 0.75, Countix 0.260 / 0.68, all 137 0.212 / 0.72. None of the three holds
on both sources, so none is in the pipeline (at 410665f, with Countix's lunges counted one by one,
none held either; (b) was then better on Countix, 0.264 against 0.372, from its lunges):
(a) tuned on RepCount (definition + alternative, 3 s, |step|): Countix 0.317 / 0.66; tuned on
    Countix (definition + auto, 3 s, |second difference|): RepCount 0.206 / 0.70. Worse both ways.
(c) tuned on either (3 s, 1.5 x min_range): RepCount 0.213 / 0.72, Countix 0.308 / 0.62. Worse
    both ways.
(b) tuned on RepCount (min_range 0.1, no refresh): Countix 0.278 / 0.63 (lunges 0.394 -> 0.228
    and squats better, front raises and pull-ups worse); tuned on Countix (0.1, refresh): RepCount
    0.388 / 0.45 (long series drift away from the first reps' exemplars). Worse both ways.
Each drive alone: the alternatives 0.498 / 0.342 on their exercises, auto 0.310 / 0.350.
(d), measured Dec 2026 (branch counter2), MAE of the chosen subset (the definition's own drive
alone in brackets):
    front raise: each source chooses wrist_up (the higher wrist over its shoulder in arm lengths);
        tuned on RepCount 0.049 (0.058), Countix scores 0.127 (0.243); tuned on Countix 0.127,
        RepCount scores 0.049. Holds both ways: exercises/front_raise.yaml names it.
    push-up: RepCount chooses none (every subset scores alike there, 0.076 with the arm-scaled
        shoulders); Countix chooses the shoulders over the wrists in arm lengths, 0.246 (0.288),
        from one series (push_up022: 12 -> 9, labelled 8). Not shown to hold: not shipped.
    bench press: RepCount chooses none; Countix chooses the wrists over the shoulders in arm
        lengths, 0.276 (0.282), which scores 0.309 (0.226) on RepCount. Does not hold: not shipped.
    The torso-scaled heights are worse on both sources wherever they are chosen (push-up alone:
    RepCount 0.278, Countix 0.723).
(d) for four more exercises, measured Dec 2026 on main at 21c476c (a prototype that set CANDIDATES
    to these; the definitions' own factors), MAE of the chosen subset (own drive alone in brackets):
    pull-up, the elbow angle (min_range 40 degrees): RepCount chooses it, 0.084 (0.165), and Countix
        scores 0.220 (0.087); Countix chooses none. Does not hold.
    squat, the hips' height over the knees in torso lengths (0.3) or the knee angle (30 degrees):
        RepCount chooses the height, 0.225 (0.247), and Countix scores 0.364 (0.318); Countix
        chooses none. Does not hold.
    sit-up, the shoulders' height over the hips (0.3) or the hip angle (20 degrees): neither
        source chooses either.
    lunge (Countix only), the hips' height over the ankles (0.3) and the front hip's angle (30
        degrees): Countix chooses both, 0.315 (0.394), with nothing to score them on.
    The two sources disagree on every one of them, so none is shipped.
A session's CPU time a frame on a push-up series: definition 246 us, alternative 270 us, auto
1499 us, so (a) and (c) with auto beside the definition would cost about 7 times today's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from repcount import SHARED, counted, definition, library, replay, score  # noqa: E402

from coach.analyze import analyze_poses  # noqa: E402
from coach.counting import Counter, Sample, SetGate  # noqa: E402
from coach.exercises import Signal  # noqa: E402
from coach.keypoints import KeypointSeries  # noqa: E402
from coach.kinematics import HIPS, SHOULDERS, gated, torso_length  # noqa: E402
from coach.smoothing import make_filter  # noqa: E402

SOURCES = ("repcount", "countix")
FPS = 30.0
# The alternative drive the issue names: (signal, start, min_range, hysteresis), in the units of
# `auto`'s principal motion (torso lengths: 0.2 and 0.04) or the definition's angle (20, 5 degrees).
ALTERNATIVES = {
    "push_up": ({"kind": "height", "points": ["shoulder", "wrist"]}, "high", 0.2, 0.04),
    "bench_press": ({"kind": "height", "points": ["wrist", "shoulder"]}, "high", 0.2, 0.04),
    "front_raise": ({"kind": "angle", "points": ["hip", "shoulder", "wrist"], "side": "max"}, "low", 20, 5),
}
# Option (d)'s candidate drives beside each definition's own, by name: (signal, start, min_range,
# hysteresis); heights in arm lengths (the arm is seen where the hips may not be) or torso lengths.
CANDIDATES = {
    "push_up": {"shoulders_arm": ({"kind": "height", "points": ["shoulder", "wrist"], "scale": "arm"}, "high", 0.2, 0.04),
                "shoulders_torso": ({"kind": "height", "points": ["shoulder", "wrist"]}, "high", 0.2, 0.04)},
    "bench_press": {"wrists_arm": ({"kind": "height", "points": ["wrist", "shoulder"], "scale": "arm"}, "high", 0.2, 0.04),
                    "wrists_torso": ({"kind": "height", "points": ["wrist", "shoulder"]}, "high", 0.2, 0.04)},
    "front_raise": {"wrist_up": ({"kind": "height", "points": ["wrist", "shoulder"], "side": "max", "scale": "arm"}, "low", 0.2, 0.04),
                    "raise_max": ({"kind": "angle", "points": ["hip", "shoulder", "wrist"], "side": "max"}, "low", 20, 5)},
}
CHOICES = [(names, window_s, noise) for names in (("definition", "alternative"), ("definition", "auto"),
                                                  ("definition", "alternative", "auto"))
           for window_s in (3.0, 6.0) for noise in ("hysteresis", "min_range", "step", "curve")]
FALLBACKS = [(window_s, share) for window_s in (3.0, 6.0, 10.0) for share in (1.0, 1.5)]
EXEMPLARS = [(min_range, refresh) for min_range in (0.1, 0.2, 0.3) for refresh in (False, True)]


def drives(source: str, exercise_id: str) -> dict:
    """The candidate definitions of one exercise by name: the definition, its alternative (where
    the issue names one), and auto."""
    exercise = definition(SHARED / "data" / source, exercise_id)  # counting as the source's labels do
    out = {"definition": exercise, "auto": library().get("auto")}
    if exercise_id in ALTERNATIVES:
        signal, start, min_range, hysteresis = ALTERNATIVES[exercise_id]
        count = exercise.count.model_copy(update={"signal": "alternative", "start": start, "min_range": min_range,
                                                  "hysteresis": hysteresis})
        out["alternative"] = exercise.model_copy(update={"signals": {**exercise.signals, "alternative": Signal(**signal)},
                                                         "count": count})
    return out


def trace(exercise, series: KeypointSeries) -> dict:
    """One session's smoothed drive per frame, its counted reps (frame time, RepEvent) and count."""
    analysis = analyze_poses(exercise, series.poses())
    drive = exercise.count.signal
    return {"t": np.array([r.t for r in analysis.results]), "v": np.array([r.signals[drive] for r in analysis.results]),
            "reps": [(r.t, r.rep) for r in analysis.results if r.rep is not None], "count": analysis.count,
            "hysteresis": exercise.count.hysteresis, "min_range": exercise.count.min_range}


def swing(trace: dict, t: float, window_s: float) -> np.ndarray:
    """The trace's smoothed drive over the `window_s` before `t` (seen frames only)."""
    v = trace["v"][(trace["t"] <= t) & (trace["t"] > t - window_s)]
    return v[~np.isnan(v)]


def spread(v: np.ndarray) -> float:
    return float(np.percentile(v, 95) - np.percentile(v, 5)) if len(v) >= 10 else 0.0


def clarity(trace: dict, t: float, window_s: float, noise: str) -> float:
    """How clearly the drive swung above its noise over the `window_s` before `t`."""
    v = swing(trace, t, window_s)
    if len(v) < 10:
        return 0.0
    unit = {"hysteresis": lambda: trace["hysteresis"], "min_range": lambda: trace["min_range"],
            "step": lambda: np.median(np.abs(np.diff(v))), "curve": lambda: np.median(np.abs(np.diff(v, 2)))}[noise]()
    return spread(v) / max(float(unit), 1e-9)


def set_start(traces: list[dict]) -> float | None:
    """When the first rep of any candidate was counted."""
    firsts = [trace["reps"][0][0] for trace in traces if trace["reps"]]
    return min(firsts) if firsts else None


def chosen(traces: dict, names, window_s: float, noise: str) -> int:
    """Option (a): the count of the candidate that swung most clearly when the set started."""
    candidates = {name: traces[name] for name in names if name in traces}
    t = set_start(list(candidates.values()))
    if t is None:
        return traces["definition"]["count"]
    return candidates[max(candidates, key=lambda name: clarity(candidates[name], t, window_s, noise))]["count"]


def fallback(traces: dict, window_s: float, share: float) -> int:
    """Option (c): auto's count where the definition's drive barely moved and auto's did."""
    own, auto = traces["definition"], traces["auto"]
    t = set_start([own, auto])
    if t is not None and spread(swing(own, t, window_s)) < share * own["min_range"] \
            and spread(swing(auto, t, window_s)) >= auto["min_range"]:
        return auto["count"]
    return own["count"]


def positions(series: KeypointSeries, min_score: float) -> np.ndarray:
    """(T, 17, 2) keypoints around the torso's centre in torso lengths, NaN where not seen."""
    xy = gated(series.xys, min_score)
    with warnings.catch_warnings():  # a frame with no torso seen is NaN, as it should be
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(xy[:, [*SHOULDERS, *HIPS]], axis=1)
    return (xy - centre[:, None, :]) / torso_length(xy)[:, None, None]


def distance(pose: np.ndarray, exemplar: np.ndarray) -> float:
    """Mean distance over the keypoints seen in both (NaN for fewer than 6)."""
    seen = ~np.isnan(pose).any(-1) & ~np.isnan(exemplar).any(-1)
    return float(np.linalg.norm(pose[seen] - exemplar[seen], axis=-1).mean()) if seen.sum() >= 6 else np.nan


def exemplar_count(exercise, series: KeypointSeries, own: dict, min_range: float, refresh: bool) -> int:
    """Option (b): the definition's count until its second rep, exemplar-driven from then on."""
    if len(own["reps"]) < 2:
        return own["count"]
    poses = positions(series, exercise.visibility.min_score)
    times = series.t

    def ends(rep):  # the poses at the rep's start and in the middle of its far end
        frame = lambda t: min(len(times) - 1, int(np.searchsorted(times, t)))
        return poses[frame(rep.start_t)], poses[frame(rep.start_t + rep.time_down + rep.time_bottom / 2)]

    anchors = [ends(rep) for _, rep in own["reps"][:2]]
    count = exercise.count.model_copy(update={"start": "low", "min_range": min_range, "hysteresis": min_range / 5})
    exercise = exercise.model_copy(update={"count": count})
    counter, gate, smooth = Counter(exercise), SetGate(count), make_filter(exercise.smoothing)
    top, far = (np.nanmean([a[i] for a in anchors], axis=0) for i in (0, 1))
    counted = 2
    for t, pose in zip(times[times > own["reps"][1][0]], poses[times > own["reps"][1][0]]):
        to_top, to_far = distance(pose, top), distance(pose, far)
        value = to_top / (to_top + to_far)
        rep = counter.update(Sample(float(t), smooth.update(value, float(t)), visible=not np.isnan(value))).rep
        if refresh and rep is not None:
            anchors.append(ends(rep))
            top, far = (np.nanmean([a[i] for a in anchors[-2:]], axis=0) for i in (0, 1))
        counted += gate.update(rep, float(t)) is not None
    return counted + len(gate.finish(float(times[-1])))


def evaluate_series(job) -> dict:
    source, name, exercise_id, reps = job
    yxs = np.load(SHARED / "data" / source / f"{name}.npy")
    series = KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / FPS)
    candidates = drives(source, exercise_id)
    traces = {name: trace(exercise, series) for name, exercise in candidates.items()}
    out = {"source": source, "name": name, "exercise": exercise_id, "frames": len(yxs), "reps": reps}
    out |= {name: trace["count"] for name, trace in traces.items()}
    out |= {choice_column(*c): chosen(traces, *c) for c in CHOICES}
    out |= {fallback_column(*c): fallback(traces, *c) for c in FALLBACKS}
    out |= {exemplar_column(*c): exemplar_count(candidates["definition"], series, traces["definition"], *c) for c in EXEMPLARS}
    return out


def with_candidates(exercise, names) -> object:
    """The definition with `names` of CANDIDATES as its `count.alternatives` (coach.drives), and
    every candidate among its signals."""
    candidates = CANDIDATES[exercise.id]
    signals = {**exercise.signals, **{name: Signal(**candidates[name][0]) for name in candidates}}
    alternatives = [{"signal": name, "start": start, "min_range": min_range, "hysteresis": hysteresis}
                    for name, (_, start, min_range, hysteresis) in candidates.items() if name in names]
    count = exercise.count.model_validate({**exercise.count.model_dump(), "alternatives": alternatives})
    return exercise.model_copy(update={"signals": signals, "count": count})


def subsets(exercise_id: str) -> list[tuple[str, ...]]:
    names = list(CANDIDATES[exercise_id])
    return [(), *[(name,) for name in names], tuple(names)]


def candidate_counts(job) -> dict:
    """Option (d): one series through the Session with every candidate of its exercise beside the
    definition's own drive, then each subset of them replayed through coach.drives.Drives."""
    source, name, exercise_id, reps = job
    folder = SHARED / "data" / source
    yxs = np.load(folder / f"{name}.npy")
    exercise = definition(folder, exercise_id)
    _, samples = counted(with_candidates(exercise, CANDIDATES[exercise_id]), KeypointSeries.from_movenet(yxs, np.arange(len(yxs)) / FPS))
    out = {"source": source, "name": name, "exercise": exercise_id, "reps": reps}
    return out | {"+".join(names) or "own": replay(with_candidates(exercise, names), samples) for names in subsets(exercise_id)}


def option_d() -> pd.DataFrame:
    """Per exercise: the subset of candidates with the lowest MAE on one source (on a tie, the
    fewest), scored on the other, both ways."""
    jobs = [(source, row.name, row.exercise, row.reps) for source in SOURCES
            for row in pd.read_csv(SHARED / "data" / source / "labels.csv").itertuples() if row.exercise in CANDIDATES]
    with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool:
        results = pd.DataFrame(pool.map(candidate_counts, jobs))
    rows = []
    for exercise, group in results.groupby("exercise"):
        columns = ["+".join(names) or "own" for names in subsets(exercise)]
        on = {source: group[group["source"] == source] for source in SOURCES}
        for tuned, scored in (SOURCES, SOURCES[::-1]):
            chosen = min(columns, key=lambda c: (score(on[tuned], c)[0], c.count("+") + (c != "own")))
            rows.append({"exercise": exercise, "tuned on": tuned, "chosen": chosen,
                         f"on {tuned}": "{:.3f} (own {:.3f})".format(score(on[tuned], chosen)[0], score(on[tuned], "own")[0]),
                         "scored on the other": "{:.3f} (own {:.3f})".format(score(on[scored], chosen)[0], score(on[scored], "own")[0])})
    return pd.DataFrame(rows)


def choice_column(names, window_s, noise) -> str:
    return f"a:{'+'.join(names)}/{window_s:g}s/{noise}"


def fallback_column(window_s, share) -> str:
    return f"c:{window_s:g}s/x{share:g}"


def exemplar_column(min_range, refresh) -> str:
    return f"b:{min_range:g}{'/refresh' if refresh else ''}"


def evaluate() -> pd.DataFrame:
    jobs = [(source, row.name, row.exercise, row.reps) for source in SOURCES
            for row in pd.read_csv(SHARED / "data" / source / "labels.csv").itertuples()]
    with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool:
        return pd.DataFrame(pool.map(evaluate_series, jobs, chunksize=2))


def both_ways(results: pd.DataFrame, option: str) -> pd.DataFrame:
    """Per exercise on each source: the definition's MAE/OBO, and the option's configuration tuned
    on the other source (the honest figure) and on the same source."""
    columns = [c for c in results.columns if c.startswith(option + ":")]
    best = {source: min(columns, key=lambda c: score(results[results["source"] == source], c)[0]) for source in SOURCES}
    rows = []
    for source in SOURCES:
        other = SOURCES[1 - SOURCES.index(source)]  # the honest column
        on = results[results["source"] == source]
        for exercise, group in [*on.groupby("exercise"), ("all", on)]:
            rows.append({"scored on": source, "exercise": exercise, "series": len(group),
                         "definition": "{:.3f} / {:.2f}".format(*score(group, "definition")),
                         "tuned on the other": "{:.3f} / {:.2f}".format(*score(group, best[other])),
                         "tuned on itself": "{:.3f} / {:.2f}".format(*score(group, best[source]))})
    print(f"\noption {option}: best on repcount {best['repcount']}, on countix {best['countix']}; "
          f"all 137 with the repcount-tuned one {score(results, best['repcount'])[0]:.3f}, "
          f"the countix-tuned {score(results, best['countix'])[0]:.3f}")
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", help="also write the per-series counts here")
    parser.add_argument("--option", choices=["abc", "d"], default="abc",
                        help="abc: the first three (minutes: auto costs 1.5 ms a frame); d: candidate drives")
    args = parser.parse_args()
    missing = [s for s in SOURCES if not (SHARED / "data" / s / "labels.csv").exists()]
    if missing:
        print(f"{SHARED / 'data'} lacks {', '.join(missing)}: the benchmark reads ../shared in place", file=sys.stderr)
        return 1
    if args.option == "d":
        print(option_d().to_string(index=False))
        return 0
    results = evaluate()
    if args.csv:
        results.to_csv(args.csv, index=False)
    singles = []
    for name in ("definition", "alternative", "auto"):
        counted = results.dropna(subset=[name])
        singles.append({"drive": name, **{source: "{:.3f} / {:.2f}".format(*score(counted[counted["source"] == source], name))
                                          for source in SOURCES}})
    print("each drive alone (alternative: its exercises only), MAE / OBO:\n" + pd.DataFrame(singles).to_string(index=False))
    for option in ("a", "c", "b"):
        print(both_ways(results, option).to_string(index=False))
    print(f"\ndefinition on all 137: {score(results, 'definition')[0]:.3f} / {score(results, 'definition')[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
