"""Export every table to CSV or parquet files, and import such an export into a database."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from coach.errors import StoreError
from coach.store.schema import SCHEMA_VERSION, TABLES, keypoints, now, reps, sessions, sets

if TYPE_CHECKING:
    from coach.store.database import Store

EXPORT_FORMAT = "coach-history"


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


def export(store: Store, folder: str | os.PathLike, fmt: str = "csv") -> dict[str, int]:
    """Write every table to FOLDER/<table>.csv|.parquet plus manifest.json; returns rows per table.
    In CSV the keypoint chunks are base64 text; in parquet, binary."""
    if fmt not in ("csv", "parquet"):
        raise StoreError(f"unknown export format {fmt!r}: use csv or parquet")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    frames = {table.name: store.read(sa.select(table).order_by(table.c.id)) for table in TABLES}
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
    manifest = {"format": EXPORT_FORMAT, "schema_version": store.version(), "file_format": fmt,
                "exported_at": now().isoformat(), "tables": counts}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return counts


def import_(store: Store, folder: str | os.PathLike) -> dict[str, int]:
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
            row["person_id"] = store.person_id(conn, names[row["person_id"]])
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

    return store.run(work, write=True)
