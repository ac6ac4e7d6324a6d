"""`POST /v1/annotations`: deploy (and other) markers from CI, with an `ingest` (or
`admin`) API key; `POST /v1/incidents` and `POST /v1/incidents/{id}/resolve` with an
`admin` key (for paging tools and runbooks).

Annotations body: `{"text", "kind"?: deploy|rollback|config|note, "at"?: ISO 8601 (default
now), "service"?}` or a list of them. Answered 201 with the stored annotations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.access.http import authorize
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import InputError
from engine.launch.incidents import ANNOTATION_KINDS, annotate, open_incident, resolve_incident
from engine.reliability.api import _bad

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
    who = await authorize(request, Permission.annotate)
    if not isinstance(who, Principal):
        return who
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
        return [annotate(store, who, p.pop("text"), **p) for p in parsed]

    return JSONResponse({"annotations": await run_in_threadpool(save)}, 201)


async def _json_body(request: Request) -> dict[str, Any] | Response:
    try:
        payload = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _bad(f"body is not valid JSON ({exc})")
    if not isinstance(payload, dict):
        return _bad("body must be a JSON object")
    return payload


async def _incident_call(request: Request, call: Any, status: int) -> Response:
    """Authorize (admin key), read the JSON body, run `call(store, who, payload)`."""
    who = await authorize(request, Permission.incident_manage)
    if not isinstance(who, Principal):
        return who
    payload = await _json_body(request)
    if not isinstance(payload, dict):
        return payload
    try:
        row = await run_in_threadpool(call, request.app.state.store, who, payload)
    except InputError as exc:
        return _bad(str(exc))
    return JSONResponse(row, status)


async def post_incident(request: Request) -> Response:
    """Open an incident: `{"title", "severity": "SEV1|SEV2|SEV3", "category"?}`."""
    return await _incident_call(
        request,
        lambda store, who, p: open_incident(
            store,
            who,
            str(p.get("title") or ""),
            str(p.get("severity") or ""),
            category=p.get("category"),
        ),
        201,
    )


async def post_resolve(request: Request) -> Response:
    """Resolve an incident: `{"note"?}`."""
    incident_id = int(request.path_params["incident_id"])
    return await _incident_call(
        request,
        lambda store, who, p: resolve_incident(
            store, who, incident_id, note=str(p.get("note") or "")
        ),
        200,
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/annotations", post_annotations, methods=["POST"]),
        Route("/v1/incidents", post_incident, methods=["POST"]),
        Route("/v1/incidents/{incident_id:int}/resolve", post_resolve, methods=["POST"]),
    ]
