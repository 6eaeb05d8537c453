"""The server process `coach app` starts: `streamlit run`, with a bound on how long it waits for
connections once it is told to stop.

Streamlit serves the app with uvicorn, which by default stops only when every connection has
closed. It asks the connections it holds to close when it stops listening, but one that it accepted
in that same instant joins after the asking and is never asked: SIGTERM then left the server
running for as long as the browser kept that socket open (over a minute in the browser tests). With
a bound, requests in flight still finish, and the server stops all the same.
"""

import uvicorn
from streamlit.web import cli

# Seconds a stopping server gives the requests in flight before it closes their connections.
STOP_GRACE_S = 5


class BoundedStopConfig(uvicorn.Config):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, timeout_graceful_shutdown=STOP_GRACE_S, **kwargs)


if __name__ == "__main__":
    uvicorn.Config = BoundedStopConfig  # Streamlit builds its uvicorn.Config when it starts serving
    cli.main(prog_name="streamlit")
