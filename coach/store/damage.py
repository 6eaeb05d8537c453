"""Sessions whose rows are damaged: SQLite keeps whatever value it is given in any column (text in
a count, 1e999 as infinity, a date that is not one, text for a keypoint chunk), and one such row
would stop every query that reads it. PostgreSQL enforces the column types, so only SQLite is read.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from coach.store.schema import keypoints, reps, sessions, sets

TABLES = (sessions, sets, reps, keypoints)  # the rows that belong to a session
KINDS = {sa.Integer: ("integer",), sa.Float: ("real", "integer"), sa.DateTime: ("text",), sa.String: ("text",),
         sa.LargeBinary: ("blob",)}  # what typeof() says of a sound value (Text is a String)
NAMES = {"integer": "an integer", "real": "a number", "text": "text", "blob": "bytes"}
LARGEST = 1.7976931348623157e308  # above: infinity
PANDAS_YEARS = (1678, 2261)  # the years a pandas time holds (in nanoseconds since 1970)


def damaged(conn: sa.Connection, tables: Iterable[sa.Table] = TABLES,
            session_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{session id: what is wrong with the first damaged value found in its rows in `tables`}."""
    if conn.dialect.name != "sqlite":
        return {}
    found: dict[int, str] = {}
    for table in tables:
        key = table.c.id if table is sessions else table.c.session_id
        columns = [c for c in table.columns if c is not key]
        of_session = sa.func.typeof(key) == "integer"  # a row whose session id is not one belongs to no session
        if session_ids is not None:
            of_session &= key.in_([int(i) for i in session_ids])
        # The types, in SQL: only the rows with a value of the wrong type come back.
        floats = [c for c in columns if isinstance(c.type, sa.Float)]
        query = (sa.select(key, *(sa.func.typeof(c) for c in columns), *(sa.func.abs(c) > LARGEST for c in floats))
                 .where(of_session, sa.or_(*(_wrong_type(c) for c in columns), *(sa.func.abs(c) > LARGEST for c in floats))))
        for session_id, *kinds in conn.execute(query):
            kinds, endless = kinds[:len(columns)], dict(zip(floats, kinds[len(columns):]))
            problem = next(f"{column.name} {_type_problem(column, kind, endless.get(column))}"
                           for column, kind in zip(columns, kinds) if _type_problem(column, kind, endless.get(column)))
            found.setdefault(session_id, f"{table.name}.{problem}")
        # The times, as the store reads them: SQLAlchemy's parser, then a time pandas can hold.
        for column in (c for c in columns if isinstance(c.type, sa.DateTime)):
            parse = column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
            text = sa.type_coerce(column, sa.Text)
            for session_id, value in conn.execute(sa.select(key, text).where(of_session, sa.func.typeof(column) == "text")):
                try:
                    sound = PANDAS_YEARS[0] <= parse(value).year <= PANDAS_YEARS[1]
                except (ValueError, TypeError, OverflowError):
                    sound = False
                if not sound:
                    found.setdefault(session_id, f"{table.name}.{column.name} holds {value[:40]!r}, not a time")
    return found


def _allowed(column: sa.Column) -> tuple[str, ...]:
    kinds = next(kinds for base, kinds in KINDS.items() if isinstance(column.type, base))
    return (*kinds, "null") if column.nullable else kinds


def _wrong_type(column: sa.Column):
    return sa.func.typeof(column).not_in(_allowed(column))


def _type_problem(column: sa.Column, kind: str, endless: int | None) -> str | None:
    if kind not in _allowed(column):
        return "is empty" if kind == "null" else f"holds {NAMES.get(kind, kind)}, not {NAMES[_allowed(column)[0]]}"
    return "holds an infinite number" if endless else None
