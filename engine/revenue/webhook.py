"""`POST /webhooks/stripe`: Stripe pushes events here; each is verified, then stored once.

The signature is Stripe's scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]` where v1 is
HMAC-SHA256 of `"{t}.{raw body}"` keyed with HUB_STRIPE_WEBHOOK_SECRET. A wrong or stale
signature gets 400 and nothing is stored; a replayed event id is acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.config import get_settings
from engine.errors import HubError

TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """Why a delivery is rejected (shown in the 400 body; never includes the secret)."""


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe would send (used by tests and tools)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Check a delivery's signature; returns its timestamp or raises `SignatureError`."""
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("Stripe-Signature timestamp is not a number") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("Stripe-Signature needs t=… and v1=…")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    # Compare against every v1 (Stripe sends several while a secret is being rolled).
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("signature does not match (check HUB_STRIPE_WEBHOOK_SECRET)")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"timestamp is more than {tolerance} s from now (replay?)")
    return timestamp


def _store_event(request: Request, event: dict[str, object]) -> dict[str, object]:
    from engine.access.principal import webhook
    from engine.revenue.ingest import import_events, is_relevant

    if not is_relevant(str(event.get("type", ""))):
        return {"received": True, "stored": False, "reason": "event type not used"}
    report = import_events(
        request.app.state.store,
        webhook("stripe"),
        [event],
        source="webhook",
        label=f"webhook {event.get('id')}",
    )
    return {"received": True, "stored": report.new == 1, "duplicate": report.duplicates == 1}


async def stripe_webhook(request: Request) -> Response:
    secret = get_settings().stripe_webhook_secret
    if secret is None or not secret.get_secret_value():
        return JSONResponse(
            {"error": "HUB_STRIPE_WEBHOOK_SECRET is not set: the hub cannot verify Stripe"},
            503,
        )
    payload = await request.body()
    try:
        verify(payload, request.headers.get("stripe-signature"), secret.get_secret_value())
        event = json.loads(payload)
        if not isinstance(event, dict):
            raise SignatureError("body is not a JSON object")
    except (SignatureError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        return JSONResponse({"error": str(exc)}, 400)
    try:
        body = await run_in_threadpool(_store_event, request, event)
    except HubError as exc:  # malformed event: tell Stripe, which will show it to you
        return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse(body)


def routes() -> list[BaseRoute]:
    return [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
