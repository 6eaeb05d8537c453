"""A hold exercise's driving signal over time, with the band it must stay in and each timed hold
shaded and labelled with its seconds: an Altair chart (no Streamlit here) whose layers' `.data` a
test can read. coach.app.signal_chart draws this one for a definition with a `hold:` block.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from coach.exercises import Exercise
from coach.holds import timed_sets
from coach.palette import COUNTED
from coach.types import FrameResult


def hold_frame(results: list[FrameResult]) -> pd.DataFrame:
    """One row per hold that became a set: its span and seconds held, as last seen."""
    return pd.DataFrame([{"set": h.index + 1, "start_t": h.start_t, "end_t": h.end_t, "mid_t": (h.start_t + h.end_t) / 2,
                          "held_s": h.held_s, "label": f"{h.held_s:.1f} s"} for h in timed_sets(results)],
                        columns=["set", "start_t", "end_t", "mid_t", "held_s", "label"])


def hold_chart(results: list[FrameResult], exercise: Exercise, height: int = 260) -> alt.LayerChart:
    """The first signal of `hold.position`, its band's bounds as dashed lines, the holds shaded."""
    drive, unit = exercise.drive_name, exercise.drive.unit
    band = exercise.hold.position[drive]
    signal = pd.DataFrame({"t": [r.t for r in results], "value": [r.signals.get(drive, math.nan) for r in results]})
    holds = hold_frame(results)
    bounds = pd.DataFrame([{"bound": f"held {side} {level:g}", "level": level}
                           for side, level in (("above", band.above), ("below", band.below)) if level is not None])
    return alt.layer(
        alt.Chart(holds).mark_rect(color=COUNTED, opacity=0.12).encode(
            alt.X("start_t:Q", title="time (s)"), alt.X2("end_t:Q"),
            tooltip=["set:Q", alt.Tooltip("held_s:Q", format=".1f"), alt.Tooltip("start_t:Q", format=".2f"),
                     alt.Tooltip("end_t:Q", format=".2f")]),
        alt.Chart(signal).mark_line(color="#1f4e9c", strokeWidth=1.6).encode(
            alt.X("t:Q", title="time (s)"), alt.Y("value:Q", title=f"{drive} ({unit})", scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("t:Q", format=".2f"), alt.Tooltip("value:Q", format=".1f", title=drive)]),
        alt.Chart(bounds).mark_rule(strokeDash=[5, 3], strokeWidth=1.5, color="#c62828").encode(
            alt.Y("level:Q"), tooltip=["bound:N"]),
        alt.Chart(holds).mark_text(dy=-4, fontSize=11, fontWeight="bold", color=COUNTED).encode(
            alt.X("mid_t:Q"), alt.Y(value=8), alt.Text("label:N")),
    ).properties(height=height, title=f"{exercise.name}: {drive} and the timed holds")
