"""The rep table that the analysis page and a stored session's page both show."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coach.words import short_unit

HELP = {
    "range": "highest - lowest: how far the rep went",
    "fastest": "the fastest the measured angle or distance changed in the rep",
    "left-right difference": "how far the two sides differed on average, where both were seen",
    "body seen": "how surely the camera saw the body parts the exercise needs (0 to 1)",
}


def phase_words(exercise=None) -> tuple[str, str, str]:
    """A rep's three parts in the exercise's own words: ("lowering", "bottom", "pushing") for a
    push-up."""
    if exercise is None or exercise.count is None:
        return "going", "far end", "coming back"
    going, far, back = (p.replace("_", " ") for p in exercise.count.phases[1:])
    return going, far, back


def headings(exercise=None) -> dict[str, str]:
    """Column -> heading in a user's words: the rep's parts named by the exercise's own phases
    ("descending", "pause at bottom", "ascending" for a squat) and figures with their units."""
    going, far, back = phase_words(exercise)
    unit = f" ({short_unit(exercise.drive.unit)})" if exercise is not None else ""
    speed = f" ({short_unit(exercise.drive.unit)}/s)" if exercise is not None else ""
    return {
        "rep": "rep", "set": "set", "start_t": "starts at (s)", "end_t": "ends at (s)", "duration": "rep time (s)",
        "rom_min": f"lowest{unit}", "rom_max": f"highest{unit}", "rom": f"range{unit}", "time_down": f"{going} (s)",
        "time_bottom": f"pause at {far} (s)", "time_up": f"{back} (s)", "peak_speed": f"fastest{speed}",
        "asymmetry": f"left-right difference{unit}", "confidence": "body seen", "flags": "form notes",
    }


def show_reps(table: pd.DataFrame, exercise=None):
    """One row per rep, in the order and with the headings of `headings(exercise)`; other columns
    dropped."""
    names = headings(exercise)
    table = table.rename(columns={"rep_index": "rep", "set_index": "set"})
    # The store keeps the ends only.
    table = table.assign(duration=table["end_t"] - table["start_t"], rom=table["rom_max"] - table["rom_min"])
    shown = table[[c for c in names if c in table]].rename(columns=names)
    config = {name: st.column_config.NumberColumn(help=HELP.get(name.split(" (")[0]), format="%.2f")
              for name in shown.columns if name not in ("rep", "set", "form notes")}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
