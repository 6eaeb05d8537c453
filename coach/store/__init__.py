"""The history database: people, sessions, sets, reps and each session's keypoint series.

The package's files are its jobs:
  schema.py     the tables and the migrations that build them
  location.py   where the database is (--db, COACH_DB, data/coach.db) and its URL
  database.py   the Store: engine, transactions (`run`, `person_id`), queries
  liveness.py   whether the process writing a 'running' session is still alive
  blobs.py      keypoint chunks as bytes
  damage.py     sessions whose rows SQLite kept damaged, which the readers leave out
  summary.py    rep rows, set rows and a session's totals
  messages.py   a database failure as one line for the user
  transfer.py   export to and import from CSV or parquet
  recovery.py   recovery files and merging them back
  recorder.py   SessionRecorder, writing a session as it happens

Durability: a live session is written by a `SessionRecorder` whose `update(result)` commits each
rep, with the keypoints up to it, in one transaction the moment the rep is counted; SQLite runs in
WAL mode with `synchronous=FULL`, so a killed process loses no counted rep. A session whose process
died shows as 'interrupted'. When the database cannot be written (locked, read-only, gone), the
recorder keeps going and appends what it measured to a recovery file (`recovery/*.jsonl` beside the
SQLite file, or under data/), which `recovery.recover(store)` (`coach history recover`) loads back.

The Store reads and holds the transactions; the jobs above it take a Store: `SessionRecorder(store, ...)`
and `record(store, results, ...)` write sessions, `transfer.export(store, ...)` and `transfer.import_`
move them, `recovery.recover(store)` merges recovery files back.
"""

from coach.keypoints import KeypointSeries
from coach.paths import data_dir
from coach.store import recovery, transfer
from coach.store.database import Store
from coach.store.location import describe, resolve_url
from coach.store.recorder import SessionRecorder, record
from coach.store.recovery import RECOVERY_FORMAT, read_recovery
from coach.store.schema import (DEFAULT_PERSON, MIGRATIONS, SCHEMA_VERSION, STATUSES, TABLES, Migration, keypoints,
                                people, reps, schema_version, sessions, sets)
from coach.store.summary import rep_row, summarise
from coach.store.transfer import EXPORT_FORMAT

__all__ = ["DEFAULT_PERSON", "EXPORT_FORMAT", "MIGRATIONS", "RECOVERY_FORMAT", "SCHEMA_VERSION", "STATUSES", "TABLES",
           "KeypointSeries", "Migration", "SessionRecorder", "Store", "data_dir", "describe", "keypoints", "people",
           "read_recovery", "record", "recovery", "rep_row", "reps", "resolve_url", "schema_version", "sessions", "sets", "summarise", "transfer"]
