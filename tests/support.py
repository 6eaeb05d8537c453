"""Helpers the test modules share."""

import os
import socket

import pytest


def missing(reason: str):
    """Something a test needs is not here: a failure under CI (CI=true), a skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
