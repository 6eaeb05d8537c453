"""What the pages share, built once per server process (st.cache_resource) and passed in."""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from coach.app.text import plain
from coach.exercise_library import Library
from coach.pose import load_model
from coach.recognise import ANY
from coach.store import Store


class SharedModel:
    """One loaded pose model for every browser session: a LiteRT interpreter runs one image at a
    time, so predictions take turns."""

    def __init__(self, model):
        self.model = model
        self.name = model.name
        self.lock = threading.Lock()

    def predict(self, image: np.ndarray, crop=None):
        with self.lock:
            return self.model.predict(image, crop)


@st.cache_resource(show_spinner="Loading the pose model...")
def model(name: str) -> SharedModel:
    return SharedModel(load_model(name))


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The history database named by COACH_DB, else data/coach.db."""
    return Store.open()


def library() -> Library:
    """The built-in and the user's exercise definitions, read afresh (the editor adds to them).
    A user file that does not load is named on the page; the rest load."""
    lib = Library()
    for problem in lib.problems:
        st.warning(f"Your exercises: {plain(problem)} (fix it on the Exercises page)", icon=":material/warning:")
    return lib


def people(db: Store) -> list[str]:
    """The people in the history, the default one first when there is nobody yet."""
    from coach.store import DEFAULT_PERSON

    names = [str(n) for n in db.people()["name"]]
    return names or [DEFAULT_PERSON]


def pick_person(db: Store, key: str, disabled: bool = False) -> str:
    """A person picker with a way to add someone new; the choice is shared by every page."""
    names = people(db)
    current = st.session_state.get("person")
    if current and current not in names:
        names.append(current)
    new = "Someone new..."
    choice = st.selectbox("Person", [*names, new], index=[*names, new].index(current) if current in names else 0,
                          key=f"{key}-person", disabled=disabled)
    if choice == new:
        name = st.text_input("Name", key=f"{key}-new-person", placeholder="a name for the history",
                             disabled=disabled).strip()
        if not name:
            st.stop()
        choice = name
    st.session_state["person"] = choice
    return choice


def pick_exercise(lib: Library, key: str, default: str | None = None, disabled: bool = False,
                  any_exercise: bool = False) -> str:
    """An exercise picker showing names; the choice is shared by every page. With `any_exercise`
    it offers "Any exercise" first (its id `any`: recognised from the movement, coach.recognise)."""
    ids = ([ANY] if any_exercise else []) + lib.ids()
    current = st.session_state.get("exercise", default)
    index = ids.index(current) if current in ids else ids.index(default) if default in ids else 0
    choice = st.selectbox("Exercise", ids, index=index, key=f"{key}-exercise",
                          format_func=lambda i: "Any exercise" if i == ANY else lib.exercises[i].name, disabled=disabled)
    st.session_state["exercise"] = choice
    return choice
