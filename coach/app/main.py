"""The Streamlit entry point (`coach app` runs it): four pages over one core.

Errors the core reports (CoachError) become one line on the page, here and nowhere else.
"""

import logging

import streamlit as st

from coach.app import https, live, pages
from coach.app.text import plain
from coach.errors import CoachError

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="coach", layout="wide")  # no icon: an icon font would be fetched from the internet

# The Workout page is served at the root: Streamlit ignores a default page's url_path, though it
# keeps it from other pages (so "live"), and at /workout too (it said "Page not found").
page = st.navigation([
    st.Page(live.page, title="Workout", icon=":material/videocam:", url_path="live", default=True),
    pages.analyse(), pages.history(), pages.exercises(),
    st.Page(live.page, title="Workout", icon=":material/videocam:", url_path="workout", visibility="hidden"),
])
https.show_phone_address()  # only with coach app --https
try:
    page.run()
except CoachError as error:
    st.error(plain(error))
