"""ASGI application factory. Capabilities add routes through `ROUTE_MODULES`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine import observability
from engine.capabilities import import_all
from engine.errors import HubError
from engine.store import Store, get_store
from engine.store.migrate import schema_status


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _readiness(store: Store) -> tuple[bool, str]:
    try:
        return schema_status(store)
    except HubError as exc:
        return False, str(exc)


async def readyz(request: Request) -> Response:
    ok, reason = _readiness(request.app.state.store)
    observability.SCHEMA_CURRENT.set(1 if ok else 0)
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "reason": reason}, 200 if ok else 503
    )


async def metrics(request: Request) -> Response:
    """Prometheus metrics for an API key with scope `read` (Prometheus: `authorization`
    with `credentials: KEY`). /healthz and /readyz stay open for load balancers."""
    from engine.access.http import authorize
    from engine.access.principal import Principal
    from engine.access.roles import Permission

    who = await authorize(request, Permission.read)
    if not isinstance(who, Principal):
        return who
    return Response(observability.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


class RequestMetrics(BaseHTTPMiddleware):
    """Counts and times every request by route template (not raw path: bounded labels)."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "<unmatched>")
        observability.HTTP_DURATION.labels(name).observe(time.perf_counter() - started)
        observability.HTTP_REQUESTS.labels(request.method, name, str(response.status_code)).inc()
        return response


def create_app(store: Store | None = None) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
    for module in import_all("routes"):
        routes.extend(module.routes())  # type: ignore[attr-defined]
    from engine.reliability.self_requests import middleware as self_requests

    app = Starlette(routes=routes, middleware=[Middleware(RequestMetrics), *self_requests()])
    app.state.store = store or get_store()
    return app
