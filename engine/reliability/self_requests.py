"""The hub's own HTTP API requests, recorded as request logs (service `hub-api`).

The same rows as `hub import requests` and `POST /v1/requests` (`ts, service, route,
method, status, duration_ms`, route as its template, e.g. `/v1/requests`), so the hub's
API shows on the Reliability page like any other service.

Recording never slows or fails a request: the middleware appends to a bounded in-memory
buffer, and a background thread writes the buffer in one batch every few seconds and once
more on shutdown (ASGI lifespan). When the store is down the rows stay buffered and are
retried; when the buffer is full the oldest rows are dropped and counted
(`hub_self_requests_dropped_total`). Rows still buffered when the process is killed
without a shutdown are lost. `HUB_RECORD_API_REQUESTS=false` turns it off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime

import anyio.to_thread
from prometheus_client import Counter, Gauge
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.access.principal import SYSTEM
from engine.config import get_settings
from engine.observability import REGISTRY
from engine.reliability.ingest import RequestRecord, import_request_records
from engine.store import Store

log = logging.getLogger(__name__)

SERVICE = "hub-api"
CAPACITY = 50_000  # rows kept in memory while the store is unreachable
FLUSH_SECONDS = 5.0

RECORDED = Counter(
    "hub_self_requests_recorded_total",
    "The hub API's own requests written to the request logs.",
    registry=REGISTRY,
)
DROPPED = Counter(
    "hub_self_requests_dropped_total",
    "The hub API's own request-log rows dropped (oldest first) because the buffer was full.",
    registry=REGISTRY,
)
FLUSH_FAILURES = Counter(
    "hub_self_requests_flush_failures_total",
    "Failed writes of the hub API's own request logs (rows kept and retried).",
    registry=REGISTRY,
)
BUFFERED = Gauge(
    "hub_self_requests_buffered",
    "The hub API's own request-log rows waiting to be written.",
    registry=REGISTRY,
)


class RequestBuffer:
    """A bounded buffer of request rows and the thread that writes them to the store."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        capacity: int = CAPACITY,
        interval: float = FLUSH_SECONDS,
    ) -> None:
        self.store = store
        self.capacity = capacity
        self.interval = interval
        self.rows: deque[RequestRecord] = deque()
        self.dropped = 0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, row: RequestRecord) -> None:
        """Buffer one row (never blocks on the store); drops the oldest when full."""
        with self._lock:
            while len(self.rows) >= self.capacity:
                self.rows.popleft()
                self.dropped += 1
                DROPPED.inc()
            self.rows.append(row)
            BUFFERED.set(len(self.rows))

    def flush(self) -> int:
        """Write what is buffered in one batch; on failure keep it for the next try."""
        with self._flushing:
            with self._lock:
                rows = list(self.rows)
                self.rows.clear()
            if not rows or self.store is None:
                self._put_back(rows)
                return 0
            try:
                import_request_records(self.store, SYSTEM, rows, source="http", label=SERVICE)
            except Exception as exc:
                FLUSH_FAILURES.inc()
                log.warning("could not record %d API request(s), will retry: %s", len(rows), exc)
                self._put_back(rows)
                return 0
            RECORDED.inc(len(rows))
            return len(rows)

    def _put_back(self, rows: list[RequestRecord]) -> None:
        with self._lock:
            self.rows.extendleft(reversed(rows))
            while len(self.rows) > self.capacity:
                self.rows.popleft()
                self.dropped += 1
                DROPPED.inc()
            BUFFERED.set(len(self.rows))

    def start(self) -> None:
        """Start the background writer (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="hub-self-requests", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def stop(self) -> None:
        """Stop the writer and write what is left (shutdown)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.interval + 30)
        self._thread = None
        self.flush()


class SelfRequestLog:
    """ASGI middleware: one request-log row per HTTP request, buffered (see module doc)."""

    def __init__(self, app: ASGIApp, *, buffer: RequestBuffer | None = None) -> None:
        self.app = app
        self.buffer = buffer or RequestBuffer()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ts = datetime.now(UTC)
        started = time.perf_counter()
        status = 500  # unless the app answers

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            try:
                self._record(scope, ts, status, started)
            except Exception:  # recording must never fail a request
                log.exception("could not buffer an API request row")

    def _record(self, scope: Scope, ts: datetime, status: int, started: float) -> None:
        buffer = self.buffer
        if buffer.store is None:
            buffer.store = _store_of(scope)
        route = getattr(scope.get("route"), "path", None) or "<unmatched>"
        duration = round((time.perf_counter() - started) * 1000, 3)
        method = str(scope.get("method", "GET"))[:10]
        buffer.add(RequestRecord(ts, SERVICE, route[:300], method, status, duration))
        buffer.start()

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.buffer.store is None:
                    self.buffer.store = _store_of(scope)
                self.buffer.start()
            elif message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self.buffer.stop)
            return message

        await self.app(scope, watch, send)


def _store_of(scope: Scope) -> Store | None:
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "store", None)


def middleware() -> list[Middleware]:
    """The middleware for the API app: [] when `HUB_RECORD_API_REQUESTS` is off."""
    return [Middleware(SelfRequestLog)] if get_settings().record_api_requests else []
