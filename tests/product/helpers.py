"""Small builders for hand-computed product-analytics cases."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from engine.config import get_settings
from engine.ingest import ImportReport
from engine.periods import Period
from engine.product.ingest import import_calls
from engine.store import Store

_ids = itertools.count()


def track(event: str, ts: str, user: str | None = None, anon: str | None = None, **kw: Any):
    msg: dict[str, Any] = {"type": "track", "event": event, "timestamp": ts, **kw}
    msg["messageId"] = kw.get("messageId") or f"m{next(_ids)}"
    if user:
        msg["userId"] = user
    if anon:
        msg["anonymousId"] = anon
    return msg


def page(ts: str, user: str | None = None, anon: str | None = None) -> dict[str, Any]:
    msg = track("x", ts, user, anon)
    msg["type"] = "page"
    del msg["event"]
    return msg


def identify(ts: str, user: str, anon: str) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": user,
        "anonymousId": anon,
        "timestamp": ts,
        "messageId": f"m{next(_ids)}",
    }


def ingest(store: Store, calls: list[dict[str, Any]]) -> ImportReport:
    return import_calls(store, calls, label="test", source="file", is_demo=False)


def period(first: str, last: str, tz: str | None = None) -> Period:
    zone = ZoneInfo(tz) if tz else get_settings().tz
    return Period.from_days(date.fromisoformat(first), date.fromisoformat(last), zone)
