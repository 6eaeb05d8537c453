"""The Streamlit app: a thin shell over the core. `coach app` runs `serve.py` with Streamlit (by
way of `launch.py`): the pages of `main.py` behind `access.py` (who may use them) and `uploads.py`
(what a page may hold).

Only the page modules, `serve.py` and `launch.py` import Streamlit; `worker.py` (the live frame
worker), `settings.py`, `access.py` and `private.py` do not, so they can be used and tested without
it.
"""
