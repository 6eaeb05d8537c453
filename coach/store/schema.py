"""The schema of the history database and the migrations that build it.

The table objects describe the latest version for queries; `MIGRATIONS` build it step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa

SCHEMA_VERSION = 1
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


# Append a Migration for every schema change; never edit one that has shipped.
MIGRATIONS = (Migration(1, "people, sessions, sets, reps, keypoints", _migrate_1),)


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
