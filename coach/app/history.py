"""The History page: the charts of coach.charts with filters, the sessions, one page per session."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from coach import charts
from coach.app import resources
from coach.app.reps import show_reps
from coach.app.signal_chart import signal_chart
from coach.errors import CoachError
from coach.exercises import parse
from coach.session import run as count

ALL = "Everyone"
ANY = "Any exercise"
COLUMNS = {"id": "session", "when": "started", "person": "person", "exercise": "exercise", "reps": "reps",
           "sets": "sets", "duration": "duration", "mean_rom": "mean ROM", "mean_tempo_s": "tempo s/rep",
           "status": "status", "source": "source"}


def page():
    db = resources.store()
    chosen = st.query_params.get("session")
    if chosen is not None:
        session_page(db, int(chosen))
        return
    st.title("History")
    everyone = db.sessions()
    if everyone.empty:
        st.info("No workouts yet: do one on the Workout page, or analyse a video and save it.")
        return
    local = everyone["started_at"].dt.tz_convert(datetime.now().astimezone().tzinfo)
    first, last = local.min().date(), local.max().date()
    who, what, when = st.columns([1, 1, 2])
    person = who.selectbox("Person", [ALL, *sorted(everyone["person"].unique())], key="history-person")
    exercise = what.selectbox("Exercise", [ANY, *sorted(everyone["exercise"].unique())], key="history-exercise")
    dates = when.date_input("Dates", (first, max(last, date.today())), key="history-dates")
    start, end = (dates[0], dates[-1]) if isinstance(dates, (tuple, list)) and dates else (first, last)
    since = pd.Timestamp(datetime.combine(start, time.min).astimezone())
    until = pd.Timestamp(datetime.combine(end + timedelta(days=1), time.min).astimezone())
    shown = (everyone["started_at"] >= since) & (everyone["started_at"] < until)
    if person != ALL:
        shown &= everyone["person"] == person
    if exercise != ANY:
        shown &= everyone["exercise"] == exercise
    sessions = everyone[shown]
    if sessions.empty:
        st.info("No sessions match these filters.")
        return

    total_reps, total_sessions, streak = st.columns(3)
    total_reps.metric("Reps", int(sessions["reps"].sum()))
    total_sessions.metric("Sessions", len(sessions))
    current, longest = charts.streaks(charts.trained_days(sessions))
    streak.metric("Streak", f"{current} day{'s' if current != 1 else ''}", f"longest {longest}", delta_color="off")

    st.subheader("Sessions")
    table = session_table(sessions)
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key="history-table",
                          column_config={"session": st.column_config.NumberColumn(format="%d")})
    rows = picked.selection.rows if picked is not None else []
    if rows:
        open_session(int(table.iloc[rows[0]]["session"]))
    options = {int(r["session"]): f"#{r['session']} · {r['started']} · {r['exercise']} · {r['reps']} "
                                  f"rep{'s' if r['reps'] != 1 else ''} · {r['person']}" for _, r in table.iterrows()}
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    shown = pick.selectbox("Open a session", list(options), format_func=options.get, key="history-open")
    if go.button("Open session", key="history-open-button"):
        open_session(shown)
    export(db, sessions)

    st.subheader("Progress")
    left, right = st.columns(2)
    left.altair_chart(charts.reps_per_day(sessions), width="stretch")
    right.altair_chart(charts.reps_per_week(sessions), width="stretch")
    # The trends have a panel per exercise of a fixed width: each gets a row of its own.
    st.altair_chart(charts.rom_trend(sessions), width="content")
    st.altair_chart(charts.tempo_trend(sessions), width="content")
    left, right = st.columns(2)
    left.altair_chart(charts.sets_per_session(sessions), width="stretch")
    right.altair_chart(charts.streak_calendar(sessions), width="content")


def session_table(sessions: pd.DataFrame) -> pd.DataFrame:
    frame = sessions.copy()
    local = frame["started_at"].dt.tz_convert(datetime.now().astimezone().tzinfo)
    frame["when"] = local.dt.strftime("%Y-%m-%d %H:%M")
    frame["duration"] = frame["duration_s"].map(lambda s: f"{int(s) // 60}:{int(s) % 60:02d}")
    frame = frame[list(COLUMNS)].rename(columns=COLUMNS)
    return frame.round({"mean ROM": 1, "tempo s/rep": 2})


def open_session(session_id: int):
    st.query_params["session"] = str(session_id)
    st.rerun()


def export(db, sessions: pd.DataFrame):
    ids = [int(i) for i in sessions["id"]]
    sessions_csv, reps_csv = st.columns(2)
    sessions_csv.download_button("Export sessions (CSV)", sessions.to_csv(index=False), "coach-sessions.csv",
                                 "text/csv", key="history-export-sessions", icon=":material/download:")
    # Read from the database only when the button is pressed.
    reps_csv.download_button("Export their reps (CSV)", lambda: db.reps(ids).to_csv(index=False), "coach-reps.csv",
                             "text/csv", key="history-export-reps", icon=":material/download:")


def back_to_list():
    """Before the next run: leave the session page and forget the row picked in the table."""
    st.query_params.pop("session", None)
    st.session_state.pop("history-table", None)


def session_page(db, session_id: int):
    st.button("All sessions", icon=":material/arrow_back:", key="history-back", on_click=back_to_list)
    session = db.session(session_id)
    when = session["started_at"].tz_convert(datetime.now().astimezone().tzinfo).strftime("%Y-%m-%d %H:%M")
    st.title(f"Session {session_id}: {session['exercise'].replace('_', ' ')}")
    st.caption(f"{session['person']} · {when} · {session['source'] or ''} · {session['status']}")
    reps, sets, duration, rom, tempo = st.columns(5)
    reps.metric("Reps", int(session["reps"]))
    sets.metric("Sets", int(session["sets"]))
    duration.metric("Duration", f"{session['duration_s']:.0f} s")
    rom.metric("Mean ROM", "-" if pd.isna(session["mean_rom"]) else f"{session['mean_rom']:.1f}")
    tempo.metric("Tempo", "-" if pd.isna(session["mean_tempo_s"]) else f"{session['mean_tempo_s']:.2f} s/rep")
    table = db.reps([session_id])
    st.subheader("Reps")
    show_reps(table)
    st.download_button("Export these reps (CSV)", table.to_csv(index=False), f"coach-session-{session_id}-reps.csv",
                       "text/csv", key="session-export", icon=":material/download:")
    if isinstance(session["definition"], str) and session["definition"].strip():
        try:
            exercise = parse(session["definition"], f"session {session_id}")
            analysis = count(exercise, db.poses(session_id))
        except CoachError as error:
            st.caption(f"The signal cannot be drawn again: {error}")
            return
        if analysis.results:
            st.altair_chart(signal_chart(analysis.results, exercise), width="stretch")
            st.caption("The driving signal as the stored keypoints give it, counted again with the definition "
                       f"the session was recorded with ({analysis.count} reps).")
