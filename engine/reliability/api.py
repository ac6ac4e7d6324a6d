"""`POST /v1/requests`: the product's API sends its request logs in JSON batches.

Authentication: an API key with scope `ingest` (or `admin`), as `Authorization: Bearer KEY`
or the HTTP Basic user name. A batch is validated
whole before anything is written and answered 200 only after it is committed.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.access.http import authorize
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.reliability.ingest import (
    FieldError,
    RequestRecord,
    import_request_records,
    request_record,
)

MAX_BATCH = 50_000


def _bad(detail: str, **extra: object) -> Response:
    return JSONResponse({"error": "bad request", "detail": detail, **extra}, 400)


async def post_requests(request: Request) -> Response:
    who = await authorize(request, Permission.data_import)
    if not isinstance(who, Principal):
        return who
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
        import_request_records, store, who, records, source="http", label="POST /v1/requests"
    )
    return JSONResponse({"accepted": report.new, "batch_id": report.batch_id})


def routes() -> list[BaseRoute]:
    return [Route("/v1/requests", post_requests, methods=["POST"])]
