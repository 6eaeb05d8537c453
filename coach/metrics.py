"""The session as pandas tables, built once at the end: per frame, per rep, per session.

Units: seconds, and the driving signal's units (degrees or torso lengths) for range of motion;
`mean_tempo_s` is the mean rep duration, `mean_rom` the mean of rom_max - rom_min.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from coach.framerate import frame_rate
from coach.types import FrameResult, RepEvent

REP_COLUMNS = ["rep", "set", "start_t", "end_t", "counted_t", "duration", "rom_min", "rom_max", "rom", "time_down", "time_bottom",
               "time_up", "peak_speed", "asymmetry", "confidence", "flags"]


def frames_table(results: list[FrameResult]) -> pd.DataFrame:
    """One row per frame: t, phase, reps, sets, visible, each smoothed signal, the rep completed
    there (its number, else 0), the cue said there, and warnings."""
    rows = []
    for r in results:
        rows.append({"t": r.t, "phase": r.phase, "reps": r.reps, "sets": r.sets, "visible": r.visible,
                     **r.signals, "rep": r.rep.index if r.rep else 0, "cue": r.cue.text if r.cue else "",
                     "warnings": "; ".join(r.warnings)})
    return pd.DataFrame(rows, columns=None if rows else ["t", "phase", "reps", "sets", "visible", "rep", "cue", "warnings"])


def reps_table(reps: list[RepEvent]) -> pd.DataFrame:
    """One row per rep, with the definition's extra metrics as further columns."""
    rows = []
    for rep in reps:
        row = dataclasses.asdict(rep)
        extra = row.pop("metrics") or {}
        row["rep"], row["set"] = row.pop("index"), row.pop("set_index")
        row["duration"] = rep.duration
        row["rom"] = rep.rom_max - rep.rom_min
        row["flags"] = ",".join(rep.flags)
        rows.append({**{c: row[c] for c in REP_COLUMNS}, **extra})
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=REP_COLUMNS)
    return frame.astype({"asymmetry": float}) if rows else frame


def summarise(rom: Sequence[float], tempo: Sequence[float], set_indices: Sequence[int]) -> dict:
    """A session's totals from its reps' ranges of motion, durations (s) and set numbers: reps,
    sets, mean_rom and mean_tempo_s (NaN without reps). The one definition: the tables here
    and the store's session rows both use it."""
    if not len(rom):
        return {"reps": 0, "sets": 0, "mean_rom": math.nan, "mean_tempo_s": math.nan}
    return {"reps": len(rom), "sets": len(set(set_indices)), "mean_rom": float(np.nanmean(rom)),
            "mean_tempo_s": float(np.nanmean(tempo))}


def session_table(exercise: str, results: list[FrameResult], reps: list[RepEvent]) -> pd.DataFrame:
    """One row: exercise, reps, sets, duration_s, frames, fps, mean_tempo_s, mean_rom, flagged reps."""
    times = np.array([r.t for r in results])
    duration = float(times[-1] - times[0]) if len(times) > 1 else 0.0
    fps = frame_rate(times) or float("nan")
    totals = summarise([r.rom_max - r.rom_min for r in reps], [r.duration for r in reps], [r.set_index for r in reps])
    return pd.DataFrame([{
        "exercise": exercise,
        "reps": totals["reps"],
        "sets": totals["sets"],
        "duration_s": duration,
        "frames": len(results),
        "fps": fps,
        "mean_tempo_s": totals["mean_tempo_s"],
        "mean_rom": totals["mean_rom"],
        "flagged_reps": sum(1 for r in reps if r.flags),
    }])
