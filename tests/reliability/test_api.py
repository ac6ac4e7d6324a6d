"""POST /v1/requests: shared ingest key, item-level 400s, 200 only after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.reliability.models import RequestLog, RequestRollup
from engine.store import Store
from tests.actors import install_key

KEY = "hub_ingest_s3cret-key"
ITEM = {
    "ts": "2026-01-10T10:00:00Z",
    "service": "api",
    "route": "/v1/items",
    "method": "POST",
    "status": 201,
    "duration_ms": 12.5,
}


@pytest.fixture
def client(store: Store, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    install_key(store, KEY)
    return TestClient(create_app(store))


def _rows(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(RequestLog)) or 0


def test_without_the_key_it_is_401(client: TestClient, store: Store) -> None:
    assert client.post("/v1/requests", json=[ITEM]).status_code == 401
    wrong = client.post("/v1/requests", json=[ITEM], auth=("not-it", ""))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert _rows(store) == 0


def test_a_read_key_cannot_send_requests(store: Store) -> None:
    install_key(store, "hub_read_only-key", scope="read")
    response = TestClient(create_app(store)).post(
        "/v1/requests", json=[ITEM], auth=("hub_read_only-key", "")
    )
    assert response.status_code == 403
    assert "it needs scope admin or ingest" in response.json()["error"]
    assert _rows(store) == 0


def test_a_bad_item_is_400_naming_index_and_field(client: TestClient, store: Store) -> None:
    items = [ITEM, ITEM | {"status": "oops"}, ITEM]
    response = client.post("/v1/requests", json=items, auth=(KEY, ""))
    assert response.status_code == 400
    body = response.json()
    assert (body["index"], body["field"]) == (1, "status")
    assert "item 1, field 'status'" in body["detail"]
    assert _rows(store) == 0
    assert client.post("/v1/requests", content=b"{nope", auth=(KEY, "")).status_code == 400
    assert client.post("/v1/requests", json={"x": 1}, auth=(KEY, "")).status_code == 400


def test_a_good_batch_is_committed_before_200(client: TestClient, store: Store) -> None:
    items = [ITEM, ITEM | {"status": 503, "duration_ms": 90}]
    response = client.post("/v1/requests", json={"requests": items}, auth=(KEY, "any"))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert _rows(store) == 2
    with store.session() as s:
        errors = s.scalar(select(RequestRollup.errors).where(RequestRollup.grain == "d"))
    assert errors == 1
    empty = client.post("/v1/requests", json=[], auth=(KEY, ""))
    assert empty.json() == {"accepted": 0, "batch_id": None}
