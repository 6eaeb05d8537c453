"""Where the history database is, first match wins:
  1. `--db` on the command line (the `db` argument of `Store.open`),
  2. the environment variable COACH_DB,
  3. `coach.db` in the data folder (`coach.paths.data_dir`).
Each may be a file path or a SQLAlchemy URL (`postgresql://user@host/db`, `sqlite:///x.db`).
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from coach.errors import StoreError
from coach.paths import data_dir


def resolve_url(db: str | os.PathLike | None = None) -> sa.URL:
    """`db`, else COACH_DB, else data/coach.db, as a SQLAlchemy URL (a path becomes sqlite:///)."""
    target = db if db not in (None, "") else os.environ.get("COACH_DB") or data_dir() / "coach.db"
    text = os.fspath(target)
    if "://" not in text:
        return sa.URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        url = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError) as error:
        raise StoreError(f"not a database path or URL: {text!r} ({error})") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")  # the driver we ship; psycopg2 is not installed
    return url


def describe(url: sa.URL) -> str:
    """The database as a user would name it: the SQLite file, or the URL without its password."""
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database.removeprefix("file:").split("?")[0]
    return url.render_as_string(hide_password=True)


def sqlite_file(url: sa.URL) -> Path | None:
    """The SQLite file the URL names; None for another backend or an in-memory database."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database.removeprefix("file:").split("?")[0])


def default_recovery_dir(url: sa.URL) -> Path:
    """COACH_RECOVERY_DIR, else recovery/ beside the SQLite file, else data/recovery. Not beside
    a path that is no file (COACH_DB=/dev/zero would make /dev/recovery)."""
    if os.environ.get("COACH_RECOVERY_DIR"):
        return Path(os.environ["COACH_RECOVERY_DIR"])
    path = sqlite_file(url)
    beside = path is not None and (path.is_file() or not path.exists())
    return (path.parent if beside else data_dir()) / "recovery"
