"""Helpers the test modules share."""

import os
import socket
import subprocess
import sys
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


def reps_signal(n: int, period: float = 2.0, top: float = 170, bottom: float = 90, fps: float = 30, rest: float = 1.0):
    """`rest` s at `top`, then n smooth reps (cosine swings from top to bottom and back), then `rest` s."""
    t = np.arange(0, 2 * rest + n * period, 1 / fps)
    phase = np.clip((t - rest) / period, 0, n)
    dip = (1 - np.cos(2 * np.pi * phase)) / 2
    return t, top - (top - bottom) * dip
