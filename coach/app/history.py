"""The History page: the charts of coach.charts with filters, the sessions, one page per session."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from coach import charts, history
from coach.analyze import analyze_poses
from coach.app import resources
from coach.app.held import holds_line
from coach.app.reps import show_reps
from coach.app.signal_chart import signal_chart
from coach.app.text import plain
from coach.errors import CoachError
from coach.exercises import parse
from coach.holds import timed_sets
from coach.store.transfer import quote_formulas
from coach.words import clock, plural, short_unit

ALL = "Everyone"
ANY = "Any exercise"
COLUMNS = {"id": "session", "when": "started", "person": "person", "exercise_name": "exercise", "title": "name",
           "view": "view", "reps": "reps", "held": "held", "sets": "sets", "duration": "duration", "rom": "mean ROM",
           "tempo": "time per rep", "status": "status"}
# The flash message an action leaves for the next run (the dialogs rerun the page).
DONE = "history-done"
# A person filter to set before the filter is drawn (a widget's value cannot change after).
NEXT_PERSON = "history-next-person"


def page():
    db = resources.store()
    chosen = st.query_params.get("session")
    if chosen is not None:
        if not (chosen.isascii() and chosen.isdigit() and len(chosen) <= 18):  # an id SQLite can hold
            st.button("All sessions", icon=":material/arrow_back:", key="history-back", on_click=back_to_list)
            st.error(f"No session {plain(repr(chosen[:40]))}: a session is a number (the History page lists them).")
            return
        session_page(db, int(chosen))
        return
    st.title("History")
    if DONE in st.session_state:
        st.success(st.session_state.pop(DONE))
    everyone = db.sessions()
    if everyone.empty:
        st.info("No workouts yet: do one on the Workout page, or analyse a video and save it.")
        return
    local = everyone["started_at"].dt.tz_convert(datetime.now().astimezone().tzinfo)
    first, last = local.min().date(), local.max().date()
    who, what, when = st.columns([1, 1, 2])
    if NEXT_PERSON in st.session_state:
        st.session_state["history-person"] = st.session_state.pop(NEXT_PERSON)
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

    held = charts.held(sessions)
    total_reps, total_sessions, streak, *total_held = st.columns(4 if held.notna().any() else 3)
    total_reps.metric("Reps", int(sessions["reps"].sum()))
    if total_held:  # plank, wall sit: time, not reps
        total_held[0].metric("Held", f"{held.sum():.0f} s")
    total_sessions.metric("Sessions", len(sessions))
    current, longest = charts.streaks(charts.trained_days(sessions))
    streak.metric("Streak", plural(current, "day"), f"longest {longest}", delta_color="off")

    st.subheader("Sessions")
    table = session_table(sessions)
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key="history-table",
                          column_config={"session": st.column_config.NumberColumn(format="%d")})
    rows = picked.selection.rows if picked is not None else []
    if rows:
        open_session(int(table.iloc[rows[0]]["session"]))
    options = {int(r["session"]): f"#{r['session']} · {r['started']} · {r['exercise']} · {r['name']} · "
                                  f"{done(r)} · {r['person']}" for _, r in table.iterrows()}
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    shown = pick.selectbox("Open a session", list(options), format_func=options.get, key="history-open")
    if go.button("Open session", key="history-open-button"):
        open_session(shown)
    manage(db, sessions, shown, options[shown])
    export(db, sessions)

    st.subheader("Progress")
    left, right = st.columns(2)
    left.altair_chart(charts.reps_per_day(sessions), width="stretch")
    right.altair_chart(charts.reps_per_week(sessions), width="stretch")
    # The trends have a panel per exercise of a fixed width: each gets a row of its own.
    st.altair_chart(charts.rom_trend(sessions), width="content")
    st.altair_chart(charts.tempo_trend(sessions), width="content")
    if held.notna().any():
        st.altair_chart(charts.hold_trend(sessions), width="content")
    reps = db.reps([int(i) for i in sessions["id"]])
    left, right = st.columns(2)
    if len(reps):
        left.altair_chart(charts.bests_chart(sessions, reps), width="content")
    right.altair_chart(charts.streak_calendar(sessions), width="content")
    # Made only when pressed, rerunning nothing (see export): the figure of `coach history --plot`.
    st.download_button("Export the charts (PNG)", lambda: charts.png(charts.dashboard(sessions, reps)),
                       "coach-history.png", "image/png", key="history-export-png", icon=":material/image:",
                       on_click="ignore")


def session_table(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions as the page lists them: exercise names, the session's name or its file's name,
    a unit on every measure (ROM in its exercise's unit), 0 reps as 0; a hold exercise's time held
    in `held` (its reps "-": it has none), "-" for a rep exercise."""
    frame = sessions.copy()
    local = frame["started_at"].dt.tz_convert(datetime.now().astimezone().tzinfo)
    labels = charts.exercise_labels(frame["exercise"].unique())
    frame["when"] = local.dt.strftime("%Y-%m-%d %H:%M")
    frame["exercise_name"] = [labels[e][0] for e in frame["exercise"]]
    frame["title"] = [session_title(s) for _, s in frame.iterrows()]
    frame["view"] = frame["view"].where(frame["view"].notna(), "-")
    frame["duration"] = frame["duration_s"].map(clock)
    frame["rom"] = [history.measure(None if pd.isna(v) else v, short_unit(labels[e][1]), 1)
                    for v, e in zip(frame["mean_rom"], frame["exercise"])]
    frame["tempo"] = [history.measure(None if pd.isna(v) else v, "s", 2) for v in frame["mean_tempo_s"]]
    held = charts.held(frame)
    frame["held"] = [history.measure(None if pd.isna(v) else v, "s", 1) for v in held]
    frame["reps"] = [str(int(r)) if pd.isna(h) else "-" for r, h in zip(frame["reps"].fillna(0), held)]
    return frame[list(COLUMNS)].rename(columns=COLUMNS)


def done(row: pd.Series) -> str:
    """A row of session_table's work: "5 reps", or a hold's "7.6 s held"."""
    return f"{row['held']} held" if row["held"] != "-" else plural(int(row["reps"]), "rep")


def session_title(session: pd.Series) -> str:
    """The name given to a session, else its file's name ("live" for a workout)."""
    return history.session_title(history.row(session))


def manage(db, sessions: pd.DataFrame, session_id: int, what: str):
    """Rename or delete the session picked above, rename a person: each asks to confirm first."""
    st.subheader("Rename or delete")
    name_box, rename, delete = st.columns([3, 1, 1], vertical_alignment="bottom")
    current = sessions.set_index("id").loc[session_id, "name"]
    name = name_box.text_input(f"Name of session {session_id}", "" if pd.isna(current) else current,
                               key=f"history-name-{session_id}", placeholder="its file's name")
    if rename.button("Rename session", key="history-rename"):
        confirm_rename_session(db, session_id, name)
    if delete.button("Delete session", key="history-delete", icon=":material/delete:"):
        confirm_delete(db, session_id, what)
    who, new_box, go = st.columns([2, 2, 1], vertical_alignment="bottom")
    person = who.selectbox("Person to rename", sorted(db.people()["name"]), key="history-rename-who")
    new = new_box.text_input("New name", key="history-rename-new")
    if go.button("Rename person", key="history-rename-person", disabled=not new.strip()):
        confirm_rename_person(db, person, new)


@st.dialog("Delete this session?")
def confirm_delete(db, session_id: int, what: str):
    st.write(plain(what))
    st.write("It is deleted with its reps and keypoints; this cannot be undone.")
    yes, no = st.columns(2)
    if yes.button("Delete", type="primary", key="history-confirm-delete"):
        db.delete_session(session_id)
        finish(f"Deleted session {session_id}.")
    if no.button("Cancel", key="history-cancel-delete"):
        st.rerun()


@st.dialog("Rename this session?")
def confirm_rename_session(db, session_id: int, name: str):
    st.write(f"Session {session_id} will be called “{plain(name.strip())}”." if name.strip()
             else f"Session {session_id} will lose its name and show its file's name again.")
    yes, no = st.columns(2)
    if yes.button("Rename", type="primary", key="history-confirm-rename"):
        db.rename_session(session_id, name)
        finish(f"Renamed session {session_id}.")
    if no.button("Cancel", key="history-cancel-rename"):
        st.rerun()


@st.dialog("Rename this person?")
def confirm_rename_person(db, old: str, new: str):
    st.write(f"“{plain(old)}” becomes “{plain(new.strip())}”, with all their sessions.")
    yes, no = st.columns(2)
    confirmed = yes.button("Rename", type="primary", key="history-confirm-person")
    if no.button("Cancel", key="history-cancel-person"):
        st.rerun()
    if confirmed:
        try:
            db.rename_person(old, new)
        except CoachError as error:  # the name is taken: say so and let them cancel
            st.error(plain(error))
            return
        if st.session_state.get("history-person") == old:  # keep the page on that person
            st.session_state[NEXT_PERSON] = new.strip()
        finish(f"Renamed {plain(old)} to {plain(new.strip())}.")


def finish(message: str):
    """Close the dialog and show `message` on the page that reruns."""
    st.session_state[DONE] = message
    st.session_state.pop("history-table", None)  # its row numbers may point elsewhere now
    st.rerun()


def open_session(session_id: int):
    st.query_params["session"] = str(session_id)
    st.rerun()


def export(db, sessions: pd.DataFrame):
    ids = [int(i) for i in sessions["id"]]
    sessions_csv, reps_csv = st.columns(2)
    # A download reruns nothing (on_click="ignore"): a rerun with each click would race the file made
    # when pressed, whose button that rerun replaces ("Deferred file not found", and no download).
    sessions_csv.download_button("Export sessions (CSV)", quote_formulas(sessions).to_csv(index=False),
                                 "coach-sessions.csv", "text/csv", key="history-export-sessions",
                                 icon=":material/download:", on_click="ignore")
    # Read from the database only when the button is pressed.
    reps_csv.download_button("Export their reps (CSV)", lambda: quote_formulas(db.reps(ids)).to_csv(index=False),
                             "coach-reps.csv", "text/csv", key="history-export-reps", icon=":material/download:",
                             on_click="ignore")


def back_to_list():
    """Before the next run: leave the session page and forget the row picked in the table."""
    st.query_params.pop("session", None)
    st.session_state.pop("history-table", None)


def session_page(db, session_id: int):
    st.button("All sessions", icon=":material/arrow_back:", key="history-back", on_click=back_to_list)
    session = db.session(session_id)
    when = session["started_at"].tz_convert(datetime.now().astimezone().tzinfo).strftime("%Y-%m-%d %H:%M")
    st.title(f"Session {session_id}: {plain(session['exercise'].replace('_', ' '))}")
    view = f"{session['view']} view" if isinstance(session["view"], str) else "view not recorded"
    st.caption(plain(f"{session['person']} · {when} · {session_title(session)} · {view} · {session['status']}"))
    reps, sets, duration, rom, tempo = st.columns(5)
    hold = not pd.isna(session.get("held_s"))
    reps.metric(*(("Held", f"{session['held_s']:.1f} s") if hold else ("Reps", int(session["reps"]))))
    sets.metric("Sets", int(session["sets"]))
    duration.metric("Duration", f"{session['duration_s']:.0f} s")
    rom.metric("Mean ROM", "-" if pd.isna(session["mean_rom"]) else f"{session['mean_rom']:.1f}")
    tempo.metric("Time per rep", "-" if pd.isna(session["mean_tempo_s"]) else f"{session['mean_tempo_s']:.2f} s")
    exercise, problem = None, None  # the definition the session was recorded with, if kept
    if isinstance(session["definition"], str) and session["definition"].strip():
        try:
            exercise = parse(session["definition"], f"session {session_id}")
        except CoachError as error:
            problem = error
    if hold:  # no reps: the time held per set
        st.subheader("Sets")
        held = db.sets([session_id])
        st.dataframe(pd.DataFrame({"set": held["set_index"] + 1, "held": [f"{v:.1f} s" for v in held["held_s"]],
                                   "from": [f"{v:.1f} s" for v in held["start_t"]],
                                   "to": [f"{v:.1f} s" for v in held["end_t"]]}), hide_index=True)
    else:
        table = db.reps([session_id])
        st.subheader("Reps")
        show_reps(table, exercise)
        st.download_button("Export these reps (CSV)", quote_formulas(table).to_csv(index=False),
                           f"coach-session-{session_id}-reps.csv", "text/csv", key="session-export",
                           icon=":material/download:", on_click="ignore")
    if problem is not None:
        st.caption(f"The signal cannot be drawn again: {problem}")
    elif exercise is not None:
        try:
            analysis = analyze_poses(exercise, db.poses(session_id))
        except CoachError as error:
            st.caption(f"The signal cannot be drawn again: {plain(error)}")
            return
        if analysis.results:
            st.altair_chart(signal_chart(analysis.results, exercise), width="stretch")
            again = (f": {holds_line(timed_sets(analysis.results))}" if exercise.hold is not None
                     else f" ({analysis.count} reps)")
            st.caption("The driving signal as the stored keypoints give it, counted again with the definition "
                       f"the session was recorded with{again}.")
