"""A stateful fake of Slack / a JSON webhook at the HTTP level (httpx.MockTransport)."""

from __future__ import annotations

import json
from typing import Any

import httpx


class FakeHooks:
    """Counts deliveries per URL; `fail` queues statuses (e.g. 500, 429) to answer first."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, dict[str, Any]]] = []
        self.calls = 0
        self.fail: list[int] = []
        self.retry_after: str | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail:
            status = self.fail.pop(0)
            headers = (
                {"Retry-After": self.retry_after} if status == 429 and self.retry_after else {}
            )
            return httpx.Response(status, text="nope", headers=headers)
        self.deliveries.append((str(request.url), json.loads(request.content)))
        return httpx.Response(200, text="ok")

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def to(self, url: str) -> list[dict[str, Any]]:
        return [body for u, body in self.deliveries if u == url]
