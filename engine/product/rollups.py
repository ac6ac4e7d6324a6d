"""Rollups: kept current at ingest (additively), recomputed from raw events when needed.

Ingest adds each newly stored active event of a resolved person to the rollups; a late
`identify` resolves that anonymous id's earlier events and adds them the same way. Raw
events are never rewritten except `person` (by identity links) and `day` (by a timezone
rebuild). Everything keyed by local day depends on `HUB_TIMEZONE`: the timezone the
rollups were built for is recorded, and when the setting changes KPIs stop with the fix,
`hub product rebuild-rollups`, which recomputes `day` on every event and every rollup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import HubError
from engine.product.buckets import calendar_rows, day_date, local_day
from engine.product.models import (
    CalendarDay,
    EventName,
    IdentityLink,
    ProductEvent,
    ProductMeta,
    ProductUser,
    UserDay,
    UserEventDay,
    UserFirst,
)
from engine.product.segment import ACTIVE_TYPES

TZ_KEY = "rollup_timezone"
E = ProductEvent.__table__
ROLLUP_TABLES: tuple[Table, ...] = (
    UserDay.__table__,
    UserEventDay.__table__,
    UserFirst.__table__,
    ProductUser.__table__,
)  # type: ignore[assignment]


class TimezoneChanged(HubError):
    """Rollups were built for another timezone than `HUB_TIMEZONE`."""


def dialect_insert(session: Session, table: Table):  # type: ignore[no-untyped-def]
    """`INSERT` with `ON CONFLICT` for the session's backend (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def ensure_calendar(session: Session, days: Iterable[int]) -> None:
    """Calendar rows for these day numbers (the migration fills 1970–2099; this keeps a
    truncated or partial table correct)."""
    rows = [
        {"day": r["day"], "date": r["date"], "week": r["week"], "month": r["month"]}
        for d in sorted(set(days))
        for r in calendar_rows(day_date(d), day_date(d))
    ]
    if rows:
        ins = dialect_insert(session, CalendarDay.__table__)
        session.execute(ins.on_conflict_do_nothing(index_elements=["day"]), rows)


def rollup_timezone(session: Session) -> str | None:
    return session.scalar(select(ProductMeta.value).where(ProductMeta.key == TZ_KEY))


def check_timezone(session: Session, tz_name: str) -> None:
    """Refuse to mix local days of two timezones; an empty store adopts the current one."""
    built = rollup_timezone(session)
    if built == tz_name:
        return
    if built is not None and session.scalar(select(func.count()).select_from(E).limit(1)):
        raise TimezoneChanged(
            f"product rollups were built for timezone {built} but HUB_TIMEZONE is {tz_name}: "
            "run `hub product rebuild-rollups` (or set HUB_TIMEZONE back)"
        )
    _set_timezone(session, tz_name)


def _set_timezone(session: Session, tz_name: str) -> None:
    session.execute(delete(ProductMeta).where(ProductMeta.key == TZ_KEY))
    session.execute(insert(ProductMeta).values(key=TZ_KEY, value=tz_name))


@dataclass
class RollupDelta:
    """Rollup increments from a set of newly counted events (person, event, ts, day)."""

    user_days: dict[tuple[str, int], int] = field(default_factory=dict)
    user_event_days: dict[tuple[str, str, int], int] = field(default_factory=dict)
    firsts: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    users: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, person: str, event: str, ts_us: int, day: int) -> None:
        key = (person, day)
        self.user_days[key] = self.user_days.get(key, 0) + 1
        ekey = (person, event, day)
        self.user_event_days[ekey] = self.user_event_days.get(ekey, 0) + 1
        fkey = (person, event)
        seen = self.firsts.get(fkey)
        if seen is None or ts_us < seen[0]:
            self.firsts[fkey] = (ts_us, day)
        first = self.users.get(person)
        if first is None or ts_us < first[0]:
            self.users[person] = (ts_us, day)

    def apply(self, session: Session) -> None:
        """Upsert: counts add up, firsts keep the minimum. Sorted keys avoid PG deadlocks.

        Prepared statements on the session's own DB-API connection: SQLite gets an
        `executemany`, PostgreSQL one statement per table over typed arrays (`unnest`).
        """
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        pg = session.get_bind().dialect.name == "postgresql"
        tables = (
            (_UPSERT_USER_DAYS, [(p, d, n) for (p, d), n in sorted(self.user_days.items())]),
            (
                _UPSERT_USER_EVENT_DAYS,
                [(p, e, d, n) for (p, e, d), n in sorted(self.user_event_days.items())],
            ),
            (_UPSERT_FIRSTS, [(p, e, t, d) for (p, e), (t, d) in sorted(self.firsts.items())]),
            (_UPSERT_USERS, [(p, t, d) for p, (t, d) in sorted(self.users.items())]),
        )
        cur = raw.cursor()
        try:
            for (sql, types), rows in tables:
                if not rows:
                    continue
                if pg:
                    cur.execute(
                        _pg_unnest(sql, types), [list(col) for col in zip(*rows, strict=True)]
                    )
                else:
                    cur.executemany(_sqlite_values(sql, len(types)), rows)
        finally:
            cur.close()


# (upsert with a `{src}` placeholder for the source rows, PostgreSQL array types)
_UPSERT_USER_DAYS = (
    "INSERT INTO product_user_days (person, day, events) {src} "
    "ON CONFLICT (person, day) DO UPDATE SET events = product_user_days.events + excluded.events",
    ("text", "int4", "int4"),
)
_UPSERT_USER_EVENT_DAYS = (
    "INSERT INTO product_user_event_days (person, event, day, events) {src} "
    "ON CONFLICT (person, event, day) "
    "DO UPDATE SET events = product_user_event_days.events + excluded.events",
    ("text", "text", "int4", "int4"),
)
_UPSERT_FIRSTS = (
    "INSERT INTO product_user_firsts (person, event, ts_us, day) {src} "
    "ON CONFLICT (person, event) DO UPDATE SET ts_us = excluded.ts_us, day = excluded.day "
    "WHERE excluded.ts_us < product_user_firsts.ts_us",
    ("text", "text", "int8", "int4"),
)
_UPSERT_USERS = (
    "INSERT INTO product_users (person, first_active_us, first_active_day) {src} "
    "ON CONFLICT (person) DO UPDATE SET first_active_us = excluded.first_active_us, "
    "first_active_day = excluded.first_active_day "
    "WHERE excluded.first_active_us < product_users.first_active_us",
    ("text", "int8", "int4"),
)


def _pg_unnest(sql: str, types: tuple[str, ...]) -> str:
    arrays = ", ".join(f"%b::{t}[]" for t in types)
    return sql.format(src=f"SELECT * FROM unnest({arrays})")


def _sqlite_values(sql: str, n: int) -> str:
    return sql.format(src=f"VALUES ({', '.join('?' * n)})")


def _chunks(items: list[str], size: int = 2000) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recompute_persons(session: Session, persons: Iterable[str]) -> int:
    """Delete and recompute every rollup row of these persons from their raw events."""
    people = sorted(set(persons))
    active = E.c.type.in_(ACTIVE_TYPES)
    for chunk in _chunks(people):
        for table in ROLLUP_TABLES:
            session.execute(delete(table).where(table.c.person.in_(chunk)))
        _insert_rollups(session, and_(active, E.c.person.in_(chunk)))
    return len(people)


def _insert_rollups(session: Session, where) -> None:  # type: ignore[no-untyped-def]
    """Set-based INSERT … SELECT of every rollup for the events matching `where`.

    The day of a first occurrence is `min(day)`: local day is monotone in time.
    """
    session.execute(
        insert(UserDay.__table__).from_select(
            ["person", "day", "events"],
            select(E.c.person, E.c.day, func.count()).where(where).group_by(E.c.person, E.c.day),
        )
    )
    session.execute(
        insert(UserEventDay.__table__).from_select(
            ["person", "event", "day", "events"],
            select(E.c.person, E.c.event, E.c.day, func.count())
            .where(where)
            .group_by(E.c.person, E.c.event, E.c.day),
        )
    )
    session.execute(
        insert(UserFirst.__table__).from_select(
            ["person", "event", "ts_us", "day"],
            select(E.c.person, E.c.event, func.min(E.c.ts_us), func.min(E.c.day))
            .where(where)
            .group_by(E.c.person, E.c.event),
        )
    )
    session.execute(
        insert(ProductUser.__table__).from_select(
            ["person", "first_active_us", "first_active_day"],
            select(E.c.person, func.min(E.c.ts_us), func.min(E.c.day))
            .where(where)
            .group_by(E.c.person),
        )
    )


def rebuild_event_names(session: Session) -> None:
    session.execute(delete(EventName))
    session.execute(
        insert(EventName.__table__).from_select(
            ["event", "type"],
            select(E.c.event, func.min(E.c.type)).where(E.c.event.is_not(None)).group_by(E.c.event),
        )
    )


def rebuild_all(
    session: Session, tz: ZoneInfo, tz_name: str, progress: Callable[[int, int], None] | None
) -> dict[str, int]:
    """Recompute local days (for `tz`), identities and every rollup from raw events."""
    total = session.scalar(select(func.count()).select_from(E)) or 0
    done = last_id = 0
    stmt = (
        update(E)
        .where(E.c.id == bindparam("b_id"))
        .values(day=bindparam("b_day"))
        .execution_options(synchronize_session=False)
    )
    while True:
        rows = session.execute(
            select(E.c.id, E.c.ts_us, E.c.day)
            .where(E.c.id > last_id)
            .order_by(E.c.id)
            .limit(50_000)
        ).all()
        if not rows:
            break
        changes = [
            {"b_id": i, "b_day": new} for i, ts, old in rows if (new := local_day(ts, tz)) != old
        ]
        if changes:
            session.connection().execute(stmt, changes)
        last_id, done = rows[-1][0], done + len(rows)
        if progress:
            progress(done, total)
    link_user = (
        select(IdentityLink.user_id)
        .where(IdentityLink.anonymous_id == E.c.anonymous_id)
        .scalar_subquery()
    )
    session.execute(update(E).where(E.c.user_id.is_not(None)).values(person=E.c.user_id))
    session.execute(update(E).where(E.c.user_id.is_(None)).values(person=link_user))
    for table in ROLLUP_TABLES:
        session.execute(delete(table))
    _insert_rollups(session, and_(E.c.type.in_(ACTIVE_TYPES), E.c.person.is_not(None)))
    rebuild_event_names(session)
    days = session.execute(select(UserDay.day).distinct()).scalars().all()
    ensure_calendar(session, days)
    _set_timezone(session, tz_name)
    persons = session.scalar(select(func.count()).select_from(ProductUser)) or 0
    return {"events": total, "persons": persons}
