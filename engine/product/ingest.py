"""Event ingestion shared by files, HTTP and the demo: validate, dedupe, store, roll up.

Writes go through `EventWriter` in chunks: bulk Core inserts with `ON CONFLICT DO NOTHING`
on `message_id` (the first stored call wins), identity links first so a chunk's own
`identify` resolves its anonymous events, then additive rollup upserts for exactly the
rows that were new. One import is one transaction: a rejected file leaves nothing behind.
"""

from __future__ import annotations

import gzip
import io
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.config import get_settings
from engine.errors import InputError
from engine.ingest import ImportReport, check_import, finish_batch, open_batch
from engine.observability import IMPORTED_ROWS
from engine.product.buckets import DAY_US, day_number
from engine.product.models import EventName, IdentityLink
from engine.product.rollups import (
    ROLLUP_TABLES,
    E,
    RollupDelta,
    check_timezone,
    dialect_insert,
    ensure_calendar,
)
from engine.product.segment import (
    MAX_EVENT_BYTES,
    InvalidEvent,
    ParsedEvent,
    parse_call,
)
from engine.store import Store
from engine.store.base import utcnow
from engine.store.models import ImportBatch

KIND = "events"
CHUNK = 20_000
MAX_SHOWN_ERRORS = 20
_COLUMNS = (
    'message_id, type, event, user_id, anonymous_id, person, "timestamp", ts_us, day, '
    "properties, context, batch_id"
)
# One statement per chunk: the rows travel as typed binary arrays (cheap to dump) and
# PostgreSQL skips the message ids already stored; order (and so `id`) follows the input.
_PG_INSERT = (
    f"INSERT INTO product_events ({_COLUMNS}) "
    "SELECT m, t, e, u, a, p, ts AT TIME ZONE 'UTC', us, d, pr::json, cx::json, %s "
    "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
    "%b::timestamptz[], %b::int8[], %b::int4[], %b::text[], %b::text[]) "
    "WITH ORDINALITY AS x(m, t, e, u, a, p, ts, us, d, pr, cx, n) ORDER BY n "
    "ON CONFLICT (message_id) DO NOTHING RETURNING message_id"
)
_SQLITE_INSERT = (
    f"INSERT INTO product_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_EXISTING = (
    "SELECT message_id FROM product_events WHERE message_id IN (SELECT value FROM json_each(?))"
)
PARSE_BLOCK = 2_000
ANALYZE_AFTER = 50_000  # new events in one import
ProgressFn = Callable[[int, int], None]
ANALYZED = (E, *ROLLUP_TABLES)
T = TypeVar("T")
# A parsed call as a row: message_id, type, event, user_id, anonymous_id, person,
# timestamp, ts_us, day, properties, context.
Row = tuple[Any, ...]


def _json_text(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers past 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass
class EventWriter:
    """Stores validated calls into one batch inside the caller's transaction."""

    session: Session
    batch_id: int
    tz: ZoneInfo
    new: int = 0
    duplicates: int = 0
    _names: set[str] = field(default_factory=set)
    _days: set[int] = field(default_factory=set)
    _utc: bool = False

    def __post_init__(self) -> None:
        self._utc = self.tz.key == "UTC" if hasattr(self.tz, "key") else False

    def write(self, events: list[ParsedEvent]) -> None:
        if not events:
            return
        unique: dict[str, ParsedEvent] = {}
        for ev in events:
            if ev.message_id not in unique:
                unique[ev.message_id] = ev  # first in the file wins
        calls = list(unique.values())
        links = self._links_for({ev.anonymous_id for ev in calls if ev.user_id is None})
        rows = self._rows(calls, links)
        stored = self._insert_events(rows)
        self.new += len(stored)
        self.duplicates += len(events) - len(stored)
        delta = RollupDelta()
        fresh_names: dict[str, str] = {}
        days: set[int] = set()
        everything = len(stored) == len(rows)
        names, add = self._names, delta.add
        for message_id, kind, event, _u, _a, person, _t, ts_us, day, *_ in rows:
            if not everything and message_id not in stored:
                continue
            days.add(day)
            if event is None:
                continue
            if event not in names and event not in fresh_names:
                fresh_names[event] = kind
            if person is not None:
                add(person, event, ts_us, day)
        # Links only from identifies actually stored (first stored wins); they then claim
        # every unresolved event of their anonymous id, this chunk's included.
        new_links = self._link([ev for ev in calls if ev.links and ev.message_id in stored])
        self._resolve_earlier(new_links, delta)
        delta.apply(self.session)
        days -= self._days
        if days:
            ensure_calendar(self.session, days)
            self._days.update(days)
        if fresh_names:
            ins_n = dialect_insert(self.session, EventName.__table__)
            self.session.execute(
                ins_n.on_conflict_do_nothing(index_elements=["event"]),
                [{"event": e, "type": t} for e, t in sorted(fresh_names.items())],
            )
            self._names.update(fresh_names)

    def _rows(self, calls: list[ParsedEvent], links: dict[str, str]) -> list[Row]:
        tz, utc = self.tz, self._utc
        rows = []
        for ev in calls:
            ts = ev.timestamp
            rows.append(
                (
                    ev.message_id, ev.type, ev.event, ev.user_id, ev.anonymous_id,
                    ev.user_id or links.get(ev.anonymous_id or ""), ts, ev.ts_us,
                    ev.ts_us // DAY_US if utc else day_number(ts.astimezone(tz).date()),
                    ev.properties, ev.context,
                )
            )  # fmt: skip
        return rows

    def _raw(self) -> Any:
        raw = self.session.connection().connection.dbapi_connection
        assert raw is not None
        return raw

    def _insert_events(self, rows: list[Row]) -> set[str]:
        """Store the calls whose message id is not stored yet; returns those ids."""
        if self.session.get_bind().dialect.name == "postgresql":
            return self._insert_events_pg(rows)
        return self._insert_events_sqlite(rows)

    def _insert_events_sqlite(self, rows: list[Row]) -> set[str]:
        """SQLite has one writer at a time and this transaction is it: look up which ids
        are already stored, then a plain prepared `executemany` of the others."""
        raw = self._raw()
        ids = [r[0] for r in rows]
        cur = raw.cursor()
        try:
            existing = {r[0] for r in cur.execute(_SQLITE_EXISTING, (orjson.dumps(ids).decode(),))}
            stored = set(ids) - existing if existing else set(ids)
            cur.executemany(
                _SQLITE_INSERT,
                (
                    (
                        r[0], r[1], r[2], r[3], r[4], r[5],
                        r[6].astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds"),
                        r[7], r[8], _json_text(r[9]), _json_text(r[10]), self.batch_id,
                    )
                    for r in rows
                    if not existing or r[0] not in existing
                ),
            )  # fmt: skip
        finally:
            cur.close()
        return stored

    def _insert_events_pg(self, rows: list[Row]) -> set[str]:
        """One `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING RETURNING`."""
        columns: list[list[Any]] = [[] for _ in range(11)]
        for r in rows:
            for i in range(9):
                columns[i].append(r[i])
            columns[9].append(_json_text(r[9]))
            columns[10].append(_json_text(r[10]))
        with self._raw().cursor() as cur:
            cur.execute(_PG_INSERT, [self.batch_id, *columns])
            return {row[0] for row in cur.fetchall()}

    def _link(self, identifies: list[ParsedEvent]) -> dict[str, str]:
        """Store new anonymousId → userId links; returns the ones this chunk created."""
        if not identifies:
            return {}
        first: dict[str, ParsedEvent] = {}
        for ev in sorted(identifies, key=lambda e: e.ts_us):
            first.setdefault(ev.anonymous_id or "", ev)
        ins = dialect_insert(self.session, IdentityLink.__table__)
        created = self.session.execute(
            ins.on_conflict_do_nothing(index_elements=["anonymous_id"]).returning(
                IdentityLink.anonymous_id, IdentityLink.user_id
            ),
            [
                {
                    "anonymous_id": anon,
                    "user_id": ev.user_id,
                    "linked_at": ev.timestamp,
                    "batch_id": self.batch_id,
                }
                for anon, ev in sorted(first.items())
            ],
        )
        return {a: u for a, u in created}

    def _links_for(self, anonymous_ids: set[str | None]) -> dict[str, str]:
        ids = sorted(a for a in anonymous_ids if a)
        found: dict[str, str] = {}
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            found.update(
                self.session.execute(
                    select(IdentityLink.anonymous_id, IdentityLink.user_id).where(
                        IdentityLink.anonymous_id.in_(part)
                    )
                ).all()
            )
        return found

    def _resolve_earlier(self, new_links: dict[str, str], delta: RollupDelta) -> None:
        """A new link claims that anonymous id's earlier, still unresolved events."""
        if not new_links:
            return
        anon = sorted(new_links)
        for start in range(0, len(anon), 2000):
            part = anon[start : start + 2000]
            orphans = self.session.execute(
                select(E.c.anonymous_id, E.c.type, E.c.event, E.c.ts_us, E.c.day).where(
                    E.c.anonymous_id.in_(part), E.c.user_id.is_(None), E.c.person.is_(None)
                )
            ).all()
            if not orphans:
                continue
            for anon_id, kind, event, ts_us, day in orphans:
                if kind != "identify":
                    delta.add(new_links[anon_id], event, ts_us, day)
            self.session.connection().execute(
                update(E)
                .where(
                    E.c.anonymous_id == bindparam("b_anon"),
                    E.c.user_id.is_(None),
                    E.c.person.is_(None),
                )
                .values(person=bindparam("b_person")),
                [{"b_anon": a, "b_person": new_links[a]} for a in part],
            )


@dataclass
class LineError:
    line: int
    reason: str


def _open_lines(path: Path) -> tuple[Iterator[bytes], Callable[[], int], int]:
    """Lines of a JSON-lines file (optionally .gz) and how many file bytes were read so far."""
    raw = path.open("rb")
    total = path.stat().st_size
    stream: io.BufferedIOBase = (
        io.BufferedReader(gzip.GzipFile(fileobj=raw), buffer_size=1 << 20)  # type: ignore[arg-type]
        if path.suffix == ".gz"
        else io.BufferedReader(raw, buffer_size=1 << 20)  # type: ignore[arg-type]
    )

    def lines() -> Iterator[bytes]:
        try:
            yield from stream
        finally:
            stream.close()
            raw.close()

    return lines(), raw.tell, total


def parse_line(line: bytes, received_at: datetime) -> ParsedEvent:
    if len(line) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"call is larger than {MAX_EVENT_BYTES // 1024} KB")
    try:
        msg = orjson.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not valid JSON ({exc})") from None
    return parse_call(msg, received_at=received_at)


def _prefetched(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """`items`, produced by a background thread up to `depth` ahead.

    Parsing a file overlaps with the database writing the previous chunk (the GIL is free
    while the driver waits on the server); memory stays bounded by `depth`. Errors in the
    producer are raised here; leaving early stops the producer.
    """
    buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            outcome: tuple[str, Any] = ("done", None)
        except BaseException as exc:  # handed to the consumer
            outcome = ("error", exc)
        while not stop.is_set():
            try:
                buffer.put(outcome, timeout=0.1)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="hub-import-parse", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        worker.join()


def import_events_file(
    store: Store,
    actor: Principal,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    progress: ProgressFn | None = None,
    is_demo: bool = False,
) -> ImportReport:
    """`hub import events FILE`: JSON lines (or .gz) streamed in constant memory."""
    path = Path(path)
    check_import(store, actor, KIND, str(path))
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    lines, position, total = _open_lines(path)
    received = datetime.now(UTC)

    def parsed_blocks() -> Iterator[tuple[list[tuple[int, ParsedEvent | InvalidEvent]], int]]:
        block: list[tuple[int, ParsedEvent | InvalidEvent]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                block.append((number, parse_line(line, received)))
            except InvalidEvent as exc:
                block.append((number, exc))
            if len(block) >= PARSE_BLOCK:
                yield block, position()
                block = []
        yield block, total

    def numbered() -> Iterator[tuple[int, ParsedEvent | InvalidEvent]]:
        for block, read in _prefetched(parsed_blocks()):
            yield from block
            if progress:
                progress(read, total)

    return import_parsed(
        store,
        numbered(),
        label=str(path),
        source="demo" if is_demo else "file",
        is_demo=is_demo,
        skip_invalid=skip_invalid,
        where=path.name,
        actor=actor,
    )


def import_calls(
    store: Store,
    calls: Iterable[dict[str, Any]],
    *,
    label: str,
    source: str = "demo",
    is_demo: bool = True,
) -> ImportReport:
    """Import already-decoded calls (the demo company) through the same path as files."""
    received = datetime.now(UTC)

    def numbered() -> Iterator[tuple[int, ParsedEvent | InvalidEvent]]:
        for number, msg in enumerate(calls, start=1):
            try:
                yield number, parse_call(msg, received_at=received)
            except InvalidEvent as exc:
                yield number, exc

    return import_parsed(
        store, numbered(), label=label, source=source, is_demo=is_demo, where=label
    )


def import_parsed(
    store: Store,
    items: Iterable[tuple[int, ParsedEvent | InvalidEvent]],
    *,
    label: str,
    source: str,
    is_demo: bool,
    skip_invalid: bool = False,
    where: str = "input",
    actor: Principal | None = None,
) -> ImportReport:
    """One transaction: every valid call stored, or (on an invalid one) nothing at all."""
    settings = get_settings()
    errors: list[LineError] = []
    invalid = 0
    with store.session() as session:
        check_timezone(session, settings.timezone)
        batch = open_batch(session, KIND, source, label, is_demo=is_demo)
        writer = EventWriter(session, batch.id, settings.tz)
        chunk: list[ParsedEvent] = []
        for number, item in items:
            if isinstance(item, InvalidEvent):
                invalid += 1
                if len(errors) < MAX_SHOWN_ERRORS:
                    errors.append(LineError(number, str(item)))
                continue
            if invalid and not skip_invalid:
                continue  # the file is rejected: only keep collecting reasons
            chunk.append(item)
            if len(chunk) >= CHUNK:
                writer.write(chunk)
                chunk = []
        if invalid and not skip_invalid:
            shown = "; ".join(f"line {e.line}: {e.reason}" for e in errors)
            more = f" (first {len(errors)} shown)" if invalid > len(errors) else ""
            raise InputError(
                f"{where}: {invalid} invalid line{'s' if invalid != 1 else ''}{more}, nothing "
                f"imported (fix them or use --skip-invalid): {shown}"
            )
        writer.write(chunk)
        if writer.new >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
            # Fresh statistics: planning the next funnel on stale row counts picks
            # nested loops over what are now large inputs.
            session.execute(text(f"ANALYZE {', '.join(t.name for t in ANALYZED)}"))
        report = ImportReport(KIND, batch.id, writer.new, writer.duplicates, invalid)
        finish_batch(batch, report, actor)
    _count(report)
    return report


def _count(report: ImportReport) -> None:
    IMPORTED_ROWS.labels(KIND, "new").inc(report.new)
    IMPORTED_ROWS.labels(KIND, "duplicate").inc(report.duplicates)
    IMPORTED_ROWS.labels(KIND, "skipped").inc(report.skipped)


def ingest_http(store: Store, actor: Principal, events: list[ParsedEvent]) -> ImportReport:
    """Store one HTTP request's calls (all already valid) in today's HTTP batch.

    The key's scope is checked; each request is not audited (a telemetry stream is not a
    privileged act: the key's creation, revocation and last use are on record).

    One rolling batch per UTC day keeps `import_batches` small under many tiny requests,
    while every row still points at the batch that brought it.
    """
    settings = get_settings()
    audit.guard(store, actor, Permission.data_import, "data.import", "events over HTTP")
    label = f"HTTP ingest {utcnow():%Y-%m-%d}"
    with store.session() as session:
        check_timezone(session, settings.timezone)
        batch = session.scalars(
            select(ImportBatch)
            .where(
                ImportBatch.kind == KIND,
                ImportBatch.source == "http",
                ImportBatch.label == label,
            )
            .order_by(ImportBatch.id)
            .limit(1)
        ).first()
        if batch is None:
            batch = open_batch(session, KIND, "http", label)
        writer = EventWriter(session, batch.id, settings.tz)
        for start in range(0, len(events), CHUNK):
            writer.write(events[start : start + CHUNK])
        report = ImportReport(KIND, batch.id, writer.new, writer.duplicates)
        session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch.id)
            .values(
                rows_new=ImportBatch.rows_new + report.new,
                rows_duplicate=ImportBatch.rows_duplicate + report.duplicates,
                status="done",
                finished_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
    _count(report)
    return report


__all__ = [
    "CHUNK",
    "EventWriter",
    "import_calls",
    "import_events_file",
    "import_parsed",
    "ingest_http",
]
