"""What `coach app` runs (`streamlit run` finds the st.App here): the pages of main.py with two
layers in front of every request Streamlit answers. st.App puts middleware given to it before
Streamlit's own, on every path (pages, the websocket, uploads, media, health, static files), which
a check in the page script could not: the websocket and uploads are served without running it."""

import streamlit as st
from starlette.middleware import Middleware

from coach.app import access, settings, uploads

# One video and the one replacing it: the uploader holds the new file before it drops the old.
app = st.App("main.py", middleware=[
    Middleware(access.Gate, **access.from_environment()),
    Middleware(uploads.UploadCap, limit_bytes=2 * settings.max_upload_mb() * 2**20),
])
