"""The Store: the engine and its transactions, people, and the queries the app and CLI read.

Only this package talks to the database, through SQLAlchemy Core, so the same code runs on the
embedded SQLite file and on a PostgreSQL server.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from coach.errors import StoreError
from coach.keypoints import KeypointSeries
from coach.store.blobs import unpack
from coach.store.damage import TABLES as DAMAGEABLE, damaged
from coach.store.liveness import writer_alive
from coach.store.location import default_recovery_dir, describe, resolve_url, sqlite_file
from coach.store.messages import explain
from coach.store.schema import (FLOAT_COLUMNS, MIGRATIONS, TABLES, TIME_COLUMNS, Migration, current_version, keypoints, now,
                                people, reps, schema_version, sessions, sets, utc)
from coach.types import Pose

log = logging.getLogger(__name__)

T = TypeVar("T")


class Store:
    """The history database. Open with `Store.open(db)`; read and write pandas DataFrames."""

    def __init__(self, url: sa.URL, *, timeout_s: float = 10.0, recovery_dir: Path | None = None):
        self.url = url
        self.where = describe(url)
        self.timeout_s = timeout_s
        self.backend = url.get_backend_name()
        self._recovery_dir = recovery_dir
        self.failure: StoreError | None = None  # set by Store.unusable: every transaction raises it
        self.engine = self._create_engine()
        self._writer = self.engine.execution_options(coach_write=True)

    @classmethod
    def open(cls, db: str | os.PathLike | None = None, *, timeout_s: float = 10.0,
             recovery_dir: str | os.PathLike | None = None, migrate: bool = True) -> Store:
        """Open (creating and migrating where needed) the database named by `db`, COACH_DB or the default."""
        url = resolve_url(db)
        path = sqlite_file(url)
        if path is not None and path.exists() and not path.is_file():
            raise StoreError(f"the history database {path} is not a file (a folder, a FIFO or a device)")
        if path is not None and "mode=ro" not in str(url):
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the folder of the history database {path}: {error}") from None
            try:  # only its owner reads someone's history; SQLite gives the -wal and -shm files its mode
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except OSError:
                pass  # there already, or the folder is read-only: SQLite says what it can do
        store = cls(url, timeout_s=timeout_s, recovery_dir=Path(recovery_dir) if recovery_dir else None)
        if migrate:
            try:
                store.migrate()
            except StoreError:
                store.close()
                raise
        return store

    @classmethod
    def unusable(cls, db: str | os.PathLike | None, failure: StoreError) -> Store:
        """The store `db` names, which failed to open with `failure`: every transaction raises it,
        so that a recorder on it keeps what it measured in a recovery file."""
        try:
            store = cls(resolve_url(db))
        except StoreError:  # not even a URL: the recovery files go to the per-user data folder
            store = cls(sa.URL.create("sqlite", database=":memory:"))
        store.failure = failure
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

    def run(self, work: Callable[[sa.Connection], T], *, write: bool) -> T:
        """Run `work(conn)` in one transaction and return what it returns; any database failure
        becomes a StoreError. `write=True` takes the write lock up front."""
        if self.failure is not None:
            raise self.failure
        try:
            with (self._writer if write else self.engine).begin() as conn:
                return work(conn)
        except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError, sqlite3.Error) as error:  # pandas wraps its reads
            raise explain(error, self.where, self.timeout_s) from error

    def migrate(self, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
        """Bring the schema up to the newest migration, each step in the transaction that records it.
        A database already up to date is only read, so a read-only one opens too."""
        newest = max(m.version for m in migrations)
        path = sqlite_file(self.url)
        if path is not None and path.is_file() and path.stat().st_size > 0:
            self._check_sqlite_file(path, newest)

        def check(current):
            if current > newest:
                raise StoreError(f"the history database {self.where} has schema version {current}, newer than "
                                 f"this coach knows ({newest}); upgrade coach")
            return current

        if check(self.run(current_version, write=False)) == newest:
            return newest

        def work(conn):
            if self.backend == "postgresql":  # one migrator at a time across processes
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(4711004)"))
            schema_version.create(conn, checkfirst=True)
            current = check(current_version(conn))  # another process may have migrated meanwhile
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version > current:
                    log.info("migrating %s to schema version %d: %s", self.where, migration.version,
                             migration.description)
                    migration.apply(conn)
                    conn.execute(schema_version.insert().values(
                        version=migration.version, description=migration.description, applied_at=now()))
            return newest

        return self.run(work, write=True)

    def _check_sqlite_file(self, path: Path, newest: int) -> None:
        """Refuse, leaving it byte for byte as it is, a file that is not a coach history database or
        is damaged: read it read-only before the engine (which switches it to WAL) ever touches it."""
        left = "; it was left as it is (name another database with --db or COACH_DB)"
        with path.open("rb") as file:
            if file.read(16) != b"SQLite format 3\x00":
                raise StoreError(f"{path} is not a SQLite database, so not a coach history database{left}")
        try:
            with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=self.timeout_s)) as conn:
                names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                version = (conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
                           if schema_version.name in names else 0)
                columns = {table.name: {row[1] for row in conn.execute(f"PRAGMA table_info({table.name})")}
                           for table in TABLES}
                problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        except sqlite3.Error as error:
            raise explain(error, self.where, self.timeout_s) from None
        if problems != ["ok"]:
            raise StoreError(f"the history database {path} is damaged (PRAGMA quick_check: {problems[0]}){left}: "
                             f"restore a copy, or save what SQLite can with `sqlite3 {path} .recover`")
        others = sorted(name for name in names if not name.startswith("sqlite_"))
        if schema_version.name not in names and others:
            raise StoreError(f"{path} is a SQLite database but not a coach history database (it holds the tables "
                             f"{', '.join(others[:5])}{', ...' if len(others) > 5 else ''}){left}")
        if version == newest:
            for table in TABLES:
                lacking = sorted({c.name for c in table.columns} - columns[table.name])
                if lacking:
                    what = "table" if not columns[table.name] else "columns " + ", ".join(lacking)
                    raise StoreError(f"the history database {path} says schema version {version} but its "
                                     f"{table.name} {what} {'is' if what == 'table' else 'are'} missing{left}")

    def version(self) -> int:
        return self.run(current_version, write=False)

    # -- people ------------------------------------------------------------------------------

    def person_id(self, conn: sa.Connection, name: str, create: bool = True) -> int | None:
        """The id of the person called `name` inside the transaction `conn`, added when new."""
        name = name.strip()
        if not name:
            raise StoreError("a person's name cannot be empty")
        found = conn.execute(sa.select(people.c.id).where(people.c.name == name)).scalar()
        if found is not None or not create:
            return found
        return conn.execute(people.insert().values(name=name, created_at=now())).inserted_primary_key[0]

    def people(self) -> pd.DataFrame:
        query = sa.select(people).order_by(people.c.name)
        return self.read(query)

    # -- reading -----------------------------------------------------------------------------

    def read(self, query) -> pd.DataFrame:
        """A query's rows as a DataFrame, times as aware UTC and float columns as floats."""
        frame = self.run(lambda conn: pd.read_sql(query, conn), write=False)
        for column in frame.columns:  # all-NULL columns come back as objects; times as naive on SQLite
            if column in TIME_COLUMNS:
                frame[column] = pd.to_datetime(frame[column], utc=True)
            elif column in FLOAT_COLUMNS:
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
            query = query.where(sessions.c.started_at >= utc(since))
        if session_ids is not None:  # ints: numpy's would bind as blobs on SQLite
            query = query.where(sessions.c.id.in_([int(i) for i in session_ids]))
        frame = self.read(query.where(sessions.c.id.not_in(self.damaged(session_ids, (sessions,)))))
        running = frame[frame["status"] == "running"]
        dead = [index for index, row in running.iterrows() if not writer_alive(row)]
        if dead:
            frame.loc[dead, "status"] = "interrupted"
            self._mark_interrupted([int(i) for i in frame.loc[dead, "id"]])
        return frame

    def damaged(self, session_ids: Iterable[int] | None = None, tables: tuple[sa.Table, ...] | None = None
                ) -> dict[int, str]:
        """{session id: what is damaged in its rows} (coach.store.damage); the readers leave these out."""
        return self.run(lambda conn: damaged(conn, tables or DAMAGEABLE, session_ids), write=False)

    def _mark_interrupted(self, ids: list[int]) -> None:
        try:
            self.run(lambda conn: conn.execute(
                sessions.update().where(sessions.c.id.in_(ids), sessions.c.status == "running")
                .values(status="interrupted")), write=True)
        except StoreError as error:  # a read-only database still shows them as interrupted
            log.info("could not mark sessions %s interrupted: %s", ids, error)

    def session(self, session_id: int) -> pd.Series:
        """One session; a StoreError where there is none, or where its rows are damaged."""
        session_id = self.known_id(session_id)
        problem = self.damaged([session_id]).get(session_id)
        if problem:
            raise StoreError(f"session {session_id} in {self.where} is damaged: {problem}")
        frame = self.sessions(session_ids=[session_id])
        if frame.empty:
            raise StoreError(f"no session {session_id} in {self.where} (`coach history` lists them)")
        return frame.iloc[0]

    def known_id(self, session_id: int) -> int:
        """`session_id` as an int the database can hold; else no session has it."""
        if not -2**63 <= int(session_id) < 2**63:
            raise StoreError(f"no session {session_id} in {self.where} (`coach history` lists them)")
        return int(session_id)

    def reps(self, session_ids: Iterable[int] | None = None, person: str | None = None,
             exercise: str | None = None) -> pd.DataFrame:
        """One row per rep, with its session's id, start time, person and exercise."""
        query = (sa.select(reps, sessions.c.started_at, sessions.c.exercise, people.c.name.label("person"))
                 .join(sessions, sessions.c.id == reps.c.session_id)
                 .join(people, people.c.id == sessions.c.person_id)
                 .order_by(sessions.c.started_at, reps.c.session_id, reps.c.rep_index))
        if session_ids is not None:
            query = query.where(reps.c.session_id.in_([int(i) for i in session_ids]))
        query = query.where(reps.c.session_id.not_in(self.damaged(session_ids, (sessions, reps))))
        if person:
            query = query.where(people.c.name == person)
        if exercise:
            query = query.where(sessions.c.exercise == exercise)
        return self.read(query)

    def sets(self, session_ids: Iterable[int] | None = None) -> pd.DataFrame:
        query = sa.select(sets).order_by(sets.c.session_id, sets.c.set_index)
        if session_ids is not None:
            query = query.where(sets.c.session_id.in_([int(i) for i in session_ids]))
        return self.read(query.where(sets.c.session_id.not_in(self.damaged(session_ids, (sets,)))))

    def keypoints(self, session_id: int) -> KeypointSeries:
        """The session's keypoint series, as recorded frame by frame."""
        session_id = self.known_id(session_id)
        problem = self.damaged([session_id], (keypoints,)).get(session_id)
        if problem:
            raise StoreError(f"the keypoints of session {session_id} in {self.where} are damaged: {problem}")
        query = (sa.select(keypoints.c.data).where(keypoints.c.session_id == session_id)
                 .order_by(keypoints.c.chunk_index))
        blobs = self.run(lambda conn: conn.execute(query).scalars().all(), write=False)
        try:
            return unpack(blobs)
        except ValueError as error:
            raise StoreError(f"the keypoints of session {session_id} in {self.where} are damaged: {error}") from None

    def poses(self, session_id: int) -> Iterator[tuple[Pose | None, float]]:
        """The session's frames as the engine takes them, `(pose or None, t)`, to count it again:
        `coach.analyze.analyze_poses(exercise, store.poses(session_id))`."""
        return self.keypoints(session_id).poses()

    # -- writing -----------------------------------------------------------------------------

    def delete_session(self, session_id: int) -> bool:
        """Delete a session with its sets, reps and keypoints (damaged or not); False when there was none."""
        session_id = self.known_id(session_id)

        def work(conn):
            for table in (keypoints, reps, sets):
                conn.execute(table.delete().where(table.c.session_id == session_id))
            return conn.execute(sessions.delete().where(sessions.c.id == session_id)).rowcount > 0
        return self.run(work, write=True)

    def rename_session(self, session_id: int, name: str | None) -> None:
        """Give a session a name (None or blank: none, the list shows its file again)."""
        name = (name or "").strip() or None
        if name is not None and len(name) > 100:
            raise StoreError(f"a session name is at most 100 characters, got {len(name)}")
        done = self.run(lambda conn: conn.execute(
            sessions.update().where(sessions.c.id == self.known_id(session_id)).values(name=name)).rowcount, write=True)
        if not done:
            raise StoreError(f"no session {session_id} in {self.where} (`coach history` lists them)")

    def rename_person(self, old: str, new: str) -> None:
        """Rename a person, with all their sessions; the new name must not be taken."""
        new = new.strip()
        if not new or len(new) > 100:
            raise StoreError(f"a person's name is 1 to 100 characters, got {new!r}")

        def work(conn):
            if conn.execute(sa.select(people.c.id).where(people.c.name == new)).scalar() is not None:
                raise StoreError(f"there is already a person named {new!r}")
            if not conn.execute(people.update().where(people.c.name == old).values(name=new)).rowcount:
                raise StoreError(f"no person named {old!r} in {self.where}")
        self.run(work, write=True)

    def recovery_dir(self) -> Path:
        """Where recorders write what they could not store: COACH_RECOVERY_DIR, else recovery/
        beside the SQLite file, else data/recovery."""
        return self._recovery_dir if self._recovery_dir is not None else default_recovery_dir(self.url)
