"""Importers: Stripe events (file, API pull, webhook, demo), marketing spend and FX rates.

Every import is one transaction: the batch, its rows and the movements it changes commit
together or not at all, so a file with one bad line leaves nothing behind. Files stream
(plain or .gz), invalid lines are reported by number, and an event id is stored once.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.config import get_settings
from engine.errors import InputError
from engine.ingest import ImportReport, check_import, finish_batch, open_batch
from engine.observability import IMPORTED_ROWS
from engine.revenue import movements
from engine.revenue.bulk import insert_rows, lock_revenue, one_of
from engine.revenue.models import (
    FxRate,
    MarketingSpend,
    RevenueCustomer,
    StripeEvent,
    SubscriptionState,
)
from engine.revenue.money import to_micro
from engine.revenue.mrr import Subscription, SubscriptionError, parse_subscription
from engine.store import Store

SUBSCRIPTION_PREFIX = "customer.subscription."
CUSTOMER_TYPES = frozenset({"customer.created", "customer.updated"})
CHUNK = 2000
MAX_REPORTED_ERRORS = 20

EventSource = Iterable[str | bytes | Mapping[str, Any]]


def is_relevant(event_type: str) -> bool:
    return event_type.startswith(SUBSCRIPTION_PREFIX) or event_type in CUSTOMER_TYPES


class _Errors:
    """Collects line errors so one run reports every bad line (up to a limit)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[str] = []
        self.count = 0

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(f"line {line}: {message}")

    def raise_if_any(self) -> None:
        if not self.count:
            return
        more = f" (and {self.count - len(self.items)} more)" if self.count > len(self.items) else ""
        raise InputError(
            f"{self.label}: {self.count} invalid line(s), nothing imported: "
            + "; ".join(self.items)
            + more
        )


def _is_gzip(path: Path) -> bool:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def open_binary(path: Path) -> IO[bytes]:
    """A byte stream over a plain or gzip file (by magic bytes, not just the name); JSON
    lines are read as bytes so a bad encoding is a numbered line error, not a crash."""
    return gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")


def open_text(path: Path) -> IO[str]:
    """A UTF-8 text stream over a plain or gzip CSV file."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="")


# ---------------------------------------------------------------------------- events


def _parse_event(raw: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """Validate the envelope of one Stripe event; raises ValueError with the reason."""
    if isinstance(raw, Mapping):
        event = dict(raw)
    else:
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
    if not isinstance(event, dict):
        raise ValueError("not a JSON object")
    for key, kind in (("id", str), ("type", str)):
        if not isinstance(event.get(key), kind) or not event[key]:
            raise ValueError(f"`{key}` is missing or not a string")
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or created < 0:
        raise ValueError("`created` is missing or not epoch seconds")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise ValueError("`data.object` is missing")
    return event


def _customer_row(obj: Mapping[str, Any], created: int, batch_id: int) -> dict[str, Any]:
    if not isinstance(obj.get("id"), str):
        raise ValueError("customer object has no `id`")
    return {
        "id": obj["id"],
        "name": str(obj.get("name") or obj.get("description") or "")[:500],
        "email": str(obj.get("email") or "")[:500],
        "seen_at": created,
        "batch_id": batch_id,
    }


def import_events(
    store: Store,
    actor: Principal,
    events: EventSource,
    *,
    source: str = "file",
    label: str = "",
    is_demo: bool = False,
) -> ImportReport:
    """Import Stripe events (JSON lines, bytes or dicts) in one transaction."""
    check_import(store, actor, "stripe", label)
    with store.session() as session:
        return import_events_in(
            session,
            events,
            source=source,
            label=label,
            is_demo=is_demo,
            actor=actor if source == "file" else None,
        )


def import_events_in(
    session: Session,
    events: EventSource,
    *,
    source: str = "file",
    label: str = "",
    is_demo: bool = False,
    actor: Principal | None = None,
) -> ImportReport:
    """`import_events` inside a caller's transaction (sync stores its cursor alongside)."""
    lock_revenue(session)
    batch = open_batch(session, "stripe", source, label, is_demo=is_demo)
    report = ImportReport("stripe", batch.id)
    errors = _Errors(label or "stripe events")
    affected: set[str] = set()
    chunk: list[tuple[int, dict[str, Any], str | None]] = []

    def flush() -> None:
        if chunk and not errors.count:
            _store_chunk(session, chunk, batch.id, report, affected, errors)
        chunk.clear()

    for number, raw in enumerate(events, start=1):
        if isinstance(raw, str | bytes) and not raw.strip():
            continue
        try:
            event = _parse_event(raw)
        except ValueError as exc:
            errors.add(number, str(exc))
            continue
        if not is_relevant(event["type"]):
            report.skipped += 1
            continue
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        chunk.append((number, event, text.strip() if isinstance(text, str) else None))
        if len(chunk) >= CHUNK:
            flush()
    flush()
    errors.raise_if_any()
    movements.recompute(session, affected)
    finish_batch(batch, report, actor)
    for outcome, n in (("new", report.new), ("duplicate", report.duplicates)):
        IMPORTED_ROWS.labels("stripe", outcome).inc(n)
    IMPORTED_ROWS.labels("stripe", "skipped").inc(report.skipped)
    return report


def _store_chunk(
    session: Session,
    chunk: list[tuple[int, dict[str, Any], str | None]],
    batch_id: int,
    report: ImportReport,
    affected: set[str],
    errors: _Errors,
) -> None:
    ids = [e["id"] for _, e, _ in chunk]
    known = set(session.scalars(select(StripeEvent.id).where(one_of(session, StripeEvent.id, ids))))
    event_rows: list[dict[str, Any]] = []
    state_rows: list[dict[str, Any]] = []
    customers: dict[str, dict[str, Any]] = {}
    for number, event, text in chunk:
        if event["id"] in known:
            report.duplicates += 1
            continue
        known.add(event["id"])
        obj = event["data"]["object"]
        created = event["created"]
        try:
            if event["type"].startswith(SUBSCRIPTION_PREFIX):
                sub = parse_subscription(obj)
                object_id = sub.id
                state_rows.append(_state_row(event["id"], event["type"], created, sub))
                affected.add(sub.customer_id)
            else:
                row = _customer_row(obj, created, batch_id)
                object_id = row["id"]
                previous = customers.get(object_id)
                if previous is None or previous["seen_at"] <= created:
                    customers[object_id] = row
        except (SubscriptionError, ValueError) as exc:
            errors.add(number, f"event {event['id']}: {exc}")
            continue
        event_rows.append(
            {
                "id": event["id"],
                "type": event["type"],
                "created": datetime.fromtimestamp(created, UTC),
                "object_id": object_id,
                "batch_id": batch_id,
                # the line as received (already valid JSON), else compact JSON
                "payload": text or json.dumps(event, separators=(",", ":")),
            }
        )
    if errors.count:
        return
    if event_rows:
        insert_rows(session, StripeEvent, event_rows)
    if state_rows:
        insert_rows(session, SubscriptionState, state_rows)
    if customers:
        _upsert_customers(session, list(customers.values()))
    report.new += len(event_rows)


def _state_row(event_id: str, event_type: str, created: int, sub: Subscription) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "subscription_id": sub.id,
        "customer_id": sub.customer_id,
        "at": created,
        "rank": movements.event_rank(event_type),
        "status": sub.status,
        "currency": sub.currency,
        "mrr": sub.mrr_micro,
        "ends_at": sub.ends_at,
        "trial_end": sub.trial_end,
        "plans": json.dumps(sub.plans, separators=(",", ":"), sort_keys=True),
    }


def _upsert_customers(session: Session, rows: list[dict[str, Any]]) -> None:
    """Latest `customer.*` event wins, whatever order they arrive in."""
    existing = dict(
        session.execute(
            select(RevenueCustomer.id, RevenueCustomer.seen_at).where(
                one_of(session, RevenueCustomer.id, [r["id"] for r in rows])
            )
        ).all()
    )
    fresh = [r for r in rows if r["id"] not in existing]
    if fresh:
        insert_rows(session, RevenueCustomer, fresh)
    for row in rows:
        seen = existing.get(row["id"])
        if seen is not None and seen <= row["seen_at"]:
            session.execute(
                update(RevenueCustomer)
                .where(RevenueCustomer.id == row["id"])
                .values(name=row["name"], email=row["email"], seen_at=row["seen_at"])
            )


def import_events_file(
    store: Store, actor: Principal, path: Path, *, source: str = "file", is_demo: bool = False
) -> ImportReport:
    with open_binary(path) as stream:
        return import_events(store, actor, stream, source=source, label=str(path), is_demo=is_demo)


# ---------------------------------------------------------------------------- CSVs


def _csv_rows(
    stream: Iterable[str], label: str, columns: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(stream)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"{label} line 1: header must have columns {','.join(columns)} "
            f"(missing {', '.join(missing)})"
        )
    reader.fieldnames = header
    for record in reader:
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue
        yield reader.line_num, {c: (record.get(c) or "").strip() for c in columns}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"date {value!r} is not YYYY-MM-DD") from None


def _currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha():
        raise ValueError(f"currency {value!r} is not a 3-letter ISO 4217 code")
    return value.upper()


def _decimal(value: str, what: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what} {value!r} is not a finite number")
    return number


def import_spend(
    store: Store,
    actor: Principal,
    stream: Iterable[str],
    *,
    source: str = "file",
    label: str = "spend.csv",
    is_demo: bool = False,
) -> ImportReport:
    """`date,channel,amount,currency` (amount in major units). A row for a day, channel
    and currency already stored replaces its amount; an identical row is a duplicate."""
    check_import(store, actor, "spend", label)
    with store.session() as session:
        batch = open_batch(session, "spend", source, label, is_demo=is_demo)
        report = ImportReport("spend", batch.id)
        errors = _Errors(label)
        rows: dict[tuple[date, str, str], tuple[int, int]] = {}
        for number, rec in _csv_rows(stream, label, ("date", "channel", "amount", "currency")):
            try:
                day, ccy = _day(rec["date"]), _currency(rec["currency"])
                if not rec["channel"]:
                    raise ValueError("channel is empty")
                amount = _decimal(rec["amount"], "amount")
                if amount < 0:
                    raise ValueError(f"amount {rec['amount']} is negative")
            except ValueError as exc:
                errors.add(number, str(exc))
                continue
            key = (day, rec["channel"], ccy)
            if key in rows:
                report.duplicates += 1
            rows[key] = (number, to_micro(amount))
        errors.raise_if_any()
        existing = {
            (r.day, r.channel, r.currency): r
            for r in session.scalars(
                select(MarketingSpend).where(MarketingSpend.day.in_({k[0] for k in rows}))
            )
        }
        fresh = []
        for key, (_, micro) in rows.items():
            row = existing.get(key)
            if row is None:
                fresh.append(
                    {
                        "day": key[0],
                        "channel": key[1],
                        "currency": key[2],
                        "amount": micro,
                        "batch_id": batch.id,
                    }
                )
            elif row.amount == micro:
                report.duplicates += 1
                continue
            else:
                row.amount, row.batch_id = micro, batch.id
            report.new += 1
        if fresh:
            insert_rows(session, MarketingSpend, fresh)
        finish_batch(batch, report, None if is_demo else actor)
        return report


def import_fx(
    store: Store,
    actor: Principal,
    stream: Iterable[str],
    *,
    source: str = "file",
    label: str = "fx.csv",
    is_demo: bool = False,
) -> ImportReport:
    """`date,currency,rate`: one unit of `currency` is `rate` units of HUB_CURRENCY.
    A rate for a day already stored is replaced; an identical one is a duplicate."""
    reporting = get_settings().currency
    check_import(store, actor, "fx", label)
    with store.session() as session:
        batch = open_batch(session, "fx", source, label, is_demo=is_demo)
        report = ImportReport("fx", batch.id)
        errors = _Errors(label)
        rows: dict[tuple[str, date], str] = {}
        for number, rec in _csv_rows(stream, label, ("date", "currency", "rate")):
            try:
                day, ccy = _day(rec["date"]), _currency(rec["currency"])
                rate = _decimal(rec["rate"], "rate")
                if rate <= 0:
                    raise ValueError(f"rate {rec['rate']} must be > 0")
                if ccy == reporting and rate != 1:
                    raise ValueError(f"{ccy} is the reporting currency: its rate is always 1")
            except ValueError as exc:
                errors.add(number, str(exc))
                continue
            if (ccy, day) in rows:
                report.duplicates += 1
            rows[(ccy, day)] = str(rate)
        errors.raise_if_any()
        existing = {
            (r.currency, r.day): r
            for r in session.scalars(
                select(FxRate).where(FxRate.currency.in_({k[0] for k in rows}))
            )
        }
        fresh = []
        for (ccy, day), rate in rows.items():
            row = existing.get((ccy, day))
            if row is None:
                fresh.append({"currency": ccy, "day": day, "rate": rate, "batch_id": batch.id})
            elif Decimal(row.rate) == Decimal(rate):
                report.duplicates += 1
                continue
            else:
                row.rate, row.batch_id = rate, batch.id
            report.new += 1
        if fresh:
            insert_rows(session, FxRate, fresh)
        finish_batch(batch, report, None if is_demo else actor)
        return report


def import_csv_file(store: Store, actor: Principal, kind: str, path: Path) -> ImportReport:
    importer = {"spend": import_spend, "fx": import_fx}[kind]
    try:
        with open_text(path) as stream:
            return importer(store, actor, stream, label=str(path))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from None


# ---------------------------------------------------------------------------- rebuild


def rebuild(store: Store, actor: Principal) -> tuple[int, int]:
    """Re-derive every subscription state from stored events and recompute all movements
    (after an upgrade changes the rules). Returns (states, movements)."""
    audit.guard(store, actor, Permission.data_import, "data.rebuild", "revenue")
    from sqlalchemy import delete

    from engine.revenue.models import MrrMovement

    with store.session() as session:
        lock_revenue(session)
        session.execute(delete(SubscriptionState))
        session.execute(delete(MrrMovement))
        customers: set[str] = set()
        states = 0
        last = ""
        while True:
            events = session.execute(
                select(StripeEvent.id, StripeEvent.type, StripeEvent.payload)
                .where(StripeEvent.id > last, StripeEvent.type.like(f"{SUBSCRIPTION_PREFIX}%"))
                .order_by(StripeEvent.id)
                .limit(CHUNK)
            ).all()
            if not events:
                break
            rows = []
            for event_id, event_type, payload in events:
                event = json.loads(payload)
                try:
                    sub = parse_subscription(event["data"]["object"])
                except SubscriptionError as exc:
                    raise InputError(f"stored event {event_id}: {exc}") from None
                rows.append(_state_row(event_id, event_type, event["created"], sub))
                customers.add(sub.customer_id)
            insert_rows(session, SubscriptionState, rows)
            states += len(rows)
            last = events[-1][0]
        moves = movements.recompute(session, customers)
        audit.record(
            session, actor, "data.rebuild", "revenue", after={"states": states, "movements": moves}
        )
        return states, moves
