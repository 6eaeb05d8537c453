"""Figures of the workout history: Altair charts that Streamlit renders and `coach history --plot`
saves as PNG.

Every function takes the sessions table of `Store.sessions()` (one row per session: started_at in
UTC, person, exercise, reps, sets, duration_s, mean_rom, mean_tempo_s, status, `view`, the
camera view where it was recorded, and `held_s`, a hold exercise's time held) and returns a chart whose `.data` holds the numbers drawn, so
that a test can check them. Personal bests also read the reps table of `Store.reps()`. Days are the person's local
calendar days (`tz`, default this machine's zone); dates travel to Vega-Lite as "YYYY-MM-DD"
strings drawn with UTC time units, so no renderer's time zone can move a bar to another day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import altair as alt
import pandas as pd

from coach.errors import InputError
from coach.words import plural, short_unit

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Ordinal axes of "YYYY-MM-DD" strings, labelled "Sep 07" (parsed and printed in UTC).
DATE_LABEL = "utcFormat(toDate(datum.value), '%b %d')"
EXERCISE = alt.Color("name:N", title="exercise")  # the exercise's name, as people read it
NO_VIEW = "view not recorded"


def exercise_labels(ids) -> dict[str, tuple[str, str]]:
    """{exercise id: (name, unit of its driving signal)} from the library; an exercise no longer
    defined keeps its id and no unit."""
    from coach.exercise_library import Library

    library = Library()
    return {i: (library.exercises[i].name, library.exercises[i].drive.unit) if i in library.exercises else (i, "")
            for i in ids}


def views(sessions: pd.DataFrame) -> pd.Series:
    """The camera view of each session ("side", "front"...), NO_VIEW where it was not stored."""
    if "view" not in sessions:
        return pd.Series(NO_VIEW, index=sessions.index)
    return sessions["view"].where(sessions["view"].notna() & (sessions["view"] != ""), NO_VIEW)


def local_days(sessions: pd.DataFrame, tz=None) -> pd.DataFrame:
    """The sessions with `day` (local date, "YYYY-MM-DD") and `week` (its Monday) added, oldest first."""
    tz = tz or datetime.now().astimezone().tzinfo
    frame = sessions.sort_values("started_at").copy()
    local = pd.to_datetime(frame["started_at"], utc=True).dt.tz_convert(tz)
    frame["day"] = local.dt.strftime("%Y-%m-%d")
    frame["week"] = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    frame["started"] = local.dt.strftime("%Y-%m-%d %H:%M")
    frame["at"] = local.dt.strftime("%Y-%m-%dT%H:%M:%S")  # ISO without an offset: local time to Vega too
    return frame


def per_day(sessions: pd.DataFrame, tz=None) -> pd.DataFrame:
    """Reps, sets and sessions per local day and exercise."""
    return totals(sessions, "day", tz)


def per_week(sessions: pd.DataFrame, tz=None) -> pd.DataFrame:
    """Reps, sets and sessions per week (starting Monday) and exercise."""
    return totals(sessions, "week", tz)


def totals(sessions: pd.DataFrame, period: str, tz=None) -> pd.DataFrame:
    frame = local_days(sessions, tz)
    labels = exercise_labels(frame["exercise"].unique())
    frame["name"] = [labels[e][0] for e in frame["exercise"]]
    return (frame.groupby([period, "exercise", "name"], as_index=False)
            .agg(reps=("reps", "sum"), sets=("sets", "sum"), sessions=("id", "count")))


def active(sessions: pd.DataFrame) -> pd.Series:
    """Whether each session did something: reps, or a hold exercise's time held."""
    return (sessions["reps"] > 0) | (held(sessions) > 0)


def held(sessions: pd.DataFrame) -> pd.Series:
    """Each session's time held in seconds: NaN for a rep exercise (and a table from before holds)."""
    return sessions["held_s"].astype(float) if "held_s" in sessions else pd.Series(float("nan"), index=sessions.index)


def trained_days(sessions: pd.DataFrame, tz=None) -> pd.Series:
    """The local day of each session with reps or a hold, oldest first (days repeat)."""
    return local_days(sessions[active(sessions)], tz)["day"]


def week_range(weeks: pd.Series, least: int = 8) -> list[str]:
    """Every week (its Monday) from the first to the last, at least the last `least` weeks, so
    that weeks without training show as gaps and a short history as narrow bars."""
    if weeks.empty:
        return []
    last = date.fromisoformat(weeks.max())
    first = min(date.fromisoformat(weeks.min()), last - timedelta(weeks=least - 1))
    return [(first + timedelta(weeks=i)).isoformat() for i in range((last - first).days // 7 + 1)]


def day_range(days: pd.Series, least: int = 14) -> list[str]:
    """An x domain from the first day to the day after the last, at least `least` days wide, so
    that a short history still shows days as narrow bars."""
    if days.empty:
        return []
    last = date.fromisoformat(days.max()) + timedelta(days=1)
    first = min(date.fromisoformat(days.min()), last - timedelta(days=least))
    return [first.isoformat(), last.isoformat()]


def reps_per_day(sessions: pd.DataFrame, tz=None) -> alt.Chart:
    data = per_day(sessions, tz)
    # "YYYY-MM-DD" parses as UTC midnight; the UTC time unit draws it on that very day.
    x = alt.X("utcyearmonthdate(day):T", title="day", axis=alt.Axis(format="%b %d"),
              scale=alt.Scale(domain=day_range(data["day"])) if len(data) else alt.Undefined)
    return alt.Chart(data, title="Reps per day").mark_bar().encode(
        x, alt.Y("reps:Q", title="reps", stack="zero"), EXERCISE,
        tooltip=["day:N", alt.Tooltip("name:N", title="exercise"), "reps:Q", "sets:Q", "sessions:Q"])


def reps_per_week(sessions: pd.DataFrame, tz=None, today: date | None = None) -> alt.LayerChart:
    """Weekly volume: reps per week and exercise, stacked; this week's bar says so with its total."""
    data = per_week(sessions, tz)
    today = today or pd.Timestamp.now(tz or datetime.now().astimezone().tzinfo).date()
    this_week = (today - timedelta(days=today.weekday())).isoformat()
    weeks = week_range(pd.concat([data["week"], pd.Series([this_week])]) if len(data) else data["week"])
    label = f"datum.value == '{this_week}' ? 'this week' : {DATE_LABEL}"
    x = alt.X("week:O", title="week of", axis=alt.Axis(labelAngle=-45, labelExpr=label),
              scale=alt.Scale(domain=weeks) if weeks else alt.Undefined)
    bars = alt.Chart(data).mark_bar().encode(
        x, alt.Y("reps:Q", title="reps", stack="zero"),
        EXERCISE, tooltip=["week:N", alt.Tooltip("name:N", title="exercise"), "reps:Q", "sets:Q", "sessions:Q"])
    current = data[data["week"] == this_week].groupby("week", as_index=False)["reps"].sum()
    current["label"] = current["reps"].astype(str)
    text = alt.Chart(current).mark_text(dy=-6, fontWeight="bold", baseline="bottom").encode(
        alt.X("week:O"), alt.Y("reps:Q"), alt.Text("label:N"))
    return alt.layer(bars, text, title="Weekly volume (reps per week)")


def rolling(sessions: pd.DataFrame, column: str, window: int = 5, tz=None) -> pd.DataFrame:
    """`column` per session with its rolling mean over the last `window` sessions of that exercise
    in that camera view (a side view measures another range than a front view)."""
    frame = local_days(sessions, tz)
    frame["view"] = views(frame)
    frame = frame[frame[column].notna()].copy()
    frame["rolling"] = (frame.groupby(["exercise", "view"])[column]
                        .transform(lambda values: values.rolling(window, min_periods=1).mean()))
    labels = exercise_labels(frame["exercise"].unique())
    frame["name"] = [labels[e][0] for e in frame["exercise"]]
    frame["panel"] = [f"{labels[e][0]}, {v}" + (f" ({labels[e][1]})" if column == "mean_rom" and labels[e][1] else "")
                      for e, v in zip(frame["exercise"], frame["view"])]
    return frame[["id", "started_at", "started", "at", "day", "exercise", "name", "view", "panel", "person", column, "rolling"]]


def trend(sessions: pd.DataFrame, column: str, title: str, axis: str, window: int = 5, tz=None) -> alt.FacetChart:
    """Points per session and a line of their rolling mean, one panel per exercise and view (units
    differ: degrees for an angle, torso lengths for a height). The x axis is by day: a session is
    drawn on its local day, under that day's label, whatever its hour."""
    data = rolling(sessions, column, window, tz)
    days = day_range(data["day"], least=7)
    x = alt.X("utcyearmonthdate(day):T", title="day", axis=alt.Axis(format="%b %d", labelAngle=-45),
              scale=alt.Scale(domain=days) if days else alt.Undefined)
    base = alt.Chart().encode(x, color=EXERCISE)
    points = base.mark_point(filled=True, opacity=0.6).encode(
        alt.Y(f"{column}:Q", title=axis, scale=alt.Scale(zero=False), axis=alt.Axis(format=".3~g")),
        tooltip=["started:N", alt.Tooltip("name:N", title="exercise"), "view:N", alt.Tooltip(f"{column}:Q", format=".2f"), "id:Q"])
    line = base.mark_line(strokeWidth=2).encode(alt.Y("rolling:Q", title=axis))
    return alt.layer(points, line, data=data).properties(width=420, height=120).facet(
        row=alt.Row("panel:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelOrient="top",
                                                             labelFontWeight="bold")),
        title=f"{title} (rolling mean of {window} sessions)",
    ).resolve_scale(y="independent")


def rom_trend(sessions: pd.DataFrame, window: int = 5, tz=None) -> alt.FacetChart:
    return trend(sessions, "mean_rom", "Range of motion per camera view", "mean range of motion", window, tz)


def tempo_trend(sessions: pd.DataFrame, window: int = 5, tz=None) -> alt.FacetChart:
    return trend(sessions, "mean_tempo_s", "Time per rep", "seconds per rep", window, tz)


def hold_trend(sessions: pd.DataFrame, window: int = 5, tz=None) -> alt.FacetChart:
    """A hold exercise's (plank, wall sit) time held per session, all its sets together; sessions
    of rep exercises are left out."""
    return trend(sessions.assign(held_s=held(sessions)), "held_s", "Time held per session", "seconds held", window, tz)


def personal_bests(sessions: pd.DataFrame, reps: pd.DataFrame, tz=None) -> pd.DataFrame:
    """Per exercise and view: for a rep exercise the most reps in one set and the largest range of
    one rep; for a hold exercise the longest time held in a session; each with its value, unit and
    day. `reps` is Store.reps() (rows of sessions not in `sessions` are ignored). A rep's time at
    the far end is no best: a longer pause there is not a better squat."""
    frame = local_days(sessions, tz)
    frame["view"] = views(frame)
    frame["held_s"] = held(frame)
    rows = reps.merge(frame[["id", "day", "view"]], left_on="session_id", right_on="id")
    holds = frame[frame["held_s"] > 0]
    labels = exercise_labels(set(rows["exercise"]) | set(holds["exercise"]))
    out = []
    for (exercise, view), group in holds.groupby(["exercise", "view"]):
        longest = group.loc[group["held_s"].idxmax()]
        out.append({"exercise": exercise, "name": labels[exercise][0], "view": view, "best": "longest hold",
                    "value": float(longest["held_s"]), "day": longest["day"],
                    "text": f"{longest['held_s']:.1f} s  ({date.fromisoformat(longest['day']):%b %d})"})
    if rows.empty:
        return pd.DataFrame(out, columns=["exercise", "name", "view", "best", "value", "text", "day"])
    rows["rom"] = rows["rom_max"] - rows["rom_min"]
    per_set = rows.groupby(["exercise", "view", "session_id", "set_index", "day"], as_index=False).size()
    for (exercise, view), group in rows.groupby(["exercise", "view"]):
        name, unit = labels[exercise]
        sets = per_set[(per_set["exercise"] == exercise) & (per_set["view"] == view)]
        most = sets.loc[sets["size"].idxmax()]
        deepest = group.loc[group["rom"].idxmax()]
        for best, value, text, day in (
                ("most reps in a set", most["size"], plural(most["size"], "rep"), most["day"]),
                ("largest range", deepest["rom"], f"{deepest['rom']:.3g} {short_unit(unit)}".strip(), deepest["day"])):
            out.append({"exercise": exercise, "name": name, "view": view, "best": best, "value": float(value),
                        "text": f"{text}  ({date.fromisoformat(day):%b %d})", "day": day})
    return pd.DataFrame(out)


def bests_chart(sessions: pd.DataFrame, reps: pd.DataFrame, tz=None) -> alt.Chart:
    """Personal bests as a table drawn in text: a row per exercise and view, a column per best."""
    data = personal_bests(sessions, reps, tz)
    data["row"] = data["name"] + ", " + data["view"]
    return alt.Chart(data, title="Personal bests").mark_text(align="left", dx=-60, fontSize=12).encode(
        alt.X("best:N", title=None, sort=["most reps in a set", "largest range", "longest hold"],
              axis=alt.Axis(orient="top", labelAngle=0, labelFontWeight="bold", domain=False, ticks=False)),
        alt.Y("row:N", title=None, axis=alt.Axis(domain=False, ticks=False, labelFontWeight="bold")),
        alt.Text("text:N"), tooltip=["name:N", "view:N", "best:N", "text:N"],
    ).properties(width=alt.Step(150), height=alt.Step(22))


def streaks(days: list[str] | pd.Series, today: date | None = None) -> tuple[int, int]:
    """(current, longest) runs of consecutive training days. The current run ends today, or
    yesterday when today has no session yet."""
    trained = sorted({date.fromisoformat(str(d)) for d in days})
    longest = run = 0
    previous = None
    for day in trained:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    today = today or date.today()
    current = 0
    if trained and today - trained[-1] <= timedelta(days=1):
        current = run
    return current, longest


def calendar(sessions: pd.DataFrame, weeks: int | None = None, today: date | None = None, tz=None) -> pd.DataFrame:
    """One row per day of the last `weeks` weeks (to the end of this week): reps and whether trained.
    By default the weeks since the first session, at least 8 and at most 53."""
    today = today or date.today()
    local = local_days(sessions, tz)
    if weeks is None:
        first = date.fromisoformat(local["day"].min()) if len(local) else today
        weeks = min(max((today - first).days // 7 + 1, 8), 53)
    end = today + timedelta(days=6 - today.weekday())
    days = pd.date_range(end=end, periods=7 * weeks, freq="D")
    done = local[local["reps"] > 0].groupby("day")["reps"].sum()
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d")})
    frame["reps"] = frame["day"].map(done).fillna(0).astype(int)
    frame["trained"] = frame["day"].isin(set(local[active(local)]["day"]))  # a hold is training too
    frame["weekday"] = [WEEKDAYS[d] for d in days.day_of_week]
    frame["week"] = (days - pd.to_timedelta(days.day_of_week, unit="D")).strftime("%Y-%m-%d")
    frame["future"] = days.date > today
    return frame


def streak_calendar(sessions: pd.DataFrame, weeks: int | None = None, today: date | None = None, tz=None) -> alt.Chart:
    """A calendar of training days, darker for more reps; the title gives the streaks."""
    data = calendar(sessions, weeks, today, tz)
    current, longest = streaks(trained_days(sessions, tz), today)
    data = data[~data["future"]]
    title = alt.Title("Training days", subtitle=f"current streak {plural(current, 'day')}, "
                                                f"longest {longest}", anchor="start")
    return alt.Chart(data, title=title).mark_rect(
        cornerRadius=2, stroke="white", strokeWidth=1.5).encode(
        alt.X("week:O", title=None, axis=alt.Axis(labelAngle=-45, labelExpr=DATE_LABEL, labelOverlap=True)),
        alt.Y("weekday:O", title=None, sort=WEEKDAYS),
        color=alt.condition("datum.trained", alt.Color("reps:Q", title="reps", scale=alt.Scale(scheme="greens")),
                            alt.value("#e8e8e8")),
        tooltip=["day:N", "reps:Q"],
    ).properties(width=alt.Step(20), height=alt.Step(20))


def dashboard(sessions: pd.DataFrame, reps: pd.DataFrame | None = None, title: str = "Workout history",
              today: date | None = None, tz=None):
    """All the figures in one column: what `coach history --plot` writes and the page exports.
    `reps` (Store.reps()) adds the personal bests."""
    if sessions.empty:
        raise InputError("no sessions to plot (store some with `coach analyze ... --save`)")
    bottom = [streak_calendar(sessions, today=today, tz=tz)]
    if reps is not None and len(reps):
        bottom.insert(0, bests_chart(sessions, reps, tz))
    return alt.vconcat(
        alt.hconcat(reps_per_day(sessions, tz).properties(width=360, height=180),
                    reps_per_week(sessions, tz, today).properties(width=260, height=180)),
        alt.hconcat(rom_trend(sessions, tz=tz), tempo_trend(sessions, tz=tz),
                    *([hold_trend(sessions, tz=tz)] if held(sessions).notna().any() else [])),
        alt.hconcat(*bottom),
        title=title,
    ).resolve_scale(color="independent")


def png(chart, scale: float = 2.0) -> bytes:
    """A chart rendered to PNG bytes (vl-convert, no browser needed)."""
    import io

    out = io.BytesIO()
    chart.save(out, format="png", scale_factor=scale)
    return out.getvalue()


def save_png(chart, path: str | Path, scale: float = 2.0) -> Path:
    """Render a chart to a PNG file."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"--plot writes a PNG: give a file name ending in .png, not {path.name!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png(chart, scale))
    except (OSError, ValueError) as error:
        raise InputError(f"cannot write {path}: {error}") from None
    return path
