"""Reading a small file that a user, or a damaged folder, hands over: only a regular file, and
no more than a limit. A FIFO would block the read for ever and a device (a link to /dev/zero)
never ends, so both are refused before a byte is read."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; else an OSError whose
    `strerror or error` says why in a few words (errno EFBIG: it is larger)."""
    # O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then refuses it.
    fd = os.open(Path(path), os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError("not a regular file")
    with os.fdopen(fd, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"over the {limit:,} bytes coach reads from such a file")
    return data
