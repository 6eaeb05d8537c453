"""Helpers the test modules share."""

import os
import socket
import subprocess
import sys
from pathlib import Path

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
