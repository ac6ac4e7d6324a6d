"""Fast bulk statements for both backends (imports write hundreds of thousands of rows).

SQLite's executemany is already fast. psycopg sends executemany rows one statement at a
time, so on PostgreSQL rows are streamed with COPY on the session's own connection (same
transaction, so an import stays atomic), after the columns' bind processing; and long
`IN (…)` lists become `= ANY(array)`, one parameter instead of thousands.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def one_of(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values`, as `column = ANY(:array)` on PostgreSQL."""
    if is_postgres(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row of `rows` (dicts with the same keys) into `model`'s table."""
    if not rows:
        return
    table = model.__table__
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    processors = [
        (i, process)
        for i, name in enumerate(names)
        if (process := table.c[name].type.bind_processor(dialect)) is not None
    ]
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    target = dialect.identifier_preparer.format_table(table)
    raw = connection.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = [row[n] for n in names]
            for i, process in processors:
                if values[i] is not None:
                    values[i] = process(values[i])
            copy.write_row(values)


# Any 64-bit constant unique to this purpose ("revenue" in ASCII).
_REVENUE_LOCK = 0x726576656E7565


def lock_revenue(session: Session) -> None:
    """Serialise revenue writers on PostgreSQL (SQLite already has one writer at a time).

    A customer's movements are recomputed from every state visible to the transaction; two
    concurrent imports touching one customer (a webhook during a sync) could each miss the
    other's event. Held until commit; imports are short except for big files.
    """
    if is_postgres(session):
        session.execute(select(func.pg_advisory_xact_lock(_REVENUE_LOCK)))
