"""Launch control: checklist seeded once and editable, live criteria, rollback rules,
the suggested decision, recorded decisions with frozen snapshots, the report, migration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.access.principal import Principal
from engine.access.roles import PermissionDenied, Role
from engine.errors import InputError
from engine.launch import control, incidents, models
from engine.launch.checklist_data import ITEMS, PHASES
from engine.reliability.ingest import import_probe_records, import_request_records
from engine.reliability.probes import add_probe
from engine.store import Store
from engine.store.registry import target_metadata
from tests.actors import ADMIN
from tests.reliability.helpers import at, check, request

RO = Principal("ro", Role.admin, "cli")

LAUNCH = at("2026-01-09 15:00")  # the plan's 10:00 EST


def _by_name(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if r["name"] == name)


def test_checklist_is_seeded_once_and_editable(store: Store) -> None:
    assert control.seed_checklist(store) == len(ITEMS) > 100
    assert control.seed_checklist(store) == 0
    items = control.checklist(store, now=LAUNCH)
    assert {i["phase"] for i in items} == set(PHASES)
    first = items[0]
    assert first["due_at"] == LAUNCH - timedelta(days=7)
    control.update_item(
        store, ADMIN, first["key"], status="done", owner="ro", evidence="https://x/1"
    )
    control.update_item(store, ADMIN, items[1]["key"], status="n/a", due="-48h")
    again = control.checklist(store, now=LAUNCH)
    assert (again[0]["status"], again[0]["owner"]) == ("done", "ro")
    assert again[1]["due_at"] == LAUNCH - timedelta(hours=48)
    progress = control.checklist_progress(again)
    assert progress["done"] == 1 and progress["total"] == len(ITEMS) - 1
    assert progress["by_phase"]["7 days before"]["done"] == 1
    with pytest.raises(InputError):
        control.update_item(store, ADMIN, first["key"], status="finished")
    with pytest.raises(InputError):
        control.update_item(store, ADMIN, "nope", status="done")


def test_checklist_shows_live_evidence(store: Store) -> None:
    items = control.checklist(store, now=LAUNCH)
    alerting = next(i for i in items if i["text"] == "Confirm alerting is functional")
    assert alerting["live_ok"] is False and "hub alert test" in alerting["live_evidence"]
    db = next(i for i in items if i["text"] == "Check database connectivity")
    assert db["live_ok"] is True


def test_status_json_shape(store: Store) -> None:
    status = control.launch_status(store, now=LAUNCH - timedelta(days=30))
    assert set(status) == {
        "decision_suggested",
        "success_criteria",
        "rollback_criteria",
        "checklist",
    }
    assert all(
        set(r) == {"name", "value", "threshold", "passed"} for r in status["success_criteria"]
    )
    assert all(set(r) == {"name", "value", "threshold", "met"} for r in status["rollback_criteria"])
    assert set(status["checklist"]) == {"done", "total", "by_phase"}
    # A month before launch: nothing overdue, nothing measured, nothing failing → go.
    assert status["decision_suggested"] == "go"
    uptime = _by_name(status["success_criteria"], "Uptime over the first 24 h")
    assert (uptime["value"], uptime["threshold"], uptime["passed"]) == (None, 0.999, None)


def test_success_criteria_from_data(store: Store) -> None:
    add_probe(store, ADMIN, "api", "https://api.example/", interval="60s", critical=True)
    checks = [
        check("api", "2026-01-09 15:00", i not in (10, 11))._replace(
            checked_at=LAUNCH + timedelta(minutes=i)
        )
        for i in range(24 * 60)
    ]
    import_probe_records(store, ADMIN, checks)
    import_request_records(
        store,
        ADMIN,
        [request(LAUNCH + timedelta(minutes=i), 200, 100.0 + i % 7) for i in range(1000)],
    )
    now = LAUNCH + timedelta(days=2)
    success, rollback = control.evaluate_criteria(store, now=now)
    uptime = _by_name(success, "Uptime over the first 24 h")
    assert uptime["value"] == pytest.approx(1 - 120 / 86400)
    assert uptime["passed"] is False  # 2 minutes down > 0.1 % of 24 h? 0.99861 < 0.999
    assert _by_name(success, "Error rate over the first 24 h")["passed"] is True
    assert _by_name(success, "API p95 over the first 24 h (ms)")["passed"] is True
    assert _by_name(success, "Active users in week 1")["passed"] is None  # pending
    assert not any(r["met"] for r in rollback)
    decision, reasons = control.suggest(success, rollback, [])
    assert decision == "no_go" and "Uptime" in reasons[0]
    control.set_threshold(store, ADMIN, "uptime_24h", 0.998)
    success, _ = control.evaluate_criteria(store, now=now)
    assert _by_name(success, "Uptime over the first 24 h")["passed"] is True


def test_rollback_on_error_rate_over_5_minutes(store: Store) -> None:
    now = LAUNCH + timedelta(hours=1)
    import_request_records(
        store,
        ADMIN,
        [request(now - timedelta(seconds=i + 1), 500 if i % 3 else 200) for i in range(120)],
    )
    status = control.launch_status(store, now=now, details=True)
    met = _by_name(status["rollback_criteria"], "Error rate over the last 5 minutes")
    assert met["met"] is True and met["value"] == pytest.approx(80 / 120)
    assert status["decision_suggested"] == "rollback"


def test_rollback_on_unavailability_over_5_minutes(store: Store) -> None:
    add_probe(store, ADMIN, "api", "https://api.example/", interval="60s", critical=True)
    now = LAUNCH + timedelta(hours=1)
    checks = [
        check("api", "2026-01-09 15:00", i < 50)._replace(checked_at=LAUNCH + timedelta(minutes=i))
        for i in range(60)
    ]
    import_probe_records(store, ADMIN, checks)
    _, rollback = control.evaluate_criteria(store, now=now)
    down = _by_name(rollback, "Current unavailability (seconds)")
    assert down["value"] == pytest.approx(600) and down["met"] is True
    _, early = control.evaluate_criteria(store, now=LAUNCH + timedelta(minutes=53))
    assert _by_name(early, "Current unavailability (seconds)")["met"] is False


def test_rollback_on_declared_corruption_or_breach(store: Store) -> None:
    now = LAUNCH + timedelta(hours=2)
    row = incidents.open_incident(
        store, ADMIN, "Bad writes", "SEV1", started_at=LAUNCH, category="data_corruption"
    )
    status = control.launch_status(store, now=now)
    assert status["decision_suggested"] == "rollback"
    assert _by_name(status["rollback_criteria"], "Open data-corruption incidents")["met"] is True
    assert _by_name(status["success_criteria"], "Open SEV1 incidents")["passed"] is False
    incidents.resolve_incident(store, ADMIN, row["id"], at=now)
    assert control.launch_status(store, now=now)["decision_suggested"] != "rollback"


def test_decision_keeps_a_frozen_snapshot(store: Store) -> None:
    now = LAUNCH - timedelta(days=30)
    d = control.record_decision(store, RO, "go", note="looks fine", now=now)
    assert d["snapshot"]["decision_suggested"] == "go"
    incidents.open_incident(store, ADMIN, "Breach", "SEV1", category="security_breach")
    assert control.launch_status(store, now=now)["decision_suggested"] == "rollback"
    stored = control.list_decisions(store)[0]
    assert stored["snapshot"]["decision_suggested"] == "go"  # frozen
    assert stored["decided_by"] == "ro"
    with pytest.raises(InputError):
        control.record_decision(store, RO, "maybe")
    viewer = Principal("pm@x.io", Role.viewer, "dashboard")
    with pytest.raises(PermissionDenied, match="needs the admin role"):
        control.record_decision(store, viewer, "go")
    assert control.list_decisions(store)[0]["decided_by"] == "ro"


def test_report_markdown_and_html(store: Store) -> None:
    incidents.open_incident(store, ADMIN, "Slow <pages>", "SEV2")
    md = control.launch_report_markdown(store)
    assert "# Launch report" in md and "Slow <pages>" in md and "## Checklist" in md
    page = control.launch_report_html(store)
    assert page.startswith("<!doctype html>") and "Slow &lt;pages&gt;" in page


def test_launch_time_is_configurable(store: Store) -> None:
    assert control.launch_at(store) == LAUNCH
    control.set_launch_at(store, ADMIN, at("2026-02-01 09:00"))
    assert control.launch_at(store) == at("2026-02-01 09:00")


def test_migration_matches_models(store: Store) -> None:
    tables = {
        m.__tablename__
        for m in vars(models).values()
        if isinstance(m, type) and issubclass(m, models.Base) and m is not models.Base
    }
    metadata = target_metadata()
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    from tests.reliability.test_migration import _table_of

    assert [d for d in diff if _table_of(d) in tables] == []
