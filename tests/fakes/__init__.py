"""Stateful, in-process fakes of the services the sync engine talks to.

Each fake keeps real state (a git repository, Drive files with revisions, issued OAuth
tokens), answers like the real API over an :class:`httpx.MockTransport` exposed as
``.transport``, and offers helpers for tests to act as *other people* (a human committing
on GitHub, AI Studio saving the file) and to inject faults.

* :mod:`tests.fakes.github` – :class:`~tests.fakes.github.FakeGitHub`
* :mod:`tests.fakes.drive` – :class:`~tests.fakes.drive.FakeDrive`
* :mod:`tests.fakes.google_oauth` – :class:`~tests.fakes.google_oauth.FakeGoogleOAuth`

Shared here:

* :class:`FakeClock` – a controllable clock; pass the same one to the fakes and to the code
  under test so expiry, rate-limit resets and timestamps line up.
* :class:`FaultQueue` – every fake's ``.faults``: queued responses, exceptions or side
  effects consumed FIFO by the first request they match, *before* the fake handles it.
* :class:`FakeService` – the base giving every fake ``.transport``, ``.client()``,
  ``.faults``, ``.requests`` and ``.count()``.
* :func:`client_for` – one ``httpx.Client`` routing to several fakes by host.

Typical use::

    gh = FakeGitHub()
    gh.set_file("docs/architecture.json", b"{}")
    gh.faults.status(502)                  # next request fails with 502
    gh.faults.timeout(method="PUT")        # next PUT times out
    gh.faults.before(lambda: gh.set_file("docs/architecture.json", b"[]"), method="PUT")
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

#: A fault's behaviour: return a response to short-circuit the fake, return None to let the
#: fake handle the request normally (a side effect), or raise (e.g. a timeout).
Responder = Callable[[httpx.Request], httpx.Response | None]


class FakeClock:
    """A clock that only moves when told to; call it like ``time.time``."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward and return the new time."""
        self.now += seconds
        return self.now


@dataclass
class Fault:
    """One queued fault; ``times`` counts how many more matching requests it affects."""

    respond: Responder
    method: str | None = None
    path: str | None = None
    times: int = 1
    label: str = "custom"
    where: Callable[[httpx.Request], bool] | None = None

    def matches(self, request: httpx.Request) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.path is not None and self.path not in request.url.path:
            return False
        return self.where is None or self.where(request)


class FaultQueue:
    """Faults a test queues for the next matching requests.

    Matching: optional ``method`` (exact), ``path`` (substring of the URL path) and
    ``where`` (any predicate on the request, e.g. on query parameters). The first queued
    fault that matches a request fires and is consumed (after ``times`` matching requests).
    Fired faults are recorded in ``fired`` by label, for assertions and for reproducing
    randomized campaigns.
    """

    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self.fired: list[str] = []

    def __len__(self) -> int:
        return sum(f.times for f in self._queue)

    def add(
        self,
        respond: Responder,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        label: str = "custom",
        where: Callable[[httpx.Request], bool] | None = None,
    ) -> None:
        """Queue any behaviour (see :data:`Responder`)."""
        self._queue.append(Fault(respond, method, path, times, label, where))

    def status(
        self,
        status: int,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        where: Callable[[httpx.Request], bool] | None = None,
    ) -> None:
        """Answer the next matching request(s) with ``status`` (and optional JSON body)."""
        body = jsonlib.dumps(json if json is not None else {"message": f"injected {status}"})
        hdrs = {"content-type": "application/json", **(headers or {})}

        def respond(_: httpx.Request) -> httpx.Response:
            return httpx.Response(status, content=body.encode(), headers=hdrs)

        self.add(
            respond, method=method, path=path, times=times, where=where, label=f"status:{status}"
        )

    def timeout(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        where: Callable[[httpx.Request], bool] | None = None,
    ) -> None:
        """Make the next matching request(s) raise ``httpx.ReadTimeout``."""

        def respond(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("injected timeout", request=request)

        self.add(respond, method=method, path=path, times=times, where=where, label="timeout")

    def network_error(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        where: Callable[[httpx.Request], bool] | None = None,
    ) -> None:
        """Make the next matching request(s) raise ``httpx.ConnectError``."""

        def respond(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("injected connection failure", request=request)

        self.add(respond, method=method, path=path, times=times, where=where, label="network_error")

    def before(
        self,
        action: Callable[[], object],
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        where: Callable[[httpx.Request], bool] | None = None,
    ) -> None:
        """Run ``action`` just before the next matching request is handled normally.

        This is how a test puts "another writer" between two requests of the code under
        test (e.g. between Drive's version check and its upload).
        """

        def respond(_: httpx.Request) -> None:
            action()
            return None

        self.add(respond, method=method, path=path, times=times, where=where, label="before")

    def clear(self) -> None:
        self._queue.clear()

    def take(self, request: httpx.Request) -> httpx.Response | None:
        """Fire the first fault matching ``request`` (used by the fakes)."""
        for fault in self._queue:
            if fault.matches(request):
                fault.times -= 1
                if fault.times <= 0:
                    self._queue.remove(fault)
                self.fired.append(fault.label)
                return fault.respond(request)
        return None


class FakeService:
    """Base of every fake: request log, fault queue and the MockTransport entry point.

    Subclasses implement :meth:`handle`. ``base_url`` is where the fake pretends to live;
    its path prefix (e.g. ``/api/v3`` for GitHub Enterprise) is stripped before routing.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._prefix = urlsplit(self.base_url).path.rstrip("/")
        self.faults = FaultQueue()
        #: Every request that reached the fake, including those answered by a fault.
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._dispatch)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` wired to this fake only."""
        return httpx.Client(transport=self.transport, **kwargs)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` and contained ``path`` in their URL path."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or path in r.url.path)
        )

    def route_path(self, request: httpx.Request) -> str:
        """The request path relative to ``base_url``."""
        path = request.url.path
        if self._prefix and path.startswith(self._prefix):
            path = path[len(self._prefix) :]
        return path or "/"

    def handle(self, request: httpx.Request) -> httpx.Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        injected = self.faults.take(request)
        if injected is not None:
            return self.decorate(injected)
        return self.handle(request)

    def decorate(self, response: httpx.Response) -> httpx.Response:
        """Hook to add service-wide headers to injected responses."""
        return response


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """A JSON response the way the real services send them."""
    return httpx.Response(
        status,
        content=jsonlib.dumps(body).encode(),
        headers={"content-type": "application/json; charset=utf-8", **(headers or {})},
    )


def client_for(*fakes: FakeService, **kwargs: Any) -> httpx.Client:
    """One client routing each request to the fake whose host it names.

    Lets code that builds its own URLs from several base URLs (Drive + OAuth, or all three
    in a sync job) share a single client.
    """
    mounts: dict[str, httpx.BaseTransport] = {}
    for fake in fakes:
        parts = urlsplit(fake.base_url)
        mounts[f"{parts.scheme}://{parts.netloc}"] = fake.transport
    return httpx.Client(mounts=mounts, **kwargs)
