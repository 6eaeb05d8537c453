"""Each rule of the counter (coach.counting's Counter and SetGate) switched off, one at a time, on
both labelled sources, both ways: what each rule is worth on data it was not tuned on.

    .venv/bin/python benchmarks/rules.py [--rules NAME ...] [--csv counts.csv]

Each series of ../shared/data/repcount and ../shared/data/countix goes once through coach's
Session as shipped (benchmarks/repcount.py's `counted`), and the counter's recorded input is
replayed through a Counter and a SetGate with one rule off (`replay`), for each factor set of
repcount.CANDIDATES. Per rule, for each source: its MAE / OBO as shipped, and with the factors
chosen on the other source (the figure a change must hold); then all 137 with the factors chosen
on the other source. A rule is worth keeping when switching it off costs on both sources (or a
synthetic sequence with a known answer needs it: tests/test_counting.py).

Measured (Dec 2026, branch counter2 at 370f649, with the front raise's candidate drive), MAE with
the factors chosen on the other source, RepCount / Countix; with every rule on: 0.157 / 0.251
(shipped 0.165 / 0.260; at 8ea2e27, before the candidate drive, 0.170 / 0.291). Since then a new
set's first rep needs min_range alone (Counter.set_range, part of `set reset`): 0.157 / 0.248, all
137 0.202 / OBO 0.73 (shipped 0.165 / 0.258); it changes one series, Countix sit_up022 (5 -> 7 of
12: after a camera cut the reps are a third as big), and a deep set, a rest and a shallower set
need it (test_after_a_rest_a_shallower_set_counts_from_its_first_rep). The other rules off, as
measured again then: too long 0.152 / 0.248 (val579 2 -> 3 of 3, stu5_62 32 -> 33 of 32), alike at
end 0.157 / 0.241, ready 0.150 / 0.252, the rest as below. Each rule off, before it:
- settling 0.156 / 0.264 (8ea2e27: 0.167 / 0.307): Countix needs it; kept, and a
  standing-still-first, a drifting stance and a half-squat hold need it
  (test_standing_still_first_is_not_part_of_the_first_rep, ...).
- partial range 0.168 / 0.251 (0.180 / 0.288): RepCount needs it; kept for a shallower set after
  deep reps (test_a_set_of_shallower_reps_is_counted_once_its_range_is_clear).
- short return 0.200 / 0.234 (0.195 / 0.255): worth 0.043 on RepCount, costs 0.017 on Countix;
  kept, and a spike above the top before a set and brisk bench presses through their smoothing
  need it.
- set reset 0.157 / 0.258 (0.170 / 0.298): Countix needs it, RepCount is unmoved; kept (with the
  new set's first rep: 0.157 / 0.258 off against 0.157 / 0.248 on).
- too long 0.152 / 0.251 (0.165 / 0.291): worth nothing here; kept, a definition's `max_rep_s`
  (too slow a swing).
- ready 0.150 / 0.254 (0.161 / 0.304): a rep from the set-up position counting at once (issue 27
  item 3): costs RepCount 0.007, worth 0.003 on Countix; kept for the live count of a first rep.
- set gate 0.160 / 0.256 (0.182 / 0.289): worth 0.003 on RepCount and 0.005 on Countix; kept, and
  walking in and off around a set need it.
- slow join 0.157 / 0.251 (0.170 / 0.291): unmoved; kept, a slow deliberate set needs it.
- alike at end 0.157 / 0.243 (0.179 / 0.288): RepCount is unmoved now, and Countix is 0.008
  better without it (all 137: 0.1997 against 0.203); kept because a set's last rep after a
  pause needs it: pushup_side_30's last push-up on lightning and lightning-int8 (29 of 30
  without it) and tests/test_counting.py, test_a_rep_held_at_the_end_counts_when_it_is_as_alike_
  .... The next rule to question.
- lones at end 0.160 / 0.251 (0.173 / 0.291): RepCount needs it, Countix unmoved; kept.
Gone, as they did not hold on both sources and nothing synthetic needs them: the drifted-top turn
in GOING (off: 0.174 / 0.290 against 0.172 / 0.293 on, measured before it went) and skipping
`settle_s` after coming into view (off: 0.167 / 0.294 against 0.172 / 0.293; as shipped 0.164 /
0.286 against 0.168 / 0.294).
Tried and not kept, a candidate for issue 27 item 2: `+hold unlike` (a rep just after a set and
unlike it, such as kneeling down, held as a set's first rep not set up) 0.226 / 0.267 (8ea2e27:
0.224 / 0.275).
Tried and not kept for issue 27 item 2, a camera cut starting a new range (measured on branch
counter2, with the front raise's candidate drive: 0.157 / 0.251 without it, all 137 0.203, by a
prototype that replayed the counters' input with resets, not in this file): a cut is a frame where
at least a share (80% or 90%) of the keypoints seen in it and the frame before moved more than J
torso lengths (0.5 or 1), confirmed when the torso's centre stays over J/2 from where it was for
P s (0.5 or 1); then every counter starts afresh (the rep in progress dropped, the recent range
forgotten). It fires in 4 to 24 RepCount series and 7 to 22 Countix ones. Chosen on RepCount (J 1,
80%, 1 s): 0.155 there, Countix 0.250 (OBO of all 137 0.715 against 0.730); chosen on Countix (J
0.5, 80%, 0.5 s): 0.230 there, RepCount 0.188. Forgetting the range alone, keeping the rep in
progress: no setting better on either source (RepCount 0.157-0.229, Countix 0.253-0.260).
Tried and not kept (branch counter3, on main at 959323c: 0.157 / 0.251, all 137 0.2035 / OBO
0.730), the three `+` candidates below, MAE / OBO of RepCount / Countix with the factors chosen
on the other source, and all 137:
- `+still from start` (a swing within still_s of the stream's start is not set up) 0.161 / 0.250,
  all 0.205 / 0.723: RepCount's push-ups pay (0.059 -> 0.151), Countix gains 0.001.
- `+own depth` (a set's first short return judged by the swing's own depth) 0.164 / 0.239, all
  0.2013 / 0.730: it cures Countix sit_up025 (a wobble at the top of each sit-up counted as a rep,
  8 for 4: the first short return's 15 degrees became the recent range, so every wobble after it
  counted) and breaks RepCount stu10_24 (a front raise whose arms never come back down after the
  first rep: 14 -> 9). One series each way.
- `+depth as range` (a short return's rep enters the range as deep as it went) 0.180 / 0.234, all
  0.207 / 0.723: Countix gains, RepCount pays (pull-up, sit-up, bench press).
Tried and not kept (December 2026, on main at 874866b, figures as above):
- `+first depth as range` (only a set's first rep, when it comes back short of its start, enters
  the range as deep as it went) 0.170 / 0.234, all 0.202 / 0.730: it cures sit_up025 as `+own
  depth` does, and squat033 by one, but loses real reps where a set's first swing was deep and the
  rest were not (RepCount stu10_6, bench press, 5 -> 1 for 4; Countix lunge4 8 -> 4 for 7).
- `+pair by turns` (`alternating: pair` takes every second swing as the other leg, whatever side
  the pose shows; Countix's lunges only) 0.169 / 0.266, all 0.217 / 0.69 (RepCount has no lunges:
  it pays through the factors Countix then chooses): Countix's lunge series alternate as the sides
  show (lunge14 and lunge18 count 10, as labelled, by their sides,
  5 and 3 by turns).
Kept (December 2026, on main at a809059): `shortest return`, a swing that turns down again short
of its start must have come back a quarter of its own swing (coach.counting.SHORTEST_RETURN), not
only `short_return` of the recent reps' range. With it, 0.157 / 0.237 (OBO 0.78 / 0.71), all 137
0.197 / 0.745 (shipped 0.160 / 0.246, all 0.203); off, 0.157 / 0.248, all 0.202. It changes only
sit-ups, whose lean back at the top comes back 10-20 degrees of a 90-degree swing: Countix
sit_up025 8 -> 4 of 4 (the first wobble had become the set's range, so every later one counted),
sit_up018 5 -> 4 of 5 (two errors had cancelled: the first sit-up's wobble counted, the last
sit-up, which stays up, did not), RepCount stu1_59 20 -> 17 of 18 (28 -> 21 as shipped) and
stu3_58 38 -> 35 of 42 (its first 12 s barely move, 10-degree wobbles after a 100-degree fall
that the labeller counts as reps). The share is no fit: 0.2, 0.25 and 0.3 give all 137 0.197,
0.197 and 0.198; applied at a set's first rep alone, 0.2-0.4 give the same on Countix. Half the
swing there (`+own depth`, below) loses RepCount stu10_24, whose arms never come back down after
the first raise (a third of its swing): a quarter keeps it. tests/test_counting.py,
test_a_wobble_at_the_far_end_is_not_a_rep_of_its_own, needs it (6 for 3 without).
Where the errors are, and why reps outside the labelled set are not told apart by their range,
time or start pose: benchmarks/rep_errors.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from repcount import CANDIDATES, SHARED, SOURCES, best, column, counted, definition, replay, scaled, score  # noqa: E402

from coach.counting import Counter, SetGate, alike  # noqa: E402
from coach.keypoints import KeypointSeries  # noqa: E402

FPS = 30.0


class NoSettling(Counter):
    """GOING never goes back to START for standing still short of a rep."""

    def still(self) -> bool:
        return False


class NoPartialRange(Counter):
    """Partial reps alike in a row never become the recent reps' range."""

    def remember_partial(self, span):
        pass


class NoShortReturn(Counter):
    """A swing that turns down again short of the start is never a rep."""

    def needed_return(self) -> float:
        return math.inf


class NoShortestReturn(Counter):
    """A swing that turns down again short of the start is a rep however small a share of its own
    swing it came back (a wobble at the far end)."""

    def needed_return(self) -> float:
        return max(self.spec.min_range, self.spec.short_return * self.set_range())


class NoSetReset(Counter):
    """The recent reps' range carries over from one set to the next, the new set's first rep
    included."""

    def set_ranges(self, ranges):
        if ranges or not self.ranges:
            super().set_ranges(ranges)

    def set_range(self) -> float:
        return self.recent


class NoReady(Counter):
    """No rep begins from the set-up position: the set gate holds every set's first rep."""

    def set_up(self, t) -> bool:
        return False


class NoTooLong(Counter):
    """No swing is dropped for lasting longer than `max_rep_s`."""

    def __init__(self, exercise):
        super().__init__(exercise)
        self.spec = self.spec.model_copy(update={"max_rep_s": math.inf})


class NoGate(SetGate):
    """Every rep the counter completes counts on its frame."""

    def update(self, rep, t):
        self.dropped = None
        if rep is not None:
            self.confirm(rep)
        return self.count(self.confirmed.popleft(), t) if self.confirmed else None


class NoSlowJoin(SetGate):
    """The next rep joins a set only within `set_gap_s`, however slow the reps."""

    def joins(self, previous, rep) -> bool:
        return rep.start_t - previous.end_t <= self.gap_s


class NoAlikeAtEnd(SetGate):
    """A rep still held when the stream ends never counts after a set (only lone reps do)."""

    def finish(self, t):
        if self.held is not None and self.in_set:
            self.held = None
        return super().finish(t)


class NoLonesAtEnd(SetGate):
    """A stream in which no two reps made a set counts nothing."""

    def finish(self, t):
        if self.held is not None and not self.in_set:
            self.held, self.alone = None, []
        return super().finish(t)


class HoldUnlike(SetGate):
    """A candidate rule (issue 27 item 2), not in coach: a rep within `rest_s` of a set's last
    rep and unlike its last reps (kneeling down, getting off the bar after the set) is held as
    the first rep of a set not set up is: it counts once the next rep joins it."""

    def update(self, rep, t):
        if rep is not None and self.in_set and rep.start_t - self.in_set[-1].end_t <= self.rest_s \
                and not alike(self.in_set, rep, self.alike_share):
            rep, self.previous = dataclasses.replace(rep, ready=False), None
        return super().update(rep, t)


class StillFromStart(Counter):
    """A candidate rule (issue 27 item 2), not in coach: a camera started on a person is no
    exception to still_s, so a swing within still_s of the stream's start is not from the set-up
    position (it waives settle_s only)."""

    def set_up(self, t) -> bool:
        return super().set_up(t) and t - self.settled_since >= self.spec.still_s


class OwnDepth(Counter):
    """A candidate rule, not in coach: at a set's first rep, with no recent reps to judge by, a
    return short of the start must come back `short_return` of the swing's own depth."""

    def needed_return(self) -> float:
        return max(super().needed_return(), self.spec.short_return * (self.recent or self.top - self.bottom))


class DepthAsRange(Counter):
    """A candidate rule, not in coach: a rep that came back short of its start enters the recent
    reps' range as deep as it went (top to bottom), not as far as it came back."""

    def return_short(self, v, t):
        rep = self.came_back([f for f in self.frames if f.t <= self.peak_t], self.top - self.bottom)
        self.going_from_peak(v, t)
        return rep


class FirstDepthAsRange(DepthAsRange):
    """A candidate rule, not in coach: `DepthAsRange` for a set's first rep only (with no recent
    reps, its depth is the only measure of the person's range); later ones as shipped."""

    def return_short(self, v, t):
        if self.starts_a_set():
            return super().return_short(v, t)
        return Counter.return_short(self, v, t)


class PairByTurns(Counter):
    """A candidate rule, not in coach: with `alternating: pair`, every second swing completes the
    pair, whichever side the pose shows it on."""

    def second_of_pair(self, frames):
        if self.spec.alternating != "pair":
            return False
        if self.opener is None:
            self.opener = "either"
            return False
        self.opener = None
        return True


# name: (counter, gate, what the rule does); a name starting with + is a candidate rule switched on.
RULES = {
    "none off": (Counter, SetGate, ""),
    "settling": (NoSettling, SetGate, "GOING -> START when still for still_s short of a rep"),
    "partial range": (NoPartialRange, SetGate, "recent_reps alike partial reps become the range"),
    "short return": (NoShortReturn, SetGate, "RETURNING -> GOING, a rep, after coming back short_return"),
    "shortest return": (NoShortestReturn, SetGate, "a short return comes back SHORTEST_RETURN of its own swing"),
    "set reset": (NoSetReset, SetGate, "a new set (after rest_s) is judged afresh, its first rep too"),
    "too long": (NoTooLong, SetGate, "a swing over max_rep_s is dropped"),
    "ready": (NoReady, SetGate, "a rep from the set-up position counts at once"),
    "set gate": (Counter, NoGate, "a set's first rep not set up is held until the next joins"),
    "slow join": (Counter, NoSlowJoin, "slow reps join within twice the quicker's length"),
    "alike at end": (Counter, NoAlikeAtEnd, "a held rep alike the set's last counts at the end"),
    "lones at end": (Counter, NoLonesAtEnd, "lone reps count at the end when no set was made"),
    "+hold unlike": (Counter, HoldUnlike, "a ready rep unlike the set just done is held"),
    "+still from start": (StillFromStart, SetGate, "still for still_s at the stream's start too"),
    "+own depth": (OwnDepth, SetGate, "a set's first short return is judged by its own depth"),
    "+depth as range": (DepthAsRange, SetGate, "a short return's rep is as big as it went deep"),
    "+first depth as range": (FirstDepthAsRange, SetGate, "so only for a set's first rep"),
    "+pair by turns": (PairByTurns, SetGate, "every second swing completes a pair, either side"),
}


def series_counts(job) -> dict:
    """One series: its label, and its count for each rule off and each factor set."""
    folder, name, exercise_id, reps, rules = job
    series = np.load(folder / f"{name}.npy")
    exercise = definition(folder, exercise_id)
    _, samples = counted(exercise, KeypointSeries.from_movenet(series, np.arange(len(series)) / FPS))
    out = {"name": name, "exercise": exercise_id, "reps": reps}
    for rule in rules:
        counter, gate, _ = RULES[rule]
        for factors in CANDIDATES:
            out[f"{rule}|{column(factors)}"] = replay(scaled(exercise, factors), samples, counter, gate)
    return out


def rule_frame(results: pd.DataFrame, rule: str) -> pd.DataFrame:
    """`results` with one rule's counts under repcount's column names."""
    prefix = f"{rule}|"
    counts = {name[len(prefix):]: results[name] for name in results if name.startswith(prefix)}
    return results[["name", "exercise", "reps"]].assign(**counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", nargs="+", choices=list(RULES), default=list(RULES))
    parser.add_argument("--csv", help="also write the per-series counts here")
    args = parser.parse_args()
    rules = ["none off", *[r for r in args.rules if r != "none off"]]
    start = time.perf_counter()
    results = {}
    with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool:
        for source, label in SOURCES.items():
            folder = SHARED / "data" / source
            labels = pd.read_csv(folder / "labels.csv")
            jobs = [(folder, row.name, row.exercise, row.reps, rules) for row in labels.itertuples()]
            results[label] = pd.DataFrame(pool.map(series_counts, jobs))
    (a, ra), (b, rb) = results.items()
    rows = []
    for rule in rules:
        fa, fb = rule_frame(ra, rule), rule_frame(rb, rule)
        # Each source with the factors chosen on the other.
        other = {a: fa.assign(other=fa[column(best(fb))]), b: fb.assign(other=fb[column(best(fa))])}
        row = {"rule off": rule}
        for label, frame in other.items():
            row[f"{label} shipped"] = "{:.3f} / {:.2f}".format(*score(frame, "ours"))
            row[f"{label} other"] = "{:.3f} / {:.2f}".format(*score(frame, "other"))
        together = pd.concat(other.values(), ignore_index=True)
        row["all other"] = "{:.3f} / {:.2f}".format(*score(together, "other"))
        row["all shipped"] = "{:.3f} / {:.2f}".format(*score(together, "ours"))
        rows.append(row)
    print("MAE / OBO; 'other': factors chosen on the other source (the figure a change must hold)")
    print(pd.DataFrame(rows).set_index("rule off").to_string())
    for rule in rules[1:]:
        print(f"  {rule}: {RULES[rule][2]}")
    print(f"{len(ra) + len(rb)} series, {len(rules)} rules x {len(CANDIDATES)} factor sets, in {time.perf_counter() - start:.0f} s")
    if args.csv:
        pd.concat([ra.assign(source=a), rb.assign(source=b)], ignore_index=True).to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
