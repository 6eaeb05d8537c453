"""The history database: people, sessions, sets, reps and each session's keypoint series.

Only this module talks to the database, through SQLAlchemy Core, so the same code runs on the
embedded SQLite file and on a PostgreSQL server.

Where the database is, first match wins:
  1. `--db` on the command line (the `db` argument of `Store.open`),
  2. the environment variable COACH_DB,
  3. `data/coach.db` in the repository's data/ folder (beside pyproject.toml) when coach runs from
     a checkout, else `data/coach.db` under the current directory.
Each may be a file path or a SQLAlchemy URL (`postgresql://user@host/db`, `sqlite:///x.db`).

Durability: a live session is written by a `SessionRecorder` whose `update(result)` commits each
rep, with the keypoints up to it, in one transaction the moment the rep is counted; SQLite runs in
WAL mode with `synchronous=FULL`, so a killed process loses no counted rep. A session whose process
died shows as 'interrupted'. When the database cannot be written (locked, read-only, gone), the
recorder keeps going and appends what it measured to a recovery file (`recovery/*.jsonl` beside the
SQLite file, or under data/), which `Store.import_recovery` (`coach history recover`) loads back.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import socket
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from coach.errors import StoreError
from coach.types import FrameResult, Pose, RepEvent

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
EXPORT_FORMAT = "coach-history"
RECOVERY_FORMAT = "coach-recovery/1"
DEFAULT_PERSON = "me"
STATUSES = ("running", "complete", "interrupted")
# A session on another machine whose recorder has not written for this long is taken as dead.
STALE_AFTER = timedelta(minutes=15)
REP_FIELDS = ("set_index", "start_t", "end_t", "rom_min", "rom_max", "time_down", "time_bottom", "time_up",
              "peak_speed", "asymmetry", "confidence")

# ---------------------------------------------------------------------------------------------
# Schema. Migrations below build it; these objects describe its latest version for queries.

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
# The raw keypoints, in chunks appended as the session goes: each chunk is np.savez_compressed
# bytes of t float64 [n] (seconds), xys float32 [n,17,3] (Pose.keypoints: x px, y px, score),
# size int32 [n,2] (width, height) and present bool [n] (False where the frame had no pose).
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
_TIME_COLUMNS = {c.name for t in metadata.tables.values() for c in t.columns if isinstance(c.type, sa.DateTime)}
_FLOAT_COLUMNS = {c.name for t in TABLES for c in t.columns if isinstance(c.type, sa.Float)}


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


# ---------------------------------------------------------------------------------------------
# Where the database is.

def data_dir() -> Path:
    """The repository's data/ folder when coach runs from a checkout, else ./data."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file():
        return root / "data"
    return Path.cwd() / "data"


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


def _sqlite_file(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database.removeprefix("file:").split("?")[0])


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (Linux); OSError where unreadable."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        return _stat_fields(pid)[19]
    except OSError:
        return None


def _process_alive(pid: int | None, start: str | None) -> bool:
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


# ---------------------------------------------------------------------------------------------
# Records and conversions shared by the recorder, the recovery files and import.

@dataclass(frozen=True)
class KeypointSeries:
    """A session's raw keypoints: t float64 [n] seconds; xys float32 [n,17,3] of Pose.keypoints
    (x px, y px, score); size int32 [n,2] (width, height); present bool [n]."""

    t: np.ndarray
    xys: np.ndarray
    size: np.ndarray
    present: np.ndarray

    def __post_init__(self):
        n = len(self.t)
        if self.xys.shape != (n, 17, 3) or self.size.shape != (n, 2) or self.present.shape != (n,):
            raise ValueError(f"KeypointSeries shapes disagree: t {self.t.shape}, xys {self.xys.shape}, "
                             f"size {self.size.shape}, present {self.present.shape}")

    def __len__(self) -> int:
        return len(self.t)

    def poses(self) -> Iterator[tuple[Pose | None, float]]:
        """The frames as the engine takes them, `(pose or None, t)`."""
        for t, xys, size, present in zip(self.t, self.xys, self.size, self.present):
            yield (Pose(xys, (int(size[0]), int(size[1]))) if present else None), float(t)

    def to_movenet(self) -> np.ndarray:
        """float32 [n,17,3] of (y, x, score) normalised 0..1, as `coach pose --keypoints-out` writes."""
        w = np.maximum(self.size[:, 0], 1)[:, None].astype(np.float32)
        h = np.maximum(self.size[:, 1], 1)[:, None].astype(np.float32)
        return np.stack([self.xys[..., 1] / h, self.xys[..., 0] / w, self.xys[..., 2]], axis=-1).astype(np.float32)


def _pack(series: KeypointSeries) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, t=series.t, xys=series.xys, size=series.size, present=series.present)
    return buffer.getvalue()


def _unpack(blobs: Iterable[bytes]) -> KeypointSeries:
    parts = [np.load(io.BytesIO(bytes(blob))) for blob in blobs]
    if not parts:
        return KeypointSeries(np.zeros(0), np.zeros((0, 17, 3), np.float32), np.zeros((0, 2), np.int32),
                              np.zeros(0, bool))
    return KeypointSeries(*(np.concatenate([p[name] for p in parts]) for name in ("t", "xys", "size", "present")))


def rep_row(rep: RepEvent) -> dict:
    """A RepEvent as a row of the reps table (without session_id and committed_at)."""
    row = {"rep_index": int(rep.index)}
    row.update({name: getattr(rep, name) for name in REP_FIELDS})
    row["set_index"] = int(rep.set_index)
    row["asymmetry"] = None if rep.asymmetry is None or not np.isfinite(rep.asymmetry) else float(rep.asymmetry)
    row["flags"] = ",".join(rep.flags)
    metrics = getattr(rep, "metrics", None) or {}
    row["metrics"] = json.dumps({k: float(v) if np.isfinite(v) else None for k, v in metrics.items()})
    return row


def _set_rows(rep_rows: list[dict]) -> list[dict]:
    """One row per set: its first start, last end and rep count."""
    by_set: dict[int, dict] = {}
    for row in rep_rows:
        entry = by_set.setdefault(row["set_index"], {"set_index": row["set_index"], "start_t": row["start_t"],
                                                     "end_t": row["end_t"], "reps": 0})
        entry["start_t"] = min(entry["start_t"], row["start_t"])
        entry["end_t"] = max(entry["end_t"], row["end_t"])
        entry["reps"] += 1
    return [by_set[key] for key in sorted(by_set)]


def summarise(rep_rows: list[dict]) -> dict:
    """Session totals from its reps: count, sets, mean range of motion, mean tempo (s per rep)."""
    if not rep_rows:
        return {"reps": 0, "sets": 0, "mean_rom": None, "mean_tempo_s": None}
    rom = [r["rom_max"] - r["rom_min"] for r in rep_rows]
    tempo = [r["end_t"] - r["start_t"] for r in rep_rows]
    return {"reps": len(rep_rows), "sets": len({r["set_index"] for r in rep_rows}),
            "mean_rom": float(np.nanmean(rom)), "mean_tempo_s": float(np.mean(tempo))}


def _records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as plain Python values, NaN/NaT as None, for a driver to bind."""
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def _typed(frame: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    """Cast a table read back from CSV or parquet to its columns' types (ints with gaps come back
    as floats, digit strings as ints), so every backend binds them as the schema says."""
    frame = frame.copy()
    for column in table.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        if isinstance(column.type, sa.Integer):
            frame[column.name] = pd.to_numeric(values).astype("Int64")
        elif isinstance(column.type, sa.Float):
            frame[column.name] = pd.to_numeric(values).astype(float)
        elif isinstance(column.type, sa.DateTime):
            frame[column.name] = pd.to_datetime(values, utc=True, format="ISO8601")
        elif isinstance(column.type, sa.String):  # Text too
            text = values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))
            if not column.nullable and column.default is not None:
                text = text.fillna(column.default.arg)  # CSV reads an empty text back as missing
            frame[column.name] = text
    return frame


def _utc(value) -> datetime:
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


# ---------------------------------------------------------------------------------------------
# Errors: one clear line for the user, whatever the backend said.

def _explain(error: Exception, where: str, timeout_s: float) -> StoreError:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else repr(error)
    low = text.lower()
    if "locked" in low or "lock timeout" in low or "could not obtain lock" in low:
        message = f"the history database {where} is locked by another program (waited {timeout_s:g} s)"
    elif "readonly" in low or "read-only" in low or "read only" in low:
        message = f"the history database {where} is read-only"
    elif "unable to open" in low:
        message = f"cannot open the history database {where} (is the folder there and writable?)"
    elif "permission denied" in low:
        message = f"no permission to write the history database {where}"
    elif "connection" in low and ("refused" in low or "failed" in low):
        message = f"cannot connect to the history database {where}"
    elif "disk" in low and ("full" in low or "i/o" in low):
        message = f"cannot write the history database {where}: the disk is full or failing"
    else:
        message = f"the history database {where} failed"
    return StoreError(f"{message}: {text}")


# ---------------------------------------------------------------------------------------------

class Store:
    """The history database. Open with `Store.open(db)`; read and write pandas DataFrames."""

    def __init__(self, url: sa.URL, *, timeout_s: float = 10.0, recovery_dir: Path | None = None):
        self.url = url
        self.where = describe(url)
        self.timeout_s = timeout_s
        self.backend = url.get_backend_name()
        self._recovery_dir = recovery_dir
        self.engine = self._create_engine()
        self._writer = self.engine.execution_options(coach_write=True)

    @classmethod
    def open(cls, db: str | os.PathLike | None = None, *, timeout_s: float = 10.0,
             recovery_dir: str | os.PathLike | None = None, migrate: bool = True) -> Store:
        """Open (creating and migrating where needed) the database named by `db`, COACH_DB or the default."""
        url = resolve_url(db)
        path = _sqlite_file(url)
        if path is not None and "mode=ro" not in str(url):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the folder of the history database {path}: {error}") from None
        store = cls(url, timeout_s=timeout_s, recovery_dir=Path(recovery_dir) if recovery_dir else None)
        if migrate:
            store.migrate()
        return store

    def _create_engine(self) -> sa.Engine:
        if self.backend == "sqlite":
            engine = sa.create_engine(self.url, connect_args={"timeout": self.timeout_s})
            busy_ms = int(self.timeout_s * 1000)

            @event.listens_for(engine, "connect")
            def on_connect(dbapi_connection, _record):
                # We issue BEGIN ourselves (below), so pysqlite must not start transactions for us.
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cursor.execute("PRAGMA foreign_keys = ON")
                if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = FULL")  # a committed rep survives a power cut too
                cursor.close()

            @event.listens_for(engine, "begin")
            def on_begin(conn):
                # A writer takes the write lock up front (waiting up to busy_timeout), so two
                # writers queue instead of one failing when both try to upgrade a read lock.
                immediate = conn.get_execution_options().get("coach_write")
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

            return engine
        if self.backend == "postgresql":
            try:
                import psycopg  # noqa: F401  (the driver the URL names)
            except ImportError:
                raise StoreError("PostgreSQL needs the psycopg driver: pip install 'psycopg[binary]'") from None
            ms = int(self.timeout_s * 1000)
            return sa.create_engine(self.url, pool_pre_ping=True, connect_args={
                "connect_timeout": max(1, int(self.timeout_s)),
                "options": f"-c lock_timeout={ms} -c statement_timeout={ms * 6}"})
        try:
            return sa.create_engine(self.url)
        except Exception as error:  # an unknown dialect or a driver that is not installed
            raise StoreError(f"cannot use the database {self.where}: {error}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------

    def _run(self, work: Callable[[sa.Connection], object], *, write: bool):
        """Run `work(conn)` in one transaction; any database failure becomes a StoreError."""
        try:
            with (self._writer if write else self.engine).begin() as conn:
                return work(conn)
        except sa.exc.SQLAlchemyError as error:
            raise _explain(error, self.where, self.timeout_s) from error

    def migrate(self, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
        """Bring the schema up to the newest migration, each step in the transaction that records it.
        A database already up to date is only read, so a read-only one opens too."""
        newest = max(m.version for m in migrations)

        def check(current):
            if current > newest:
                raise StoreError(f"the history database {self.where} has schema version {current}, newer than "
                                 f"this coach knows ({newest}); upgrade coach")
            return current

        if check(self._run(_current_version, write=False)) == newest:
            return newest

        def work(conn):
            if self.backend == "postgresql":  # one migrator at a time across processes
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(4711004)"))
            schema_version.create(conn, checkfirst=True)
            current = check(_current_version(conn))  # another process may have migrated meanwhile
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version > current:
                    log.info("migrating %s to schema version %d: %s", self.where, migration.version,
                             migration.description)
                    migration.apply(conn)
                    conn.execute(schema_version.insert().values(
                        version=migration.version, description=migration.description, applied_at=_now()))
            return newest

        return self._run(work, write=True)

    def version(self) -> int:
        return self._run(_current_version, write=False)

    # -- people ------------------------------------------------------------------------------

    def _person_id(self, conn: sa.Connection, name: str, create: bool = True) -> int | None:
        name = name.strip()
        if not name:
            raise StoreError("a person's name cannot be empty")
        found = conn.execute(sa.select(people.c.id).where(people.c.name == name)).scalar()
        if found is not None or not create:
            return found
        return conn.execute(people.insert().values(name=name, created_at=_now())).inserted_primary_key[0]

    def add_person(self, name: str, notes: str | None = None) -> int:
        def work(conn):
            person = self._person_id(conn, name)
            if notes is not None:
                conn.execute(people.update().where(people.c.id == person).values(notes=notes))
            return person
        return self._run(work, write=True)

    def people(self) -> pd.DataFrame:
        query = sa.select(people).order_by(people.c.name)
        return self._read(query)

    # -- reading -----------------------------------------------------------------------------

    def _read(self, query) -> pd.DataFrame:
        frame = self._run(lambda conn: pd.read_sql(query, conn), write=False)
        for column in frame.columns:  # all-NULL columns come back as objects; times as naive on SQLite
            if column in _TIME_COLUMNS:
                frame[column] = pd.to_datetime(frame[column], utc=True)
            elif column in _FLOAT_COLUMNS:
                frame[column] = frame[column].astype(float)
        return frame

    def sessions(self, person: str | None = None, exercise: str | None = None,
                 since: datetime | date | str | None = None, session_ids: Iterable[int] | None = None) -> pd.DataFrame:
        """One row per session, newest first, with the person's name; 'running' sessions whose
        process has died are marked 'interrupted' (in the database too, where it can be written)."""
        query = (sa.select(sessions, people.c.name.label("person"))
                 .join(people, people.c.id == sessions.c.person_id)
                 .order_by(sessions.c.started_at.desc(), sessions.c.id.desc()))
        if person:
            query = query.where(people.c.name == person)
        if exercise:
            query = query.where(sessions.c.exercise == exercise)
        if since is not None:
            query = query.where(sessions.c.started_at >= _utc(since))
        if session_ids is not None:  # ints: numpy's would bind as blobs on SQLite
            query = query.where(sessions.c.id.in_([int(i) for i in session_ids]))
        frame = self._read(query)
        running = frame[frame["status"] == "running"]
        dead = [index for index, row in running.iterrows() if not self._alive(row)]
        if dead:
            frame.loc[dead, "status"] = "interrupted"
            self._mark_interrupted([int(i) for i in frame.loc[dead, "id"]])
        return frame

    @staticmethod
    def _alive(row) -> bool:
        if row["host"] == socket.gethostname():
            pid = None if pd.isna(row["pid"]) else int(row["pid"])
            return _process_alive(pid, row["proc_start"] if isinstance(row["proc_start"], str) else None)
        beat = row["heartbeat_at"]
        return not pd.isna(beat) and _now() - beat.to_pydatetime() < STALE_AFTER

    def _mark_interrupted(self, ids: list[int]) -> None:
        try:
            self._run(lambda conn: conn.execute(
                sessions.update().where(sessions.c.id.in_(ids), sessions.c.status == "running")
                .values(status="interrupted")), write=True)
        except StoreError as error:  # a read-only database still shows them as interrupted
            log.info("could not mark sessions %s interrupted: %s", ids, error)

    def session(self, session_id: int) -> pd.Series:
        frame = self.sessions(session_ids=[session_id])
        if frame.empty:
            raise StoreError(f"no session {session_id} in {self.where} (`coach history` lists them)")
        return frame.iloc[0]

    def reps(self, session_ids: Iterable[int] | None = None, person: str | None = None,
             exercise: str | None = None) -> pd.DataFrame:
        """One row per rep, with its session's id, start time, person and exercise."""
        query = (sa.select(reps, sessions.c.started_at, sessions.c.exercise, people.c.name.label("person"))
                 .join(sessions, sessions.c.id == reps.c.session_id)
                 .join(people, people.c.id == sessions.c.person_id)
                 .order_by(sessions.c.started_at, reps.c.session_id, reps.c.rep_index))
        if session_ids is not None:
            query = query.where(reps.c.session_id.in_([int(i) for i in session_ids]))
        if person:
            query = query.where(people.c.name == person)
        if exercise:
            query = query.where(sessions.c.exercise == exercise)
        return self._read(query)

    def sets(self, session_ids: Iterable[int] | None = None) -> pd.DataFrame:
        query = sa.select(sets).order_by(sets.c.session_id, sets.c.set_index)
        if session_ids is not None:
            query = query.where(sets.c.session_id.in_([int(i) for i in session_ids]))
        return self._read(query)

    def keypoints(self, session_id: int) -> KeypointSeries:
        """The session's keypoint series, as recorded frame by frame."""
        query = (sa.select(keypoints.c.data).where(keypoints.c.session_id == int(session_id))
                 .order_by(keypoints.c.chunk_index))
        blobs = self._run(lambda conn: conn.execute(query).scalars().all(), write=False)
        return _unpack(blobs)

    def poses(self, session_id: int) -> Iterator[tuple[Pose | None, float]]:
        """The session's frames as the engine takes them, `(pose or None, t)`, to count it again:
        `coach.session.run(exercise, store.poses(session_id))`."""
        return self.keypoints(session_id).poses()

    # -- writing -----------------------------------------------------------------------------

    def recorder(self, exercise: str, person: str | None = None, **kwargs) -> SessionRecorder:
        """A recorder for a session that is starting now (see SessionRecorder)."""
        return SessionRecorder(self, exercise, person, **kwargs)

    def record(self, results: Iterable[FrameResult], exercise: str, person: str | None = None, **kwargs) -> int:
        """Store a finished run of FrameResults (an analysed file) as one session; returns its id.
        It goes through the same recorder as a live session."""
        with self.recorder(exercise, person, **kwargs) as recorder:
            for result in results:
                recorder.update(result)
        return recorder.session_id

    def delete_session(self, session_id: int) -> bool:
        """Delete a session with its sets, reps and keypoints; False when there was none."""
        session_id = int(session_id)

        def work(conn):
            for table in (keypoints, reps, sets):
                conn.execute(table.delete().where(table.c.session_id == session_id))
            return conn.execute(sessions.delete().where(sessions.c.id == session_id)).rowcount > 0
        return self._run(work, write=True)

    # -- export and import -------------------------------------------------------------------

    def export(self, folder: str | os.PathLike, fmt: str = "csv") -> dict[str, int]:
        """Write every table to FOLDER/<table>.csv|.parquet plus manifest.json; returns rows per table.
        In CSV the keypoint chunks are base64 text; in parquet, binary."""
        if fmt not in ("csv", "parquet"):
            raise StoreError(f"unknown export format {fmt!r}: use csv or parquet")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        counts = {}
        frames = {table.name: self._read(sa.select(table).order_by(table.c.id)) for table in TABLES}
        for name, frame in frames.items():
            if name == "keypoints" and fmt == "csv":
                frame["data"] = [base64.b64encode(bytes(blob)).decode("ascii") for blob in frame["data"]]
            if name == "keypoints":
                frame["data"] = frame["data"].astype(object)
            path = folder / f"{name}.{fmt}"
            if fmt == "csv":
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False)
            counts[name] = len(frame)
        manifest = {"format": EXPORT_FORMAT, "schema_version": self.version(), "file_format": fmt,
                    "exported_at": _now().isoformat(), "tables": counts}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return counts

    def import_(self, folder: str | os.PathLike) -> dict[str, int]:
        """Load an export made by `export` (from this or another database). Sessions already here
        (same uuid) are skipped, so importing twice changes nothing. Returns counts."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError) as error:
            raise StoreError(f"{folder} is not a coach history export (manifest.json: {error})") from None
        if manifest.get("format") != EXPORT_FORMAT:
            raise StoreError(f"{folder}/manifest.json is not a coach history export")
        if manifest.get("schema_version", 0) > SCHEMA_VERSION:
            raise StoreError(f"{folder} was exported with schema version {manifest['schema_version']}, newer than "
                             f"this coach knows ({SCHEMA_VERSION}); upgrade coach")
        fmt = manifest.get("file_format", "csv")
        frames = {}
        for table in TABLES:
            path = folder / f"{table.name}.{fmt}"
            try:
                if fmt == "csv":
                    text = {c.name: str for c in table.columns if isinstance(c.type, (sa.String, sa.LargeBinary))}
                    frame = pd.read_csv(path, dtype=text)
                else:
                    frame = pd.read_parquet(path)
            except (OSError, ValueError) as error:
                raise StoreError(f"cannot read {path}: {error}") from None
            missing = {c.name for c in table.columns} - set(frame.columns)
            if missing:
                raise StoreError(f"{path} lacks the columns {', '.join(sorted(missing))}")
            if table is keypoints and fmt == "csv":
                frame["data"] = [base64.b64decode(text) for text in frame["data"]]
            frames[table.name] = _typed(frame, table)
        names = dict(zip(frames["people"]["id"], frames["people"]["name"]))

        def work(conn):
            known = set(conn.execute(sa.select(sessions.c.uuid)).scalars())
            done = {"sessions": 0, "skipped": 0, "reps": 0}
            for row in _records(frames["sessions"]):
                if row["uuid"] in known:
                    done["skipped"] += 1
                    continue
                old_id = row.pop("id")
                row["person_id"] = self._person_id(conn, names[row["person_id"]])
                new_id = conn.execute(sessions.insert().values(**row)).inserted_primary_key[0]
                for table in (sets, reps, keypoints):
                    part = frames[table.name]
                    rows = _records(part[part["session_id"] == old_id].drop(columns="id").assign(session_id=new_id))
                    if rows:
                        conn.execute(table.insert(), rows)
                    if table is reps:
                        done["reps"] += len(rows)
                done["sessions"] += 1
            return done

        return self._run(work, write=True)

    # -- recovery files ----------------------------------------------------------------------

    def recovery_dir(self) -> Path:
        """Where recorders write what they could not store: COACH_RECOVERY_DIR, else recovery/
        beside the SQLite file, else data/recovery."""
        if self._recovery_dir is not None:
            return self._recovery_dir
        if os.environ.get("COACH_RECOVERY_DIR"):
            return Path(os.environ["COACH_RECOVERY_DIR"])
        path = _sqlite_file(self.url)
        return (path.parent if path is not None else data_dir()) / "recovery"

    def import_recovery(self, path: str | os.PathLike) -> int:
        """Merge a recovery file into the database (reps and keypoint chunks not yet there), then
        rename it to *.jsonl.imported; returns the session id. A merge cut short can run again."""
        records = read_recovery(path)
        header = records[0]
        end = next((r for r in records if r["kind"] == "end"), None)
        rep_rows = [{k: v for k, v in r.items() if k != "kind"} for r in records if r["kind"] == "rep"]
        chunks = [r for r in records if r["kind"] == "keypoints"]

        def work(conn):
            session_id = conn.execute(sa.select(sessions.c.id).where(sessions.c.uuid == header["uuid"])).scalar()
            if session_id is None:
                session_id = conn.execute(sessions.insert().values(
                    uuid=header["uuid"], person_id=self._person_id(conn, header["person"]),
                    exercise=header["exercise"], source=header.get("source"), status="interrupted",
                    started_at=_utc(header["started_at"]), fps=header.get("fps"),
                    definition=header.get("definition"))).inserted_primary_key[0]
            have_reps = set(conn.execute(sa.select(reps.c.rep_index).where(reps.c.session_id == session_id)).scalars())
            new_reps = [dict(r, session_id=session_id, committed_at=_utc(r["committed_at"]))
                        for r in rep_rows if r["rep_index"] not in have_reps]
            if new_reps:
                conn.execute(reps.insert(), new_reps)
            have_chunks = set(conn.execute(sa.select(keypoints.c.chunk_index)
                                           .where(keypoints.c.session_id == session_id)).scalars())
            new_chunks = [{"session_id": session_id, "data": base64.b64decode(c["data"]),
                           **{k: c[k] for k in ("chunk_index", "first_frame", "frames", "start_t", "end_t")}}
                          for c in chunks if c["chunk_index"] not in have_chunks]
            if new_chunks:
                conn.execute(keypoints.insert(), new_chunks)
            status = end["status"] if end else "interrupted"
            _refresh(conn, session_id, status=status, ended_at=_utc(end["ended_at"]) if end else None)
            return session_id

        session_id = self._run(work, write=True)
        Path(path).rename(Path(path).with_suffix(".jsonl.imported"))
        return session_id

    def recover(self) -> list[tuple[Path, int]]:
        """Import every recovery file in recovery_dir(), renaming each to *.imported once it is in."""
        done = []
        folder = self.recovery_dir()
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
            session_id = self.import_recovery(path)
            done.append((path, session_id))
        return done


def _current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0


def _refresh(conn: sa.Connection, session_id: int, **values) -> None:
    """Recompute a session's sets and totals from its reps and keypoint chunks in the database."""
    rows = [dict(r._mapping) for r in conn.execute(sa.select(reps).where(reps.c.session_id == session_id))]
    conn.execute(sets.delete().where(sets.c.session_id == session_id))
    set_rows = _set_rows(rows)
    if set_rows:
        conn.execute(sets.insert(), [dict(r, session_id=session_id) for r in set_rows])
    span = conn.execute(sa.select(sa.func.min(keypoints.c.start_t), sa.func.max(keypoints.c.end_t),
                                  sa.func.sum(keypoints.c.frames)).where(keypoints.c.session_id == session_id)).one()
    values = {k: v for k, v in values.items() if v is not None}
    conn.execute(sessions.update().where(sessions.c.id == session_id).values(
        **summarise(rows), duration_s=(span[1] - span[0]) if span[0] is not None else 0.0, frames=span[2] or 0,
        **values))


def read_recovery(path: str | os.PathLike) -> list[dict]:
    """The records of a recovery file; a last line cut short by a kill is dropped."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise StoreError(f"cannot read the recovery file {path}: {error}") from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            if number < len(lines):
                raise StoreError(f"{path}:{number}: not a recovery record") from None
            log.warning("%s: ignoring the last line, cut short", path)
    if not records or records[0].get("kind") != "session" or records[0].get("format") != RECOVERY_FORMAT:
        raise StoreError(f"{path} is not a coach recovery file")
    return records


# ---------------------------------------------------------------------------------------------

class SessionRecorder:
    """Writes one session to the store while it happens.

    `update(result)` takes every FrameResult of the session, in order. The moment a rep is
    counted (`result.rep`), that rep, its set and the session's totals are committed in one
    transaction together with the keypoints buffered up to that frame; between reps the keypoints
    are flushed every `flush_s` seconds of stream time. `finish()` marks the session complete.
    Used as a context manager, an exception or Ctrl-C ends the session as 'interrupted'.

    When the database cannot be written, `update` does not raise: the recorder logs it once and
    appends what was not stored to a recovery file (`recovery_path`); `finish()` then tries to
    merge that file back and raises a StoreError naming it if it still cannot.
    Writing waits for the database (up to the store's timeout): call it from a worker thread, not a
    real-time video callback.
    """

    def __init__(self, store: Store, exercise: str, person: str | None = None, *, source: str = "live",
                 fps: float | None = None, definition: str | None = None, flush_s: float = 10.0):
        self.store = store
        self.uuid = str(uuidlib.uuid4())
        self.exercise = exercise
        self.person = person or DEFAULT_PERSON
        self.flush_s = flush_s
        self.session_id: int | None = None
        self.recovery_path: Path | None = None
        self.error: StoreError | None = None
        self._finished = False
        self._rep_rows: list[dict] = []
        self._frames = 0
        self._chunk = 0
        self._first_t: float | None = None
        self._buffer: list[tuple[float, np.ndarray, tuple[int, int], bool]] = []
        self._header = {"kind": "session", "format": RECOVERY_FORMAT, "uuid": self.uuid, "person": self.person,
                        "exercise": exercise, "source": source, "fps": fps, "definition": definition,
                        "started_at": _now().isoformat()}
        try:
            self.session_id = store._run(self._create, write=True)
        except StoreError as error:
            self._fail(error)

    def _create(self, conn: sa.Connection) -> int:
        h = self._header
        return conn.execute(sessions.insert().values(
            uuid=self.uuid, person_id=self.store._person_id(conn, self.person), exercise=self.exercise,
            source=h["source"], status="running", started_at=_utc(h["started_at"]), fps=h["fps"],
            definition=h["definition"], host=socket.gethostname(), pid=os.getpid(),
            proc_start=_process_start(os.getpid()), heartbeat_at=_now())).inserted_primary_key[0]

    def update(self, result: FrameResult) -> None:
        """Take one frame's result; commit at once if it completed a rep."""
        if self._finished:
            raise StoreError("this session has already been finished")
        if self._first_t is None:
            self._first_t = result.t
        pose = result.pose
        if pose is None:
            self._buffer.append((result.t, np.zeros((17, 3), np.float32), (0, 0), False))
        else:
            self._buffer.append((result.t, np.asarray(pose.keypoints, np.float32), tuple(pose.size), True))
        if result.rep is not None:
            row = rep_row(result.rep)
            row["committed_at"] = _now()
            self._rep_rows.append(row)
            self._flush(row)
        elif result.t - self._buffer[0][0] >= self.flush_s:
            self._flush(None)

    def _chunk_row(self) -> dict | None:
        if not self._buffer:
            return None
        t, xys, size, present = zip(*self._buffer)
        series = KeypointSeries(np.asarray(t, np.float64), np.stack(xys), np.asarray(size, np.int32).reshape(-1, 2),
                                np.asarray(present, bool))
        row = {"chunk_index": self._chunk, "first_frame": self._frames, "frames": len(series),
               "start_t": float(series.t[0]), "end_t": float(series.t[-1]), "data": _pack(series)}
        return row

    def _flush(self, rep: dict | None, status: str | None = None) -> None:
        chunk = self._chunk_row()
        if self.error is None:
            try:
                self.store._run(lambda conn: self._write(conn, rep, chunk, status), write=True)
            except StoreError as error:
                self._fail(error, rep)
        if self.error is not None:
            self._append_recovery(rep, chunk, status)
        if chunk is not None:
            self._chunk += 1
            self._frames += chunk["frames"]
            self._buffer.clear()

    def _write(self, conn: sa.Connection, rep: dict | None, chunk: dict | None, status: str | None) -> None:
        if rep is not None:
            conn.execute(reps.insert().values(session_id=self.session_id, **rep))
            row = next(r for r in _set_rows(self._rep_rows) if r["set_index"] == rep["set_index"])
            changed = conn.execute(sets.update().where(sets.c.session_id == self.session_id,
                                                       sets.c.set_index == rep["set_index"]).values(**row)).rowcount
            if not changed:
                conn.execute(sets.insert().values(session_id=self.session_id, **row))
        if chunk is not None:
            conn.execute(keypoints.insert().values(session_id=self.session_id, **chunk))
        values = dict(summarise(self._rep_rows), heartbeat_at=_now(),
                      frames=self._frames + (chunk["frames"] if chunk else 0))
        if chunk is not None:
            values["duration_s"] = chunk["end_t"] - self._first_t
        if status is not None:
            values.update(status=status, ended_at=_now())
        conn.execute(sessions.update().where(sessions.c.id == self.session_id).values(**values))

    def _fail(self, error: StoreError, pending: dict | None = None) -> None:
        """From now on, write to a recovery file; start it with every rep so far but `pending`
        (the one being written now, which the caller appends)."""
        self.error = error
        folder = self.store.recovery_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.recovery_path = folder / f"{_now():%Y%m%dT%H%M%S}-{self.uuid}.jsonl"
            self._append({**self._header, "reason": str(error)})
            for row in self._rep_rows:
                if row is not pending:
                    self._append({"kind": "rep", **row})
        except OSError as os_error:
            raise StoreError(f"{error}; and the recovery file could not be written either: {os_error}") from None
        log.warning("%s; recording to %s instead", error, self.recovery_path)
        # Keypoint chunks already committed stay in the database; import merges by chunk index.

    def _append_recovery(self, rep: dict | None, chunk: dict | None, status: str | None) -> None:
        if rep is not None:
            self._append({"kind": "rep", **rep})
        if chunk is not None:
            self._append({"kind": "keypoints", **chunk, "data": base64.b64encode(chunk["data"]).decode("ascii")})
        if status is not None:
            self._append({"kind": "end", "status": status, "ended_at": _now().isoformat()})

    def _append(self, record: dict) -> None:
        with open(self.recovery_path, "a", encoding="utf-8") as file:
            file.write(json.dumps(record, default=_json_default) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def finish(self, status: str = "complete") -> int | None:
        """Write what is left and close the session ('complete' or 'interrupted'); returns its id.
        Raises StoreError, naming the recovery file, if the session could not be stored."""
        if status not in STATUSES[1:]:
            raise ValueError(f"status must be 'complete' or 'interrupted', got {status!r}")
        if self._finished:
            return self.session_id
        self._finished = True
        self._flush(None, status)
        if self.error is None:
            return self.session_id
        try:  # the database may be back (a lock released): merge the recovery file
            self.session_id = self.store.import_recovery(self.recovery_path)
        except StoreError as error:
            raise StoreError(f"{error}; this session was kept in {self.recovery_path}: "
                             f"`coach history recover` imports it once the database can be written") from None
        log.warning("the session was stored after all, from %s", self.recovery_path)
        self.error = None
        return self.session_id

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.finish("complete")
            return
        try:
            self.finish("interrupted")
        except StoreError as error:  # let the exception that ended the session through
            log.error("%s", error)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to a recovery file")
