"""POST /webhooks/stripe: Stripe-Signature verification, stored once, out of order."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.config import get_settings
from engine.revenue.models import StripeEvent
from engine.revenue.reports import customer_movements
from engine.revenue.webhook import SignatureError, sign, verify
from engine.store import Store
from tests.revenue.stripe_objects import event, item, price, subscription, ts

SECRET = "whsec_test_secret"


@pytest.fixture
def client(store: Store, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("HUB_STRIPE_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    return TestClient(create_app(store))


def stored(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(StripeEvent)) or 0


def deliver(client: TestClient, body: bytes, header: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post("/webhooks/stripe", content=body, headers=headers).status_code


def payload(evt_id: str = "evt_1", quantity: int = 1, created: str = "2025-01-01") -> bytes:
    sub = subscription("sub_1", "cus_1", [item(price(1000), quantity)])
    return json.dumps(event(ts(created), sub, "created", evt_id)).encode()


def test_valid_signature_stores_the_event(client: TestClient, store: Store) -> None:
    body = payload()
    response = client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign(body, SECRET, int(time.time()))},
    )
    assert response.status_code == 200
    assert response.json()["stored"] is True
    assert stored(store) == 1
    assert customer_movements(store, "cus_1")[0]["kind"] == "new"


def test_wrong_secret_is_400_and_nothing_stored(client: TestClient, store: Store) -> None:
    body = payload()
    assert deliver(client, body, sign(body, "whsec_other", int(time.time()))) == 400
    assert stored(store) == 0


def test_tampered_body_is_400(client: TestClient, store: Store) -> None:
    header = sign(payload(), SECRET, int(time.time()))
    assert deliver(client, payload(quantity=9), header) == 400
    assert stored(store) == 0


def test_stale_timestamp_is_400(client: TestClient, store: Store) -> None:
    body = payload()
    assert deliver(client, body, sign(body, SECRET, int(time.time()) - 301)) == 400
    assert stored(store) == 0


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=abc,v1=abc", "t=123"])
def test_missing_or_malformed_header_is_400(
    client: TestClient, store: Store, header: str | None
) -> None:
    assert deliver(client, payload(), header) == 400
    assert stored(store) == 0


def test_replayed_event_is_acknowledged_and_stored_once(client: TestClient, store: Store) -> None:
    body = payload()
    now = int(time.time())
    assert deliver(client, body, sign(body, SECRET, now)) == 200
    response = client.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body, SECRET, now + 5)}
    )
    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert stored(store) == 1


def test_out_of_order_deliveries_end_in_the_right_state(client: TestClient, store: Store) -> None:
    later = payload("evt_2", quantity=3, created="2025-02-01")
    earlier = payload("evt_1", quantity=1, created="2025-01-01")
    for body in (later, earlier):
        assert deliver(client, body, sign(body, SECRET, int(time.time()))) == 200
    kinds = [(m["kind"], m["amount"]) for m in customer_movements(store, "cus_1")]
    assert kinds == [("new", 10.0), ("expansion", 20.0)]


def test_unset_secret_refuses_to_store(store: Store) -> None:
    client = TestClient(create_app(store))
    body = payload()
    assert deliver(client, body, sign(body, "", int(time.time()))) == 503
    assert stored(store) == 0


def test_verify_accepts_any_of_several_v1_signatures() -> None:
    body, now = b"{}", 1_700_000_000
    good = sign(body, SECRET, now).split(",")[1]
    header = f"t={now},v1={'0' * 64},{good}"
    assert verify(body, header, SECRET, now=now + 10) == now
    with pytest.raises(SignatureError, match="300"):
        verify(body, header, SECRET, now=now + 301)
