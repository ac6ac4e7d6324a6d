"""The hub API's own requests become request logs (service `hub-api`): buffered, written
in batches in the background and at shutdown, never blocking or failing a request, bounded
with the oldest dropped and counted, and off with HUB_RECORD_API_REQUESTS=false."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.config import get_settings
from engine.observability import render
from engine.reliability import self_requests
from engine.reliability.ingest import RequestRecord
from engine.reliability.kpis import request_stats
from engine.reliability.models import RequestLog, RequestSeries
from engine.store import Store

DOWN = "postgresql+psycopg://hub@127.0.0.1:1/hub?connect_timeout=2"


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_RECORD_API_REQUESTS", "true")
    get_settings.cache_clear()


def _rows(store: Store) -> list[tuple[str, str, str, int]]:
    with store.session() as s:
        rows = s.execute(
            select(
                RequestSeries.service, RequestSeries.route, RequestSeries.method, RequestLog.status
            ).join(RequestSeries, RequestSeries.id == RequestLog.series_id)
        ).all()
    return sorted(tuple(r) for r in rows)  # type: ignore[misc]


def _row(n: int = 0) -> RequestRecord:
    ts = datetime(2026, 1, 10, 12, tzinfo=UTC) + timedelta(seconds=n)
    return RequestRecord(ts, "hub-api", "/healthz", "GET", 200, float(n))


def _metric(name: str) -> float:
    for line in render().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_api_requests_are_recorded_by_route_template(store: Store, recording: None) -> None:
    with TestClient(create_app(store)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/requests", json=[]).status_code == 401
        assert client.get("/no/such/page").status_code == 404
        assert _rows(store) == []  # buffered: nothing written on the request path
    # Shutdown (lifespan) wrote the buffer in one batch.
    assert _rows(store) == [
        ("hub-api", "/healthz", "GET", 200),
        ("hub-api", "/v1/requests", "POST", 401),
        ("hub-api", "<unmatched>", "GET", 404),
    ]
    stats = request_stats(store, datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC))
    assert stats.requests == 3 and stats.error_rate == 0.0


def test_background_flush_writes_every_few_seconds(store: Store) -> None:
    buffer = self_requests.RequestBuffer(store, interval=0.05)
    buffer.start()
    try:
        buffer.add(_row())
        deadline = time.monotonic() + 10
        while not _rows(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows(store) == [("hub-api", "/healthz", "GET", 200)]
    finally:
        buffer.stop()
    assert not buffer.rows


def test_store_down_keeps_rows_and_never_fails_a_request(
    store: Store, recording: None, caplog: pytest.LogCaptureFixture
) -> None:
    down = Store(DOWN)
    failures = _metric("hub_self_requests_flush_failures_total")
    buffer = self_requests.RequestBuffer(down, interval=3600)
    app = create_app(down)
    app.user_middleware = [
        m for m in app.user_middleware if m.cls is not self_requests.SelfRequestLog
    ]
    app.add_middleware(self_requests.SelfRequestLog, buffer=buffer)
    client = TestClient(app)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    assert len(buffer.rows) == 4
    assert buffer.flush() == 0  # unreachable: kept for the next try
    assert len(buffer.rows) == 4
    assert _metric("hub_self_requests_flush_failures_total") == failures + 1
    assert "will retry" in caplog.text
    buffer.store = store  # the store is back
    assert buffer.flush() == 4 and not buffer.rows
    assert ("hub-api", "/readyz", "GET", 503) in _rows(store)
    buffer.stop()
    down.dispose()


def test_buffer_is_bounded_dropping_the_oldest(store: Store) -> None:
    dropped = _metric("hub_self_requests_dropped_total")
    buffer = self_requests.RequestBuffer(store, capacity=3)
    for n in range(5):
        buffer.add(_row(n))
    assert [r.duration_ms for r in buffer.rows] == [2.0, 3.0, 4.0]
    assert buffer.dropped == 2
    assert _metric("hub_self_requests_dropped_total") == dropped + 2
    assert buffer.flush() == 3


def test_off_by_setting(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_RECORD_API_REQUESTS", "false")
    get_settings.cache_clear()
    assert self_requests.middleware() == []
    with TestClient(create_app(store)) as client:
        client.get("/healthz")
    assert _rows(store) == []
    monkeypatch.setenv("HUB_RECORD_API_REQUESTS", "true")
    get_settings.cache_clear()
    assert [m.cls for m in self_requests.middleware()] == [self_requests.SelfRequestLog]
