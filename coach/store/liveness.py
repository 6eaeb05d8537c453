"""Whether the process writing a 'running' session is still alive."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import pandas as pd

from coach.store.schema import now

# A session on another machine whose recorder has not written for this long is taken as dead.
STALE_AFTER = timedelta(minutes=15)


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (Linux); OSError where unreadable."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        return _stat_fields(pid)[19]
    except OSError:
        return None


def process_alive(pid: int | None, start: str | None) -> bool:
    if pid is None:
        return False
    try:
        fields = _stat_fields(pid)
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if fields[0] in ("Z", "X"):  # killed, waiting to be reaped
        return False
    return start is None or fields[19] == start


def writer_alive(row) -> bool:
    """A sessions row's writer: its process on this host, else a heartbeat within STALE_AFTER."""
    if row["host"] == socket.gethostname():
        pid = None if pd.isna(row["pid"]) else int(row["pid"])
        return process_alive(pid, row["proc_start"] if isinstance(row["proc_start"], str) else None)
    beat = row["heartbeat_at"]
    return not pd.isna(beat) and now() - beat.to_pydatetime() < STALE_AFTER
