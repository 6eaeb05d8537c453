"""The rep table that the analysis page and a stored session's page both show."""

from __future__ import annotations

import pandas as pd
import streamlit as st

# Column -> heading. The store names the first two rep_index and set_index.
HEADINGS = {
    "rep": "rep", "set": "set", "start_t": "start (s)", "end_t": "end (s)", "duration": "duration (s)",
    "rom_min": "low", "rom_max": "high", "rom": "range", "time_down": "going (s)", "time_bottom": "at the turn (s)",
    "time_up": "back (s)", "peak_speed": "peak speed (/s)", "asymmetry": "left-right gap",
    "confidence": "keypoint score", "flags": "form flags",
}
HELP = {
    "low": "lowest value of the driving signal in the rep",
    "high": "highest value of the driving signal in the rep",
    "range": "high - low: the rep's range of motion",
    "peak speed (/s)": "fastest change of the driving signal, in its units per second",
    "left-right gap": "mean difference between the two sides, where both were seen",
    "keypoint score": "mean MoveNet score of the keypoints the exercise needs",
}


def show_reps(table: pd.DataFrame):
    """One row per rep, in the order and with the headings of HEADINGS; other columns dropped."""
    table = table.rename(columns={"rep_index": "rep", "set_index": "set"})
    # The store keeps the ends only.
    table = table.assign(duration=table["end_t"] - table["start_t"], rom=table["rom_max"] - table["rom_min"])
    shown = table[[c for c in HEADINGS if c in table]].rename(columns=HEADINGS)
    config = {name: st.column_config.NumberColumn(help=HELP.get(name), format="%.2f")
              for name in shown.columns if name not in ("rep", "set", "form flags")}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
