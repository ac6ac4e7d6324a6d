"""The tolerant reader and the canonical writer of the architecture document."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.sync.document import (
    DocumentError,
    canonical_json,
    derive_id,
    escape_pointer_part,
    parse_document,
    pointer,
)

ISSUE_EXAMPLE = """{"version": "1", "metadata": {"name": "Bakhmach"},
 "components": [{"id": "auth", "name": "Identity & Security", "version": "2.0.0",
   "status": "active", "layer": "security", "technologies": ["FastAPI", "OAuth2"],
   "dependencies": ["core"], "github_path": "services/auth/", "metadata": {}},
   {"id": "core", "name": "Core", "version": "1.0.0"}],
 "connections": [{"from": "auth", "to": "core", "type": "data_flow", "protocol": "REST"}]}"""


def parse(value: Any) -> dict[str, Any]:
    return parse_document(json.dumps(value), source="test").data


def error_for(text: str | bytes) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse_document(text, source="github:arch.json")
    return caught.value


# --- reading ------------------------------------------------------------------------------


def test_issue_example_reads_unchanged() -> None:
    parsed = parse_document(ISSUE_EXAMPLE, source="github")
    assert parsed.ids_derived is False
    assert parsed.data == json.loads(ISSUE_EXAMPLE)


def test_bytes_and_byte_order_mark_are_accepted() -> None:
    parsed = parse_document(b"\xef\xbb\xbf" + ISSUE_EXAMPLE.encode(), source="drive")
    assert [c["id"] for c in parsed.data["components"]] == ["auth", "core"]
    assert parse_document("\ufeff{}", source="drive").data["components"] == []


def test_missing_sections_get_defaults() -> None:
    assert parse({}) == {"version": "1", "metadata": {}, "components": [], "connections": []}
    nulls = parse({"version": None, "metadata": None, "components": None, "connections": None})
    assert nulls == {"version": "1", "metadata": {}, "components": [], "connections": []}


def test_existing_document_version_is_kept() -> None:
    assert parse({"version": "2"})["version"] == "2"


@pytest.mark.parametrize("alias", ["component_id", "service_id"])
def test_id_aliases_become_id(alias: str) -> None:
    data = parse({"components": [{alias: "auth", "name": "Auth"}]})
    assert data["components"] == [{"id": "auth", "name": "Auth"}]


def test_id_wins_over_aliases_and_a_differing_alias_is_kept() -> None:
    data = parse({"components": [{"id": "a", "component_id": "b", "name": "A"}]})
    assert data["components"] == [{"id": "a", "component_id": "b", "name": "A"}]


def test_component_id_wins_over_service_id_and_blank_id_is_replaced() -> None:
    data = parse({"components": [{"id": "", "service_id": "s", "component_id": "c"}]})
    assert data["components"] == [{"id": "c", "service_id": "s"}]


def test_unknown_fields_are_kept_everywhere() -> None:
    value = {
        "layout": {"zoom": 2},
        "components": [{"id": "a", "name": "A", "x": 10, "notes": ["n"]}],
        "connections": [{"from": "a", "to": "a", "type": "t", "weight": 0.5}],
    }
    data = parse(value)
    assert data["layout"] == {"zoom": 2}
    assert data["components"][0]["x"] == 10
    assert data["components"][0]["notes"] == ["n"]
    assert data["connections"][0]["weight"] == 0.5


def test_order_as_written_is_kept_for_pointers() -> None:
    data = parse({"components": [{"id": "z"}, {"id": "a"}]})
    assert [c["id"] for c in data["components"]] == ["z", "a"]


# --- derived ids ----------------------------------------------------------------------------


def test_missing_ids_are_derived_from_names() -> None:
    parsed = parse_document(
        json.dumps({"components": [{"name": "Identity & Security"}, {"id": "core"}]}),
        source="drive",
    )
    assert parsed.ids_derived is True
    assert [c["id"] for c in parsed.data["components"]] == ["identity-security", "core"]


def test_derived_ids_are_deterministic() -> None:
    text = json.dumps({"components": [{"name": "Billing API"}, {"name": "Billing  api!"}]})
    first = parse_document(text, source="a").data
    second = parse_document(text, source="b").data
    assert first == second
    assert [c["id"] for c in first["components"]] == ["billing-api", "billing-api-2"]


def test_derived_ids_never_reuse_an_explicit_id() -> None:
    data = parse({"components": [{"name": "Core"}, {"id": "core"}, {"id": "core-2"}]})
    assert [c["id"] for c in data["components"]] == ["core-3", "core", "core-2"]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Identity & Security", "identity-security"),
        ("  Café  Crème ", "cafe-creme"),
        ("Бахмач Хаб", "бахмач-хаб"),
        ("API v2.0", "api-v2-0"),
        ("!!!", "component"),
    ],
)
def test_derive_id(name: str, slug: str) -> None:
    assert derive_id(name) == slug


def test_references_by_name_follow_derived_ids() -> None:
    data = parse(
        {
            "components": [
                {"name": "Core Platform"},
                {"name": "Auth", "dependencies": ["Core Platform", "elsewhere"]},
            ],
            "connections": [{"from": "Auth", "to": "Core Platform", "type": "data_flow"}],
        }
    )
    assert data["components"][1]["dependencies"] == ["core-platform", "elsewhere"]
    assert data["connections"][0]["from"] == "auth"
    assert data["connections"][0]["to"] == "core-platform"


def test_ambiguous_names_are_not_rewritten() -> None:
    data = parse(
        {"components": [{"name": "Twin"}, {"name": "Twin"}, {"id": "x", "dependencies": ["Twin"]}]}
    )
    assert data["components"][2]["dependencies"] == ["Twin"]


def test_component_without_id_or_name_is_left_for_validation() -> None:
    parsed = parse_document(json.dumps({"components": [{"version": "1.0.0"}]}), source="s")
    assert parsed.ids_derived is False
    assert parsed.data["components"] == [{"version": "1.0.0"}]


# --- errors ---------------------------------------------------------------------------------


def test_invalid_json_names_source_line_and_column() -> None:
    error = error_for('{\n  "components": [\n    {"id": "a",}\n  ]\n}')
    assert (error.line, error.column) == (3, 16)
    assert "github:arch.json" in str(error)
    assert "line 3" in str(error) and "column 16" in str(error)


def test_empty_input_is_invalid_json() -> None:
    error = error_for("")
    assert (error.line, error.column) == (1, 1)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_rejected_with_position(token: str) -> None:
    error = error_for('{"note": "NaN here is text",\n "metadata": {"x": ' + token + "}}")
    assert (error.line, error.column) == (2, 20)
    assert token in str(error)


def test_invalid_utf8_names_line_and_column() -> None:
    error = error_for(b'{\n"a": "\xff"}')
    assert (error.line, error.column) == (2, 7)
    assert "github:arch.json" in str(error)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ([], ""),
        ("text", ""),
        ({"components": {}}, "/components"),
        ({"connections": "a->b"}, "/connections"),
        ({"components": [{"id": "a"}, ["b"]]}, "/components/1"),
        ({"connections": [None]}, "/connections/0"),
        ({"metadata": []}, "/metadata"),
    ],
)
def test_wrong_structure_raises_with_pointer(value: Any, where: str) -> None:
    error = error_for(json.dumps(value))
    assert error.pointer == where
    assert "github:arch.json" in str(error)


# --- pointers -------------------------------------------------------------------------------


def test_pointer_escapes_per_rfc_6901() -> None:
    assert escape_pointer_part("a/b~c") == "a~1b~0c"
    assert escape_pointer_part("~1") == "~01"
    assert pointer("components", 3, "version") == "/components/3/version"
    assert pointer() == ""


# --- writing --------------------------------------------------------------------------------


def test_canonical_format() -> None:
    text = canonical_json({"b": 1, "a": {"y": [], "x": {}}})
    assert text == '{\n  "a": {\n    "x": {},\n    "y": []\n  },\n  "b": 1\n}\n'


def test_components_sorted_by_id_and_connections_by_key() -> None:
    data = {
        "components": [{"id": "b"}, {"id": "a"}, {"id": "C"}],
        "connections": [
            {"from": "b", "to": "a", "type": "x"},
            {"from": "a", "to": "b", "type": "z"},
            {"from": "a", "to": "b", "type": "y"},
        ],
    }
    written = json.loads(canonical_json(data))
    assert [c["id"] for c in written["components"]] == ["C", "a", "b"]
    assert [(c["from"], c["to"], c["type"]) for c in written["connections"]] == [
        ("a", "b", "y"),
        ("a", "b", "z"),
        ("b", "a", "x"),
    ]


def test_other_lists_keep_their_order() -> None:
    data = {"components": [{"id": "a", "technologies": ["Zig", "Ada"]}], "tags": [3, 1]}
    written = json.loads(canonical_json(data))
    assert written["components"][0]["technologies"] == ["Zig", "Ada"]
    assert written["tags"] == [3, 1]


def test_non_ascii_is_written_as_is() -> None:
    assert '"Бахмач"' in canonical_json({"metadata": {"name": "Бахмач"}})


def test_invalid_keys_still_sort_deterministically() -> None:
    data = {
        "components": [{"id": 2}, {"name": "no id"}, {"id": "a"}],
        "connections": [{"from": "a"}, {"from": "a", "to": "b", "type": "t"}],
    }
    written = json.loads(canonical_json(data))
    assert written["components"] == [{"id": "a"}, {"id": 2}, {"name": "no id"}]
    assert written["connections"] == [{"from": "a", "to": "b", "type": "t"}, {"from": "a"}]


def test_canonical_json_does_not_mutate_its_input() -> None:
    data = json.loads(ISSUE_EXAMPLE)
    data["components"].reverse()
    before = copy.deepcopy(data)
    canonical_json(data)
    assert data == before


def test_non_finite_numbers_are_not_written() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_round_trip_is_stable() -> None:
    once = canonical_json(parse_document(ISSUE_EXAMPLE, source="a").data)
    twice = canonical_json(parse_document(once, source="b").data)
    assert once == twice


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_writer_matches_json_dumps_byte_for_byte(value: dict[str, Any]) -> None:
    value.pop("components", None)
    value.pop("connections", None)
    expected = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert canonical_json(value) == expected
