"""The demo company's incidents and deploy markers: they line up with the two demo
outages, are written through the engine, and `hub demo --clear` removes exactly them."""

from __future__ import annotations

from datetime import date, timedelta

from engine.demo import DemoSpec
from engine.launch import incidents
from engine.launch.demo import LaunchDemo
from engine.store import Store
from tests.actors import ADMIN
from tests.reliability.helpers import at

SPEC = DemoSpec(
    scale="S",
    seed=7,
    today=date(2026, 1, 20),
    days=40,
    launch_day=date(2026, 1, 14),
    outages=(
        (at("2026-01-12 10:17"), timedelta(minutes=42)),
        (at("2026-01-17 03:05"), timedelta(minutes=14)),
    ),
)


def test_incidents_line_up_with_the_outages_and_clear_exactly(store: Store) -> None:
    mine = incidents.open_incident(store, ADMIN, "Real incident", "SEV3")
    incidents.annotate(store, ADMIN, "real deploy")
    rows = LaunchDemo().load(store, SPEC, lambda *_: None)
    demo = [i for i in incidents.list_incidents(store) if i["id"] != mine["id"]]
    assert [(i["severity"], i["status"]) for i in demo] == [
        ("SEV2", "resolved"),
        ("SEV1", "resolved"),
    ]
    for incident, (start, length) in zip(reversed(demo), SPEC.outages, strict=True):
        started = incident["started_at"]
        assert start <= at(started[:16].replace("T", " ")) < start + length
        assert incident["resolved_at"] > (start + length).isoformat()
        texts = [n["text"] for n in incident["notes"]]
        assert texts[0] == "Incident opened" and texts[1].startswith("Alert fired")
        assert any(t.startswith("Identified") for t in texts)
        assert texts[-1].startswith("Resolved")
    marks = incidents.list_annotations(store)
    kinds = [m["kind"] for m in marks]
    assert kinds.count("rollback") == 2 and kinds.count("deploy") >= 5 + 1 + 2
    assert any("launch release" in m["text"] for m in marks)
    assert rows == len(demo) + len(marks) - 1  # all but the real deploy
    # Each outage is preceded by its deploy on the charts' markers.
    first = incidents.chart_markers(store, at("2026-01-12 09:00"), at("2026-01-12 12:00"))
    assert [m["kind"] for m in first] == ["deploy", "incident", "rollback"]

    from engine.demo import clear

    with store.session() as s:
        assert LaunchDemo().clear(s) == rows
    assert [i["title"] for i in incidents.list_incidents(store)] == ["Real incident"]
    assert [m["text"] for m in incidents.list_annotations(store)] == ["real deploy"]
    assert clear(store, ADMIN)["launch"] == 0  # nothing left to remove
