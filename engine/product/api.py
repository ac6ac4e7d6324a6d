"""Segment-compatible HTTP ingest: `POST /v1/track|page|screen|identify|batch`, and surveys.

Authentication is Segment's: HTTP Basic with the write key as user name (or `writeKey` in
the body), where the write key is a hub API key with scope `ingest` (or `admin`). Limits
are Segment's: 32 KB a call, 500 KB a batch → 413. A request
with any invalid call gets 400 with the reason per call and stores nothing; 200
`{"success": true}` is sent only after the commit.
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.access.http import authorize, presented_key
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import HubError
from engine.product.ingest import ingest_http
from engine.product.segment import (
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    InvalidEvent,
    ParsedEvent,
    parse_call,
)
from engine.product.surveys import import_responses, parse_response


class _TooLarge(Exception):
    pass


def _fail(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"success": False, "error": message, **extra}, status)


async def _read_body(request: Request, limit: int) -> bytes:
    """The (decompressed) body, refusing to read past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _TooLarge
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = d.decompress(bytes(body), limit + 1)
        except (zlib.error, gzip.BadGzipFile):
            raise InvalidEvent("body is not valid gzip") from None
        if len(data) > limit:
            raise _TooLarge
        return data
    return bytes(body)


def _size(msg: Any) -> int:
    return len(json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode())


async def _decode(request: Request, limit: int) -> tuple[Any, Response | None]:
    try:
        raw = await _read_body(request, limit)
    except _TooLarge:
        return None, _fail(413, f"body larger than {limit // 1024} KB")
    except InvalidEvent as exc:
        return None, _fail(400, str(exc))
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, _fail(400, "body is not valid JSON")


def _key(request: Request, payload: Any) -> str | None:
    user = presented_key(request)
    if user:
        return user
    if isinstance(payload, dict) and isinstance(payload.get("writeKey"), str):
        return payload["writeKey"]
    return None


async def _who(request: Request, payload: Any) -> Principal | Response:
    return await authorize(request, Permission.data_import, key=_key(request, payload))


async def _store_events(request: Request, who: Principal, events: list[ParsedEvent]) -> Response:
    try:
        await run_in_threadpool(ingest_http, request.app.state.store, who, events)
    except HubError as exc:
        return _fail(503, str(exc))
    return JSONResponse({"success": True})


def _single(call_type: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        payload, error = await _decode(request, MAX_EVENT_BYTES)
        who = await _who(request, payload)
        if not isinstance(who, Principal):
            return who
        if error:
            return error
        try:
            event = parse_call(payload, call_type=call_type, received_at=datetime.now(UTC))
        except InvalidEvent as exc:
            return _fail(400, "invalid call", errors=[{"index": 0, "reason": str(exc)}])
        return await _store_events(request, who, [event])

    return endpoint


async def batch(request: Request) -> Response:
    payload, error = await _decode(request, MAX_BATCH_BYTES)
    who = await _who(request, payload)
    if not isinstance(who, Principal):
        return who
    if error:
        return error
    if not isinstance(payload, dict) or not isinstance(payload.get("batch"), list):
        return _fail(400, 'body must be {"batch": [...]}')
    shared_context = payload.get("context") if isinstance(payload.get("context"), dict) else None
    received = datetime.now(UTC)
    events: list[ParsedEvent] = []
    errors: list[dict[str, Any]] = []
    for index, msg in enumerate(payload["batch"]):
        if _size(msg) > MAX_EVENT_BYTES:
            return _fail(413, f"call {index} is larger than {MAX_EVENT_BYTES // 1024} KB")
        if shared_context and isinstance(msg, dict) and "context" not in msg:
            msg = {**msg, "context": shared_context}
        try:
            events.append(parse_call(msg, received_at=received))
        except InvalidEvent as exc:
            message_id = msg.get("messageId") if isinstance(msg, dict) else None
            errors.append({"index": index, "messageId": message_id, "reason": str(exc)})
    if errors:
        return _fail(400, f"{len(errors)} invalid call(s); nothing stored", errors=errors)
    return await _store_events(request, who, events)


async def post_surveys(request: Request) -> Response:
    payload, error = await _decode(request, MAX_BATCH_BYTES)
    who = await _who(request, payload)
    if not isinstance(who, Principal):
        return who
    if error:
        return error
    items = payload.get("responses") if isinstance(payload, dict) else payload
    if isinstance(payload, dict) and "responses" not in payload:
        items = [payload]
    if not isinstance(items, list):
        return _fail(400, 'body must be a response, a list, or {"responses": [...]}')
    responses, errors = [], []
    for index, raw in enumerate(items):
        try:
            if not isinstance(raw, dict):
                raise InvalidEvent("a response must be an object")
            responses.append(parse_response(raw))
        except InvalidEvent as exc:
            errors.append({"index": index, "reason": str(exc)})
    if errors:
        return _fail(400, f"{len(errors)} invalid response(s); nothing stored", errors=errors)
    report = await run_in_threadpool(
        import_responses,
        request.app.state.store,
        who,
        responses,
        source="http",
        label=f"HTTP surveys {datetime.now(UTC):%Y-%m-%d}",
    )
    return JSONResponse({"success": True, "new": report.new, "duplicates": report.duplicates})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/track", _single("track"), methods=["POST"]),
        Route("/v1/page", _single("page"), methods=["POST"]),
        Route("/v1/screen", _single("screen"), methods=["POST"]),
        Route("/v1/identify", _single("identify"), methods=["POST"]),
        Route("/v1/batch", batch, methods=["POST"]),
        Route("/v1/surveys", post_surveys, methods=["POST"]),
    ]
