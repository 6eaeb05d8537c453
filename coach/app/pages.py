"""The app's pages, declared once: main.py navigates between them, and a page links to another
through the same declaration."""

import streamlit as st


def workout() -> st.Page:
    from coach.app import live

    # Served at the root: Streamlit ignores a default page's url_path, though it keeps it from
    # other pages (so "live", and /workout is the hidden page below).
    return st.Page(live.page, title="Workout", icon=":material/videocam:", url_path="live", default=True)


def workout_address() -> st.Page:
    """The Workout page at /workout too (it said "Page not found")."""
    from coach.app import live

    return st.Page(live.page, title="Workout", icon=":material/videocam:", url_path="workout", visibility="hidden")


def analyse() -> st.Page:
    from coach.app import analyse

    return st.Page(analyse.page, title="Analyse a video", icon=":material/movie:", url_path="analyse")


def history() -> st.Page:
    from coach.app import history

    return st.Page(history.page, title="History", icon=":material/monitoring:", url_path="history")


def exercises() -> st.Page:
    from coach.app import editor

    return st.Page(editor.page, title="Exercises", icon=":material/edit_note:", url_path="exercises")


def all_pages() -> list[st.Page]:
    return [workout(), analyse(), history(), exercises(), workout_address()]
