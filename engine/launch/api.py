"""`POST /v1/annotations`: deploy (and other) markers from CI, with the shared ingest key.

Body: `{"text", "kind"?: deploy|rollback|config|note, "at"?: ISO 8601 (default now),
"service"?}` or a list of them. Answered 201 with the stored annotations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.errors import InputError
from engine.launch.incidents import ANNOTATION_KINDS, annotate
from engine.reliability.api import _authorised, _bad, _unauthorised

MAX_BATCH = 1000


def _parse(item: Any, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InputError(f"item {index}: must be an object")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"item {index}, field 'text': required, a non-empty string")
    kind = item.get("kind", "deploy")
    if kind not in ANNOTATION_KINDS:
        raise InputError(f"item {index}, field 'kind': one of {', '.join(ANNOTATION_KINDS)}")
    at = item.get("at")
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"item {index}, field 'at': not an ISO 8601 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    service = item.get("service")
    if service is not None and not isinstance(service, str):
        raise InputError(f"item {index}, field 'service': a string")
    return {"text": text, "kind": kind, "at": when, "service": service}


async def post_annotations(request: Request) -> Response:
    if not _authorised(request):
        return _unauthorised()
    try:
        payload = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _bad(f"body is not valid JSON ({exc})")
    items = payload if isinstance(payload, list) else [payload]
    if len(items) > MAX_BATCH:
        return JSONResponse({"error": "too large", "detail": f"at most {MAX_BATCH}"}, 413)
    try:
        parsed = [_parse(item, i) for i, item in enumerate(items)]
    except InputError as exc:
        return _bad(str(exc))
    store = request.app.state.store

    def save() -> list[dict[str, Any]]:
        return [annotate(store, p.pop("text"), **p) for p in parsed]

    return JSONResponse({"annotations": await run_in_threadpool(save)}, 201)


def routes() -> list[BaseRoute]:
    return [Route("/v1/annotations", post_annotations, methods=["POST"])]
