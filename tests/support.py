"""Helpers the test modules share."""

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def missing(reason: str):
    """Something a test needs is not here: a failure under CI (CI=true), a skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def store_worker(*args, **kwargs) -> subprocess.Popen:
    """tests/store_worker.py in a process of its own (see there), its output piped as text."""
    return subprocess.Popen([sys.executable, str(ROOT / "tests" / "store_worker.py"), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# How long `coach app` may take to answer its health check, on a loaded machine.
APP_STARTUP_S = 90


def start_app(home: Path, port: int, *extra: str, **env: str) -> subprocess.Popen:
    """`coach app` on 127.0.0.1:`port`, with its database and exercise folder under `home` and
    its output appended to home/app.log; `env` adds to the environment (COACH_MODEL_DIR=...)."""
    env = dict(os.environ, COACH_DATA_DIR=str(home), COACH_DB=str(home / "coach.db"),
               COACH_EXERCISES_DIR=str(home / "exercises"), COACH_ICE_SERVERS="", **env)
    with open(home / "app.log", "a") as log:  # the child keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-m", "coach", "app", "--port", str(port), *extra], cwd=home, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, server: subprocess.Popen, log: Path, key: str | None = None):
    """Until the app at `url` answers its health check (asked with its access `key` when it has
    one); a test failure with the log's end if it exits or takes longer than APP_STARTUP_S."""
    context = ssl._create_unverified_context() if url.startswith("https") else None  # self-signed
    deadline = time.monotonic() + APP_STARTUP_S
    while True:  # waiting for the server to start, not timing it
        try:
            query = f"?key={key}" if key else ""
            with urllib.request.urlopen(f"{url}/_stcore/health{query}", timeout=2, context=context) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"coach app did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)


def stop_app(server: subprocess.Popen, wait_s: float = 60):
    """SIGTERM, as a user's Ctrl+C or a service manager stops it: it must exit cleanly."""
    server.send_signal(signal.SIGTERM)
    try:
        assert server.wait(wait_s) == 0
    finally:
        if server.poll() is None:
            server.kill()


def reps_signal(n: int, period: float = 2.0, top: float = 170, bottom: float = 90, fps: float = 30, rest: float = 1.0):
    """`rest` s at `top`, then n smooth reps (cosine swings from top to bottom and back), then `rest` s."""
    t = np.arange(0, 2 * rest + n * period, 1 / fps)
    phase = np.clip((t - rest) / period, 0, n)
    dip = (1 - np.cos(2 * np.pi * phase)) / 2
    return t, top - (top - bottom) * dip
