"""Small hand-made models for the architecture tests."""

from __future__ import annotations

from typing import Any

from engine.access.principal import Principal
from engine.access.roles import Role
from engine.store import Store
from engine.sync.service import list_conflicts, resolve_conflict
from tests.sync.harness import SyncWorld, component, document, make_world

ANA = Principal("ana@acme.test", Role.operator, "dashboard")


def comp(cid: str, layer: str = "services", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cid,
        "name": cid.replace("-", " ").title(),
        "version": "1.0.0",
        "status": "active",
        "layer": layer,
        "technologies": ["Python"],
        "dependencies": [],
        "github_path": f"services/{cid}/",
        "metadata": {},
    }
    out.update(fields)
    return out


def model(*components: dict[str, Any], connections: list[dict[str, Any]] | None = None) -> dict:
    return {
        "version": "1",
        "metadata": {"name": "Acme"},
        "components": list(components),
        "connections": connections or [],
    }


def shop() -> dict[str, Any]:
    """web → api → (orders, users) → db; auth is used by api; a REST and a SQL connection."""
    return model(
        comp("web", "frontend", technologies=["React"], dependencies=["api"]),
        comp("api", "gateway", technologies=["FastAPI"], dependencies=["orders", "users", "auth"]),
        comp("orders", dependencies=["db"], technologies=["Go"]),
        comp("users", dependencies=["db"], status="deprecated"),
        comp("db", "data", technologies=["PostgreSQL"], status="planned"),
        comp("auth", "security", technologies=["OAuth2", "Python"]),
        connections=[
            {"from": "web", "to": "api", "type": "data_flow", "protocol": "REST"},
            {"from": "orders", "to": "db", "type": "data_flow", "protocol": "SQL"},
        ],
    )


def history_world(store: Store) -> SyncWorld:
    """First sync, a GitHub edit, an AI Studio edit, then a conflict an operator settles."""
    w = make_world(
        store, github_doc=document(component("auth")), drive_doc=document(component("auth"))
    )
    assert w.sync()["status"] == "succeeded"
    w.edit_github(document(component("auth", version="1.1.0")))
    assert w.sync()["status"] == "succeeded"
    w.edit_drive(document(component("auth", version="1.1.0"), component("billing")))
    assert w.sync()["status"] == "succeeded"
    w.edit_github(document(component("auth", version="2.0.0"), component("billing")))
    w.edit_drive(document(component("auth", version="3.0.0"), component("billing")))
    assert w.sync()["status"] == "conflict"
    conflict = list_conflicts(store, "arch")[0]
    resolve_conflict(store, ANA, conflict["id"], take="ai_studio")
    assert w.sync()["status"] == "succeeded"
    return w
