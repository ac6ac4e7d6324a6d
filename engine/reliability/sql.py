"""The few dialect differences reliability SQL needs, kept in one place.

`UtcDateTime` stores naive UTC: on SQLite as text `YYYY-MM-DD HH:MM:SS.ffffff`, on
PostgreSQL as `timestamp`. Truncation and bulk loading differ; everything else is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def trunc(session: Session, grain: str, column: str) -> str:
    """SQL for the start of the hour ('h') or UTC day ('d') of a timestamp column."""
    if is_sqlite(session):
        # Fixed-width text: slicing is exact and much faster than strftime.
        if grain == "h":
            return f"substr({column}, 1, 13) || ':00:00.000000'"
        return f"substr({column}, 1, 10) || ' 00:00:00.000000'"
    return f"date_trunc('{'hour' if grain == 'h' else 'day'}', {column})"


def seconds_between(session: Session, later: str, earlier: str) -> str:
    if is_sqlite(session):
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def _naive(value: datetime) -> datetime:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _sqlite_text(value: datetime) -> str:
    if value.tzinfo is UTC:  # the common case, ~3x faster than converting first
        return value.isoformat(" ", "microseconds")[:26]
    return _naive(value).isoformat(" ", "microseconds")


def time_param(session: Session) -> Callable[[datetime], Any]:
    """Converter of aware datetimes to what the driver stores for a `UtcDateTime`.

    SQLite gets SQLAlchemy's exact text form (comparisons there are textual), PostgreSQL
    a naive UTC datetime. Used for driver-level inserts and textual SQL parameters.
    """
    return _sqlite_text if is_sqlite(session) else _naive


def time_value(value: datetime | str) -> datetime:
    """A `UtcDateTime` read by textual SQL (text on SQLite, naive on PostgreSQL) → aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def bulk_insert(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    on_conflict_ignore: Sequence[str] | None = None,
) -> int:
    """Insert many rows fast inside the session's transaction; returns rows inserted.

    SQLite: driver `executemany`; PostgreSQL: `COPY` (into a temporary table first when
    conflicts must be skipped). Timestamps must already be converted with `time_param`.
    """
    cols = ", ".join(columns)
    conn = session.connection()
    if is_sqlite(session):
        verb = "INSERT OR IGNORE" if on_conflict_ignore else "INSERT"
        marks = ", ".join("?" for _ in columns)
        sql = f"{verb} INTO {table} ({cols}) VALUES ({marks})"
        result = conn.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))
        return max(result.rowcount, 0)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    rows = rows if isinstance(rows, list) else list(rows)
    with raw.cursor() as cur:  # type: ignore[attr-defined]
        if not on_conflict_ignore or not _may_conflict(
            cur, table, columns, on_conflict_ignore, rows
        ):
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        tmp = f"tmp_{table}"
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {tmp} "
            f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        with cur.copy(f"COPY {tmp} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {tmp} "
            f"ON CONFLICT ({', '.join(on_conflict_ignore)}) DO NOTHING"
        )
        written = max(cur.rowcount, 0)
        cur.execute(f"TRUNCATE {tmp}")
        return written


def _may_conflict(
    cur: Any, table: str, columns: Sequence[str], keys: Sequence[str], rows: list[Sequence[Any]]
) -> bool:
    """Whether rows could collide on a (group, instant) key: duplicates among themselves,
    or stored rows of the same group inside their time range. False means a plain COPY,
    several times faster than going through a temporary table, is safe."""
    group_col, time_col = keys
    gi, ti = columns.index(group_col), columns.index(time_col)
    seen: set[tuple[Any, Any]] = set()
    ranges: dict[Any, list[Any]] = {}
    for row in rows:
        key = (row[gi], row[ti])
        if key in seen:
            return True
        seen.add(key)
        r = ranges.setdefault(row[gi], [row[ti], row[ti]])
        r[0], r[1] = min(r[0], row[ti]), max(r[1], row[ti])
    for group, (low, high) in ranges.items():
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {group_col} = %s "
            f"AND {time_col} BETWEEN %s AND %s)",
            (group, low, high),
        )
        if cur.fetchone()[0]:
            return True
    return False
