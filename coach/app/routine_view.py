"""The Workout page's routine, in the few hooks the page calls: the picker, arming a
RoutineWorkout, the guidance where the count is, its words spoken, the rest in the banner, and
the card against the plan at the end. The state machine is coach.guidance; the workout
coach.app.routine_workout."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from coach import progress
from coach.app import speech
from coach.app.routine_workout import RoutineWorkout
from coach.app.text import plain
from coach.app.workout import COUNTDOWN_S, Workout
from coach.guidance import Guidance, Stage
from coach.routines import Library, Routine, plan
from coach.words import clock

NO_ROUTINE = "No routine"
# The count's label in a routine says the set and its target ("Set 2 of 3 - 10 squats") or, in a
# rest, what comes next: it wraps rather than end in an ellipsis.
CSS = """<style>
.st-key-live-panel [data-testid="stMetricLabel"], .st-key-live-panel [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto; }
</style>"""


def library(lib) -> Library:
    """The built-in and the user's routines over the exercise library `lib`; a user file that
    does not load is named on the page, the rest load."""
    routines = Library(lib.exercises)
    for problem in routines.problems:
        st.warning(f"Your routines: {plain(problem)}", icon=":material/warning:")
    return routines


def pick(routines: Library, disabled: bool = False) -> Routine | None:
    """The routine picker: "No routine" (the default) keeps the workout as it was."""
    choice = st.selectbox("Routine", [NO_ROUTINE, *routines.ids()], key="live-routine", disabled=disabled,
                          format_func=lambda i: i if i == NO_ROUTINE else routines.routines[i].name)
    if choice == NO_ROUTINE:
        return None
    routine = routines.routines[choice]
    st.caption(plain("; then ".join(plan(routine, routines.exercises))))  # names are the user's text
    st.markdown(CSS, unsafe_allow_html=True)
    return routine


def exercises_box(lib, routine: Routine) -> str:
    """In place of the exercise picker: the routine's exercises, in order (it picks them itself);
    returns the first."""
    names = " then ".join(dict.fromkeys(lib.exercises[b.exercise].name for b in routine.blocks))
    st.selectbox("Exercise", [names], key="live-routine-exercises", disabled=True)
    return routine.blocks[0].exercise


def done_words(workout) -> str | None:
    """What a routine saved, for the page's line at End workout: "Jacks then anything: 5 jumping
    jack reps, 3 repeated movement reps"; None without a routine."""
    if not isinstance(workout, RoutineWorkout):
        return None
    exercises = workout.guidance.exercises
    done = [progress.of(exercises[b.exercise], int(sum(sets)), sum(sets)).words(exercises[b.exercise].name)
            for b, sets in zip(workout.routine.blocks, workout.guidance.achieved) if sets]
    return f"{workout.routine.name}: {', '.join(done)}"


def arm(model, lib, db, routine: Routine, person: str, countdown_s: float = COUNTDOWN_S) -> RoutineWorkout:
    """Each block's workout counts down (3-2-1 once the body is in view) before it counts, as the
    first does after START: a new exercise is a new position to get into."""
    def start(exercise_id: str) -> Workout:
        return Workout(model, lib.get(exercise_id), db, person, definition=lib.definition(exercise_id),
                       routine=routine.id, countdown_s=countdown_s)

    return RoutineWorkout(routine, Guidance(routine, lib.exercises), start)


def follow(session) -> None:
    """Keep the page's voice with the routine: an announcer per block (its exercise, its count
    from 0, no set talk of its own) and what the guidance said since the last poll."""
    workout = session.workout
    if not isinstance(workout, RoutineWorkout):
        return
    if session.announcer.exercise is not workout.exercise:
        session.announcer = speech.Announcer(workout.exercise, speech.new_token(), sets=False)
    for text in workout.take_said():
        session.announcer.add("set", text)


def figure(workout) -> tuple[str, str] | None:
    """The count's place in a routine: ("Set 2 of 3 - 10 squats", "7 of 10"), in a rest
    ("Rest", "0:42"); None without a routine."""
    guide = workout.guide if isinstance(workout, RoutineWorkout) else None
    if guide is None:
        return None
    if guide.stage is Stage.REST:
        return "Rest", clock(math.ceil(guide.rest_left_s))
    return plain(guide.headline), guide.progress


def banner(workout) -> str | None:
    """The banner in a routine's rest ("Next: set 3 of 3, 10 squats") and at its end."""
    guide = workout.guide if isinstance(workout, RoutineWorkout) else None
    if guide is None or guide.stage is Stage.SET:
        return None
    return f"Next: {guide.coming}" if guide.stage is Stage.REST else guide.headline


def keep_outcome(workout) -> None:
    """At End workout: the routine against its plan, for the card (nothing without a routine)."""
    if isinstance(workout, RoutineWorkout):
        st.session_state["live-routine-done"] = (workout.routine.name, workout.guidance.outcome())
    else:
        st.session_state.pop("live-routine-done", None)


def outcome_card() -> None:
    kept = st.session_state.get("live-routine-done")
    if kept is None:
        return
    name, rows = kept
    with st.container(border=True, key="live-routine-card"):
        st.subheader(f"{plain(name)}: against the plan")
        st.table(pd.DataFrame(rows).set_index("Exercise"))
