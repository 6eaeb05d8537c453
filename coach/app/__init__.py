"""The Streamlit app: a thin shell over the core. `coach app` runs `main.py` with Streamlit.

Only the page modules import Streamlit; `worker.py` (the live frame worker) and `settings.py`
do not, so they can be used and tested without it.
"""
