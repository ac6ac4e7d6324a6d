"""Segment-compatible HTTP ingest: auth, limits, atomic 400s, duplicates, surveys."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from engine.access.keys import revoke_key
from engine.api.app import create_app
from engine.product.models import ProductEvent, SurveyResponse
from tests.actors import ADMIN, install_key
from tests.product.helpers import identify, page, track

KEY = "hub_ingest_wk_test"


@pytest.fixture
def client(store, monkeypatch):
    install_key(store, "hub_ingest_other")
    install_key(store, KEY)
    with TestClient(create_app(store)) as c:
        yield c


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def count(store, model=ProductEvent) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_track_page_identify_batch(client, store):
    call = track("Signed Up", "2024-03-01T10:00:00Z", "u1")
    del call["type"]  # implied by the endpoint
    r = client.post("/v1/track", json=call, headers=auth())
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert client.post("/v1/page", json=page("2024-03-01T10:00:00Z", "u1"), headers=auth()).json()
    ident = identify("2024-03-01T10:00:00Z", "u1", "a1")
    assert client.post("/v1/identify", json=ident, headers=auth()).status_code == 200
    batch = {"batch": [track("A", "2024-03-01T10:00:00Z", "u1"), page("2024-03-01", anon="a1")]}
    assert client.post("/v1/batch", json=batch, headers=auth()).status_code == 200
    assert count(store) == 5
    with store.session() as s:
        types = sorted(s.scalars(select(ProductEvent.type)))
    assert types == ["identify", "page", "page", "track", "track"]


def test_auth(client, store, monkeypatch):
    body = track("A", "2024-03-01T10:00:00Z", "u1")
    assert client.post("/v1/track", json=body).status_code == 401
    assert client.post("/v1/track", json=body, headers=auth("nope")).status_code == 401
    bad = {"Authorization": "Basic !!!"}
    assert client.post("/v1/track", json=body, headers=bad).status_code == 401
    assert client.post("/v1/batch", json={"batch": [body], "writeKey": KEY}).status_code == 200
    revoke_key(store, ADMIN, f"test-ingest-{KEY[-6:]}")
    assert client.post("/v1/track", json=body, headers=auth()).status_code == 401
    assert count(store) == 1


def test_size_limits(client, store):
    big = track("A", "2024-03-01T10:00:00Z", "u1", properties={"x": "y" * 33_000})
    assert client.post("/v1/track", json=big, headers=auth()).status_code == 413
    assert client.post("/v1/batch", json={"batch": [big]}, headers=auth()).status_code == 413
    many = [
        track("A", "2024-03-01T10:00:00Z", "u1", properties={"x": "y" * 20_000}) for _ in range(30)
    ]
    assert client.post("/v1/batch", json={"batch": many}, headers=auth()).status_code == 413
    assert count(store) == 0


def test_invalid_event_stores_nothing(client, store):
    batch = {
        "batch": [
            track("A", "2024-03-01T10:00:00Z", "u1"),
            {"type": "track", "event": "B", "timestamp": "2024-03-01", "messageId": "x"},
            {"type": "track", "userId": "u1", "timestamp": "nope"},
        ]
    }
    r = client.post("/v1/batch", json=batch, headers=auth())
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert [(e["index"], e["messageId"]) for e in errors] == [(1, "x"), (2, None)]
    assert "userId or anonymousId" in errors[0]["reason"]
    assert count(store) == 0
    assert client.post("/v1/batch", json={"nope": 1}, headers=auth()).status_code == 400
    r = client.post("/v1/track", content=b"{", headers=auth())
    assert r.status_code == 400


def test_duplicates_over_http_and_files(client, store):
    call = track("A", "2024-03-01T10:00:00Z", "u1", messageId="dup")
    for _ in range(2):
        assert client.post("/v1/batch", json={"batch": [call, call]}, headers=auth()).json()
    assert count(store) == 1


def test_gzip_body_and_shared_context(client, store):
    body = {"batch": [track("A", "2024-03-01T10:00:00Z", "u1")], "context": {"app": "x"}}
    data = gzip.compress(json.dumps(body).encode())
    headers = {**auth(), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    assert client.post("/v1/batch", content=data, headers=headers).status_code == 200
    with store.session() as s:
        assert s.scalar(select(ProductEvent.context)) == {"app": "x"}


def test_surveys_endpoint(client, store):
    good = {"respondent_id": "u1", "kind": "nps", "score": 9, "responded_at": "2024-03-01"}
    r = client.post("/v1/surveys", json={"responses": [good]}, headers=auth())
    assert r.json() == {"success": True, "new": 1, "duplicates": 0}
    assert client.post("/v1/surveys", json=good, headers=auth()).json()["duplicates"] == 1
    bad = {**good, "score": 11, "respondent_id": "u2"}
    r = client.post("/v1/surveys", json=[bad, {**good, "respondent_id": "u3"}], headers=auth())
    assert r.status_code == 400 and r.json()["errors"][0]["index"] == 0
    assert client.post("/v1/surveys", json=[good]).status_code == 401
    assert count(store, SurveyResponse) == 1
