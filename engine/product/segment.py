"""Segment's spec, validated: one JSON call → a `ParsedEvent` or an `InvalidEvent` reason.

Accepted calls: `track`, `page`, `screen` (page and screen count as activity under the names
`Page Viewed` / `Screen Viewed`) and `identify` (whose `traits` are kept as properties, and
which links `anonymousId` to `userId` when it carries both).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.product.buckets import to_us

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID = 200
TYPES = ("track", "page", "screen", "identify")
ACTIVE_TYPES = ("track", "page", "screen")
PAGE_EVENT = {"page": "Page Viewed", "screen": "Screen Viewed"}
_FIRST = datetime(1970, 1, 2, tzinfo=UTC)
_LAST = datetime(2099, 12, 30, tzinfo=UTC)


class InvalidEvent(ValueError):
    """The reason one call is not acceptable, worded for the sender."""


@dataclass(slots=True)
class ParsedEvent:
    message_id: str
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    timestamp: datetime
    ts_us: int
    properties: dict[str, Any] | None
    context: dict[str, Any] | None

    @property
    def is_active(self) -> bool:
        return self.type in ACTIVE_TYPES

    @property
    def links(self) -> bool:
        return self.type == "identify" and bool(self.user_id and self.anonymous_id)


def _id(msg: dict[str, Any], key: str) -> str | None:
    value = msg.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent(f"{key} must be a string")
    text = str(value)
    if len(text) > MAX_ID:
        raise InvalidEvent(f"{key} is longer than {MAX_ID} characters")
    return text


def parse_timestamp(value: Any, field: str = "timestamp") -> datetime:
    """ISO 8601; a time without an offset is UTC (Segment's rule)."""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{field} must be an ISO 8601 string")
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(f"{field} {value[:40]!r} is not ISO 8601") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    if not _FIRST <= ts <= _LAST:
        raise InvalidEvent(f"{field} {value[:40]!r} is outside 1970–2099")
    return ts


def _object(msg: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = msg.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEvent(f"{key} must be an object")
    return value


def content_id(msg: dict[str, Any]) -> str:
    """A stable id for a call without `messageId`: re-importing the same line adds nothing."""
    canonical = json.dumps(msg, sort_keys=True, separators=(",", ":"), default=str)
    return "sha1:" + hashlib.sha1(canonical.encode()).hexdigest()


def parse_call(
    msg: Any, *, call_type: str | None = None, received_at: datetime | None = None
) -> ParsedEvent:
    """Validate one call; `call_type` is implied by the endpoint (`/v1/track` …)."""
    if not isinstance(msg, dict):
        raise InvalidEvent("a call must be a JSON object")
    kind = msg.get("type", call_type) if call_type is None else call_type
    if kind not in TYPES:
        raise InvalidEvent(
            f"type {kind!r} is not supported (one of {', '.join(TYPES)})"
            if kind is not None
            else "type is missing"
        )
    user_id, anonymous_id = _id(msg, "userId"), _id(msg, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise InvalidEvent("userId or anonymousId is required")
    raw_id = msg.get("messageId")
    if raw_id in (None, ""):
        message_id = content_id(msg)
    elif isinstance(raw_id, str) and len(raw_id) <= MAX_ID:
        message_id = raw_id
    else:
        raise InvalidEvent(f"messageId must be a string of at most {MAX_ID} characters")
    raw_ts = msg.get("timestamp") or msg.get("originalTimestamp")
    if raw_ts is None:
        ts = (received_at or datetime.now(UTC)).astimezone(UTC)
    else:
        ts = parse_timestamp(raw_ts, "timestamp")
    context = _object(msg, "context")
    if kind == "track":
        name = msg.get("event")
        if not isinstance(name, str) or not name.strip():
            raise InvalidEvent("track needs an event name")
        if len(name) > MAX_ID:
            raise InvalidEvent(f"event name is longer than {MAX_ID} characters")
        event: str | None = name
        props = _object(msg, "properties")
    elif kind in PAGE_EVENT:
        event = PAGE_EVENT[kind]
        props = _object(msg, "properties")
        page_name = msg.get("name")
        if isinstance(page_name, str) and page_name:
            props = {**(props or {}), "name": page_name}
    else:
        event = None
        props = _object(msg, "traits")
    return ParsedEvent(
        message_id, kind, event, user_id, anonymous_id, ts, to_us(ts), props, context
    )
