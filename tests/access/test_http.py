"""Every HTTP endpoint × every key scope: 401 without a valid key, 403 with the wrong scope."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from engine.access import audit, keys
from engine.api.app import create_app
from engine.launch.incidents import open_incident
from engine.store import Store
from engine.sync.targets import add_target
from tests.actors import ADMIN

TRACK = {"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "m-{n}"}
REQUESTS = [
    {
        "ts": "2026-01-10T10:00:00Z",
        "service": "api",
        "route": "/x",
        "method": "GET",
        "status": 200,
        "duration_ms": 12,
    }
]
# endpoint → (method, path, body, status per caller: none, ingest, read, admin)
MATRIX = {
    "track": ("POST", "/v1/track", TRACK, (401, 200, 403, 200)),
    "batch": ("POST", "/v1/batch", {"batch": [TRACK]}, (401, 200, 403, 200)),
    "surveys": (
        "POST",
        "/v1/surveys",
        {
            "respondent_id": "r{n}",
            "kind": "nps",
            "score": 9,
            "responded_at": "2026-01-10T10:00:00Z",
        },
        (401, 200, 403, 200),
    ),
    "requests": ("POST", "/v1/requests", REQUESTS, (401, 200, 403, 200)),
    "annotations": ("POST", "/v1/annotations", {"text": "deploy {n}"}, (401, 201, 403, 201)),
    "incident open": (
        "POST",
        "/v1/incidents",
        {"title": "down {n}", "severity": "SEV2"},
        (401, 403, 403, 201),
    ),
    "incident resolve": ("POST", "/v1/incidents/{incident}/resolve", {}, (401, 403, 403, 200)),
    "sync trigger": ("POST", "/v1/sync/arch", None, (401, 403, 403, 202)),
    "kpis": ("GET", "/v1/kpis?from=2026-01-01&to=2026-01-31", None, (401, 403, 200, 200)),
    "audit": ("GET", "/v1/audit?limit=5", None, (401, 403, 403, 200)),
    "metrics": ("GET", "/metrics", None, (401, 403, 200, 200)),
    "me": ("GET", "/v1/me", None, (401, 200, 200, 200)),
}


@pytest.fixture
def api(store: Store):  # type: ignore[no-untyped-def]
    add_target(store, ADMIN, "arch", github="acme/p:a.json@main", drive="f", schedule=None)
    made = {
        scope: keys.create_key(store, ADMIN, scope, scope)[1]
        for scope in ("ingest", "read", "admin")
    }
    with TestClient(create_app(store)) as client:
        yield client, made


def _fill(value, n: int, incident: int):  # type: ignore[no-untyped-def]
    if isinstance(value, str):
        return value.replace("{n}", str(n)).replace("{incident}", str(incident))
    if isinstance(value, dict):
        return {k: _fill(v, n, incident) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, n, incident) for v in value]
    return value


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_every_endpoint_checks_the_key_scope(store: Store, api, endpoint: str) -> None:  # type: ignore[no-untyped-def]
    client, made = api
    method, path, body, expected = MATRIX[endpoint]
    callers = [None, made["ingest"], made["read"], made["admin"]]
    for n, (key, want) in enumerate(zip(callers, expected, strict=True)):
        incident = open_incident(store, ADMIN, f"i{n}", "SEV3")["id"]
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        response = client.request(
            method, _fill(path, n, incident), json=_fill(body, n, incident), headers=headers
        )
        assert response.status_code == want, (endpoint, n, response.text)
        if want == 401:
            assert "WWW-Authenticate" in response.headers
        if want == 403:
            assert "scope" in response.json()["error"]


def test_segment_basic_auth_and_write_key_in_body_work(store: Store, api) -> None:  # type: ignore[no-untyped-def]
    client, made = api
    basic = base64.b64encode(f"{made['ingest']}:".encode()).decode()
    ok = client.post(
        "/v1/track", json=_fill(TRACK, 1, 0), headers={"Authorization": f"Basic {basic}"}
    )
    assert ok.status_code == 200
    in_body = client.post("/v1/track", json={**_fill(TRACK, 2, 0), "writeKey": made["ingest"]})
    assert in_body.status_code == 200


def test_revoked_key_gets_401_and_wrong_scope_is_audited(store: Store, api) -> None:  # type: ignore[no-untyped-def]
    client, made = api
    denied = client.get("/v1/audit", headers={"Authorization": f"Bearer {made['read']}"})
    assert denied.status_code == 403
    rows, _ = audit.records(store, outcome="denied")
    assert rows[0]["actor"] == "key:read" and rows[0]["channel"] == "api"
    keys.revoke_key(store, ADMIN, "ingest")
    gone = client.post(
        "/v1/track", json=_fill(TRACK, 3, 0), headers={"Authorization": f"Bearer {made['ingest']}"}
    )
    assert gone.status_code == 401
    assert made["ingest"] not in gone.text


def test_me_answers_any_valid_key_without_audit_noise(store: Store, api) -> None:  # type: ignore[no-untyped-def]
    client, made = api
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {made['ingest']}"})
    assert response.status_code == 200 and response.json()["scope"] == "ingest"
    assert audit.records(store, outcome="denied")[1] == 0


def test_health_endpoints_stay_open_for_load_balancers(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_keys_and_passwords_never_reach_logs_errors_or_the_audit(
    store: Store,
    api,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    import logging

    from engine.access import users

    caplog.set_level(logging.DEBUG)
    client, made = api
    forged = made["admin"][:-4] + "XXXX"
    bad = client.get("/v1/audit", headers={"Authorization": f"Bearer {forged}"})
    assert bad.status_code == 401
    users.add_user(store, ADMIN, "a@x.io", "viewer", "correct horse battery")
    with pytest.raises(users.SignInRefused) as refused:
        users.authenticate(store, "a@x.io", "my secret guess")
    rows, _ = audit.records(store, limit=10_000)
    for secret in (forged, made["admin"], made["ingest"], "my secret guess", "correct horse"):
        assert secret not in caplog.text
        assert secret not in bad.text and secret not in str(refused.value)
        assert secret not in str(rows)
