"""Operators open, note and resolve incidents and edit the checklist from the dashboard."""

from __future__ import annotations

from engine.access import audit
from engine.launch import control, incidents
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page


def test_open_note_and_resolve_an_incident_from_the_page(store: Store) -> None:
    at = open_page("incidents.py")
    assert_clean(at)
    next(t for t in at.text_input if t.label == "Title").input("Checkout 500s")
    next(b for b in at.button if b.label == "Open incident").click()
    at = at.run()
    assert_clean(at)
    (row,) = incidents.list_incidents(store)
    assert (row["title"], row["severity"], row["status"]) == ("Checkout 500s", "SEV2", "open")
    next(t for t in at.text_input if t.label == "Timeline note").input("Rolled back v1.2")
    next(b for b in at.button if b.label == "Add note").click()
    at = at.run()
    notes = [n["text"] for n in incidents.list_incidents(store)[0]["notes"]]
    assert notes == ["Incident opened", "Rolled back v1.2"]
    next(b for b in at.button if b.label == "Resolve").click()
    at = at.run()
    assert_clean(at)
    assert incidents.list_incidents(store)[0]["status"] == "resolved"
    acts = [r["action"] for r in audit.records(store, action="incident.")[0]]
    assert acts == ["incident.resolve", "incident.note", "incident.open"]
    assert all(
        r["actor"] == "local-admin" and r["channel"] == "dashboard"
        for r in audit.records(store, action="incident.")[0]
    )


def test_checklist_is_edited_in_place_and_audited(store: Store) -> None:
    first = control.checklist(store)[0]
    at = open_page("launch.py")
    assert_clean(at)
    assert [b.label for b in at.button].count("Save changes") == 8  # one editor per phase
    at.session_state[f"checklist-editor-{first['key'].split('.')[0]}"] = {
        "edited_rows": {0: {"status": "done", "owner": "ana"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at = at.run()
    save = next(b for b in at.button if b.label == "Save changes" and not b.disabled)
    save.click()
    at = at.run()
    assert_clean(at)
    item = next(i for i in control.checklist(store) if i["key"] == first["key"])
    assert (item["status"], item["owner"]) == ("done", "ana")
    (record,) = audit.records(store, action="checklist.edit")[0]
    assert record["before"] == {"status": "todo", "owner": ""}
    assert record["after"] == {"status": "done", "owner": "ana"}


def test_incident_controls_are_refused_in_the_engine_for_a_viewer(store: Store) -> None:
    from engine.access.principal import Principal
    from engine.access.roles import PermissionDenied, Role

    row = incidents.open_incident(store, ADMIN, "db", "SEV1")
    viewer = Principal("pm@x.io", Role.viewer, "dashboard")
    try:
        incidents.resolve_incident(store, viewer, row["id"])
    except PermissionDenied as exc:
        assert "incident.manage needs the operator role" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a viewer resolved an incident")
    assert incidents.list_incidents(store)[0]["status"] == "open"
