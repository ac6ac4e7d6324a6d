"""API-key authentication for every HTTP endpoint: 401 without a valid key, 403 with a
key whose scope lacks the permission. Webhook endpoints use their own signatures."""

from __future__ import annotations

import base64
import binascii

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from engine.access.keys import authenticate_key
from engine.access.principal import Principal
from engine.access.roles import SCOPE_PERMISSIONS, Permission
from engine.store import Store

CHALLENGE = {"WWW-Authenticate": 'Basic realm="hub", Bearer realm="hub"'}


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer KEY` or HTTP Basic with the key as user name
    (Segment's convention; the password is ignored)."""
    header = request.headers.get("authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer":
        return value.strip() or None
    if kind.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] or None
    return None


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def authenticate(request: Request, *, key: str | None = None) -> Principal | JSONResponse:
    """The key's principal whatever its scope, or the 401 response to send instead."""
    principal = await run_in_threadpool(
        authenticate_key,
        request.app.state.store,
        key or presented_key(request),
        address=client_address(request),
    )
    if principal is None:
        return JSONResponse(
            {
                "success": False,
                "error": "a valid API key is required: `Authorization: Bearer KEY` or HTTP "
                "Basic with the key as user name (create one: `hub keys create`)",
            },
            401,
            headers=CHALLENGE,
        )
    return principal


async def authorize(
    request: Request, permission: Permission, *, key: str | None = None
) -> Principal | JSONResponse:
    """The key's principal, or the 401/403 response to send instead."""
    principal = await authenticate(request, key=key)
    if not isinstance(principal, Principal):
        return principal
    store: Store = request.app.state.store
    if not principal.can(permission):
        from engine.access.audit import record_now

        await run_in_threadpool(
            record_now,
            store,
            principal,
            f"http.{permission.value}",
            request.url.path,
            outcome="denied",
            detail=f"{request.method} {request.url.path}",
        )
        scopes = [s.value for s, granted in SCOPE_PERMISSIONS.items() if permission in granted]
        return JSONResponse(
            {
                "success": False,
                "error": f"this key's scope ({principal.scope and principal.scope.value}) "
                f"cannot {permission.value}: it needs scope {' or '.join(scopes)}",
            },
            403,
        )
    return principal
