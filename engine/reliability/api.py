"""`POST /v1/requests`: the product's API sends its request logs in JSON batches.

Authentication, for now, is a shared ingest key from `HUB_INGEST_KEY`, sent as the HTTP
Basic user name (issue 7 replaces it with per-client API keys). A batch is validated
whole before anything is written and answered 200 only after it is committed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.config import get_settings
from engine.reliability.ingest import (
    FieldError,
    RequestRecord,
    import_request_records,
    request_record,
)

MAX_BATCH = 50_000
INGEST_KEY_ENV = "HUB_INGEST_KEY"


def _basic_user(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def _authorised(request: Request) -> bool:
    keys = get_settings().ingest_keys
    user = _basic_user(request.headers.get("authorization", ""))
    return user is not None and any(hmac.compare_digest(user.encode(), k.encode()) for k in keys)


def _unauthorised() -> Response:
    detail = "send the ingest key as the HTTP Basic user name"
    if not get_settings().ingest_keys:
        detail = f"request ingest is disabled: set {INGEST_KEY_ENV} on the hub's API"
    return JSONResponse(
        {"error": "unauthorised", "detail": detail},
        401,
        headers={"WWW-Authenticate": 'Basic realm="hub ingest"'},
    )


def _bad(detail: str, **extra: object) -> Response:
    return JSONResponse({"error": "bad request", "detail": detail, **extra}, 400)


async def post_requests(request: Request) -> Response:
    if not _authorised(request):
        return _unauthorised()
    try:
        payload = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _bad(f"body is not valid JSON ({exc})")
    items = payload.get("requests") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        return _bad('body must be a JSON array of requests (or {"requests": [...]})')
    if len(items) > MAX_BATCH:
        return JSONResponse(
            {"error": "too large", "detail": f"at most {MAX_BATCH} requests per batch"}, 413
        )
    records: list[RequestRecord] = []
    for index, item in enumerate(items):
        try:
            records.append(request_record(item))
        except FieldError as exc:
            where = f", field {exc.field!r}" if exc.field else ""
            return _bad(f"item {index}{where}: {exc.message}", index=index, field=exc.field)
    if not records:
        return JSONResponse({"accepted": 0, "batch_id": None})
    store = request.app.state.store
    report = await run_in_threadpool(
        import_request_records, store, records, source="http", label="POST /v1/requests"
    )
    return JSONResponse({"accepted": report.new, "batch_id": report.batch_id})


def routes() -> list[BaseRoute]:
    return [Route("/v1/requests", post_requests, methods=["POST"])]
