"""Three-way merge rules, policies, manual conflicts and the no-lost-edit property."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.sync.document import canonical_json
from engine.sync.merge import DELETED, POLICIES, Conflict, MergeResult, merge, same


def comp(component_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": component_id, "name": component_id.upper(), "version": "1.0.0", **fields}


def doc(
    *components: dict[str, Any],
    connections: tuple[dict[str, Any], ...] = (),
    metadata: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    return {
        "version": "1",
        "metadata": metadata if metadata is not None else {"name": "Bakhmach"},
        "components": list(components),
        "connections": list(connections),
        **top,
    }


def components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {component["id"]: component for component in document["components"]}


def only(result: MergeResult) -> Conflict:
    assert len(result.conflicts) == 1, result.conflicts
    return result.conflicts[0]


def settled(result: MergeResult) -> dict[str, Any]:
    """The single merged document, asserting both sides got the same content."""
    assert canonical_json(result.github_document) == canonical_json(result.ai_studio_document)
    return result.github_document


BASE = doc(
    comp("auth", status="active", technologies=["FastAPI", "OAuth2"], dependencies=["core"]),
    comp("core", layer="core"),
    connections=({"from": "auth", "to": "core", "type": "data_flow", "protocol": "REST"},),
)


def edited(document: dict[str, Any], component_id: str, **fields: Any) -> dict[str, Any]:
    """A copy of `document` with fields of one component set (DELETED removes)."""
    result = copy.deepcopy(document)
    target = components(result)[component_id]
    for name, value in fields.items():
        if value is DELETED:
            target.pop(name, None)
        else:
            target[name] = value
    return result


# --- one side, both sides, same change -----------------------------------------------------


def test_nothing_changed() -> None:
    result = merge(BASE, copy.deepcopy(BASE), copy.deepcopy(BASE))
    assert result.conflicts == []
    assert result.counts == {"added": 0, "changed": 0, "removed": 0, "conflicts": 0}
    assert not result.github_changed and not result.ai_studio_changed
    assert canonical_json(settled(result)) == canonical_json(BASE)
    assert canonical_json(result.base_document) == canonical_json(BASE)


def test_change_on_one_side_is_taken() -> None:
    github = edited(BASE, "core", version="1.1.0")
    ai_studio = edited(BASE, "auth", layer="security")
    result = merge(BASE, github, ai_studio)
    merged = components(settled(result))
    assert merged["core"]["version"] == "1.1.0"
    assert merged["auth"]["layer"] == "security"
    assert result.conflicts == []
    assert result.github_changed and result.ai_studio_changed
    assert result.counts == {"added": 0, "changed": 2, "removed": 0, "conflicts": 0}


def test_only_the_side_that_lacks_the_change_needs_a_write() -> None:
    result = merge(BASE, edited(BASE, "core", version="2.0.0"), copy.deepcopy(BASE))
    assert result.ai_studio_changed is True
    assert result.github_changed is False


def test_same_change_on_both_sides_is_not_a_conflict() -> None:
    github = edited(BASE, "core", version="3.0.0", status=DELETED)
    result = merge(BASE, github, copy.deepcopy(github))
    assert result.conflicts == []
    assert components(settled(result))["core"]["version"] == "3.0.0"
    assert not result.github_changed and not result.ai_studio_changed


def test_field_removed_on_one_side_is_removed() -> None:
    result = merge(BASE, edited(BASE, "auth", status=DELETED), copy.deepcopy(BASE))
    assert "status" not in components(settled(result))["auth"]


def test_field_added_on_one_side_is_added() -> None:
    result = merge(BASE, copy.deepcopy(BASE), edited(BASE, "core", github_path="core/"))
    assert components(settled(result))["core"]["github_path"] == "core/"


def test_a_type_change_that_python_calls_equal_is_still_an_edit() -> None:
    base = doc(comp("a", replicas=1, weight=1))
    result = merge(base, edited(base, "a", replicas=True), edited(base, "a", weight=1.0))
    merged = components(settled(result))["a"]
    assert merged["replicas"] is True
    assert type(merged["weight"]) is float


def test_same_distinguishes_json_types() -> None:
    assert same({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x"}]})
    assert not same(1, True)
    assert not same([1], [1.0])
    assert not same({"a": 0}, {"a": False})
    assert not same({"a": 1}, {"b": 1})


# --- sets -----------------------------------------------------------------------------------


def test_technologies_merge_as_sets() -> None:
    base = doc(comp("a", technologies=["Go", "Redis", "Kafka"]))
    github = edited(base, "a", technologies=["Go", "Kafka", "gRPC"])  # -Redis +gRPC
    ai_studio = edited(base, "a", technologies=["Redis", "Go", "Kafka", "Envoy"])  # +Envoy
    result = merge(base, github, ai_studio)
    assert result.conflicts == []
    assert components(settled(result))["a"]["technologies"] == ["Go", "Kafka", "Envoy", "gRPC"]


def test_dependencies_merge_as_sets() -> None:
    base = doc(comp("a", dependencies=["b", "c"]), comp("b"), comp("c"), comp("d"))
    github = edited(base, "a", dependencies=["b"])
    ai_studio = edited(base, "a", dependencies=["b", "c", "d"])
    result = merge(base, github, ai_studio)
    assert components(settled(result))["a"]["dependencies"] == ["b", "d"]


tech_lists = st.lists(st.sampled_from(["Go", "Rust", "Kafka", "Redis", "gRPC"]), unique=True)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tech_lists, tech_lists, tech_lists)
def test_set_fields_apply_both_sides_additions_and_removals(
    base_items: list[str], github_items: list[str], ai_studio_items: list[str]
) -> None:
    base = doc(comp("a", technologies=base_items))
    github = edited(base, "a", technologies=github_items)
    ai_studio = edited(base, "a", technologies=ai_studio_items)
    result = merge(base, github, ai_studio)
    merged = components(settled(result))["a"]["technologies"]
    assert result.conflicts == []
    if github_items == base_items or ai_studio_items == base_items:
        one_side = ai_studio_items if github_items == base_items else github_items
        assert merged == one_side
    elif github_items != ai_studio_items:
        both = set(github_items) & set(ai_studio_items)
        added = (set(github_items) | set(ai_studio_items)) - set(base_items)
        assert merged == [x for x in base_items if x in both] + sorted(added)


def test_a_set_changed_on_one_side_only_keeps_that_sides_order() -> None:
    base = doc(comp("a", technologies=["Go", "Redis"]))
    github = edited(base, "a", technologies=["Redis", "Go", "Alpine"])
    result = merge(base, github, copy.deepcopy(base))
    assert components(settled(result))["a"]["technologies"] == ["Redis", "Go", "Alpine"]


def test_a_set_removed_on_one_side_and_changed_on_the_other_is_a_conflict() -> None:
    base = doc(comp("a", technologies=["Go"]))
    github = edited(base, "a", technologies=DELETED)
    ai_studio = edited(base, "a", technologies=["Go", "Rust"])
    conflict = only(merge(base, github, ai_studio, policy="github_wins"))
    assert conflict.path == "/components/a/technologies"
    assert conflict.deleted_on == "github"
    assert (conflict.github, conflict.ai_studio) == (None, ["Go", "Rust"])


# --- conflicts and policies -----------------------------------------------------------------


def both_renamed() -> tuple[dict[str, Any], dict[str, Any]]:
    return edited(BASE, "auth", name="Identity"), edited(BASE, "auth", name="Security")


@pytest.mark.parametrize(
    ("policy", "winner", "value"),
    [("github_wins", "github", "Identity"), ("ai_studio_wins", "ai_studio", "Security")],
)
def test_conflicting_field_settled_by_policy(policy: str, winner: str, value: str) -> None:
    result = merge(BASE, *both_renamed(), policy=policy)  # type: ignore[arg-type]
    conflict = only(result)
    assert conflict == Conflict(
        path="/components/auth/name",
        component_id="auth",
        field="name",
        base="AUTH",
        github="Identity",
        ai_studio="Security",
        deleted_on=None,
        resolution=winner,  # type: ignore[arg-type]
        resolved_value=value,
    )
    assert components(settled(result))["auth"]["name"] == value
    assert components(result.base_document)["auth"]["name"] == value
    assert result.unresolved == []
    assert result.counts["conflicts"] == 1


def test_manual_keeps_each_sides_value_and_the_base_value() -> None:
    github, ai_studio = both_renamed()
    github = edited(github, "core", version="1.0.1")  # a clean change alongside
    result = merge(BASE, github, ai_studio, policy="manual")
    conflict = only(result)
    assert conflict.resolution is None and conflict.resolved_value is None
    assert result.unresolved == [conflict]
    assert components(result.github_document)["auth"]["name"] == "Identity"
    assert components(result.ai_studio_document)["auth"]["name"] == "Security"
    assert components(result.base_document)["auth"]["name"] == "AUTH"
    for document in (result.github_document, result.ai_studio_document, result.base_document):
        assert components(document)["core"]["version"] == "1.0.1"  # clean part is merged
    assert result.ai_studio_changed and not result.github_changed


def test_manual_is_the_default_policy() -> None:
    assert only(merge(BASE, *both_renamed())).resolution is None


def test_manual_conflicts_are_detected_again_against_the_returned_base() -> None:
    first = merge(BASE, *both_renamed(), policy="manual")
    again = merge(first.base_document, first.github_document, first.ai_studio_document)
    assert [c.path for c in again.conflicts] == ["/components/auth/name"]
    assert (again.conflicts[0].github, again.conflicts[0].ai_studio) == ("Identity", "Security")
    assert not again.github_changed and not again.ai_studio_changed


def test_newest_wins_takes_the_later_side() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    github, ai_studio = both_renamed()
    newer_github = merge(
        BASE,
        github,
        ai_studio,
        policy="newest_wins",
        github_modified_at=now + timedelta(seconds=1),
        ai_studio_modified_at=now,
    )
    assert only(newer_github).resolution == "github"
    assert "github modified" in (only(newer_github).note or "")
    newer_ai_studio = merge(
        BASE,
        github,
        ai_studio,
        policy="newest_wins",
        github_modified_at=now,
        ai_studio_modified_at=now + timedelta(seconds=1),
    )
    assert only(newer_ai_studio).resolution == "ai_studio"


def test_newest_wins_treats_naive_times_as_utc() -> None:
    result = merge(
        BASE,
        *both_renamed(),
        policy="newest_wins",
        github_modified_at=datetime(2025, 1, 1, 12, 0),
        ai_studio_modified_at=datetime(2025, 1, 1, 11, 0, tzinfo=UTC),
    )
    assert only(result).resolution == "github"


@pytest.mark.parametrize(
    ("github_at", "ai_studio_at", "reason"),
    [
        (None, datetime(2025, 1, 1, tzinfo=UTC), "missing"),
        (datetime(2025, 1, 1, tzinfo=UTC), None, "missing"),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), "equal"),
    ],
)
def test_newest_wins_falls_back_to_ai_studio_and_says_so(
    github_at: datetime | None, ai_studio_at: datetime | None, reason: str
) -> None:
    result = merge(
        BASE,
        *both_renamed(),
        policy="newest_wins",
        github_modified_at=github_at,
        ai_studio_modified_at=ai_studio_at,
    )
    conflict = only(result)
    assert conflict.resolution == "ai_studio"
    assert conflict.note is not None
    assert reason in conflict.note and "fell back to ai_studio_wins" in conflict.note


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="policy"):
        merge(BASE, BASE, BASE, policy="loudest_wins")  # type: ignore[arg-type]


def test_field_deleted_on_one_side_and_changed_on_the_other() -> None:
    github = edited(BASE, "core", layer=DELETED)
    ai_studio = edited(BASE, "core", layer="platform")
    result = merge(BASE, github, ai_studio, policy="github_wins")
    conflict = only(result)
    assert conflict.path == "/components/core/layer"
    assert (conflict.base, conflict.github, conflict.ai_studio) == ("core", None, "platform")
    assert conflict.deleted_on == "github" == conflict.resolution
    assert "layer" not in components(settled(result))["core"]


# --- components added and removed -----------------------------------------------------------


def test_component_added_on_one_side() -> None:
    github = copy.deepcopy(BASE)
    github["components"].append(comp("billing"))
    result = merge(BASE, github, copy.deepcopy(BASE))
    assert components(settled(result))["billing"] == comp("billing")
    assert result.counts["added"] == 1


def test_component_added_on_both_sides_differently() -> None:
    github, ai_studio = copy.deepcopy(BASE), copy.deepcopy(BASE)
    github["components"].append(comp("billing", layer="edge", technologies=["Go"]))
    ai_studio["components"].append(comp("billing", layer="data", technologies=["Rust"]))
    result = merge(BASE, github, ai_studio, policy="manual")
    conflict = only(result)
    assert conflict.path == "/components/billing/layer"
    assert conflict.base is None
    billing = components(result.github_document)["billing"]
    assert billing["technologies"] == ["Go", "Rust"]
    assert "layer" not in components(result.base_document)["billing"]


def test_component_removed_on_one_side_and_untouched_on_the_other() -> None:
    github = copy.deepcopy(BASE)
    github["components"] = [c for c in github["components"] if c["id"] != "core"]
    result = merge(BASE, github, copy.deepcopy(BASE))
    assert "core" not in components(settled(result))
    assert result.conflicts == []
    assert result.counts == {"added": 0, "changed": 0, "removed": 1, "conflicts": 0}


def test_component_removed_on_both_sides() -> None:
    github = copy.deepcopy(BASE)
    github["components"] = [c for c in github["components"] if c["id"] != "core"]
    result = merge(BASE, github, copy.deepcopy(github))
    assert "core" not in components(settled(result))
    assert result.counts["removed"] == 1


def delete_vs_modify() -> tuple[dict[str, Any], dict[str, Any]]:
    github = copy.deepcopy(BASE)
    github["components"] = [c for c in github["components"] if c["id"] != "core"]
    return github, edited(BASE, "core", version="1.1.0")


def test_deleted_on_one_side_modified_on_the_other_is_a_conflict() -> None:
    result = merge(BASE, *delete_vs_modify(), policy="manual")
    conflict = only(result)
    assert conflict.path == "/components/core"
    assert conflict.component_id == "core" and conflict.field == "core"
    assert conflict.deleted_on == "github"
    assert conflict.github is None
    assert conflict.base == comp("core", layer="core")
    assert conflict.ai_studio == comp("core", layer="core", version="1.1.0")
    assert "core" not in components(result.github_document)
    assert components(result.ai_studio_document)["core"]["version"] == "1.1.0"
    assert components(result.base_document)["core"] == comp("core", layer="core")
    again = merge(result.base_document, result.github_document, result.ai_studio_document)
    assert [c.path for c in again.conflicts] == ["/components/core"]


def test_a_type_only_change_counts_as_a_modification_against_a_delete() -> None:
    base = doc(comp("a", replicas=1))
    result = merge(base, doc(), edited(base, "a", replicas=True))
    assert only(result).path == "/components/a"
    assert components(result.ai_studio_document)["a"]["replicas"] is True


@pytest.mark.parametrize(("policy", "kept"), [("github_wins", False), ("ai_studio_wins", True)])
def test_delete_vs_modify_settled_by_policy(policy: str, kept: bool) -> None:
    result = merge(BASE, *delete_vs_modify(), policy=policy)  # type: ignore[arg-type]
    assert ("core" in components(settled(result))) is kept
    assert ("core" in components(result.base_document)) is kept
    assert only(result).resolved_value == (
        comp("core", layer="core", version="1.1.0") if kept else None
    )


# --- connections, metadata, top level -------------------------------------------------------


def connection(**fields: Any) -> dict[str, Any]:
    return {"from": "auth", "to": "core", "type": "data_flow", "protocol": "REST", **fields}


def with_connections(*items: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(BASE)
    result["connections"] = list(items)
    return result


def test_connections_are_keyed_and_their_fields_merged() -> None:
    github = with_connections(connection(protocol="gRPC"))
    ai_studio = with_connections(
        connection(latency_ms=5), {"from": "core", "to": "auth", "type": "x"}
    )
    merged = settled(merge(BASE, github, ai_studio))
    assert merged["connections"] == [
        connection(protocol="gRPC", latency_ms=5),
        {"from": "core", "to": "auth", "type": "x"},
    ]


def test_same_ends_but_another_type_is_another_connection() -> None:
    github = with_connections(connection(), connection(type="control"))
    merged = settled(merge(BASE, github, copy.deepcopy(BASE)))
    assert [c["type"] for c in merged["connections"]] == ["control", "data_flow"]


def test_connection_field_conflict_path() -> None:
    github = with_connections(connection(protocol="gRPC"))
    ai_studio = with_connections(connection(protocol="AMQP"))
    conflict = only(merge(BASE, github, ai_studio))
    assert conflict.path == "/connections/auth/core/data_flow/protocol"
    assert conflict.component_id is None and conflict.field == "protocol"


def test_connection_removed_on_one_side_modified_on_the_other() -> None:
    github = with_connections()
    ai_studio = with_connections(connection(protocol="gRPC"))
    result = merge(BASE, github, ai_studio, policy="ai_studio_wins")
    conflict = only(result)
    assert conflict.path == "/connections/auth/core/data_flow"
    assert conflict.deleted_on == "github" and conflict.field == "data_flow"
    assert settled(result)["connections"] == [connection(protocol="gRPC")]


def test_connection_removed_on_one_side() -> None:
    result = merge(BASE, with_connections(), copy.deepcopy(BASE))
    assert settled(result)["connections"] == []


def test_metadata_merges_per_key() -> None:
    github = copy.deepcopy(BASE)
    github["metadata"]["owner"] = "platform"
    ai_studio = copy.deepcopy(BASE)
    ai_studio["metadata"]["name"] = "Bakhmach Hub"
    merged = settled(merge(BASE, github, ai_studio))
    assert merged["metadata"] == {"name": "Bakhmach Hub", "owner": "platform"}


def test_metadata_conflict_path() -> None:
    github, ai_studio = copy.deepcopy(BASE), copy.deepcopy(BASE)
    github["metadata"]["name"] = "G"
    ai_studio["metadata"]["name"] = "A"
    conflict = only(merge(BASE, github, ai_studio))
    assert (conflict.path, conflict.component_id, conflict.field) == (
        "/metadata/name",
        None,
        "name",
    )


def test_unknown_top_level_keys_merge_three_way() -> None:
    base = doc(layout={"zoom": 1}, theme="dark")
    github = doc(layout={"zoom": 2}, theme="dark", notes="hi")
    ai_studio = doc(layout={"zoom": 1}, theme="light")
    merged = settled(merge(base, github, ai_studio))
    assert (merged["layout"], merged["theme"], merged["notes"]) == ({"zoom": 2}, "light", "hi")


def test_top_level_conflict_path() -> None:
    conflict = only(merge(doc(), doc(version="2"), doc(version="3")))
    assert (conflict.path, conflict.component_id, conflict.field) == ("/version", None, "version")


def test_path_parts_are_escaped() -> None:
    base = doc(comp("api/v1~x", **{"a/b": 1}))
    github = edited(base, "api/v1~x", **{"a/b": 2})
    ai_studio = edited(base, "api/v1~x", **{"a/b": 3})
    conflict = only(merge(base, github, ai_studio))
    assert conflict.path == "/components/api~1v1~0x/a~1b"
    assert (conflict.component_id, conflict.field) == ("api/v1~x", "a/b")


# --- first sync -----------------------------------------------------------------------------


def test_first_sync_is_a_union() -> None:
    github = doc(comp("auth", layer="security", technologies=["Go"]), comp("core"))
    ai_studio = doc(comp("auth", status="active", technologies=["Rust"]), comp("web"))
    result = merge(None, github, ai_studio)
    assert result.conflicts == []
    merged = components(settled(result))
    assert sorted(merged) == ["auth", "core", "web"]
    assert merged["auth"] == comp(
        "auth", layer="security", status="active", technologies=["Go", "Rust"]
    )
    assert result.counts == {"added": 3, "changed": 0, "removed": 0, "conflicts": 0}


def test_first_sync_with_differing_fields_conflicts_per_field() -> None:
    github = doc(comp("auth", version="1.0.0", layer="a"))
    ai_studio = doc(comp("auth", version="2.0.0", layer="b"))
    result = merge(None, github, ai_studio, policy="github_wins")
    assert [c.path for c in result.conflicts] == [
        "/components/auth/version",
        "/components/auth/layer",
    ]
    assert all(c.base is None for c in result.conflicts)
    assert components(settled(result))["auth"]["version"] == "1.0.0"


def test_first_sync_manual_conflict_is_detected_again() -> None:
    github = doc(comp("auth", version="1.0.0"))
    ai_studio = doc(comp("auth", version="2.0.0"))
    first = merge(None, github, ai_studio)
    again = merge(first.base_document, first.github_document, first.ai_studio_document)
    assert [c.path for c in again.conflicts] == ["/components/auth/version"]


# --- operator resolutions -------------------------------------------------------------------


def test_operator_resolution_applies_to_both_sides() -> None:
    first = merge(BASE, *both_renamed())
    resolutions = {first.conflicts[0].path: "Identity & Security"}
    result = merge(
        first.base_document,
        first.github_document,
        first.ai_studio_document,
        resolutions=resolutions,
    )
    conflict = only(result)
    assert conflict.resolution == "operator" and conflict.resolved
    assert conflict.resolved_value == "Identity & Security"
    assert components(settled(result))["auth"]["name"] == "Identity & Security"
    assert components(result.base_document)["auth"]["name"] == "Identity & Security"
    assert result.unused_resolutions == []
    assert result.github_changed and result.ai_studio_changed


def test_operator_resolution_overrides_an_automatic_policy() -> None:
    result = merge(
        BASE, *both_renamed(), policy="github_wins", resolutions={"/components/auth/name": "X"}
    )
    assert only(result).resolution == "operator"
    assert components(settled(result))["auth"]["name"] == "X"


def test_operator_can_resolve_by_deleting() -> None:
    result = merge(BASE, *delete_vs_modify(), resolutions={"/components/core": DELETED})
    assert "core" not in components(settled(result))
    assert only(result).resolved_value is None


def test_operator_component_value_keeps_the_id_of_its_path() -> None:
    chosen = {"name": "Core", "version": "5.0.0"}
    result = merge(BASE, *delete_vs_modify(), resolutions={"/components/core": chosen})
    assert components(settled(result))["core"] == {"id": "core", "name": "Core", "version": "5.0.0"}


def test_stale_resolution_is_not_applied_and_is_reported() -> None:
    github = edited(BASE, "auth", name="Identity")
    result = merge(BASE, github, copy.deepcopy(BASE), resolutions={"/components/auth/name": "X"})
    assert components(settled(result))["auth"]["name"] == "Identity"
    assert result.unused_resolutions == ["/components/auth/name"]


# --- output shape ---------------------------------------------------------------------------


def test_inputs_are_not_mutated() -> None:
    github, ai_studio = both_renamed()
    github["components"].append(comp("zeta"))
    snapshots = [copy.deepcopy(x) for x in (BASE, github, ai_studio)]
    merge(BASE, github, ai_studio, policy="manual")
    assert [BASE, github, ai_studio] == snapshots


def test_output_is_deterministic_whatever_the_input_order() -> None:
    github, ai_studio = both_renamed()
    reordered = copy.deepcopy(github)
    reordered["components"].reverse()
    reordered["connections"].reverse()
    one = merge(BASE, github, ai_studio, policy="ai_studio_wins")
    two = merge(BASE, reordered, ai_studio, policy="ai_studio_wins")
    assert canonical_json(one.github_document) == canonical_json(two.github_document)
    assert [c["id"] for c in one.github_document["components"]] == ["auth", "core"]
    assert one.conflicts == two.conflicts


def test_order_and_formatting_alone_do_not_need_a_write() -> None:
    github = copy.deepcopy(BASE)
    github["components"].reverse()
    result = merge(BASE, github, copy.deepcopy(BASE))
    assert not result.github_changed and not result.ai_studio_changed


def test_duplicate_components_on_a_side_mean_that_side_needs_a_write() -> None:
    github = copy.deepcopy(BASE)
    github["components"].append(copy.deepcopy(github["components"][0]))
    result = merge(BASE, github, copy.deepcopy(BASE))
    assert result.github_changed and not result.ai_studio_changed
    assert len(result.github_document["components"]) == 2


def test_conflict_to_dict() -> None:
    record = only(merge(BASE, *both_renamed())).to_dict()
    assert set(record) == {
        "path",
        "component_id",
        "field",
        "base",
        "github",
        "ai_studio",
        "deleted_on",
        "resolution",
        "resolved_value",
        "note",
    }


def test_counts_changed_is_relative_to_base() -> None:
    github = edited(BASE, "auth", layer="x")
    github["components"].append(comp("new"))
    github["components"] = [c for c in github["components"] if c["id"] != "core"]
    result = merge(BASE, github, copy.deepcopy(BASE))
    assert result.counts == {"added": 1, "changed": 1, "removed": 1, "conflicts": 0}


def test_ten_thousand_components_merge_without_quadratic_blowup() -> None:
    base = doc(*(comp(f"svc-{i:05d}", technologies=["Go"]) for i in range(10_000)))
    github, ai_studio = copy.deepcopy(base), copy.deepcopy(base)
    for index in range(0, 10_000, 20):
        github["components"][index]["version"] = "2.0.0"
        ai_studio["components"][index + 1]["technologies"] = ["Go", "Rust"]
    started = time.perf_counter()
    result = merge(base, github, ai_studio, policy="ai_studio_wins")
    assert time.perf_counter() - started < 2.0  # generous: catches O(n²), not a benchmark
    assert result.counts["changed"] == 1_000


# --- property: no edit is lost --------------------------------------------------------------

IDS = ["a", "b", "c/d", "e~f"]
FIELDS = ["name", "version", "status", "extra"]
ITEMS = ["t1", "t2", "t3", "t4"]
TYPES = ["data_flow", "control"]
VALUES = st.sampled_from(["x", "y", "z", 1, True, 1.0, None, ["x"], {"k": 1}])
MISSING: Any = object()


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    items = []
    for component_id in draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1)):
        item: dict[str, Any] = {"id": component_id}
        for name in draw(st.lists(st.sampled_from(FIELDS), unique=True)):
            item[name] = draw(VALUES)
        for name in ("technologies", "dependencies"):
            if draw(st.integers(0, 3)):
                item[name] = draw(st.lists(st.sampled_from(ITEMS), unique=True, min_size=1))
        items.append(item)
    ends = st.tuples(st.sampled_from(IDS), st.sampled_from(IDS), st.sampled_from(TYPES))
    links = []
    for source, target, kind in draw(st.lists(ends, unique=True, max_size=4)):
        link = {"from": source, "to": target, "type": kind}
        if draw(st.booleans()):
            link["protocol"] = draw(VALUES)
        links.append(link)
    metadata = draw(st.dictionaries(st.sampled_from(["name", "owner"]), VALUES))
    document = {"version": "1", "metadata": metadata, "components": items, "connections": links}
    if draw(st.booleans()):
        document["layout"] = draw(VALUES)
    return document


def edit_fields(draw: st.DrawFn, target: dict[str, Any], names: list[str], sets: bool) -> None:
    for name in names:
        action = draw(st.sampled_from(["keep", "keep", "set", "delete"]))
        if action == "set":
            target[name] = draw(VALUES)
        elif action == "delete":
            target.pop(name, None)
    if not sets:
        return
    for name in ("technologies", "dependencies"):
        action = draw(st.sampled_from(["keep", "add", "remove", "remove", "delete"]))
        current = target.get(name)
        if action == "add":
            extra = draw(st.sampled_from(ITEMS))
            target[name] = [*(current or []), *([] if extra in (current or []) else [extra])]
        elif action == "remove" and current:
            removed = draw(st.sampled_from(current))
            target[name] = [item for item in current if item != removed]
        elif action == "delete":
            target.pop(name, None)


@st.composite
def edits_of(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A side's independent edits: per component/connection keep, edit or delete; adds."""
    result = copy.deepcopy(base)
    kept = []
    for item in result["components"]:
        action = draw(st.sampled_from(["keep", "edit", "edit", "delete"]))
        if action == "delete":
            continue
        if action == "edit":
            edit_fields(draw, item, FIELDS, sets=True)
        kept.append(item)
    present = {item["id"] for item in kept} | {c["id"] for c in base["components"]}
    for component_id in IDS:
        if component_id not in present and draw(st.booleans()):
            added = {"id": component_id}
            edit_fields(draw, added, FIELDS, sets=True)
            kept.append(added)
    result["components"] = kept
    links = []
    for link in result["connections"]:
        action = draw(st.sampled_from(["keep", "edit", "delete"]))
        if action == "delete":
            continue
        if action == "edit":
            edit_fields(draw, link, ["protocol", "latency"], sets=False)
        links.append(link)
    if draw(st.booleans()):
        source, target = draw(st.sampled_from(IDS)), draw(st.sampled_from(IDS))
        key = (source, target, draw(st.sampled_from(TYPES)))
        if key not in {(c["from"], c["to"], c["type"]) for c in links + base["connections"]}:
            links.append({"from": key[0], "to": key[1], "type": key[2], "protocol": draw(VALUES)})
    result["connections"] = links
    edit_fields(draw, result["metadata"], ["name", "owner"], sets=False)
    edit_fields(draw, result, ["layout"], sets=False)
    return result


def changed(before: Any, after: Any) -> bool:
    return not same(before, after)


def check_fields(
    prefix: str,
    b: dict[str, Any],
    g: dict[str, Any],
    a: dict[str, Any],
    merged: dict[str, Any],
    conflicts: dict[str, Conflict],
    winner: str,
    set_fields: tuple[str, ...] = (),
) -> None:
    """The rules as stated, checked field by field against the merged document."""
    for name in {*b, *g, *a}:
        bv, gv, av = b.get(name, MISSING), g.get(name, MISSING), a.get(name, MISSING)
        out = merged.get(name, MISSING)
        github_edit, ai_studio_edit = changed(bv, gv), changed(bv, av)
        path = f"{prefix}/{name.replace('~', '~0').replace('/', '~1')}"
        if github_edit and not ai_studio_edit:
            assert same(out, gv), (path, "github's edit lost")
        elif ai_studio_edit and not github_edit:
            assert same(out, av), (path, "ai_studio's edit lost")
        elif not github_edit or same(gv, av):
            assert same(out, gv), (path, "agreed value lost")
        elif name in set_fields and isinstance(gv, list) and isinstance(av, list):
            before = set(bv) if isinstance(bv, list) else set()
            for side in (gv, av):
                assert set(side) - before <= set(out), (path, "an addition was lost")
                assert not (before - set(side)) & set(out), (path, "a removal was lost")
        else:
            conflict = conflicts[path]
            public = [None if v is MISSING else v for v in (bv, gv, av)]
            assert same([conflict.base, conflict.github, conflict.ai_studio], public)
            assert same(out, gv if winner == "github" else av)


def check_keyed(
    section: str,
    key_of: Any,
    path_of: Any,
    base: dict[str, Any],
    github: dict[str, Any],
    ai_studio: dict[str, Any],
    merged: dict[str, Any],
    conflicts: dict[str, Conflict],
    winner: str,
    set_fields: tuple[str, ...],
) -> None:
    b, g, a, m = ({key_of(x): x for x in d[section]} for d in (base, github, ai_studio, merged))
    for key in {*b, *g, *a}:
        bv, gv, av = b.get(key), g.get(key), a.get(key)
        out = m.get(key)
        if bv is not None and (gv is None or av is None):
            survivor = av if gv is None else gv
            if survivor is None or same(survivor, bv):
                assert out is None, (key, "deletion lost")
            else:
                conflict = conflicts[path_of(key)]
                assert conflict.deleted_on == ("github" if gv is None else "ai_studio")
                assert same([conflict.github, conflict.ai_studio], [gv, av])
                assert same(out, gv if winner == "github" else av)
        elif gv is None or av is None:
            assert same(out, gv if av is None else av), (key, "addition lost")
        else:
            assert out is not None
            check_fields(path_of(key), bv or {}, gv, av, out, conflicts, winner, set_fields)


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any] | None, dict[str, Any], dict[str, Any]]:
    base = draw(documents())
    github, ai_studio = draw(edits_of(base)), draw(edits_of(base))
    return (None if draw(st.integers(0, 9)) == 0 else base), github, ai_studio


PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(scenarios(), st.sampled_from(["ai_studio_wins", "github_wins"]))
def test_no_edit_is_lost(scenario: Any, policy: str) -> None:
    base, github, ai_studio = scenario
    result = merge(base, github, ai_studio, policy=policy)  # type: ignore[arg-type]
    merged = settled(result)
    assert result.unresolved == []
    winner = "github" if policy == "github_wins" else "ai_studio"
    conflicts = {conflict.path: conflict for conflict in result.conflicts}
    base_or_empty = base or {"metadata": {}, "components": [], "connections": []}

    top = [
        {k: v for k, v in d.items() if k not in ("components", "connections", "metadata")}
        for d in (base_or_empty, github, ai_studio, merged)
    ]
    check_fields("", *top, conflicts, winner)
    check_fields(
        "/metadata",
        *(d["metadata"] for d in (base_or_empty, github, ai_studio, merged)),
        conflicts,
        winner,
    )
    check_keyed(
        "components",
        lambda c: c["id"],
        lambda key: f"/components/{escape(key)}",
        base_or_empty,
        github,
        ai_studio,
        merged,
        conflicts,
        winner,
        ("technologies", "dependencies"),
    )
    check_keyed(
        "connections",
        lambda c: (c["from"], c["to"], c["type"]),
        lambda key: "/connections/" + "/".join(map(escape, key)),
        base_or_empty,
        github,
        ai_studio,
        merged,
        conflicts,
        winner,
        (),
    )
    assert canonical_json(result.base_document) == canonical_json(merged)
    # Settled: syncing the outcome again has nothing left to do.
    again = merge(result.base_document, result.github_document, result.ai_studio_document)
    assert again.conflicts == [] and not again.github_changed and not again.ai_studio_changed


@PROPERTY_SETTINGS
@given(scenarios())
def test_sides_are_symmetric(scenario: Any) -> None:
    base, github, ai_studio = scenario
    forward = merge(base, github, ai_studio, policy="github_wins")
    backward = merge(base, ai_studio, github, policy="ai_studio_wins")
    assert canonical_json(forward.github_document) == canonical_json(backward.github_document)
    assert [c.path for c in forward.conflicts] == [c.path for c in backward.conflicts]


@PROPERTY_SETTINGS
@given(scenarios())
def test_manual_conflicts_survive_until_resolved(scenario: Any) -> None:
    base, github, ai_studio = scenario
    first = merge(base, github, ai_studio, policy="manual")
    again = merge(first.base_document, first.github_document, first.ai_studio_document)
    assert [c.path for c in again.conflicts] == [c.path for c in first.conflicts]
    for before, after in zip(first.conflicts, again.conflicts, strict=True):
        assert same([before.github, before.ai_studio], [after.github, after.ai_studio])
    # Each side still holds its own value at every open conflict ...
    assert not again.github_changed and not again.ai_studio_changed
    # ... and resolving all of them settles the documents for good.
    choices = {c.path: (DELETED if c.deleted_on == "github" else c.github) for c in first.conflicts}
    resolved = merge(
        first.base_document, first.github_document, first.ai_studio_document, resolutions=choices
    )
    assert resolved.unresolved == [] and resolved.unused_resolutions == []
    settled(resolved)


def test_policies_constant_lists_every_policy() -> None:
    assert set(POLICIES) == {"manual", "ai_studio_wins", "github_wins", "newest_wins"}
