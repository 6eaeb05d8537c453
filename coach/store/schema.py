"""The schema of the history database and the migrations that build it.

The table objects describe the latest version for queries; `MIGRATIONS` build it step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa

SCHEMA_VERSION = 4
DEFAULT_PERSON = "me"
STATUSES = ("running", "complete", "interrupted")
REP_FIELDS = ("set_index", "start_t", "end_t", "rom_min", "rom_max", "time_down", "time_bottom", "time_up",
              "peak_speed", "asymmetry", "confidence")

metadata = sa.MetaData()
UTC = sa.DateTime(timezone=True)

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", UTC, nullable=False),
)
people = sa.Table(
    "people", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("created_at", UTC, nullable=False),
    sa.Column("notes", sa.Text),
)
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),  # stable across export/import
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
    sa.Column("exercise", sa.String(64), nullable=False),
    sa.Column("source", sa.Text),  # the analysed file, or 'live'
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", UTC, nullable=False),
    sa.Column("ended_at", UTC),
    sa.Column("reps", sa.Integer, nullable=False, default=0),
    sa.Column("sets", sa.Integer, nullable=False, default=0),
    sa.Column("duration_s", sa.Float, nullable=False, default=0.0),
    sa.Column("mean_rom", sa.Float),
    sa.Column("mean_tempo_s", sa.Float),
    sa.Column("frames", sa.Integer, nullable=False, default=0),
    sa.Column("fps", sa.Float),
    sa.Column("definition", sa.Text),  # the exercise definition (YAML) the session was counted with
    # Who is writing it, so that a session left 'running' by a dead process shows as interrupted.
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    sa.Column("proc_start", sa.String(32)),
    sa.Column("heartbeat_at", UTC),
    sa.Column("view", sa.String(16)),  # the camera view it was recorded from: front, side, back
    sa.Column("name", sa.String(100)),  # a name the person gave it (the History page renames)
    sa.Column("held_s", sa.Float),  # a hold exercise's time held over all its sets; NULL for reps
    sa.Column("routine", sa.String(64)),  # the id of the routine the session was a block of; NULL for none
    sa.Index("ix_sessions_person_started", "person_id", "started_at"),
)
sets = sa.Table(
    "sets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("set_index", sa.Integer, nullable=False),
    sa.Column("start_t", sa.Float, nullable=False),
    sa.Column("end_t", sa.Float, nullable=False),
    sa.Column("reps", sa.Integer, nullable=False),
    sa.Column("held_s", sa.Float),  # a hold exercise's set: the time in position (reps 0); NULL for reps
    sa.UniqueConstraint("session_id", "set_index"),
)
reps = sa.Table(
    "reps", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("rep_index", sa.Integer, nullable=False),  # RepEvent.index
    *(sa.Column(name, sa.Float, nullable=name == "asymmetry") if name != "set_index"
      else sa.Column(name, sa.Integer, nullable=False) for name in REP_FIELDS),
    sa.Column("flags", sa.Text, nullable=False, default=""),  # comma-separated form rule ids
    sa.Column("metrics", sa.Text, nullable=False, default="{}"),  # JSON: the definition's extra metrics
    sa.Column("committed_at", UTC, nullable=False),
    sa.UniqueConstraint("session_id", "rep_index"),
)
# The raw keypoints, in chunks appended as the session goes: each chunk is the bytes of
# coach.store.blobs.pack (see there).
keypoints = sa.Table(
    "keypoints", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("chunk_index", sa.Integer, nullable=False),
    sa.Column("first_frame", sa.Integer, nullable=False),
    sa.Column("frames", sa.Integer, nullable=False),
    sa.Column("start_t", sa.Float, nullable=False),
    sa.Column("end_t", sa.Float, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("session_id", "chunk_index"),
)
TABLES = (people, sessions, sets, reps, keypoints)  # in the order rows must be written
TIME_COLUMNS = {c.name for t in metadata.tables.values() for c in t.columns if isinstance(c.type, sa.DateTime)}
FLOAT_COLUMNS = {c.name for t in TABLES for c in t.columns if isinstance(c.type, sa.Float)}


def _migrate_1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=list(TABLES))


@dataclass(frozen=True)
class Migration:
    """One step of the schema: `apply(conn)` runs inside the transaction that records it."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _migrate_2(conn: sa.Connection) -> None:
    # Version 1 databases lack these columns; migration 1 on a new database built them already
    # (it creates the tables as they are now).
    have = {c["name"] for c in sa.inspect(conn).get_columns("sessions")}
    for column in ("view", "name"):
        if column not in have:
            conn.execute(sa.text(f"ALTER TABLE sessions ADD COLUMN {column} VARCHAR({16 if column == 'view' else 100})"))


def _migrate_3(conn: sa.Connection) -> None:
    for table in ("sessions", "sets"):  # as in _migrate_2: only where an older version left them out
        if "held_s" not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN held_s FLOAT"))


def _migrate_4(conn: sa.Connection) -> None:
    if "routine" not in {c["name"] for c in sa.inspect(conn).get_columns("sessions")}:  # as in _migrate_2
        conn.execute(sa.text("ALTER TABLE sessions ADD COLUMN routine VARCHAR(64)"))


# Append a Migration for every schema change; never edit one that has shipped.
MIGRATIONS = (Migration(1, "people, sessions, sets, reps, keypoints", _migrate_1),
              Migration(2, "sessions.view and sessions.name", _migrate_2),
              Migration(3, "sessions.held_s and sets.held_s (hold exercises)", _migrate_3),
              Migration(4, "sessions.routine (a session that was a block of a routine)", _migrate_4))


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def now() -> datetime:
    return datetime.now(timezone.utc)


def utc(value) -> datetime:
    """A time (datetime, date or ISO text) as an aware UTC datetime, as the time columns hold it."""
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()
