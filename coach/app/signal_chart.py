"""The driving signal of an analysed session over time, with what the counter held it against
and each counted rep marked: an Altair chart (no Streamlit here) whose `.data` a test can read.

The counter's thresholds follow each person's range (see coach.counting), so they are drawn per
rep: how far from its start the swing had to go (`depth needed`, as the counter recorded it on
the rep) and the line it had to come back past (`return line`: `return_fraction` of its own
range). Absolute limits, where a definition sets them, are drawn across the whole chart. A swing
the counter dropped is marked where it was dropped, with the reason (`too small`, `too short`...),
so that a count lower than expected shows which swings were not reps and why.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from coach.app.hold_chart import hold_chart
from coach.exercises import Exercise
from coach.palette import BROKEN, COUNTED
from coach.types import FrameResult, RepEvent


def signal_frame(results: list[FrameResult], exercise: Exercise) -> pd.DataFrame:
    """t and the smoothed driving signal per frame (NaN where the person was not seen)."""
    drive = exercise.drive_name
    return pd.DataFrame({"t": [r.t for r in results],
                         "value": [r.signals.get(drive, math.nan) for r in results]})


def rep_frame(reps: list[RepEvent], exercise: Exercise) -> pd.DataFrame:
    """One row per rep: its span, range and the two thresholds it was counted against."""
    spec = exercise.count
    high = spec.start == "high"
    rows = []
    for rep in reps:
        swing = rep.rom_max - rep.rom_min
        start, far = (rep.rom_max, rep.rom_min) if high else (rep.rom_min, rep.rom_max)
        sign = -1 if high else 1
        rows.append({
            "rep": rep.index, "set": rep.set_index, "start_t": rep.start_t, "end_t": rep.end_t,
            "mid_t": (rep.start_t + rep.end_t) / 2, "rom_min": rep.rom_min, "rom_max": rep.rom_max,
            "depth_needed": start + sign * rep.depth_needed,
            "return_line": far - sign * spec.return_fraction * swing,
            "label": f"{rep.index}", "flags": ", ".join(rep.flags),
        })
    columns = ["rep", "set", "start_t", "end_t", "mid_t", "rom_min", "rom_max", "depth_needed", "return_line",
               "label", "flags"]
    return pd.DataFrame(rows, columns=columns)


def rejection_frame(results: list[FrameResult], exercise: Exercise) -> pd.DataFrame:
    """One row per swing not counted: when it ended, the signal there, and why."""
    drive = exercise.drive_name
    value_at = {r.t: r.signals.get(drive, math.nan) for r in results}
    rows = [{"t": r.rejected_t, "value": value_at.get(r.rejected_t, math.nan), "reason": r.rejected}
            for r in results if r.rejected]
    return pd.DataFrame(rows, columns=["t", "value", "reason"])


def signal_chart(results: list[FrameResult], exercise: Exercise, height: int = 260) -> alt.LayerChart:
    """The driving signal, shaded reps numbered at the top, per-rep thresholds, absolute limits
    (for a hold: its band and the timed holds, coach.app.hold_chart)."""
    if exercise.hold is not None:
        return hold_chart(results, exercise, height)
    drive = exercise.count.signal
    unit = exercise.drive.unit
    signal = signal_frame(results, exercise)
    reps = rep_frame([r.rep for r in results if r.rep is not None], exercise)
    x = alt.X("t:Q", title="time (s)")
    y_title = f"{drive} ({unit})"
    layers = [
        alt.Chart(reps).mark_rect(color=COUNTED, opacity=0.12).encode(
            alt.X("start_t:Q", title="time (s)"), alt.X2("end_t:Q"),
            tooltip=[alt.Tooltip("rep:Q"), alt.Tooltip("set:Q"), alt.Tooltip("start_t:Q", format=".2f"),
                     alt.Tooltip("end_t:Q", format=".2f"), alt.Tooltip("rom_min:Q", format=".1f"),
                     alt.Tooltip("rom_max:Q", format=".1f"), alt.Tooltip("flags:N")]),
        alt.Chart(signal).mark_line(color="#1f4e9c", strokeWidth=1.6).encode(
            x, alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("t:Q", format=".2f"), alt.Tooltip("value:Q", format=".1f", title=drive)]),
    ]
    thresholds = reps.melt(id_vars=["rep", "start_t", "end_t"], value_vars=["depth_needed", "return_line"],
                           var_name="threshold", value_name="level")
    thresholds["threshold"] = thresholds["threshold"].map({"depth_needed": "depth needed",
                                                          "return_line": "return line"})
    limits = pd.DataFrame([{"threshold": name.replace("_", " "), "level": value}
                           for name, value in (("far_limit", exercise.count.far_limit),
                                               ("near_limit", exercise.count.near_limit)) if value is not None],
                          columns=["threshold", "level"])
    colours = {"depth needed": "#c62828", "return line": "#ef6c00", "far limit": "#6a1b9a", "near limit": "#00838f"}
    shown = ["depth needed", "return line", *limits["threshold"]]
    colour = alt.Color("threshold:N", title="counted against",
                       scale=alt.Scale(domain=shown, range=[colours[name] for name in shown]))
    layers.append(alt.Chart(thresholds).mark_rule(strokeDash=[5, 3], strokeWidth=1.5).encode(
        alt.X("start_t:Q"), alt.X2("end_t:Q"), alt.Y("level:Q"), colour,
        tooltip=["rep:Q", "threshold:N", alt.Tooltip("level:Q", format=".1f")]))
    if len(limits):
        layers.append(alt.Chart(limits).mark_rule(strokeDash=[2, 2]).encode(
            alt.Y("level:Q"), colour, tooltip=["threshold:N", "level:Q"]))
    layers.append(alt.Chart(reps).mark_text(dy=-4, fontSize=11, fontWeight="bold", color=COUNTED).encode(
        alt.X("mid_t:Q"), alt.Y(value=8), alt.Text("label:N")))
    dropped = rejection_frame(results, exercise)
    tooltip = [alt.Tooltip("t:Q", format=".2f"), alt.Tooltip("reason:N", title="not counted")]
    layers.append(alt.Chart(dropped).mark_point(shape="cross", size=70, color="#757575", strokeWidth=2).encode(
        alt.X("t:Q"), alt.Y("value:Q"), tooltip=tooltip))
    layers.append(alt.Chart(dropped).mark_text(dy=-10, fontSize=9, color="#616161").encode(
        alt.X("t:Q"), alt.Y("value:Q"), alt.Text("reason:N"), tooltip=tooltip))
    return alt.layer(*layers).properties(height=height, title=f"{exercise.name}: {drive} and the counted reps")


def rule_frame(reps: list[RepEvent], exercise: Exercise) -> pd.DataFrame:
    """One row per form rule and rep: the rule's signal, its threshold, and whether the rep broke it
    (as the CLI's rep lines say `form: shallow`)."""
    rows = []
    for rule in exercise.form:
        bounds = [(side, value) for side, value in (("above", rule.above), ("below", rule.below)) if value is not None]
        for side, level in bounds:
            for rep in reps:
                rows.append({"rule": rule.rule, "signal": rule.signal, "test": f"{rule.stat} over {rule.phase} {side} {level:g}",
                             "level": level, "rep": rep.index, "start_t": rep.start_t, "end_t": rep.end_t,
                             "mid_t": (rep.start_t + rep.end_t) / 2, "broke": rule.rule in rep.flags})
    return pd.DataFrame(rows, columns=["rule", "signal", "test", "level", "rep", "start_t", "end_t", "mid_t", "broke"])


def rule_table(reps: list[RepEvent], exercise: Exercise) -> pd.DataFrame:
    """One row per rep: the form rules it broke, as the CLI's rep lines list them ("none")."""
    return pd.DataFrame({"rep": [rep.index for rep in reps],
                         "rules broken": [", ".join(f for f in rep.flags if f in {r.rule for r in exercise.form}) or "none"
                                          for rep in reps]})


def form_charts(results: list[FrameResult], exercise: Exercise, height: int = 150) -> list[alt.LayerChart]:
    """A chart per signal that a form rule checks (none without form rules): the signal, each
    rule's threshold as a dashed line, and the reps that broke a rule shaded red with their
    numbers. Separate charts, each as wide as the page gives it, with the rules' legend under
    it: concatenated into one, of a fixed width with the legend beside it, they ran out of their box."""
    reps = [r.rep for r in results if r.rep is not None]
    rules = rule_frame(reps, exercise)
    panels = []
    for name in dict.fromkeys(rule.signal for rule in exercise.form):
        signal = pd.DataFrame({"t": [r.t for r in results], "value": [r.signals.get(name, math.nan) for r in results]})
        mine = rules[rules["signal"] == name]
        lines = mine.drop_duplicates(["rule", "level"])
        broken = mine[mine["broke"]]
        unit = exercise.signals[name].unit
        layers = [
            alt.Chart(broken).mark_rect(color=BROKEN, opacity=0.15).encode(
                alt.X("start_t:Q", title="time (s)"), alt.X2("end_t:Q"), tooltip=["rep:Q", "rule:N", "test:N"]),
            alt.Chart(signal).mark_line(color="#1f4e9c", strokeWidth=1.4).encode(
                alt.X("t:Q", title="time (s)"), alt.Y("value:Q", title=f"{name} ({unit})", scale=alt.Scale(zero=False))),
            alt.Chart(lines).mark_rule(strokeDash=[5, 3], strokeWidth=1.5).encode(
                alt.Y("level:Q"), alt.Color("rule:N", title="form rule", legend=alt.Legend(orient="bottom")),
                tooltip=["rule:N", "test:N"]),
            alt.Chart(broken).mark_text(dy=-4, fontSize=10, fontWeight="bold", color=BROKEN).encode(
                alt.X("mid_t:Q"), alt.Y(value=8), alt.Text("rep:Q"), tooltip=["rep:Q", "rule:N", "test:N"]),
        ]
        panels.append(alt.layer(*layers).properties(
            height=height, title=f"{name}: " + "; ".join(f"{r} ({t})" for r, t in zip(lines["rule"], lines["test"]))))
    return panels
