import hashlib
import hmac
import json

import pytest
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.config import get_settings
from engine.store import Store
from engine.sync.models import SyncJob
from engine.sync.targets import add_target
from engine.sync.webhooks import signature_valid
from tests.actors import ADMIN

SECRET = "It's a Secret to Everybody"


def test_githubs_published_test_vector() -> None:
    sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_valid(SECRET, b"Hello, World!", sig)
    assert not signature_valid(SECRET, b"Hello, World?", sig)
    assert not signature_valid(SECRET, b"Hello, World!", None)
    assert not signature_valid(SECRET, b"Hello, World!", sig.replace("sha256=", "sha1="))


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def client(store: Store, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("HUB_GITHUB_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    add_target(
        store, ADMIN, "arch", github="acme/platform:docs/arch.json@main", drive="f1", schedule=None
    )
    add_target(
        store,
        ADMIN,
        "other",
        github="acme/platform:docs/other.json@main",
        drive="f2",
        schedule=None,
    )
    return TestClient(create_app(store))


def _push(path: str, ref: str = "refs/heads/main") -> bytes:
    return json.dumps(
        {
            "ref": ref,
            "repository": {"full_name": "acme/platform"},
            "commits": [{"added": [], "modified": [path], "removed": []}],
        }
    ).encode()


def _post(
    client: TestClient,
    body: bytes,
    delivery: str,
    event: str = "push",
    signature: str | None = None,
):  # type: ignore[no-untyped-def]
    return client.post(
        "/webhooks/github",
        content=body,
        headers={
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": signature if signature is not None else _sign(body),
            "Content-Type": "application/json",
        },
    )


def _jobs(store: Store) -> list[tuple[int, str]]:
    with store.session() as s:
        return [(j.target_id, j.trigger) for j in s.query(SyncJob).all()]


def test_push_queues_only_the_touched_target_once(client: TestClient, store: Store) -> None:
    body = _push("docs/arch.json")
    response = _post(client, body, "d-1")
    assert response.status_code == 200 and response.json()["queued"] == ["arch"]
    again = _post(client, body, "d-1")  # GitHub redelivers
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert len(_jobs(store)) == 1 and _jobs(store)[0][1] == "webhook"


def test_wrong_or_missing_signature_is_401_and_queues_nothing(client, store: Store) -> None:
    body = _push("docs/arch.json")
    assert _post(client, body, "d-2", signature="sha256=" + "0" * 64).status_code == 401
    assert _post(client, body, "d-3", signature="").status_code == 401
    assert _jobs(store) == []


def test_ping_and_untouched_paths(client: TestClient, store: Store) -> None:
    assert _post(client, b"{}", "d-4", event="ping").json()["message"] == "pong"
    assert _post(client, _push("README.md"), "d-5").json()["queued"] == []
    assert _post(client, _push("docs/arch.json", "refs/heads/dev"), "d-6").json()["queued"] == []
    assert _jobs(store) == []


def test_unconfigured_secret_is_refused(store: Store) -> None:
    response = TestClient(create_app(store)).post("/webhooks/github", content=b"{}")
    assert response.status_code == 503 and "HUB_GITHUB_WEBHOOK_SECRET" in response.json()["error"]
