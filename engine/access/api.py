"""HTTP endpoints of access control: `GET /v1/me`, `GET /v1/kpis` (read), `GET /v1/audit`
(admin). Every endpoint checks its key's scope through `engine.access.http.authorize`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from engine.access.http import authenticate, authorize
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.config import get_settings
from engine.errors import InputError
from engine.periods import Period, parse_day


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, 400)


async def me(request: Request) -> Response:
    """Who a key is and what it may do: any valid key may ask."""
    who = await authenticate(request)
    if not isinstance(who, Principal):
        return who
    return JSONResponse(
        {
            "name": who.name,
            "scope": who.scope and who.scope.value,
            "permissions": sorted(p.value for p in who.permissions),
        }
    )


def _period(request: Request) -> Period:
    tz = get_settings().tz
    q = request.query_params
    today = datetime.now(tz).date()
    last = parse_day(q["to"], "to") if "to" in q else today
    first = parse_day(q["from"], "from") if "from" in q else last - timedelta(days=29)
    if first > last:
        raise InputError(f"from: {first} is after to: {last}")
    return Period.from_days(first, last, tz)


def _value(v: float | None) -> float | None:
    return None if v is None else round(v, 10)


async def kpis(request: Request) -> Response:
    """Every Overview KPI for `?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: the last 30 days)."""
    who = await authorize(request, Permission.read)
    if not isinstance(who, Principal):
        return who
    try:
        period = _period(request)
    except InputError as exc:
        return _bad(str(exc))

    def compute() -> list[dict[str, Any]]:
        from engine.kpi.registry import overview

        return [
            {
                "key": t.definition.key,
                "label": t.definition.label,
                "unit": t.definition.unit,
                "section": t.definition.section,
                "value": _value(t.reading.value),
                "no_data": t.reading.no_data,
                "status": t.status,
            }
            for t in overview(request.app.state.store, period, False)
        ]

    tiles = await run_in_threadpool(compute)
    return JSONResponse(
        {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(), "kpis": tiles}
    )


async def audit_list(request: Request) -> Response:
    """Audit records newest first: `?actor=&action=&from=&to=&outcome=&limit=&offset=`."""
    who = await authorize(request, Permission.audit_read)
    if not isinstance(who, Principal):
        return who
    q = request.query_params
    tz = get_settings().tz
    try:
        since = datetime.combine(parse_day(q["from"], "from"), time(), tz) if "from" in q else None
        until = (
            datetime.combine(parse_day(q["to"], "to") + timedelta(days=1), time(), tz)
            if "to" in q
            else None
        )
        limit = int(q.get("limit", "100"))
        offset = int(q.get("offset", "0"))
    except (InputError, ValueError) as exc:
        return _bad(str(exc))
    if not 1 <= limit <= 10000 or offset < 0:
        return _bad("limit: 1 to 10000; offset: 0 or more")

    def fetch() -> tuple[list[dict[str, Any]], int]:
        from engine.access.audit import records

        return records(
            request.app.state.store,
            actor=q.get("actor"),
            action=q.get("action"),
            since=since,
            until=until,
            outcome=q.get("outcome"),
            limit=limit,
            offset=offset,
        )

    rows, total = await run_in_threadpool(fetch)
    return JSONResponse({"total": total, "records": rows})


def routes() -> list[BaseRoute]:
    return [
        Route("/v1/me", me, methods=["GET"]),
        Route("/v1/kpis", kpis, methods=["GET"]),
        Route("/v1/audit", audit_list, methods=["GET"]),
    ]
