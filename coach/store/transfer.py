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
from coach.files import read_regular
from coach.store.blobs import check as check_blob
from coach.store.schema import SCHEMA_VERSION, STATUSES, TABLES, keypoints, now, people, reps, sessions, sets

if TYPE_CHECKING:
    from coach.store.database import Store

EXPORT_FORMAT = "coach-history"
# A CSV cell a spreadsheet would run as a formula (OWASP's "CSV injection"): text that begins so
# is written after a quote, as is text that begins with a quote, so that import takes one off.
FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")
TABLES_BY_NAME = {table.name: table for table in TABLES}
MAX_MANIFEST_BYTES = 1_000_000


def quote_formulas(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """`frame` for a CSV a spreadsheet opens: each text cell of `columns` (all by default) that
    begins like a formula is written after a quote."""
    columns = list(frame.columns if columns is None else columns)
    frame = frame.copy()
    frame[columns] = frame[columns].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA) else v)
    return frame


def _records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as plain Python values, NaN/NaT as None, for a driver to bind."""
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def _problem(path: Path, frame: pd.DataFrame, bad: pd.Series, column: str, problem: str) -> StoreError:
    """The error naming the first row of `frame` where `bad` holds (rows count from 1 after the header)."""
    row = int(bad.to_numpy().argmax())
    value = frame[column].iloc[row] if column in frame else None
    shown = "" if value is None or (not isinstance(value, (bytes, str)) and pd.isna(value)) else f" ({str(value)[:40]!r})"
    return StoreError(f"{path}: row {row + 1}, column {column}{shown}: {problem}; nothing was imported")


def _typed(frame: pd.DataFrame, table: sa.Table, path: Path, fmt: str) -> pd.DataFrame:
    """Cast a table read back from CSV or parquet to its columns' types (ints with gaps come back
    as floats, digit strings as ints), so every backend binds them as the schema says; a value
    that is not of its column's type, or missing where the column needs one, is a StoreError."""
    typed = frame.copy()
    for column in table.columns:
        name = column.name
        values = frame[name].astype(object)
        missing = values.isna()
        numeric_dtype = frame[name].dtype.kind in "iufb"
        if isinstance(column.type, (sa.Integer, sa.Float)):
            numbers = pd.to_numeric(values.where(~values.map(lambda v: isinstance(v, (bool, bytes))), "x"),
                                    errors="coerce")
            bad = ~missing & numbers.isna()
            if isinstance(column.type, sa.Integer):
                bad |= ~missing & ~bad & ((numbers % 1 != 0) | (numbers.abs() >= 2**63))
            if bad.any():
                kind = "an integer" if isinstance(column.type, sa.Integer) else "a number"
                raise _problem(path, frame, bad, name, f"not {kind}")
            typed[name] = numbers.astype("Int64" if isinstance(column.type, sa.Integer) else float)
        elif isinstance(column.type, sa.DateTime):
            times = pd.to_datetime(values.where(~values.map(lambda v: isinstance(v, (int, float, bytes))), "x"),
                                   utc=True, format="ISO8601", errors="coerce")
            bad = ~missing & times.isna()
            if bad.any():
                raise _problem(path, frame, bad, name, "not an ISO time such as 2026-05-01T09:30:00+00:00")
            typed[name] = times
        elif isinstance(column.type, sa.String):  # Text too
            bad = ~missing & (numeric_dtype | ~values.map(lambda v: isinstance(v, str)))
            if bad.any():
                raise _problem(path, frame, bad, name, "not text")
            if column.type.length:
                long = ~missing & (values.map(lambda v: len(v) if isinstance(v, str) else 0) > column.type.length)
                if long.any():
                    raise _problem(path, frame, long, name, f"longer than {column.type.length} characters")
            text = values.where(~missing, None)
            if not column.nullable and column.default is not None:
                text = text.fillna(column.default.arg)  # CSV reads an empty text back as missing
            typed[name] = text
        elif isinstance(column.type, sa.LargeBinary):
            typed[name] = [_blob(path, frame, row, value, fmt) for row, value in enumerate(values)]
        if not column.nullable and typed[name].isna().any():
            raise _problem(path, frame, typed[name].isna(), name, "empty, but this column needs a value")
    return typed


def _blob(path: Path, frame: pd.DataFrame, row: int, value, fmt: str) -> bytes | None:
    """A keypoint chunk from its cell (base64 text in CSV, bytes in parquet), checked to be one."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        blob = base64.b64decode(value, validate=True) if fmt == "csv" else value
        if not isinstance(blob, bytes):
            raise ValueError(f"not bytes but {type(blob).__name__}")
        check_blob(blob)
    except (TypeError, ValueError) as error:  # binascii.Error is a ValueError
        raise _problem(path, frame, pd.Series(range(len(frame))) == row, "data", str(error)) from None
    return blob


def _check_links(frames: dict[str, pd.DataFrame], paths: dict[str, Path]) -> None:
    """Every row's ids unique and pointing at a row that is there; statuses ones coach knows."""
    unique = {"people": [["id"], ["name"]], "sessions": [["id"], ["uuid"]],
              "sets": [["id"], ["session_id", "set_index"]], "reps": [["id"], ["session_id", "rep_index"]],
              "keypoints": [["id"], ["session_id", "chunk_index"]]}
    for name, keys in unique.items():
        for key in keys:
            twice = frames[name].duplicated(subset=key)
            if twice.any():
                raise _problem(paths[name], frames[name], twice, key[-1], f"{' and '.join(key)} repeat an earlier row")
    people, sessions_ = frames["people"], frames["sessions"]
    blank = people["name"].map(lambda v: not v.strip())
    if blank.any():
        raise _problem(paths["people"], people, blank, "name", "a person's name cannot be empty")
    unknown = ~sessions_["status"].isin(STATUSES)
    if unknown.any():
        raise _problem(paths["sessions"], sessions_, unknown, "status", f"not one of {', '.join(STATUSES)}")
    orphans = ~sessions_["person_id"].isin(people["id"])
    if orphans.any():
        raise _problem(paths["sessions"], sessions_, orphans, "person_id", "no such id in people")
    for name in ("sets", "reps", "keypoints"):
        orphans = ~frames[name]["session_id"].isin(sessions_["id"])
        if orphans.any():
            raise _problem(paths[name], frames[name], orphans, "session_id", "no such id in sessions")
    metrics = ~frames["reps"]["metrics"].map(_is_json_object)
    if metrics.any():
        raise _problem(paths["reps"], frames["reps"], metrics, "metrics", "not a JSON object")


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        return False


def export(store: Store, folder: str | os.PathLike, fmt: str = "csv") -> tuple[dict[str, int], dict[int, str]]:
    """Write every table to FOLDER/<table>.csv|.parquet plus manifest.json. In CSV the keypoint
    chunks are base64 text; in parquet, binary. Sessions whose rows are damaged (coach.store.damage,
    or a keypoint chunk that is not one) are left out, as import would refuse them. Returns the
    rows written per table, and {session id: what is damaged} of those left out."""
    if fmt not in ("csv", "parquet"):
        raise StoreError(f"unknown export format {fmt!r}: use csv or parquet")
    folder = Path(folder)
    damage = store.damaged()
    frames = {table.name: store.read(sa.select(table).order_by(table.c.id).where(
        (table.c.id if table is sessions else table.c.session_id).not_in(damage) if table is not people else sa.true()))
        for table in TABLES}
    for session_id, index, blob in frames["keypoints"][["session_id", "chunk_index", "data"]].itertuples(index=False):
        try:
            check_blob(blob)
        except ValueError as error:
            damage.setdefault(int(session_id), f"keypoints chunk {index} is damaged: {error}")
    for name in ("sessions", "sets", "reps", "keypoints"):
        key = "id" if name == "sessions" else "session_id"
        frames[name] = frames[name][~frames[name][key].isin(damage)].reset_index(drop=True)
    try:
        return _write(store, folder, fmt, frames), damage
    except OSError as error:  # a file where the folder should be, a full disk, no permission
        raise StoreError(f"cannot write the export to {folder}: {error}") from None


def _write(store: Store, folder: Path, fmt: str, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in frames.items():
        if name == "keypoints" and fmt == "csv":
            frame["data"] = [base64.b64encode(bytes(blob)).decode("ascii") for blob in frame["data"]]
        if name == "keypoints":
            frame["data"] = frame["data"].astype(object)
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            text = [c.name for c in TABLES_BY_NAME[name].columns if isinstance(c.type, sa.String)]
            quote_formulas(frame, text).to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        counts[name] = len(frame)
    manifest = {"format": EXPORT_FORMAT, "schema_version": store.version(), "file_format": fmt,
                "exported_at": now().isoformat(), "tables": counts, "formulas_quoted": fmt == "csv"}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return counts


def _manifest(folder: Path) -> dict:
    try:
        manifest = json.loads(read_regular(folder / "manifest.json", MAX_MANIFEST_BYTES))
    except OSError as error:
        raise StoreError(f"{folder} is not a coach history export (manifest.json: {error.strerror or error})"
                         ) from None
    except (ValueError, RecursionError) as error:
        raise StoreError(f"{folder} is not a coach history export (manifest.json: "
                         f"{'nested too deeply' if isinstance(error, RecursionError) else error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise StoreError(f"{folder}/manifest.json is not a coach history export")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(f"{folder}/manifest.json: schema_version is {version!r}, not a version number")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{folder} was exported with schema version {version}, newer than "
                         f"this coach knows ({SCHEMA_VERSION}); upgrade coach")
    if manifest.get("file_format", "csv") not in ("csv", "parquet"):
        raise StoreError(f"{folder}/manifest.json: file_format is {manifest['file_format']!r}, not csv or parquet")
    return manifest


def _read(path: Path, table: sa.Table, fmt: str, quoted: bool) -> pd.DataFrame:
    """A table's file; `quoted`: a CSV whose text cells were written after a quote where they began
    like a formula (the manifest says so), which is taken off."""
    if not path.is_file():  # a FIFO would block the read for ever
        raise StoreError(f"cannot read {path}: " + ("not a regular file" if path.exists() else "it is not there"))
    try:
        if fmt == "csv":
            text = {c.name: str for c in table.columns if isinstance(c.type, (sa.String, sa.LargeBinary))}
            frame = pd.read_csv(path, dtype=text)
            if quoted:
                columns = [c.name for c in table.columns if isinstance(c.type, sa.String) and c.name in frame]
                frame[columns] = frame[columns].map(lambda v: v[1:] if isinstance(v, str) and v.startswith("'") else v)
            return frame
        return pd.read_parquet(path)
    except (OSError, ValueError, TypeError, NotImplementedError, ImportError) as error:  # pyarrow's, too
        raise StoreError(f"cannot read {path}: {str(error).strip().splitlines()[0] if str(error).strip() else error!r}"
                         ) from None


def import_(store: Store, folder: str | os.PathLike) -> dict[str, int]:
    """Load an export made by `export` (from this or another database). Sessions already here
    (same uuid) are skipped, so importing twice changes nothing. Every row is checked before any is
    written, and all is written in one transaction: a bad row imports nothing. Returns counts."""
    folder = Path(folder)
    manifest = _manifest(folder)
    fmt = manifest.get("file_format", "csv")
    counts = manifest.get("tables") if isinstance(manifest.get("tables"), dict) else {}
    frames, paths = {}, {}
    for table in TABLES:
        path = paths[table.name] = folder / f"{table.name}.{fmt}"
        frame = _read(path, table, fmt, manifest.get("formulas_quoted") is True)
        missing = {c.name for c in table.columns} - set(frame.columns)
        for name in [name for name in missing if table.c[name].nullable]:  # an export from before they existed
            frame[name], missing = None, missing - {name}
        if missing:
            raise StoreError(f"{path} lacks the columns {', '.join(sorted(missing))}")
        if counts.get(table.name, len(frame)) != len(frame):
            raise StoreError(f"{path} holds {len(frame)} rows but manifest.json says {counts[table.name]}: "
                             f"is it cut short?")
        frame = frame[[c.name for c in table.columns]].reset_index(drop=True)  # columns it does not know: left out
        frames[table.name] = _typed(frame, table, path, fmt)
    _check_links(frames, paths)
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
