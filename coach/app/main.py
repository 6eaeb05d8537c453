"""The Streamlit entry point (`coach app` runs it): four pages over one core.

Errors the core reports (CoachError) become one line on the page, here and nowhere else.
"""

import logging

import streamlit as st

from coach.app import analyse, editor, history, live
from coach.errors import CoachError

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="coach", layout="wide")  # no icon: an icon font would be fetched from the internet

page = st.navigation([
    st.Page(live.page, title="Workout", icon=":material/videocam:", url_path="workout", default=True),
    st.Page(analyse.page, title="Analyse a video", icon=":material/movie:", url_path="analyse"),
    st.Page(history.page, title="History", icon=":material/monitoring:", url_path="history"),
    st.Page(editor.page, title="Exercises", icon=":material/edit_note:", url_path="exercises"),
])
try:
    page.run()
except CoachError as error:
    st.error(str(error))
