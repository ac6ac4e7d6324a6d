"""`hub stripe sync`: pull subscriptions and events from the Stripe API with httpx.

First run: list every subscription (`GET /v1/subscriptions?status=all`) and customer, and
turn each subscription into the few states its own fields prove (trial, paid, ended), so
MRR history starts when customers started, not on the day of the first sync. Later runs
list `GET /v1/events` of the subscription and customer types created since the saved
cursor (Stripe keeps 30 days). Everything a run pulls, and the new cursor, commit in one
transaction; 429 and 5xx answers are retried with backoff (Retry-After when given).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from engine.access.principal import Principal
from engine.config import get_settings
from engine.errors import HubError
from engine.ingest import check_import
from engine.revenue.ingest import import_events_in
from engine.revenue.models import StripeSyncState
from engine.store import Store
from engine.store.base import utcnow

EVENT_TYPES = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.created",
    "customer.updated",
)
CURSOR_KEY = "events_cursor"
SEEDED_KEY = "seeded_at"
PAGE_SIZE = 100
EVENT_RETENTION_SECONDS = 30 * 86400
Params = list[tuple[str, str | int]]


def default_transport() -> httpx.BaseTransport | None:
    """The transport `sync_stripe` uses when none is given (tests swap in a fake)."""
    return None


class StripeClient:
    """A tiny Stripe REST client: GET with retries, and `list_all` for cursor pagination."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 6,
        timeout: float = 30.0,
    ) -> None:
        self.api_key = api_key
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Stripe-Version": "2024-06-20"},
            transport=transport,
            timeout=timeout,
        )
        self.sleep = sleep
        self.max_retries = max_retries
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: Params) -> dict[str, Any]:
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            self.requests += 1
            try:
                response = self.http.get(path, params=params)
            except httpx.TransportError as exc:
                if last:
                    raise HubError(
                        f"Stripe API at {self.http.base_url} unreachable "
                        f"({type(exc).__name__}); check HUB_STRIPE_API_URL"
                    ) from None
                self._wait(attempt, None)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if last:
                    raise HubError(
                        f"Stripe API {path} still answered {status} after "
                        f"{self.max_retries} retries; try again later"
                    )
                self._wait(attempt, response.headers.get("retry-after"))
                continue
            if status == 401:
                raise HubError("Stripe rejected HUB_STRIPE_API_KEY (401): check the key")
            if status >= 400:
                raise HubError(f"Stripe API {path} answered {status}: {_message(response)}")
            try:
                body = response.json()
            except ValueError:
                raise HubError(f"Stripe API {path} answered with non-JSON") from None
            if not isinstance(body, dict):
                raise HubError(f"Stripe API {path} answered with a non-object")
            return body
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        self.retries += 1
        delay = min(2.0**attempt, 60.0)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(0.0, min(float(retry_after), 300.0))
        self.sleep(delay)

    def list_all(self, path: str, params: Params) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, following `starting_after` while `has_more`."""
        after: str | None = None
        while True:
            page_params: Params = [*params, ("limit", PAGE_SIZE)]
            if after:
                page_params.append(("starting_after", after))
            page = self.get(path, page_params)
            data = page.get("data")
            if not isinstance(data, list):
                raise HubError(f"Stripe API {path} answered without a `data` list")
            yield from (obj for obj in data if isinstance(obj, dict))
            if not page.get("has_more") or not data:
                return
            after = str(data[-1]["id"])


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or error)[:300]
    except ValueError:
        return response.text[:300]


@dataclass
class SyncReport:
    seeded: bool = False
    subscriptions: int = 0
    customers: int = 0
    events: int = 0
    new: int = 0
    duplicates: int = 0
    cursor: int | None = None
    requests: int = 0
    retries: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seeded": self.seeded,
            "subscriptions": self.subscriptions,
            "customers": self.customers,
            "events": self.events,
            "new": self.new,
            "duplicates": self.duplicates,
            "cursor": self.cursor,
            "requests": self.requests,
            "retries": self.retries,
            "warnings": self.warnings,
        }

    def summary(self) -> str:
        cursor = datetime.fromtimestamp(self.cursor, UTC).isoformat() if self.cursor else "none"
        what = (
            f"seeded {self.subscriptions:,} subscriptions and {self.customers:,} customers"
            if self.seeded
            else f"pulled {self.events:,} events"
        )
        text = (
            f"Stripe sync: {what}; {self.new:,} new, {self.duplicates:,} already stored; "
            f"cursor {cursor} ({self.requests} requests, {self.retries} retries)"
        )
        return "; ".join([text, *self.warnings])


def _event(event_id: str, kind: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(created),
        "data": {"object": obj},
    }


_NOT_CANCELLING = {"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None}


def seed_events(sub: dict[str, Any], now: int) -> list[dict[str, Any]]:
    """The states a subscription's own fields prove, as synthetic events.

    A trial from `start_date` to `trial_end`, then the paid state (the current object, or
    for an ended subscription the same items as `active`) until `ended_at`. Changes of plan
    before the first sync are not visible in Stripe's objects, so the current items are
    assumed since the start (the approximation is stated in the report).
    """
    sid = str(sub["id"])
    status = str(sub.get("status") or "")
    start = int(sub.get("start_date") or sub.get("created") or now)
    trial_end = sub.get("trial_end")
    ended = sub.get("ended_at") or sub.get("canceled_at")
    states: list[tuple[int, dict[str, Any]]] = []
    paid_from = start
    if trial_end and int(trial_end) > start and status != "trialing":
        states.append((start, {**sub, **_NOT_CANCELLING, "status": "trialing", "ended_at": None}))
        paid_from = int(trial_end)
    if status in ("canceled", "incomplete_expired"):
        end = int(ended or now)
        if status == "canceled" and end > paid_from:
            states.append(
                (paid_from, {**sub, **_NOT_CANCELLING, "status": "active", "ended_at": None})
            )
        states.append((max(end, start), sub))
    else:
        states.append((paid_from if paid_from <= now else start, sub))
    out = []
    for n, (at, obj) in enumerate(states):
        kind = "created" if n == 0 else "updated"
        if obj is sub and status in ("canceled", "incomplete_expired") and n > 0:
            kind = "deleted"
        out.append(_event(f"seed_{sid}_{n}", f"customer.subscription.{kind}", at, obj))
    return out


def _state(session: Any, key: str) -> str | None:
    row = session.get(StripeSyncState, key)
    return None if row is None else row.value


def _save(session: Any, key: str, value: str) -> None:
    row = session.get(StripeSyncState, key)
    if row is None:
        session.add(StripeSyncState(key=key, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()


def client_from_settings(
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> StripeClient:
    settings = get_settings()
    key = settings.stripe_api_key.get_secret_value() if settings.stripe_api_key else ""
    if not key:
        raise HubError("HUB_STRIPE_API_KEY is not set: add a Stripe secret (or restricted) key")
    return StripeClient(
        settings.stripe_api_url, key, transport=transport or default_transport(), sleep=sleep
    )


def sync_stripe(
    store: Store,
    actor: Principal,
    *,
    client: StripeClient | None = None,
    now: int | None = None,
) -> SyncReport:
    """One sync run (see the module docstring); returns what it did."""
    check_import(store, actor, "stripe", "Stripe API sync")
    own = client is None
    client = client or client_from_settings()
    now = int(time.time()) if now is None else now
    report = SyncReport()
    try:
        with store.session() as session:
            cursor_text = _state(session, CURSOR_KEY)
        if cursor_text is None:
            events = _seed(client, report, now)
            cursor = now
        else:
            cursor = int(cursor_text)
            if now - cursor > EVENT_RETENTION_SECONDS:
                report.warnings.append(
                    "the last sync is older than Stripe's 30 days of events: changes in "
                    "between may be missing"
                )
            params: Params = [("types[]", t) for t in EVENT_TYPES]
            params.append(("created[gte]", cursor))
            events = list(client.list_all("/v1/events", params))
            report.events = len(events)
            cursor = max([cursor, *(int(e.get("created", 0)) for e in events)])
        with store.session() as session:
            imported = import_events_in(
                session,
                events,
                source="api",
                label=f"stripe sync {datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M}",
            )
            _save(session, CURSOR_KEY, str(cursor))
            if report.seeded:
                _save(session, SEEDED_KEY, str(now))
        report.new, report.duplicates, report.cursor = (
            imported.new,
            imported.duplicates,
            cursor,
        )
    finally:
        report.requests, report.retries = client.requests, client.retries
        if own:
            client.close()
    return report


def _seed(client: StripeClient, report: SyncReport, now: int) -> list[dict[str, Any]]:
    report.seeded = True
    events: list[dict[str, Any]] = []
    for customer in client.list_all("/v1/customers", []):
        report.customers += 1
        created = int(customer.get("created") or now)
        events.append(_event(f"seed_{customer['id']}", "customer.updated", created, customer))
    for sub in client.list_all("/v1/subscriptions", [("status", "all")]):
        report.subscriptions += 1
        events.extend(seed_events(sub, now))
    report.warnings.append(
        "first sync: history before today is rebuilt from each subscription's start, trial "
        "and end dates with its current plan (Stripe keeps no older events)"
    )
    return events


def has_api_key() -> bool:
    key = get_settings().stripe_api_key
    return bool(key and key.get_secret_value())


def last_sync(store: Store) -> datetime | None:
    with store.session() as session:
        row = session.scalar(select(StripeSyncState).where(StripeSyncState.key == CURSOR_KEY))
        return None if row is None else row.updated_at
