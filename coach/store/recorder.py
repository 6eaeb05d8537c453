"""The recorder: writes one session to the store while it happens, a transaction per rep."""

from __future__ import annotations

import base64
import logging
import math
import os
import shutil
import socket
import uuid as uuidlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

from coach.errors import StoreError
from coach.keypoints import KeypointSeries
from coach.store.blobs import pack
from coach.store.liveness import process_start
from coach.store.recovery import RECOVERY_FORMAT, append_record, import_recovery, recovery_dirs
from coach.store.schema import DEFAULT_PERSON, STATUSES, keypoints, now, reps, sessions, sets, utc
from coach.store.summary import hold_row, hold_totals, rep_row, set_rows, summarise
from coach.types import FrameResult

if TYPE_CHECKING:
    from coach.store.database import Store

log = logging.getLogger(__name__)

HOLD_WRITE_S = 1.0  # a hold going on is written at least this often: a crash loses at most this much of it


class SessionRecorder:
    """Writes one session to the store while it happens.

    `update(result)` takes every FrameResult of the session, in order. The moment a rep is
    counted (`result.rep`), that rep, its set and the session's totals are committed in one
    transaction together with the keypoints buffered up to that frame. A set's first rep waits
    for the one after it, which the set gate counts on the next frame (coach.counting.SetGate),
    and the two are committed together: the keypoints of the frame that counts the first hold the
    end of the second, so a kill between them would keep one rep of frames that count two (or at
    the end of the stream, where the gate counts reps that were held). Between reps the keypoints
    are flushed every `flush_s` seconds of stream time. A hold exercise (its results carry
    `held_s`) has no reps: the set of the hold going on (`result.hold`) is written when it starts
    to count, every HOLD_WRITE_S of stream time while it goes on, and when it ends.
    `finish()` marks the session complete.
    Used as a context manager, an exception or Ctrl-C ends the session as 'interrupted'.

    When the database cannot be written, `update` does not raise: the recorder logs it once and
    appends what was not stored to a recovery file (`recovery_path`); `finish()` then tries to
    merge that file back and raises a StoreError naming it if it still cannot.
    Writing waits for the database (up to the store's timeout): call it from a worker thread, not a
    real-time video callback.
    """

    def __init__(self, store: Store, exercise: str, person: str | None = None, *, source: str = "live",
                 fps: float | None = None, definition: str | None = None, flush_s: float = 10.0,
                 view: str | None = None, routine: str | None = None):
        self.store = store
        self.uuid = str(uuidlib.uuid4())
        self.exercise = exercise
        self.person = person or DEFAULT_PERSON
        self.flush_s = flush_s
        self.session_id: int | None = None
        self.recovery_path: Path | None = None
        self.error: StoreError | None = None
        self.keep_error: OSError | None = None  # why the last recovery file write failed
        self._unwritten: list[dict] = []  # recovery records no folder could take yet
        self._finished = False
        self._rep_rows: list[dict] = []
        self._waiting: list[dict] = []  # a set's first rep, committed with the next
        self._hold = False  # a hold exercise: the session's totals are its held sets
        self._hold_rows: dict[int, dict] = {}  # by set index, as last seen
        self._hold_unwritten: dict | None = None  # the last seen hold row, until written
        self._hold_written_t = -math.inf
        self._frames = 0
        self._chunk = 0
        self._first_t: float | None = None
        self._buffer: list[tuple[float, np.ndarray, tuple[int, int], bool]] = []
        self._header = {"kind": "session", "format": RECOVERY_FORMAT, "uuid": self.uuid, "person": self.person,
                        "exercise": exercise, "source": source, "fps": fps, "definition": definition, "view": view,
                        "routine": routine, "started_at": now().isoformat(), "database": store.where}
        try:
            self.session_id = store.run(self._create, write=True)
        except StoreError as error:
            self._fail(error)

    def _create(self, conn: sa.Connection) -> int:
        h = self._header
        return conn.execute(sessions.insert().values(
            uuid=self.uuid, person_id=self.store.person_id(conn, self.person), exercise=self.exercise,
            source=h["source"], status="running", started_at=utc(h["started_at"]), fps=h["fps"],
            definition=h["definition"], view=h["view"], routine=h["routine"], host=socket.gethostname(), pid=os.getpid(),
            proc_start=process_start(os.getpid()), heartbeat_at=now())).inserted_primary_key[0]

    def update(self, result: FrameResult) -> None:
        """Take one frame's result; commit at once if it completed a rep."""
        if self._finished:
            raise StoreError("this session has already been finished")
        if self._first_t is None:
            self._first_t = result.t
            self._hold = result.held_s is not None
        pose = result.pose
        if pose is None:
            self._buffer.append((result.t, np.zeros((17, 3), np.float32), (0, 0), False))
        else:
            self._buffer.append((result.t, np.asarray(pose.keypoints, np.float32), tuple(pose.size), True))
        keypoints_due = result.t - self._buffer[0][0] >= self.flush_s
        if result.rep is not None:
            row = rep_row(result.rep)
            row["committed_at"] = now()
            starts_set = all(r["set_index"] != row["set_index"] for r in self._rep_rows)
            self._rep_rows.append(row)
            if starts_set and not self._waiting:
                self._waiting.append(row)
                return
            self._flush([*self._waiting, row])
        elif self._waiting:
            return  # nothing is committed between a set's first rep and its second
        elif self._hold_due(result) or keypoints_due:
            self._flush([], with_chunk=keypoints_due)

    def _hold_due(self, result: FrameResult) -> bool:
        """Note the hold going on; whether its set row is to be written at this frame."""
        if result.hold is None:
            return False
        new = result.hold.index not in self._hold_rows
        self._hold_rows[result.hold.index] = self._hold_unwritten = hold_row(result.hold)
        if new or result.hold.done or result.t - self._hold_written_t >= HOLD_WRITE_S:
            self._hold_written_t = result.t
            return True
        return False

    def _chunk_row(self) -> dict | None:
        if not self._buffer:
            return None
        t, xys, size, present = zip(*self._buffer)
        series = KeypointSeries(np.asarray(t, np.float64), np.stack(xys), np.asarray(size, np.int32).reshape(-1, 2),
                                np.asarray(present, bool))
        row = {"chunk_index": self._chunk, "first_frame": self._frames, "frames": len(series),
               "start_t": float(series.t[0]), "end_t": float(series.t[-1]), "data": pack(series)}
        return row

    def _flush(self, rep_rows: list[dict], status: str | None = None, with_chunk: bool = True) -> None:
        """Commit `rep_rows` (reps counted since the last commit) with what goes with them, in one transaction."""
        self._waiting = []
        chunk = self._chunk_row() if with_chunk else None
        hold, self._hold_unwritten = self._hold_unwritten, None
        if self.error is None:
            try:
                self.store.run(lambda conn: self._write(conn, rep_rows, chunk, status, hold), write=True)
            except StoreError as error:
                self._fail(error, rep_rows)
        if self.error is not None:
            self._append_recovery(rep_rows, chunk, status, hold)
        if chunk is not None:
            self._chunk += 1
            self._frames += chunk["frames"]
            self._buffer.clear()

    def _write(self, conn: sa.Connection, rep_rows: list[dict], chunk: dict | None, status: str | None,
               hold: dict | None = None) -> None:
        for rep in rep_rows:
            conn.execute(reps.insert().values(session_id=self.session_id, **rep))
        for index in dict.fromkeys(rep["set_index"] for rep in rep_rows):
            self._upsert_set(conn, next(r for r in set_rows(self._rep_rows) if r["set_index"] == index))
        if hold is not None:
            self._upsert_set(conn, hold)
        if chunk is not None:
            conn.execute(keypoints.insert().values(session_id=self.session_id, **chunk))
        values = dict(summarise(self._rep_rows), heartbeat_at=now(),
                      frames=self._frames + (chunk["frames"] if chunk else 0))
        if self._hold:
            values.update(hold_totals(list(self._hold_rows.values())))
        if chunk is not None:
            values["duration_s"] = chunk["end_t"] - self._first_t
        if status is not None:
            values.update(status=status, ended_at=now(), view=self._header["view"])
        conn.execute(sessions.update().where(sessions.c.id == self.session_id).values(**values))

    def _upsert_set(self, conn: sa.Connection, row: dict) -> None:
        changed = conn.execute(sets.update().where(sets.c.session_id == self.session_id,
                                                   sets.c.set_index == row["set_index"]).values(**row)).rowcount
        if not changed:
            conn.execute(sets.insert().values(session_id=self.session_id, **row))

    def _fail(self, error: StoreError, pending: list[dict] = ()) -> None:
        """From now on, write to a recovery file; start it with every rep so far but `pending`
        (those being written now, which the caller appends)."""
        self.error = error
        self._keep({**self._header, "reason": str(error)},
                   *({"kind": "rep", **row} for row in self._rep_rows if not any(row is p for p in pending)),
                   *({"kind": "set", **row} for row in self._hold_rows.values()))  # merging takes the last of a set
        log.warning("%s; recording to %s instead", error, self.recovery_path or "memory (no folder can be written)")
        # Keypoint chunks already committed stay in the database; import merges by chunk index.

    def _append_recovery(self, rep_rows: list[dict], chunk: dict | None, status: str | None,
                         hold: dict | None = None) -> None:
        records = [{"kind": "rep", **rep} for rep in rep_rows]
        if hold is not None:
            records.append({"kind": "set", **hold})
        if chunk is not None:
            records.append({"kind": "keypoints", **chunk, "data": base64.b64encode(chunk["data"]).decode("ascii")})
        if status is not None:
            records.append({"kind": "end", "status": status, "ended_at": now().isoformat(), "hold": self._hold,
                            "view": self._header["view"]})
        self._keep(*records)

    def _keep(self, *records: dict) -> None:
        """Append records to the recovery file. Where that fails (a full disk, a read-only folder),
        move the file to the next folder that can be written (see recovery_dirs); where none can,
        hold the records in memory and try again at the next one."""
        self._unwritten.extend(records)
        folders = recovery_dirs(self.store)
        if self.recovery_path is not None and self.recovery_path.parent in folders:
            folders = folders[folders.index(self.recovery_path.parent):]
        for folder in folders:
            try:
                self._move_recovery_file(folder)
                while self._unwritten:
                    append_record(self.recovery_path, self._unwritten[0])
                    self._unwritten.pop(0)
                return
            except OSError as error:
                self.keep_error = error
                log.warning("cannot write the recovery file in %s: %s", folder, error)

    def _move_recovery_file(self, folder: Path) -> None:
        """Make the recovery file live in `folder`, bringing what the one before holds along."""
        if self.recovery_path is not None and self.recovery_path.parent == folder:
            return
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"{now():%Y%m%dT%H%M%S}-{self.uuid}.jsonl"
        try:
            if self.recovery_path is not None and self.recovery_path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))  # copyfile keeps the mode
                shutil.copyfile(self.recovery_path, path)
        except OSError:
            path.unlink(missing_ok=True)
            raise
        old, self.recovery_path = self.recovery_path, path
        if old is not None:
            old.unlink(missing_ok=True)  # its records are all in the new file now

    def finish(self, status: str = "complete", view: str | None = None) -> int | None:
        """Write what is left and close the session ('complete' or 'interrupted') with the camera
        `view` it was seen from, once known; returns its id.
        Raises StoreError, naming the recovery file, if the session could not be stored."""
        if status not in STATUSES[1:]:
            raise ValueError(f"status must be 'complete' or 'interrupted', got {status!r}")
        if self._finished:
            return self.session_id
        self._finished = True
        if view is not None:
            self._header["view"] = view
        self._flush(self._waiting, status)
        if self.error is None:
            return self.session_id
        if self._unwritten:
            if self.recovery_path is not None and self.recovery_path.exists():
                raise StoreError(f"{self.error}; and the recovery file {self.recovery_path} could not take the end "
                                 f"of this session ({self.keep_error}): free some disk space, then "
                                 f"`coach history recover` imports what it holds")
            raise StoreError(f"{self.error}; and no recovery file could be written either ({self.keep_error}), "
                             f"so this session was lost: free some disk space")
        try:  # the database may be back (a lock released): merge the recovery file
            self.session_id = import_recovery(self.store, self.recovery_path)
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


def record(store: Store, results: Iterable[FrameResult], exercise: str, person: str | None = None, **kwargs) -> int:
    """Store a finished run of FrameResults (an analysed file) as one session; returns its id.
    It goes through the same recorder as a live session (`kwargs` as SessionRecorder's)."""
    with SessionRecorder(store, exercise, person, **kwargs) as recorder:
        for result in results:
            recorder.update(result)
    return recorder.session_id
