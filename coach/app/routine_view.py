"""The Workout page's routine, in the few hooks the page calls: the picker, arming a
RoutineWorkout, the guidance where the count is, its words spoken, the rest in the banner, and
the card against the plan at the end. The state machine is coach.guidance; the workout
coach.app.routine_workout."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from coach.app import speech
from coach.app.routine_workout import RoutineWorkout
from coach.app.workout import Workout
from coach.guidance import Guidance, Stage
from coach.routines import Library, Routine, plan_line
from coach.words import clock

NO_ROUTINE = "No routine"


def library(lib) -> Library:
    """The built-in and the user's routines over the exercise library `lib`; a user file that
    does not load is named on the page, the rest load."""
    routines = Library(lib.exercises)
    for problem in routines.problems:
        st.warning(f"Your routines: {problem}", icon=":material/warning:")
    return routines


def pick(routines: Library, disabled: bool = False) -> Routine | None:
    """The routine picker: "No routine" (the default) keeps the workout as it was."""
    choice = st.selectbox("Routine", [NO_ROUTINE, *routines.ids()], key="live-routine", disabled=disabled,
                          format_func=lambda i: i if i == NO_ROUTINE else routines.routines[i].name)
    if choice == NO_ROUTINE:
        return None
    routine = routines.routines[choice]
    st.caption("; then ".join(plan_line(b, routines.exercises[b.exercise]) for b in routine.blocks))
    return routine


def arm(model, lib, db, routine: Routine, person: str) -> RoutineWorkout:
    def start(exercise_id: str) -> Workout:
        return Workout(model, lib.get(exercise_id), db, person, definition=lib.definition(exercise_id), routine=routine.id)

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
    ("Rest - next: set 3 of 3, 10 squats", "0:42"); None without a routine."""
    guide = getattr(workout, "guide", None) if isinstance(workout, RoutineWorkout) else None
    if guide is None:
        return None
    if guide.stage is Stage.REST:
        return f"Rest - next: {guide.coming}", clock(math.ceil(guide.rest_left_s))
    return guide.headline, guide.progress


def banner(workout) -> str | None:
    """The banner in a routine's rest and at its end: the rest counting down and what is next."""
    guide = getattr(workout, "guide", None) if isinstance(workout, RoutineWorkout) else None
    return guide.headline if guide is not None and guide.stage is not Stage.SET else None


def keep_outcome(workout) -> None:
    """At End workout: the routine against its plan, for the card (nothing without a routine)."""
    if isinstance(workout, RoutineWorkout):
        st.session_state["live-routine"] = (workout.routine.name, workout.guidance.outcome())
    else:
        st.session_state.pop("live-routine", None)


def outcome_card() -> None:
    kept = st.session_state.get("live-routine")
    if kept is None:
        return
    name, rows = kept
    with st.container(border=True, key="live-routine-card"):
        st.subheader(f"{name}: against the plan")
        st.table(pd.DataFrame(rows).set_index("Exercise"))
