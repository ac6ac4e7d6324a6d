"""Getting probe results and request logs in: parsing, atomic bulk import, derived tables.

Every path (CSV/JSON-lines files, `POST /v1/requests`, the live prober, the demo) ends in
`import_probe_records`, `import_request_records` or `record_probe_results`, so the
segments and rollups that make KPIs fast are maintained in the same transaction as the
rows they summarise. A file is imported whole or not at all: the first bad row raises
`InputError` naming the file, line and column, and the store is left unchanged. Files
are streamed in chunks, so memory stays flat whatever their size.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO, Any, NamedTuple

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from engine.access.principal import Principal
from engine.errors import InputError
from engine.ingest import ImportReport, check_import, finish_batch, open_batch
from engine.observability import IMPORTED_ROWS
from engine.reliability.histogram import BinCache
from engine.reliability.models import (
    Probe,
    ProbeResult,
    ProbeSegment,
    ProbeSeries,
    RequestLog,
    RequestSeries,
)
from engine.reliability.sql import (
    bulk_insert,
    is_sqlite,
    seconds_between,
    time_param,
    time_value,
    trunc,
)
from engine.reliability.timeline import Segment, SegmentBuilder
from engine.store import Store

PROBE_COLUMNS = ("target", "checked_at", "ok", "status_code", "latency_ms", "error")
REQUEST_FIELDS = ("ts", "service", "route", "method", "status", "duration_ms")
CHUNK = 20_000
DEFAULT_IMPORTED_INTERVAL = 60.0  # a lone imported check with no configured probe
ProgressFn = Callable[[int, int], None]  # (done, total) in bytes or rows


class ProbeRecord(NamedTuple):
    """One check, validated: the shape every probe source produces."""

    target: str
    checked_at: datetime  # aware UTC
    ok: bool
    status_code: int | None
    latency_ms: float | None
    error: str | None


class RequestRecord(NamedTuple):
    """One served request, validated."""

    ts: datetime  # aware UTC
    service: str
    route: str
    method: str
    status: int
    duration_ms: float


@dataclass
class FieldError(Exception):
    """A bad value; the caller adds where it was (file and line, or item index)."""

    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


# ---------------------------------------------------------------- parsing and validation


def parse_instant(value: Any, field: str, *, allow_epoch: bool = False) -> datetime:
    """ISO 8601 (no offset means UTC), or epoch seconds when allowed; aware UTC."""
    if allow_epoch and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise FieldError(field, f"expected a timestamp, got {value!r}")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value.strip():
        raise FieldError(field, f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(field, f"expected an ISO 8601 timestamp, got {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _name(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldError(field, f"expected a non-empty text, got {value!r}")
    value = value.strip()
    if len(value) > limit:
        raise FieldError(field, f"longer than {limit} characters")
    return value


_TRUE = {"true": True, "1": True, "false": False, "0": False}


def probe_record(row: dict[str, str]) -> ProbeRecord:
    """Validate one CSV row (all values text) into a `ProbeRecord`."""
    target = _name(row["target"], "target", 100)
    checked_at = parse_instant(row["checked_at"], "checked_at")
    ok = _TRUE.get(row["ok"].strip().lower())
    if ok is None:
        raise FieldError("ok", f"expected true/false or 1/0, got {row['ok']!r}")
    status_code = None
    if row["status_code"].strip():
        try:
            status_code = int(row["status_code"])
        except ValueError:
            raise FieldError(
                "status_code", f"expected an HTTP status or empty, got {row['status_code']!r}"
            ) from None
        if not 100 <= status_code <= 599:
            raise FieldError("status_code", f"{status_code} is not an HTTP status (100–599)")
    latency = None
    if row["latency_ms"].strip():
        latency = _duration(row["latency_ms"], "latency_ms", allow_text=True)
    error = row["error"].strip() or None
    return ProbeRecord(target, checked_at, ok, status_code, latency, error)


def _duration(value: Any, field: str, *, allow_text: bool = False) -> float:
    if allow_text and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise FieldError(
                field, f"expected milliseconds (a number ≥ 0), got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(field, f"expected milliseconds (a number ≥ 0), got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise FieldError(field, f"expected milliseconds (a number ≥ 0), got {value!r}")
    return float(value)


def request_record(item: Any) -> RequestRecord:
    """Validate one request-log object (from a JSON line or an HTTP batch item)."""
    if not isinstance(item, dict):
        raise FieldError(None, f"expected a JSON object, got {type(item).__name__}")
    for field in REQUEST_FIELDS:
        if field not in item:
            raise FieldError(field, "missing")
    ts = parse_instant(item["ts"], "ts", allow_epoch=True)
    service = _name(item["service"], "service", 100)
    route = _name(item["route"], "route", 300)
    method = _name(item["method"], "method", 10).upper()
    status = item["status"]
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise FieldError("status", f"expected an HTTP status (100–599), got {item['status']!r}")
    duration = _duration(item["duration_ms"], "duration_ms")
    return RequestRecord(ts, service, route, method, status, duration)


def _open_text(path: Path) -> tuple[IO[str], IO[bytes]]:
    """Text stream of a plain or .gz file, plus the raw byte stream (for progress)."""
    raw = path.open("rb")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8"), raw
    return io.TextIOWrapper(raw, encoding="utf-8"), raw


def read_probe_csv(path: Path) -> Iterator[ProbeRecord]:
    """Stream a probes CSV; the first bad row raises `InputError` with line and column."""
    stream, _raw = _open_text(path)
    with stream:
        reader = csv.DictReader(stream)
        header = reader.fieldnames or []
        if sorted(header) != sorted(PROBE_COLUMNS):
            missing = [c for c in PROBE_COLUMNS if c not in header]
            extra = [c for c in header if c not in PROBE_COLUMNS]
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                )
                if part
            )
            raise InputError(
                f"{path.name} line 1: the header must be exactly "
                f"{','.join(PROBE_COLUMNS)} ({detail or 'duplicate columns'})"
            )
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise InputError(
                    f"{path.name} line {reader.line_num}: expected {len(PROBE_COLUMNS)} columns"
                )
            try:
                yield probe_record(row)
            except FieldError as exc:
                raise InputError(
                    f"{path.name} line {reader.line_num}, column {exc.field!r}: {exc.message}"
                ) from None


def read_request_lines(path: Path, progress: ProgressFn | None = None) -> Iterator[RequestRecord]:
    """Stream a JSON-lines request log (plain or .gz); errors name line and column."""
    total = path.stat().st_size
    stream, raw = _open_text(path)
    with stream:
        for number, line in enumerate(stream, start=1):
            if progress is not None and number % 5000 == 0:
                progress(raw.tell(), total)
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path.name} line {number}, column {exc.colno}: not valid JSON ({exc.msg})"
                ) from None
            try:
                yield request_record(item)
            except FieldError as exc:
                where = f"column {exc.field!r}: " if exc.field else ""
                raise InputError(f"{path.name} line {number}, {where}{exc.message}") from None
    if progress is not None:
        progress(total, total)


# ---------------------------------------------------------------- probe results


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _probe_rows(
    chunk: list[ProbeRecord],
    batch_id: int | None,
    conv: Callable[[datetime], Any],
    bins: BinCache | None = None,
) -> list[tuple[Any, ...]]:
    bins = bins if bins is not None else BinCache()
    return [
        (
            r.target,
            conv(r.checked_at),
            r.ok,
            r.status_code,
            r.latency_ms,
            bins[r.latency_ms] if r.latency_ms is not None else None,
            r.error,
            batch_id,
        )
        for r in chunk
    ]


_PROBE_INSERT_COLUMNS = (
    "target",
    "checked_at",
    "ok",
    "status_code",
    "latency_ms",
    "latency_bin",
    "error",
    "batch_id",
)


def import_probe_records(
    store: Store,
    actor: Principal,
    records: Iterable[ProbeRecord],
    *,
    source: str = "file",
    label: str = "",
    is_demo: bool = False,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import checks in one transaction; (target, checked_at) already stored = duplicate."""
    check_import(store, actor, "probes", label)
    with store.session() as s:
        report = import_probe_records_in(
            s,
            records,
            source=source,
            label=label,
            is_demo=is_demo,
            progress=progress,
            actor=None if source in ("http", "demo") else actor,
        )
    IMPORTED_ROWS.labels("probes", "new").inc(report.new)
    IMPORTED_ROWS.labels("probes", "duplicate").inc(report.duplicates)
    return report


def import_probe_records_in(
    s: Session,
    records: Iterable[ProbeRecord],
    *,
    source: str = "file",
    label: str = "",
    is_demo: bool = False,
    progress: ProgressFn | None = None,
    actor: Principal | None = None,
) -> ImportReport:
    """As `import_probe_records`, inside the caller's transaction (the demo uses this)."""
    batch = open_batch(s, "probes", source, label, is_demo=is_demo)
    conv = time_param(s)
    bins = BinCache()
    seen = new = 0
    firsts: dict[str, datetime] = {}
    for chunk in _chunks(records):
        new += bulk_insert(
            s,
            "probe_results",
            _PROBE_INSERT_COLUMNS,
            _probe_rows(chunk, batch.id, conv, bins),
            on_conflict_ignore=("target", "checked_at"),
        )
        _note_firsts(firsts, chunk)
        seen += len(chunk)
        if progress is not None:
            progress(seen, 0)
    for target, first in sorted(firsts.items()):
        rebuild_segments(s, target, since=first)
    apply_probe_bins(s, f"batch_id = {int(batch.id)}", +1)
    report = ImportReport("probes", batch.id, new=new, duplicates=seen - new)
    finish_batch(batch, report, actor)
    return report


def _note_firsts(firsts: dict[str, datetime], records: Iterable[ProbeRecord]) -> None:
    """Earliest check per target: where its segments must be rebuilt from."""
    for r in records:
        known = firsts.get(r.target)
        if known is None or r.checked_at < known:
            firsts[r.target] = r.checked_at


def record_probe_results(s: Session, records: list[ProbeRecord]) -> int:
    """The live prober's write: no import batch; returns rows written."""
    if not records:
        return 0
    # Rows after the current highest id with no batch are this write's (one prober runs).
    before = s.scalar(select(func.max(ProbeResult.id)))
    bulk_insert(
        s,
        "probe_results",
        _PROBE_INSERT_COLUMNS,
        _probe_rows(records, None, time_param(s)),
        on_conflict_ignore=("target", "checked_at"),
    )
    where = "batch_id IS NULL" + (f" AND id > {int(before)}" if before is not None else "")
    apply_probe_bins(s, where, +1)
    firsts: dict[str, datetime] = {}
    _note_firsts(firsts, records)
    for target, first in sorted(firsts.items()):
        rebuild_segments(s, target, since=first)
    return len(records)


def apply_probe_bins(
    s: Session, where: str, sign: int, params: dict[str, Any] | None = None
) -> None:
    """Add (or, sign −1, remove) the latency histogram of matching successful checks.

    `where` is trusted SQL over `probe_results` (values go in `params`).
    """
    day = trunc(s, "d", "checked_at")
    s.execute(
        text(
            f"INSERT INTO probe_latency_bins (day, target, bin, count) "
            f"SELECT {day}, target, latency_bin, {int(sign)} * count(*) FROM probe_results "
            f"WHERE ({where}) AND ok AND latency_bin IS NOT NULL "
            f"GROUP BY {day}, target, latency_bin "
            "ON CONFLICT (day, target, bin) DO UPDATE "
            "SET count = probe_latency_bins.count + excluded.count"
        ),
        params or {},
    )
    if sign < 0:
        s.execute(text("DELETE FROM probe_latency_bins WHERE count <= 0"))


def _median_gap(s: Session, target: str) -> float | None:
    gap = seconds_between(s, "checked_at", "lag(checked_at) OVER (ORDER BY checked_at)")
    inner = f"SELECT {gap} AS gap FROM probe_results WHERE target = :t"
    n = s.scalar(select(func.count()).where(ProbeResult.target == target)) or 0
    if n < 2:
        return None
    value = s.scalar(
        text(
            f"SELECT gap FROM ({inner}) AS gaps WHERE gap IS NOT NULL "
            "ORDER BY gap LIMIT 1 OFFSET :k"
        ),
        {"t": target, "k": (n - 2) // 2},
    )
    return round(float(value), 3) if value is not None else None


def effective_interval(s: Session, target: str) -> tuple[float, bool]:
    """(interval seconds, configured?): the probe's, else the median gap of its history."""
    configured = s.scalar(select(Probe.interval_seconds).where(Probe.name == target))
    if configured is not None:
        return float(configured), True
    median = _median_gap(s, target)
    return (median if median and median > 0 else DEFAULT_IMPORTED_INTERVAL), False


def _lock_series(s: Session, target: str) -> ProbeSeries:
    series = s.scalar(select(ProbeSeries).where(ProbeSeries.target == target).with_for_update())
    if series is None:
        series = ProbeSeries(target=target, interval_seconds=0.0, configured=False)
        s.add(series)
        s.flush()
    return series


def rebuild_segments(s: Session, target: str, since: datetime | None = None) -> None:
    """Recompute `target`'s segments from its results at or after `since` (None = all).

    Only the check just before `since` and later ones can change (a check's coverage
    depends on the next check), so live writes touch a couple of rows. A changed interval,
    or a target with no configured probe (its median gap may move), rebuilds everything.
    """
    series = _lock_series(s, target)
    interval, configured = effective_interval(s, target)
    full = since is None or not configured or series.interval_seconds != interval
    open_seg: Segment | None = None
    start_from: datetime | None = None
    if not full:
        assert since is not None
        start_from = s.scalar(
            select(func.max(ProbeResult.checked_at)).where(
                ProbeResult.target == target, ProbeResult.checked_at < since
            )
        )
        full = start_from is None
    if full:
        s.execute(delete(ProbeSegment).where(ProbeSegment.target == target))
    else:
        assert start_from is not None
        straddling = s.scalar(
            select(ProbeSegment).where(
                ProbeSegment.target == target,
                ProbeSegment.starts_at < start_from,
                ProbeSegment.ends_at >= start_from,
            )
        )
        if straddling is not None:
            open_seg = Segment(straddling.starts_at, start_from, straddling.ok)
            s.delete(straddling)
        s.execute(
            delete(ProbeSegment).where(
                ProbeSegment.target == target, ProbeSegment.starts_at >= start_from
            )
        )
    builder = SegmentBuilder(interval, _naive_seg(open_seg))
    # SQLite streams every check fastest; PostgreSQL finds run boundaries fastest in SQL.
    feed = _feed_checks if is_sqlite(s) else _feed_boundaries
    first, last, last_ok = feed(s, builder, target, start_from)
    segments = builder.finish()
    s.flush()
    if segments:
        s.execute(
            ProbeSegment.__table__.insert(),
            [
                {
                    "target": target,
                    "starts_at": time_value(g.start),
                    "ends_at": time_value(g.end),
                    "ok": g.ok,
                }
                for g in segments
            ],
        )
    series.interval_seconds = interval
    series.configured = configured
    if full and first is not None:
        series.first_checked_at = time_value(first)
    if last is not None:
        series.last_checked_at, series.last_ok = time_value(last), last_ok
    if full and last is None:
        s.delete(series)


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _naive_seg(seg: Segment | None) -> Segment | None:
    return None if seg is None else Segment(_naive(seg.start), _naive(seg.end), seg.ok)


def _feed_checks(
    s: Session, builder: SegmentBuilder, target: str, start_from: datetime | None
) -> tuple[datetime | None, datetime | None, bool | None]:
    """Feed the builder every check of the target (naive UTC, textual SQL: no per-row
    type processing); returns (first, last, last ok) of the checks seen."""
    sql = "SELECT checked_at, ok FROM probe_results WHERE target = :t"
    params: dict[str, Any] = {"t": target}
    if start_from is not None:
        sql += " AND checked_at >= :a"
        params["a"] = time_param(s)(start_from)
    rows = s.execute(text(sql + " ORDER BY checked_at"), params).yield_per(50_000)
    parse = datetime.fromisoformat if is_sqlite(s) else (lambda v: v)
    first = last = None
    last_ok: bool | None = None
    add = builder.add
    for raw, ok_raw in rows:
        at, ok = parse(raw), bool(ok_raw)
        add(at, ok)
        if first is None:
            first = at
        last, last_ok = at, ok
    return first, last, last_ok


def _feed_boundaries(
    s: Session, builder: SegmentBuilder, target: str, start_from: datetime | None
) -> tuple[datetime | None, datetime | None, bool | None]:
    """Feed the builder the target's runs, reading only the checks where a run starts or ends.

    A run breaks where the state changes or the gap to the neighbouring check exceeds the
    cap; SQL window functions find those checks (with a little slack, so it never misses
    one), and the exact decision is made here on the returned neighbours. A year of
    1-minute checks of a healthy target is a handful of rows instead of half a million.
    Works on naive UTC; returns (first, last, last ok) of the checks seen.
    """
    conv = time_param(s)
    cap_s = builder.cap.total_seconds()
    params: dict[str, Any] = {"t": target, "slack": cap_s - 0.5}
    where = "target = :t"
    if start_from is not None:
        where += " AND checked_at >= :a"
        params["a"] = conv(start_from)
    gap_before = seconds_between(s, "checked_at", "prev_at")
    gap_after = seconds_between(s, "next_at", "checked_at")
    sql = f"""
        SELECT checked_at, ok, prev_at, prev_ok, next_at, next_ok FROM (
            SELECT checked_at, ok,
                   lag(checked_at) OVER w AS prev_at, lag(ok) OVER w AS prev_ok,
                   lead(checked_at) OVER w AS next_at, lead(ok) OVER w AS next_ok
            FROM probe_results WHERE {where}
            WINDOW w AS (ORDER BY checked_at)
        ) AS checks
        WHERE prev_at IS NULL OR next_at IS NULL OR prev_ok <> ok OR next_ok <> ok
           OR {gap_before} > :slack OR {gap_after} > :slack
        ORDER BY checked_at
    """
    parse = datetime.fromisoformat if is_sqlite(s) else (lambda v: v)
    cap, interval = builder.cap, builder.interval
    first = last = run_start = None
    last_ok: bool | None = None
    for at_raw, ok_raw, prev_raw, prev_ok, next_raw, next_ok in s.execute(text(sql), params):
        at, ok = parse(at_raw), bool(ok_raw)
        prev_at = parse(prev_raw) if prev_raw is not None else None
        next_at = parse(next_raw) if next_raw is not None else None
        if first is None:
            first = at
        last, last_ok = at, ok
        starts = prev_at is None or bool(prev_ok) != ok or at - prev_at > cap
        if starts or run_start is None:
            run_start = at
        if next_at is None:
            builder.add_run(run_start, at + interval, ok)
            run_start = None
        elif bool(next_ok) != ok or next_at - at > cap:
            builder.add_run(run_start, min(next_at, at + cap), ok)
            run_start = None
    return first, last, last_ok


def rebuild_all_segments(s: Session) -> int:
    """Rebuild every target's segments (after a config change or a purge); returns targets."""
    names = {n for (n,) in s.execute(select(ProbeResult.target).distinct())}
    names |= {n for (n,) in s.execute(select(ProbeSeries.target))}
    for name in sorted(names):
        rebuild_segments(s, name)
    return len(names)


# ---------------------------------------------------------------- request logs


class _SeriesCache:
    """Maps (service, route, method) to `request_series.id`, creating rows as needed."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.ids: dict[tuple[str, str, str], int] = {
            (sv, rt, m): i
            for i, sv, rt, m in s.execute(
                select(
                    RequestSeries.id,
                    RequestSeries.service,
                    RequestSeries.route,
                    RequestSeries.method,
                )
            )
        }

    def resolve(self, keys: set[tuple[str, str, str]]) -> None:
        missing = keys - self.ids.keys()
        if not missing:
            return
        table = RequestSeries.__table__
        if is_sqlite(self.s):
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert  # type: ignore[assignment]
        self.s.execute(
            dialect_insert(table).on_conflict_do_nothing(),
            [{"service": sv, "route": rt, "method": m} for sv, rt, m in sorted(missing)],
        )
        for i, sv, rt, m in self.s.execute(
            select(
                RequestSeries.id, RequestSeries.service, RequestSeries.route, RequestSeries.method
            ).where(RequestSeries.service.in_({k[0] for k in missing}))
        ):
            self.ids[(sv, rt, m)] = i


def import_request_records(
    store: Store,
    actor: Principal,
    records: Iterable[RequestRecord],
    *,
    source: str = "file",
    label: str = "",
    is_demo: bool = False,
) -> ImportReport:
    """Import request-log rows and their rollups in one transaction (all or nothing).

    Files are audited; HTTP batches are a stream, not an act (their key is checked).
    """
    check_import(store, actor, "requests", label)
    with store.session() as s:
        report = import_request_records_in(
            s,
            records,
            source=source,
            label=label,
            is_demo=is_demo,
            actor=None if source in ("http", "demo") else actor,
        )
    IMPORTED_ROWS.labels("requests", "new").inc(report.new)
    return report


def import_request_records_in(
    s: Session,
    records: Iterable[RequestRecord],
    *,
    source: str = "file",
    label: str = "",
    is_demo: bool = False,
    actor: Principal | None = None,
) -> ImportReport:
    batch = open_batch(s, "requests", source, label, is_demo=is_demo)
    series = _SeriesCache(s)
    conv = time_param(s)
    bins = BinCache()
    total = 0
    for chunk in _chunks(records):
        series.resolve({(r.service, r.route, r.method) for r in chunk})
        ids = series.ids
        rows = [
            (
                conv(r.ts),
                ids[(r.service, r.route, r.method)],
                r.status,
                r.duration_ms,
                bins[r.duration_ms],
                batch.id,
            )
            for r in chunk
        ]
        bulk_insert(
            s,
            "request_logs",
            ("ts", "series_id", "status", "duration_ms", "latency_bin", "batch_id"),
            rows,
        )
        total += len(chunk)
    if total:
        apply_request_rollups(s, f"batch_id = {int(batch.id)}", +1)
    report = ImportReport("requests", batch.id, new=total)
    finish_batch(batch, report, actor)
    return report


def apply_request_rollups(s: Session, where: str, sign: int) -> None:
    """Add (or, sign −1, remove) matching request rows to the hour and day rollups."""
    for grain in ("h", "d"):
        bucket = trunc(s, grain, "ts")
        s.execute(
            text(
                "INSERT INTO request_rollups (grain, bucket_start, series_id, requests, errors) "
                f"SELECT '{grain}', {bucket}, series_id, {int(sign)} * count(*), "
                f"{int(sign)} * sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) "
                f"FROM request_logs WHERE {where} GROUP BY {bucket}, series_id "
                "ON CONFLICT (grain, bucket_start, series_id) DO UPDATE SET "
                "requests = request_rollups.requests + excluded.requests, "
                "errors = request_rollups.errors + excluded.errors"
            )
        )
        s.execute(
            text(
                "INSERT INTO request_latency_bins (grain, bucket_start, series_id, bin, count) "
                f"SELECT '{grain}', {bucket}, series_id, latency_bin, {int(sign)} * count(*) "
                f"FROM request_logs WHERE {where} GROUP BY {bucket}, series_id, latency_bin "
                "ON CONFLICT (grain, bucket_start, series_id, bin) DO UPDATE SET "
                "count = request_latency_bins.count + excluded.count"
            )
        )
    if sign < 0:
        s.execute(text("DELETE FROM request_rollups WHERE requests <= 0"))
        s.execute(text("DELETE FROM request_latency_bins WHERE count <= 0"))


def rebuild_request_rollups(s: Session) -> None:
    """Recompute every rollup from the raw rows (after rows were removed another way)."""
    s.execute(text("DELETE FROM request_rollups"))
    s.execute(text("DELETE FROM request_latency_bins"))
    apply_request_rollups(s, "1 = 1", +1)


# ---------------------------------------------------------------- files


def import_probes_file(
    store: Store, actor: Principal, path: Path, *, is_demo: bool = False
) -> ImportReport:
    """`hub import probes FILE.csv`."""
    _check_file(path)
    return import_probe_records(
        store, actor, read_probe_csv(path), source="file", label=path.name, is_demo=is_demo
    )


def import_requests_file(
    store: Store, actor: Principal, path: Path, progress: ProgressFn | None = None
) -> ImportReport:
    """`hub import requests FILE` (JSON lines, optionally .gz)."""
    _check_file(path)
    return import_request_records(
        store, actor, read_request_lines(path, progress), source="file", label=path.name
    )


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: no such file")


def demo_batch_filter() -> str:
    return "batch_id IN (SELECT id FROM import_batches WHERE is_demo)"


def request_count(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(RequestLog)) or 0


def utc_floor(value: datetime, grain: str) -> datetime:
    """Start of the UTC hour or day containing an instant."""
    value = value.astimezone(UTC)
    if grain == "h":
        return value.replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def utc_ceil(value: datetime, grain: str) -> datetime:
    floor = utc_floor(value, grain)
    if floor == value.astimezone(UTC):
        return floor
    return floor + (timedelta(hours=1) if grain == "h" else timedelta(days=1))
