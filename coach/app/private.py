"""Files only this user may read (the HTTPS key, the app's access key): written private from the
start, and never through a symlink someone planted in their place."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from coach.errors import InputError

MODE = 0o600


def write(path: Path, data: bytes):
    """`data` into `path`, mode 0600: written beside it under a new name and moved over it, so a
    symlink at `path` is replaced, not followed, and a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read(path: Path, limit: int = 64 * 1024) -> bytes | None:
    """The bytes of `path`, None when there is none; a symlink or anything but a small regular
    file is refused. A file others may read is made private again."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:  # ELOOP: a symlink
        raise InputError(f"{path}: {error.strerror or error} (a private file must be a regular file, "
                         "not a link: delete it and start again)") from None
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            raise InputError(f"{path}: not a small regular file (delete it and start again)")
        if status.st_mode & 0o077:
            os.fchmod(fd, MODE)
        return file.read(limit)
