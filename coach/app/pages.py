"""The pages one page links to, declared once: main.py navigates between them with the Workout
page (declared there: the Workout page links to the History page, so this module must not
import it back)."""

import streamlit as st


def analyse() -> st.Page:
    from coach.app import analyse

    return st.Page(analyse.page, title="Analyse a video", icon=":material/movie:", url_path="analyse")


def history() -> st.Page:
    from coach.app import history

    return st.Page(history.page, title="History", icon=":material/monitoring:", url_path="history")


def exercises() -> st.Page:
    from coach.app import editor

    return st.Page(editor.page, title="Exercises", icon=":material/edit_note:", url_path="exercises")
