"""Recovery files: what a recorder measured but could not store, one JSON record a line
(a 'session' header, then 'rep', 'keypoints' and 'end' records), and merging them back."""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

from coach.errors import StoreError
from coach.store.schema import keypoints, reps, sessions, sets, utc
from coach.store.summary import set_rows, summarise

if TYPE_CHECKING:
    from coach.store.database import Store

log = logging.getLogger(__name__)

RECOVERY_FORMAT = "coach-recovery/1"


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to a recovery file")


def append_record(path: Path, record: dict) -> None:
    """Append one record and sync it to disk, so a kill right after loses nothing."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(record, default=_json_default) + "\n")
        file.flush()
        os.fsync(file.fileno())


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


def _refresh(conn: sa.Connection, session_id: int, **values) -> None:
    """Recompute a session's sets and totals from its reps and keypoint chunks in the database."""
    rows = [dict(r._mapping) for r in conn.execute(sa.select(reps).where(reps.c.session_id == session_id))]
    conn.execute(sets.delete().where(sets.c.session_id == session_id))
    new_sets = set_rows(rows)
    if new_sets:
        conn.execute(sets.insert(), [dict(r, session_id=session_id) for r in new_sets])
    span = conn.execute(sa.select(sa.func.min(keypoints.c.start_t), sa.func.max(keypoints.c.end_t),
                                  sa.func.sum(keypoints.c.frames)).where(keypoints.c.session_id == session_id)).one()
    values = {k: v for k, v in values.items() if v is not None}
    conn.execute(sessions.update().where(sessions.c.id == session_id).values(
        **summarise(rows), duration_s=(span[1] - span[0]) if span[0] is not None else 0.0, frames=span[2] or 0,
        **values))


def import_recovery(store: Store, path: str | os.PathLike) -> int:
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
                uuid=header["uuid"], person_id=store.person_id(conn, header["person"]),
                exercise=header["exercise"], source=header.get("source"), status="interrupted",
                started_at=utc(header["started_at"]), fps=header.get("fps"),
                definition=header.get("definition"))).inserted_primary_key[0]
        have_reps = set(conn.execute(sa.select(reps.c.rep_index).where(reps.c.session_id == session_id)).scalars())
        new_reps = [dict(r, session_id=session_id, committed_at=utc(r["committed_at"]))
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
        _refresh(conn, session_id, status=status, ended_at=utc(end["ended_at"]) if end else None)
        return session_id

    session_id = store.run(work, write=True)
    Path(path).rename(Path(path).with_suffix(".jsonl.imported"))
    return session_id


def recover(store: Store) -> list[tuple[Path, int]]:
    """Import every recovery file in store.recovery_dir(), renaming each to *.imported once it is in."""
    done = []
    folder = store.recovery_dir()
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        session_id = import_recovery(store, path)
        done.append((path, session_id))
    return done
