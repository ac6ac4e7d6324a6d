"""Validation of a normalized document before anything is written to either side.

Every violation is reported, not just the first, so an operator fixes a document in one go.
Pointers are RFC 6901 pointers into the document as written (components and connections
in their original order; an id read from `component_id`/`service_id` is reported at "id").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.sync.document import pointer

COMPONENT_ID_UNIQUE = "component_id_unique"
VERSION_FORMAT_VALID = "version_format_valid"
REQUIRED_FIELDS_PRESENT = "required_fields_present"
TECHNOLOGY_LIST_VALID = "technology_list_valid"
REFERENCE_EXISTS = "reference_exists"
STATUS_VALID = "status_valid"

STATUSES: frozenset[str] = frozenset({"active", "inactive", "deprecated", "planned"})

# The grammar from semver.org (2.0.0), with [0-9] so no non-ASCII digit sneaks in.
_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (JSON pointer), which rule, and the offending value."""

    pointer: str
    rule: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "rule": self.rule, "value": self.value}


def is_semver(value: Any) -> bool:
    """True for a Semantic Versioning 2.0.0 string, pre-release and build metadata included."""
    return isinstance(value, str) and _SEMVER.fullmatch(value) is not None


def validate(data: Mapping[str, Any]) -> list[Violation]:
    """Check a document in the normalized shape (see `parse_document`); [] means valid.

    Rules: component_id_unique, version_format_valid (component versions; the top-level
    "version" is the document format's own and is not checked), required_fields_present
    (id and name non-blank strings, version present), technology_list_valid (absent, or a
    list of distinct non-blank strings), reference_exists (every dependency and connection
    end is an existing component id; "dependencies" that is not a list is reported there
    too), status_valid (absent, or one of STATUSES).
    Violations come in document order: components first, then connections.
    """
    violations: list[Violation] = []
    components = data.get("components") or []
    connections = data.get("connections") or []
    existing_ids = {
        component["id"]
        for component in components
        if isinstance(component, Mapping) and isinstance(component.get("id"), str)
    }

    seen_ids: set[str] = set()
    for index, component in enumerate(components):
        if not isinstance(component, Mapping):
            violations.append(
                Violation(pointer("components", index), REQUIRED_FIELDS_PRESENT, component)
            )
            continue
        violations.extend(_check_component(index, component, seen_ids, existing_ids))

    for index, connection in enumerate(connections):
        if not isinstance(connection, Mapping):
            violations.append(
                Violation(pointer("connections", index), REFERENCE_EXISTS, connection)
            )
            continue
        for end in ("from", "to"):
            value = connection.get(end)
            if not isinstance(value, str) or value not in existing_ids:
                violations.append(
                    Violation(pointer("connections", index, end), REFERENCE_EXISTS, value)
                )
    return violations


def _check_component(
    index: int, component: Mapping[str, Any], seen_ids: set[str], existing_ids: set[str]
) -> list[Violation]:
    found: list[Violation] = []

    def at(*parts: object) -> str:
        return pointer("components", index, *parts)

    component_id = component.get("id")
    for field in ("id", "name"):
        value = component.get(field)
        if not isinstance(value, str) or not value.strip():
            found.append(Violation(at(field), REQUIRED_FIELDS_PRESENT, value))
    if isinstance(component_id, str) and component_id.strip():
        if component_id in seen_ids:
            found.append(Violation(at("id"), COMPONENT_ID_UNIQUE, component_id))
        seen_ids.add(component_id)

    if _is_blank(component.get("version")):
        found.append(Violation(at("version"), REQUIRED_FIELDS_PRESENT, component.get("version")))
    elif not is_semver(component["version"]):
        found.append(Violation(at("version"), VERSION_FORMAT_VALID, component["version"]))

    status = component.get("status")
    if "status" in component and not (isinstance(status, str) and status in STATUSES):
        found.append(Violation(at("status"), STATUS_VALID, status))

    if "technologies" in component:
        found.extend(_check_technologies(index, component["technologies"]))

    if "dependencies" in component:
        dependencies = component["dependencies"]
        if not isinstance(dependencies, list):
            found.append(Violation(at("dependencies"), REFERENCE_EXISTS, dependencies))
        else:
            for position, dependency in enumerate(dependencies):
                if not isinstance(dependency, str) or dependency not in existing_ids:
                    found.append(
                        Violation(at("dependencies", position), REFERENCE_EXISTS, dependency)
                    )
    return found


def _check_technologies(index: int, technologies: Any) -> list[Violation]:
    if not isinstance(technologies, list):
        where = pointer("components", index, "technologies")
        return [Violation(where, TECHNOLOGY_LIST_VALID, technologies)]
    found: list[Violation] = []
    seen: set[str] = set()
    for position, technology in enumerate(technologies):
        blank = not isinstance(technology, str) or not technology.strip()
        if blank or technology in seen:
            where = pointer("components", index, "technologies", position)
            found.append(Violation(where, TECHNOLOGY_LIST_VALID, technology))
        else:
            seen.add(technology)
    return found


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
