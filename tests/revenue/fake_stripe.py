"""A stateful fake of the three Stripe list endpoints `hub stripe sync` uses.

It keeps subscriptions, customers and events newest first (as Stripe lists them), honours
`limit`, `starting_after`, `status`, `types[]` and `created[gte]`, checks the Bearer key,
and can answer 429 a given number of times, so pagination, the cursor and backoff are
tested against behaviour, not canned responses.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

API_KEY = "sk_test_fake"


class FakeStripe:
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.subscriptions: list[dict[str, Any]] = []
        self.customers: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.rate_limited = 0  # answer 429 to this many next requests
        self.retry_after: str | None = "0"
        self._ids = itertools.count(1)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- state

    def add_customer(self, cus_id: str, name: str, created: int) -> None:
        self.customers.insert(
            0, {"id": cus_id, "object": "customer", "name": name, "created": created}
        )

    def add_subscription(self, sub: dict[str, Any]) -> None:
        self.subscriptions.insert(0, sub)

    def add_event(self, kind: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
        evt = {
            "id": f"evt_fake_{next(self._ids):05d}",
            "object": "event",
            "type": kind,
            "created": created,
            "data": {"object": obj},
        }
        self.events.insert(0, evt)
        self.events.sort(key=lambda e: e["created"], reverse=True)
        return evt

    # -- HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "Invalid API Key provided")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return httpx.Response(429, headers=headers, json={"error": {"message": "Too many"}})
        params = request.url.params
        if request.url.path == "/v1/subscriptions":
            status = params.get("status")
            items = [
                s
                for s in self.subscriptions
                if status == "all"
                or (status is None and s["status"] != "canceled")
                or s["status"] == status
            ]
            return self._page(items, params)
        if request.url.path == "/v1/customers":
            return self._page(self.customers, params)
        if request.url.path == "/v1/events":
            types = params.get_list("types[]")
            since = int(params.get("created[gte]", 0))
            items = [
                e
                for e in self.events
                if (not types or e["type"] in types) and e["created"] >= since
            ]
            return self._page(items, params)
        return self._error(404, f"Unrecognized request URL ({request.url.path})")

    def _page(self, items: list[dict[str, Any]], params: httpx.QueryParams) -> httpx.Response:
        limit = min(int(params.get("limit", 10)), 100)
        start = 0
        after = params.get("starting_after")
        if after:
            ids = [i["id"] for i in items]
            if after not in ids:
                return self._error(400, f"No such object: {after}")
            start = ids.index(after) + 1
        page = items[start : start + limit]
        body = {"object": "list", "data": page, "has_more": start + limit < len(items)}
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )

    @staticmethod
    def _error(status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": message}})

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]
