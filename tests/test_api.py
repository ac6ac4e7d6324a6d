from sqlalchemy import text
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.store import Store
from tests.actors import install_key


def test_health_ready_and_metrics(store: Store) -> None:
    client = TestClient(create_app(store))
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert client.get("/metrics").status_code == 401
    install_key(store, "hub_read_metrics", scope="read")
    metrics = client.get("/metrics", headers={"Authorization": "Bearer hub_read_metrics"})
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    body = metrics.text
    assert "# TYPE hub_http_requests_total counter" in body
    assert 'hub_http_requests_total{method="GET",route="/readyz",status="200"}' in body
    assert "hub_http_request_duration_seconds_bucket" in body


def test_readyz_is_503_with_the_reason_when_schema_is_behind(sqlite_store: Store) -> None:
    with sqlite_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    response = TestClient(create_app(sqlite_store)).get("/readyz")
    assert response.status_code == 503
    assert "hub init" in response.json()["reason"]


def test_readyz_is_503_when_database_is_unreachable() -> None:
    store = Store("postgresql+psycopg://x@127.0.0.1:1/x?connect_timeout=1")
    response = TestClient(create_app(store)).get("/readyz")
    assert response.status_code == 503
    assert "not reachable" in response.json()["reason"]
