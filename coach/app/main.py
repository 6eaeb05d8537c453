"""The Streamlit entry point (`coach app` runs it): four pages over one core.

Errors the core reports (CoachError) become one line on the page, here and nowhere else.
"""

import logging

import streamlit as st

from coach.app import https, pages
from coach.app.text import plain
from coach.errors import CoachError

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="coach", layout="wide")  # no icon: an icon font would be fetched from the internet

page = st.navigation(pages.all_pages())
https.show_phone_address()  # only with coach app --https
try:
    page.run()
except CoachError as error:
    st.error(plain(error))
