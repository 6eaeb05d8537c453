"""Sessions whose rows are damaged: SQLite keeps whatever value it is given in any column (text in
a count, 1e999 as infinity, a date that is not one, text for a keypoint chunk), and one such row
would stop every query that reads it. PostgreSQL enforces the column types, so only SQLite is read.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from coach.store.schema import keypoints, reps, sessions, sets, utc

TABLES = (sessions, sets, reps, keypoints)  # the rows that belong to a session
KINDS = {sa.Integer: ("integer",), sa.Float: ("real", "integer"), sa.DateTime: ("text",), sa.String: ("text",),
         sa.LargeBinary: ("blob",)}  # what typeof() says of a sound value (Text is a String)
NAMES = {"integer": "an integer", "real": "a number", "text": "text", "blob": "bytes"}


def damaged(conn: sa.Connection, tables: Iterable[sa.Table] = TABLES,
            session_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{session id: what is wrong with the first damaged value of its rows in `tables`}."""
    if conn.dialect.name != "sqlite":
        return {}
    found: dict[int, str] = {}
    for table in tables:
        key = table.c.id if table is sessions else table.c.session_id
        columns = [c for c in table.columns if c is not key]
        query = sa.select(key, *(sa.func.typeof(c) for c in columns),
                          *(sa.type_coerce(c, sa.Text) for c in columns if isinstance(c.type, sa.DateTime)),
                          *(sa.func.abs(c) > 1.7976931348623157e308 for c in columns if isinstance(c.type, sa.Float)))
        if session_ids is not None:
            query = query.where(key.in_([int(i) for i in session_ids]))
        for row in conn.execute(query):
            session_id, kinds, rest = row[0], row[1:len(columns) + 1], list(row[len(columns) + 1:])
            if not isinstance(session_id, int) or session_id in found:
                continue  # a row whose session id is not one belongs to no session
            times = {c.name: rest.pop(0) for c in columns if isinstance(c.type, sa.DateTime)}
            endless = {c.name: rest.pop(0) for c in columns if isinstance(c.type, sa.Float)}
            for column, kind in zip(columns, kinds):
                problem = _problem(conn.dialect, column, kind, times.get(column.name), endless.get(column.name))
                if problem:
                    found[session_id] = f"{table.name}.{column.name} {problem}"
                    break
    return found


def _problem(dialect, column: sa.Column, kind: str, time: str | None, endless: int | None) -> str | None:
    if kind == "null":
        return None if column.nullable else "is empty"
    wanted = next(kinds for base, kinds in KINDS.items() if isinstance(column.type, base))
    if kind not in wanted:
        return f"holds {NAMES.get(kind, kind)}, not {NAMES[wanted[0]]}"
    if endless:
        return "holds an infinite number"
    if time is not None:
        try:
            # As the store reads it: SQLAlchemy's parser, then a time pandas can hold.
            utc(column.type.dialect_impl(dialect).result_processor(dialect, None)(time))
        except (ValueError, TypeError, OverflowError):
            return f"holds {time[:40]!r}, not a time"
    return None
