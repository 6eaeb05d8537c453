"""Recovery files: what a recorder measured but could not store, one JSON record a line
(a 'session' header, then 'rep', 'set' (a hold exercise's set, as last seen), 'keypoints' and 'end'
records), and merging them back."""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

from coach.errors import StoreError
from coach.files import read_regular
from coach.paths import data_dir
from coach.store.blobs import check as check_blob
from coach.store.schema import REP_FIELDS, STATUSES, keypoints, reps, sessions, sets, utc
from coach.store.summary import hold_totals, set_rows, summarise

if TYPE_CHECKING:
    from coach.store.database import Store

log = logging.getLogger(__name__)

RECOVERY_FORMAT = "coach-recovery/1"
# About 13 hours of keypoints at 30 fps (a 10 s chunk is some 50 kB of base64).
MAX_RECOVERY_BYTES = 256_000_000


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to a recovery file")


def append_record(path: Path, record: dict) -> None:
    """Append one record and sync it to disk, so a kill right after loses nothing. A write that
    fails (a full disk) is cut back off, so the file always ends with a whole record."""
    data = (json.dumps(record, default=_json_default) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)  # its owner's only
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, size)
            if size == 0:  # an empty file would only stand in the way of the next folder
                os.unlink(path)
            raise
    finally:
        os.close(fd)


TIME, NUMBER, INTEGER, TEXT, BLOB = "a time", "a number", "an integer", "text", "a keypoint chunk"
OPTIONAL = {"asymmetry", "source", "fps", "definition", "database", "reason", "view"}
FIELDS = {  # what each kind of record must hold to be merged
    "session": {"uuid": TEXT, "person": TEXT, "exercise": TEXT, "started_at": TIME, "source": TEXT,
                "fps": NUMBER, "definition": TEXT, "database": TEXT},
    "rep": {"rep_index": INTEGER, "set_index": INTEGER, **{name: NUMBER for name in REP_FIELDS if name != "set_index"},
            "flags": TEXT, "metrics": TEXT, "committed_at": TIME},
    "set": {"set_index": INTEGER, "start_t": NUMBER, "end_t": NUMBER, "held_s": NUMBER},
    "keypoints": {"chunk_index": INTEGER, "first_frame": INTEGER, "frames": INTEGER, "start_t": NUMBER,
                  "end_t": NUMBER, "data": BLOB},
    "end": {"status": TEXT, "ended_at": TIME, "view": TEXT},
}


def _fits(value, kind: str) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == INTEGER:  # as a database column holds it: 64 bits
        return isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63
    if kind == NUMBER:  # JSON's 1e999 reads as infinity
        return _fits(value, INTEGER) or isinstance(value, float) and math.isfinite(value)
    if kind == TIME:
        try:
            return isinstance(value, str) and utc(value) is not None
        except (TypeError, ValueError, OverflowError):
            return False
    try:
        check_blob(base64.b64decode(value, validate=True))
    except (TypeError, ValueError):
        return False
    return True


def record_problem(record) -> str | None:
    """What is wrong with a recovery record, or None when it can be merged."""
    if not isinstance(record, dict) or record.get("kind") not in FIELDS:
        return "not a recovery record"
    for name, kind in FIELDS[record["kind"]].items():
        if record.get(name) is None:
            if name not in OPTIONAL:
                return f"{record['kind']} record without {name}"
        elif not _fits(record[name], kind):
            return f"{name} is not {kind}: {str(record[name])[:40]!r}"
    if record["kind"] == "session" and not record["person"].strip():
        return "the person's name is empty"
    if record["kind"] == "end" and record["status"] not in STATUSES[1:]:
        return f"unknown status {record['status']!r}"
    return None


def read_recovery(path: str | os.PathLike) -> list[dict]:
    """The records of a recovery file. A line that cannot be merged (cut short by a kill or a full
    disk, or missing a field) is skipped with a warning; a file without its header is refused."""
    path = Path(path)
    try:
        lines = read_regular(path, MAX_RECOVERY_BYTES).decode("utf-8", errors="replace").splitlines()
    except OSError as error:
        raise StoreError(f"cannot read the recovery file {path}: {error.strerror or error}") from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            record = None
        problem = record_problem(record)
        if problem is None and (number == 1) != (record["kind"] == "session"):
            problem = "the header must be the first line, and only there"
        if problem is None:
            records.append(record)
        elif number == 1:
            break
        else:
            log.warning("%s:%d: skipped, %s", path, number, problem)
    if not records or records[0].get("format") != RECOVERY_FORMAT:
        raise StoreError(f"{path} is not a coach recovery file" + (" (it is empty)" if not lines else ""))
    return records


def _refresh(conn: sa.Connection, session_id: int, holds: dict[int, dict], hold: bool, **values) -> None:
    """Recompute a session's sets and totals from its reps and keypoint chunks in the database; a
    hold exercise's (`hold`) from its held sets there and `holds` (set rows by index, newer)."""
    rows = [dict(r._mapping) for r in conn.execute(sa.select(reps).where(reps.c.session_id == session_id))]
    held = {r.set_index: {"set_index": r.set_index, "start_t": r.start_t, "end_t": r.end_t, "reps": 0, "held_s": r.held_s}
            for r in conn.execute(sa.select(sets).where(sets.c.session_id == session_id, sets.c.held_s.is_not(None)))}
    hold = hold or bool(holds or held)
    conn.execute(sets.delete().where(sets.c.session_id == session_id))
    new_sets = [{**held, **holds}[i] for i in sorted({**held, **holds})] if hold else set_rows(rows)
    if new_sets:
        conn.execute(sets.insert(), [dict(r, session_id=session_id) for r in new_sets])
    span = conn.execute(sa.select(sa.func.min(keypoints.c.start_t), sa.func.max(keypoints.c.end_t),
                                  sa.func.sum(keypoints.c.frames)).where(keypoints.c.session_id == session_id)).one()
    values = {k: v for k, v in values.items() if v is not None}
    conn.execute(sessions.update().where(sessions.c.id == session_id).values(
        **{**summarise(rows), **(hold_totals(new_sets) if hold else {})},
        duration_s=(span[1] - span[0]) if span[0] is not None else 0.0, frames=span[2] or 0, **values))


def import_recovery(store: Store, path: str | os.PathLike) -> int:
    """Merge a recovery file into the database (reps and keypoint chunks not yet there), then
    rename it to *.jsonl.imported; returns the session id. A merge cut short can run again."""
    return _merge(store, Path(path), read_recovery(path))


def _merge(store: Store, path: Path, records: list[dict]) -> int:
    header = records[0]
    end = next((r for r in records if r["kind"] == "end"), None)
    rep_rows = [{k: r.get(k) for k in FIELDS["rep"]} for r in records if r["kind"] == "rep"]
    chunks = [r for r in records if r["kind"] == "keypoints"]
    holds = {r["set_index"]: {"set_index": r["set_index"], "start_t": r["start_t"], "end_t": r["end_t"], "reps": 0,
                              "held_s": r["held_s"]} for r in records if r["kind"] == "set"}  # the last of each

    def work(conn):
        session_id = conn.execute(sa.select(sessions.c.id).where(sessions.c.uuid == header["uuid"])).scalar()
        if session_id is None:
            session_id = conn.execute(sessions.insert().values(
                uuid=header["uuid"], person_id=store.person_id(conn, header["person"]),
                exercise=header["exercise"], source=header.get("source"), status="interrupted",
                started_at=utc(header["started_at"]), fps=header.get("fps"),
                definition=header.get("definition"), view=header.get("view"),
                routine=header.get("routine"))).inserted_primary_key[0]
        have_reps = set(conn.execute(sa.select(reps.c.rep_index).where(reps.c.session_id == session_id)).scalars())
        new_reps = {r["rep_index"]: dict(r, session_id=session_id, committed_at=utc(r["committed_at"]))
                    for r in rep_rows if r["rep_index"] not in have_reps}  # a rep written twice lands once
        if new_reps:
            conn.execute(reps.insert(), list(new_reps.values()))
        have_chunks = set(conn.execute(sa.select(keypoints.c.chunk_index)
                                       .where(keypoints.c.session_id == session_id)).scalars())
        new_chunks = {c["chunk_index"]: {"session_id": session_id, "data": base64.b64decode(c["data"]),
                                         **{k: c[k] for k in FIELDS["keypoints"] if k != "data"}}
                      for c in chunks if c["chunk_index"] not in have_chunks}
        if new_chunks:
            conn.execute(keypoints.insert(), list(new_chunks.values()))
        status = end["status"] if end else "interrupted"
        _refresh(conn, session_id, holds, bool(end and end.get("hold")), status=status,
                 ended_at=utc(end["ended_at"]) if end else None, view=end.get("view") if end else None)
        return session_id

    session_id = store.run(work, write=True)
    try:
        path.rename(path.with_suffix(".jsonl.imported"))
    except OSError as error:  # merged all the same; merging it again changes nothing
        log.warning("could not rename %s after importing it: %s", path, error)
    return session_id


def recovery_dirs(store: Store) -> list[Path]:
    """Where recovery files go, in the order a recorder tries them: store.recovery_dir(), then
    recovery/ in the per-user data folder, then coach-recovery/ in the temporary folder."""
    folders = [store.recovery_dir(), data_dir() / "recovery", Path(tempfile.gettempdir()) / "coach-recovery"]
    return list(dict.fromkeys(folders))


def recover(store: Store) -> list[tuple[Path, int | StoreError]]:
    """Import every recovery file of this database (those in store.recovery_dir(), and those in the
    fallback folders that name it), renaming each to *.imported once it is in. Returns each file
    with its session id, or with the StoreError that says why it was skipped (it stays as it is).
    A database that cannot be written stops it with that StoreError."""
    done = []
    first, *fallbacks = recovery_dirs(store)
    for folder in [first, *fallbacks]:
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
            try:
                records = read_recovery(path)
            except StoreError as error:
                if folder == first:  # in a shared fallback folder it may be another database's
                    done.append((path, error))
                continue
            if folder == first or records[0].get("database") == store.where:
                done.append((path, _merge(store, path, records)))
    return done
