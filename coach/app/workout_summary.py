"""The card at End workout: the saved workout's sets, reps per set, time per rep, range and cues, beside
the same person's last workout of the same exercise. Read back from the history, so the card
shows what was stored, not what the page believed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from coach import progress
from coach.app.reps import phase_words
from coach.exercises import Exercise
from coach.progress import Progress
from coach.words import short_unit


@dataclass(frozen=True)
class WorkoutFigures:
    session_id: int
    started_at: pd.Timestamp
    reps: int
    sets: tuple[int, ...]  # reps in each set
    duration_s: float
    rep_s: float | None  # mean time per rep, start to end, s: History's "time per rep"
    down_s: float | None  # mean time going to the far end, s
    far_s: float | None  # mean time paused at the far end
    up_s: float | None  # mean time coming back
    range_min: float | None  # mean lowest and highest value of the counted signal
    range_max: float | None
    cues: dict[str, int]  # the cue's words -> reps it was given on
    flagged: dict[str, int]  # low_fps / wrong_view -> reps
    progress: Progress  # the reps, or the time held in all (coach.progress): the card's figure
    held_s: float | None = None  # a hold's time held in all, None for reps
    sets_held_s: tuple[float, ...] = ()  # a hold's time held in each set


@dataclass(frozen=True)
class WorkoutSummary:
    this: WorkoutFigures
    last: WorkoutFigures | None  # the person's workout of this exercise before it


def summarise(store, session_id: int, exercise: Exercise) -> WorkoutSummary:
    session = store.session(session_id)
    earlier = store.sessions(person=session["person"], exercise=session["exercise"])
    earlier = earlier[(earlier["id"] != session_id) & (earlier["started_at"] <= session["started_at"])]
    last = figures(store, earlier.iloc[0], exercise) if not earlier.empty else None
    return WorkoutSummary(figures(store, session, exercise), last)


def figures(store, session: pd.Series, exercise: Exercise) -> WorkoutFigures:
    reps = store.reps([int(session["id"])])
    sets = store.sets([int(session["id"])])
    held_s = None if pd.isna(session["held_s"]) else float(session["held_s"])
    cue_of = {rule.rule: rule.cue for rule in exercise.form}
    given = Counter(flag for flags in reps["flags"] for flag in flags.split(",") if flag)
    return WorkoutFigures(
        session_id=int(session["id"]), started_at=session["started_at"], reps=int(session["reps"]),
        sets=tuple(int(n) for n in sets["reps"]), duration_s=float(session["duration_s"]),
        rep_s=None if pd.isna(session["mean_tempo_s"]) else float(session["mean_tempo_s"]),
        down_s=mean(reps["time_down"]), far_s=mean(reps["time_bottom"]), up_s=mean(reps["time_up"]),
        range_min=mean(reps["rom_min"]), range_max=mean(reps["rom_max"]),
        cues={cue_of[flag]: n for flag, n in given.items() if flag in cue_of},
        flagged={flag: n for flag, n in given.items() if flag not in cue_of},
        held_s=held_s, sets_held_s=tuple(float(h) for h in sets["held_s"].dropna()),
        progress=progress.of(exercise, int(session["reps"]), held_s or 0.0, len(sets)))


def mean(column: pd.Series) -> float | None:
    return float(column.mean()) if column.notna().any() else None


def table(summary: WorkoutSummary, exercise: Exercise) -> pd.DataFrame:
    """The card's table: a row per figure, this workout's column and, when there is one, the
    last workout's beside it. Reps (or time held), sets and time are the card's metrics, not rows."""
    columns = {"This workout": describe(summary.this, exercise)}
    if summary.last is not None:
        columns[f"Last time ({summary.last.started_at:%d %b %H:%M})"] = describe(summary.last, exercise)
    return pd.DataFrame(columns)


def describe(f: WorkoutFigures, exercise: Exercise) -> dict[str, str]:
    cues = "; ".join(f"{text} ({n}x)" for text, n in f.cues.items())
    if f.held_s is not None:  # a hold: no reps, time per rep or range to speak of
        return {"Held per set": " + ".join(f"{h:.1f} s" for h in f.sets_held_s) or "none", "Cues": cues or "none needed"}
    row = {"Reps per set": " + ".join(map(str, f.sets)) or "none",
           "Time per rep": rep_time(f, exercise),
           "Range": f"{f.range_min:.0f}-{f.range_max:.0f} {short_unit(exercise.drive.unit)}" if f.range_min is not None else "-",
           "Cues": cues or "none needed"}
    if f.flagged:
        row["Doubtful reps"] = ", ".join(f"{n} {flag}" for flag, n in f.flagged.items())
    return row


def rep_time(f: WorkoutFigures, exercise: Exercise) -> str:
    """"2.9 s (1.6 s descending, 0.9 s pause at bottom, 0.4 s ascending)": History's time per rep,
    made of the Analyse rep table's three parts, so the parts add up to the whole."""
    if f.rep_s is None:
        return "-"
    if f.down_s is None or f.far_s is None or f.up_s is None:
        return f"{f.rep_s:.1f} s"
    going, far, back = phase_words(exercise)
    return f"{f.rep_s:.1f} s ({f.down_s:.1f} s {going}, {f.far_s:.1f} s pause at {far}, {f.up_s:.1f} s {back})"
