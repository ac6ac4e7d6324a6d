"""Validation rules: every violation, with pointer, rule and value."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from engine.sync.validate import Violation, is_semver, validate


def component(component_id: str = "a", **fields: Any) -> dict[str, Any]:
    return {"id": component_id, "name": component_id.upper(), "version": "1.0.0", **fields}


def document(*components: dict[str, Any], connections: Any = ()) -> dict[str, Any]:
    return {
        "version": "1",
        "metadata": {},
        "components": list(components),
        "connections": list(connections),
    }


def test_valid_document_has_no_violations() -> None:
    data = document(
        component("core", status="active", technologies=["Go"], dependencies=[]),
        component("auth", technologies=["FastAPI", "OAuth2"], dependencies=["core"]),
        connections=[{"from": "auth", "to": "core", "type": "data_flow"}],
    )
    assert validate(data) == []


def test_violation_is_frozen_and_serializable() -> None:
    violation = Violation("/components/0/version", "version_format_valid", "v1")
    assert violation.to_dict() == {
        "pointer": "/components/0/version",
        "rule": "version_format_valid",
        "value": "v1",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.rule = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "version",
    [
        "0.0.0",
        "1.2.3",
        "10.20.30",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-0.3.7",
        "1.0.0-x.7.z.92",
        "1.0.0-alpha+001",
        "1.0.0+20130313144700",
        "1.0.0-beta+exp.sha.5114f85",
        "1.0.0-x-y-z.--",
    ],
)
def test_semantic_versions_are_accepted(version: str) -> None:
    assert is_semver(version)
    assert validate(document(component(version=version))) == []


@pytest.mark.parametrize(
    "version",
    [
        "1",
        "1.2",
        "v1.2.3",
        "01.2.3",
        "1.2.3-01",
        "1.2.3-",
        "1.2.3+",
        "1.2.3-a_b",
        "1.2.3 ",
        "١.٢.٣",
    ],
)
def test_other_versions_violate_version_format_valid(version: str) -> None:
    assert validate(document(component(version=version))) == [
        Violation("/components/0/version", "version_format_valid", version)
    ]


def test_non_string_version_violates_version_format_valid() -> None:
    assert validate(document(component(version=1.0))) == [
        Violation("/components/0/version", "version_format_valid", 1.0)
    ]


@pytest.mark.parametrize("field", ["id", "name", "version"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_or_missing_required_fields(field: str, value: Any) -> None:
    missing = component()
    del missing[field]
    blank = component(**{field: value})
    for data, expected in ((missing, None), (blank, value)):
        violations = validate(document(data))
        assert Violation(f"/components/0/{field}", "required_fields_present", expected) in (
            violations
        )
        assert all(v.rule == "required_fields_present" for v in violations)


def test_non_string_name_is_not_present() -> None:
    assert validate(document(component(name=7))) == [
        Violation("/components/0/name", "required_fields_present", 7)
    ]


def test_duplicate_id_is_reported_at_each_later_occurrence() -> None:
    data = document(component("a"), component("b"), component("a"), component("a"))
    assert validate(data) == [
        Violation("/components/2/id", "component_id_unique", "a"),
        Violation("/components/3/id", "component_id_unique", "a"),
    ]


@pytest.mark.parametrize("status", ["active", "inactive", "deprecated", "planned"])
def test_valid_statuses(status: str) -> None:
    assert validate(document(component(status=status))) == []


@pytest.mark.parametrize("status", ["retired", "Active", "", None, ["active"]])
def test_invalid_status(status: Any) -> None:
    assert validate(document(component(status=status))) == [
        Violation("/components/0/status", "status_valid", status)
    ]


def test_absent_status_is_valid() -> None:
    assert "status" not in component()
    assert validate(document(component())) == []


def test_technologies_must_be_a_list() -> None:
    assert validate(document(component(technologies="Go"))) == [
        Violation("/components/0/technologies", "technology_list_valid", "Go")
    ]


def test_each_bad_technology_is_reported() -> None:
    data = document(component(technologies=["Go", "", " ", 3, "Go", "Rust", None]))
    assert validate(data) == [
        Violation("/components/0/technologies/1", "technology_list_valid", ""),
        Violation("/components/0/technologies/2", "technology_list_valid", " "),
        Violation("/components/0/technologies/3", "technology_list_valid", 3),
        Violation("/components/0/technologies/4", "technology_list_valid", "Go"),
        Violation("/components/0/technologies/6", "technology_list_valid", None),
    ]


def test_dependencies_must_name_existing_components() -> None:
    data = document(
        component("a", dependencies=["b", "ghost", 5]),
        component("b", dependencies="a"),
    )
    assert validate(data) == [
        Violation("/components/0/dependencies/1", "reference_exists", "ghost"),
        Violation("/components/0/dependencies/2", "reference_exists", 5),
        Violation("/components/1/dependencies", "reference_exists", "a"),
    ]


def test_a_dependency_declared_later_in_the_document_exists() -> None:
    data = document(component("a", dependencies=["z"]), component("z"))
    assert validate(data) == []


def test_connection_ends_must_name_existing_components() -> None:
    data = document(
        component("a"),
        connections=[
            {"from": "a", "to": "a", "type": "t"},
            {"from": "ghost", "to": "a", "type": "t"},
            {"to": "nobody", "type": "t"},
        ],
    )
    assert validate(data) == [
        Violation("/connections/1/from", "reference_exists", "ghost"),
        Violation("/connections/2/from", "reference_exists", None),
        Violation("/connections/2/to", "reference_exists", "nobody"),
    ]


def test_every_violation_is_reported_in_document_order() -> None:
    data = document(
        {"id": "a", "version": "one", "status": "gone", "technologies": ["X", "X"]},
        component("a", dependencies=["zz"]),
        connections=[{"from": "a", "to": "q", "type": "t"}],
    )
    assert [(v.pointer, v.rule) for v in validate(data)] == [
        ("/components/0/name", "required_fields_present"),
        ("/components/0/version", "version_format_valid"),
        ("/components/0/status", "status_valid"),
        ("/components/0/technologies/1", "technology_list_valid"),
        ("/components/1/id", "component_id_unique"),
        ("/components/1/dependencies/0", "reference_exists"),
        ("/connections/0/to", "reference_exists"),
    ]


def test_component_that_is_not_an_object() -> None:
    assert validate({"components": ["a"], "connections": []}) == [
        Violation("/components/0", "required_fields_present", "a")
    ]
