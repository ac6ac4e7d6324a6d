"""Incidents (open, notes, resolve, list), annotations, POST /v1/annotations, the tile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.errors import InputError
from engine.launch import incidents
from engine.launch.kpis import open_incidents_tile
from engine.periods import Period
from engine.store import Store
from tests.actors import ADMIN, install_key
from tests.reliability.helpers import at

KEY = "hub_ingest_k3y"


def test_incident_lifecycle(store: Store) -> None:
    start = at("2026-01-09 16:00")
    row = incidents.open_incident(store, ADMIN, "Checkout 500s", "sev1", started_at=start)
    assert row["severity"] == "SEV1" and row["status"] == "open"
    incidents.add_note(store, ADMIN, row["id"], "Rolled back v1.2", at=start + timedelta(minutes=5))
    done = incidents.resolve_incident(store, ADMIN, row["id"], at=start + timedelta(minutes=30))
    assert done["status"] == "resolved"
    listed = incidents.list_incidents(store)
    assert [n["text"] for n in listed[0]["notes"]] == [
        "Incident opened",
        "Rolled back v1.2",
        "Resolved",
    ]
    assert incidents.list_incidents(store, open_only=True) == []
    with pytest.raises(InputError):
        incidents.resolve_incident(store, ADMIN, row["id"])
    with pytest.raises(InputError):
        incidents.open_incident(store, ADMIN, "x", "SEV4")
    with pytest.raises(InputError):
        incidents.add_note(store, ADMIN, 999, "no such")


def test_markers_include_deploys_and_incident_starts(store: Store) -> None:
    incidents.annotate(store, ADMIN, "deploy v1.2", at=at("2026-01-09 15:00"))
    incidents.open_incident(store, ADMIN, "Slow", "SEV3", started_at=at("2026-01-09 15:10"))
    marks = incidents.chart_markers(store, at("2026-01-09 00:00"), at("2026-01-10 00:00"))
    assert [m["kind"] for m in marks] == ["deploy", "incident"]
    assert marks[1]["label"] == "SEV3 Slow"


def test_open_incidents_tile_is_honest(store: Store) -> None:
    period = Period.from_days(
        at("2026-01-01 00:00").date(), at("2026-01-31 00:00").date(), at("2026-01-01 00:00").tzinfo
    )  # type: ignore[arg-type]
    assert open_incidents_tile(store, period, False).no_data
    incidents.open_incident(store, ADMIN, "A", "SEV2")
    assert open_incidents_tile(store, period, False).value == 1.0


def test_post_annotations(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    install_key(store, KEY)
    client = TestClient(create_app(store))
    body = {"text": "deploy v2", "at": "2026-01-09T15:00:00Z", "service": "api"}
    assert client.post("/v1/annotations", json=body).status_code == 401
    response = client.post("/v1/annotations", json=body, auth=(KEY, ""))
    assert response.status_code == 201
    assert response.json()["annotations"][0]["kind"] == "deploy"
    bad = client.post("/v1/annotations", json=[body, {"kind": "deploy"}], auth=(KEY, ""))
    assert bad.status_code == 400 and "item 1" in bad.json()["detail"]
    assert len(incidents.list_annotations(store)) == 1
