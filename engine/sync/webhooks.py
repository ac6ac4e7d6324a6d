"""`POST /webhooks/github`: verify, deduplicate, queue; the work happens in a worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.access.principal import webhook
from engine.config import get_settings
from engine.errors import HubError
from engine.store import Store
from engine.store.base import utcnow
from engine.sync.jobs import enqueue
from engine.sync.models import SyncTarget, WebhookDelivery

log = logging.getLogger(__name__)


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """GitHub's X-Hub-Signature-256: `sha256=` + HMAC-SHA256(secret, raw body), constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def touched_paths(payload: dict[str, Any]) -> set[str]:
    paths: set[str] = set()
    for commit in [*payload.get("commits", []), payload.get("head_commit") or {}]:
        for key in ("added", "modified", "removed"):
            paths.update(commit.get(key) or [])
    return paths


def handle_push(store: Store, delivery: str, event: str, payload: dict[str, Any]) -> list[str]:
    """Record the delivery once and queue a sync for each target the push touched."""
    try:
        with store.session() as s:
            s.add(
                WebhookDelivery(
                    delivery_id=delivery, event=event, received_at=utcnow(), jobs_queued=0
                )
            )
    except IntegrityError:
        return ["duplicate"]
    if event != "push":
        return []
    repo = (payload.get("repository") or {}).get("full_name", "")
    ref = payload.get("ref", "")
    paths = touched_paths(payload)
    queued = []
    with store.session() as s:
        targets = list(s.scalars(select(SyncTarget).where(SyncTarget.paused.is_(False))))
    for t in targets:
        if f"{t.github_owner}/{t.github_repo}".lower() != repo.lower():
            continue
        if ref != f"refs/heads/{t.github_branch}" or t.github_path not in paths:
            continue
        try:
            enqueue(store, t.name, "webhook", actor=webhook("github"))
            queued.append(t.name)
        except HubError as exc:  # paused between our read and now: nothing to queue
            log.info("webhook: %s", exc)
    with store.session() as s:
        record = s.get(WebhookDelivery, delivery)
        if record is not None:
            record.jobs_queued = len(queued)
    return queued


async def github_webhook(request: Request) -> Response:
    secret = get_settings().github_webhook_secret
    body = await request.body()
    if secret is None:
        return JSONResponse(
            {"error": "webhooks are not configured: set HUB_GITHUB_WEBHOOK_SECRET"}, 503
        )
    if not signature_valid(
        secret.get_secret_value(), body, request.headers.get("X-Hub-Signature-256")
    ):
        return JSONResponse({"error": "invalid or missing X-Hub-Signature-256"}, 401)
    event = request.headers.get("X-GitHub-Event", "")
    delivery = request.headers.get("X-GitHub-Delivery", "")
    if not delivery:
        return JSONResponse({"error": "missing X-GitHub-Delivery header"}, 400)
    if event == "ping":
        return JSONResponse({"ok": True, "message": "pong"})
    try:
        payload = json.loads(body)
    except ValueError:
        return JSONResponse({"error": "body is not JSON"}, 400)
    store: Store = request.app.state.store
    queued = await run_in_threadpool(handle_push, store, delivery, event, payload)
    if queued == ["duplicate"]:
        return JSONResponse({"ok": True, "duplicate": True, "queued": []})
    return JSONResponse({"ok": True, "queued": queued})


async def trigger_sync(request: Request) -> Response:
    """`POST /v1/sync/{target}`: queue a sync (an `admin` API key; the trigger is audited)."""
    from engine.access.http import authorize
    from engine.access.principal import Principal
    from engine.access.roles import Permission
    from engine.sync.service import sync_now

    who = await authorize(request, Permission.sync_trigger)
    if not isinstance(who, Principal):
        return who
    try:
        queued = await run_in_threadpool(
            sync_now, request.app.state.store, who, request.path_params["target"], "api"
        )
    except HubError as exc:
        return JSONResponse({"error": str(exc)}, 409)
    return JSONResponse({"job_id": queued.job_id, "new": queued.created}, 202)


def routes() -> list[BaseRoute]:
    return [
        Route("/webhooks/github", github_webhook, methods=["POST"]),
        Route("/v1/sync/{target}", trigger_sync, methods=["POST"]),
    ]
