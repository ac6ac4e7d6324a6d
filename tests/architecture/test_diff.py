"""Diff correctness on hand-made version pairs (component and field level)."""

from __future__ import annotations

import copy
import time

from engine.architecture.diff import FieldChange, diff_models, union_document
from tests.architecture.helpers import comp, model


def test_added_removed_and_changed_components_with_field_before_after() -> None:
    old = model(comp("api", version="1.0.0"), comp("db", "data"), comp("legacy"))
    new = model(
        comp("api", version="1.1.0", status="deprecated"),
        comp("db", "data"),
        comp("search", technologies=["Go"]),
    )
    d = diff_models(old, new)
    assert [c.id for c in d.added] == ["search"]
    assert [c.id for c in d.removed] == ["legacy"]
    assert [c.id for c in d.changed] == ["api"]
    assert d.changed[0].fields == (
        FieldChange("status", "active", "deprecated"),
        FieldChange("version", "1.0.0", "1.1.0"),
    )
    assert d.added[0].after == comp("search", technologies=["Go"]) and d.added[0].before is None
    assert d.removed[0].before == comp("legacy") and d.removed[0].after is None
    assert d.counts() == {"added": 1, "removed": 1, "changed": 1, "connections": 0, "document": 0}
    assert d.highlight() == {"search": "added", "legacy": "removed", "api": "changed"}
    assert d.summary() == "+1 ~1 −1"
    rows = d.field_rows()
    assert {
        "component": "api",
        "change": "changed",
        "field": "version",
        "before": "1.0.0",
        "after": "1.1.0",
    } in rows
    assert {
        "component": "legacy",
        "change": "removed",
        "field": "",
        "before": "Legacy",
        "after": "",
    } in rows


def test_set_like_lists_report_items_and_ignore_reordering() -> None:
    old = model(comp("api", technologies=["Go", "gRPC"], dependencies=["a", "b"]))
    reordered = model(comp("api", technologies=["gRPC", "Go"], dependencies=["b", "a"]))
    assert diff_models(old, reordered).empty
    new = model(comp("api", technologies=["gRPC", "Rust"], dependencies=["a", "b", "c"]))
    fields = {f.field: f for f in diff_models(old, new).changed[0].fields}
    assert fields["technologies"].removed == ("Go",) and fields["technologies"].added == ("Rust",)
    assert fields["dependencies"].added == ("c",) and fields["dependencies"].removed == ()
    assert fields["technologies"].before == ["Go", "gRPC"]
    assert fields["technologies"].after == ["gRPC", "Rust"]


def test_nested_fields_absent_versus_null_and_unknown_fields() -> None:
    old = model(comp("api", metadata={"owner": "ana", "tier": 1}, sla=None))
    new = model(comp("api", metadata={"owner": "bo", "tier": 1, "pager": True}, extra="x"))
    fields = {f.field: f for f in diff_models(old, new).changed[0].fields}
    assert set(fields) == {"metadata.owner", "metadata.pager", "sla", "extra"}
    assert (fields["metadata.owner"].before, fields["metadata.owner"].after) == ("ana", "bo")
    assert fields["metadata.pager"].present_before is False
    assert fields["sla"].before is None and fields["sla"].present_before
    assert fields["sla"].present_after is False
    assert fields["extra"].to_dict() == {
        "field": "extra",
        "before": None,
        "after": "x",
        "present_before": False,
    }
    rows = {r["field"]: r for r in diff_models(old, new).field_rows()}
    assert rows["sla"]["after"] == "(absent)" and rows["sla"]["before"] == "null"


def test_connections_and_document_level_changes() -> None:
    rest = {"from": "web", "to": "api", "type": "data_flow", "protocol": "REST"}
    old = model(comp("web"), comp("api"), connections=[rest])
    new = model(
        comp("web"),
        comp("api"),
        connections=[
            {**rest, "protocol": "gRPC"},
            {"from": "api", "to": "web", "type": "events"},
        ],
    )
    new["metadata"] = {"name": "Acme 2"}
    d = diff_models(old, new)
    kinds = {c.key: c for c in d.connections}
    assert kinds[("web", "api", "data_flow")].kind == "changed"
    assert kinds[("web", "api", "data_flow")].fields == (FieldChange("protocol", "REST", "gRPC"),)
    assert kinds[("api", "web", "events")].kind == "added"
    assert d.document == [FieldChange("metadata.name", "Acme", "Acme 2")]
    assert not d.changed and not d.added
    out = d.to_dict()
    assert out["connections"][0]["kind"] in {"added", "changed"}
    assert out["document"] == [{"field": "metadata.name", "before": "Acme", "after": "Acme 2"}]


def test_identical_versions_and_empty_models() -> None:
    doc = model(comp("a"), comp("b"))
    assert diff_models(doc, copy.deepcopy(doc)).empty
    first = diff_models({}, doc)
    assert [c.id for c in first.added] == ["a", "b"]
    assert {f.field for f in first.document} == {"version", "metadata"}
    assert diff_models(doc, {"components": []}).counts()["removed"] == 2


def test_union_document_keeps_removed_components_and_connections_for_drawing() -> None:
    old = model(
        comp("a", dependencies=["b"]),
        comp("b"),
        connections=[{"from": "a", "to": "b", "type": "data_flow"}],
    )
    new = model(comp("a"), comp("c"))
    union = union_document(old, new)
    assert [c["id"] for c in union["components"]] == ["a", "c", "b"]
    assert union["connections"] == old["connections"]
    assert new["components"] == [comp("a"), comp("c")]  # inputs untouched


def test_ten_thousand_components_diff_fast() -> None:
    old = model(*[comp(f"c{i:05}", version="1.0.0") for i in range(10_000)])
    new = copy.deepcopy(old)
    for c in new["components"][::50]:
        c["version"] = "1.0.1"
    del new["components"][:10]
    new["components"].append(comp("fresh"))
    start = time.perf_counter()
    d = diff_models(old, new)
    elapsed = time.perf_counter() - start
    assert d.counts()["changed"] == 199 and d.counts()["removed"] == 10
    assert d.counts()["added"] == 1
    assert elapsed < 1.0  # the bench holds the real target (≤ 200 ms); CI machines vary
