"""Three-way merge of architecture documents: no edit on either side is ever lost.

Granularity is a field of a component (keyed by id), of a connection (keyed by
(from, to, type)), of the top-level "metadata" object, or a top-level key. Per field:

* changed on one side only → that side's value; same change on both sides → that value;
* `technologies` and `dependencies` changed on both sides → merged as sets: each side's
  additions and removals since base are applied; order is base order, then additions sorted;
* changed differently on both sides, or a component/connection deleted on one side and
  modified on the other → a `Conflict`, settled by the policy or left open under "manual".

A first sync (no base) is a merge against an empty base: the union of both sides, where a
field present on one side only is taken and a field present on both with different values
is a conflict (set fields are united instead).

Inputs are documents in `parse_document`'s normalized shape that passed `validate`; they are
never mutated. Outputs share unchanged sub-objects with the inputs and with each other, which
keeps a 10,000-component merge cheap: treat every document involved as read-only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from engine.sync.document import escape_pointer_part, json_sort_key, pointer

Policy = Literal["manual", "ai_studio_wins", "github_wins", "newest_wins"]
Side = Literal["github", "ai_studio"]
Resolution = Literal["github", "ai_studio", "operator"]

POLICIES: tuple[str, ...] = get_args(Policy)
SET_FIELDS: frozenset[str] = frozenset({"technologies", "dependencies"})
"""Component fields merged as sets rather than as whole values."""

_LIST_SECTIONS = ("components", "connections")
_HEADER_SPECIAL = frozenset({*_LIST_SECTIONS, "metadata"})
_CONNECTION_KEY = ("from", "to", "type")


class _Sentinel:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


MISSING: Any = _Sentinel("MISSING")
"""Marks an absent field/component inside the merge (distinct from a JSON null)."""

DELETED: Any = _Sentinel("DELETED")
"""Operator resolution value meaning "remove this field/component/connection"."""

# One merge outcome: the value for the GitHub document, the AI Studio document and the
# next base, in that order (MISSING = absent). The three differ only for a conflict left
# open under "manual".
_Outcome = tuple[Any, Any, Any]


@dataclass(frozen=True)
class Conflict:
    """One conflict, recorded whether or not it was settled, so no losing value is lost.

    Values are None where absent; `deleted_on` names the side that deleted the
    field/component/connection the other side modified. When `resolution` equals
    `deleted_on` the outcome is the deletion (and `resolved_value` is None).
    `resolution` is None for a conflict left open under the manual policy.
    """

    path: str
    component_id: str | None
    field: str
    base: Any
    github: Any
    ai_studio: Any
    deleted_on: Side | None
    resolution: Resolution | None
    resolved_value: Any
    note: str | None = None

    @property
    def resolved(self) -> bool:
        return self.resolution is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MergeResult:
    """The merged documents and what happened.

    `github_document`/`ai_studio_document` are what each side should hold (identical in
    content unless a conflict is open); write a side only when its `*_changed` flag is set
    (content differs from its input, ignoring component/connection order).
    `base_document` is the next base: the merged content, except that an open conflict
    keeps its base value there so the next sync detects it again.

    `counts` are about components, relative to base (empty on a first sync):
    added = not in base, present after the merge; removed = in base, absent from both
    output documents; changed = in base, present after the merge and different from base
    in at least one output document; conflicts = number of Conflict records, settled or not.
    """

    github_document: dict[str, Any]
    ai_studio_document: dict[str, Any]
    base_document: dict[str, Any]
    conflicts: list[Conflict]
    counts: dict[str, int]
    github_changed: bool
    ai_studio_changed: bool
    unused_resolutions: list[str] = field(default_factory=list)
    """Resolution paths with no conflict to settle (e.g. a side already changed since)."""

    @property
    def unresolved(self) -> list[Conflict]:
        return [conflict for conflict in self.conflicts if not conflict.resolved]


def merge(
    base: Mapping[str, Any] | None,
    github: Mapping[str, Any],
    ai_studio: Mapping[str, Any],
    *,
    policy: Policy = "manual",
    github_modified_at: datetime | None = None,
    ai_studio_modified_at: datetime | None = None,
    resolutions: Mapping[str, Any] | None = None,
) -> MergeResult:
    """Merge both sides against the last synced base (None for a first sync).

    `resolutions` maps a conflict path to the operator's chosen value (DELETED to remove);
    it settles the conflict detected at that path for both sides, whatever the policy. A
    resolution whose path has no conflict any more is not applied (a later edit wins over
    a stale choice) and is listed in `unused_resolutions`.
    `newest_wins` compares the two modification times (naive ones are taken as UTC); if
    either is missing or they are equal it falls back to ai_studio_wins and says so in
    each conflict's note.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown merge policy {policy!r}; expected one of {POLICIES}")
    winner, note = _policy_winner(policy, github_modified_at, ai_studio_modified_at)
    merger = _Merger(winner, note, resolutions or {})
    return merger.run(base or {}, github, ai_studio)


def same(left: Any, right: Any) -> bool:
    """JSON equality: unlike ==, true ≠ 1 and 1 ≠ 1.0, so no such edit goes unnoticed."""
    return left is right or (left == right and _same_types(left, right))


def _same_types(left: Any, right: Any) -> bool:
    """Given left == right, whether every value also has the same JSON type.

    == runs in C and settles the common case; this walk only rules out bool/int/float
    look-alikes. Written flat (no generators) because merges compare thousands of components.
    """
    kind = type(left)
    if kind is not type(right):
        return False
    if kind is dict:
        for key, value in left.items():
            other = right[key]
            if value is other:
                continue
            value_kind = type(value)
            if value_kind is not type(other):
                return False
            if (value_kind is dict or value_kind is list) and not _same_types(value, other):
                return False
        return True
    if kind is list:
        kinds = list(map(type, left))
        if kinds != list(map(type, right)):
            return False
        if dict in kinds or list in kinds:
            for value, other in zip(left, right, strict=True):
                if type(value) in (dict, list) and not _same_types(value, other):
                    return False
    return True


def _policy_winner(
    policy: str, github_at: datetime | None, ai_studio_at: datetime | None
) -> tuple[Side | None, str | None]:
    """The side that wins every conflict (None under manual) and a note for the record."""
    if policy == "manual":
        return None, None
    if policy == "github_wins":
        return "github", None
    if policy == "ai_studio_wins":
        return "ai_studio", None
    if github_at is None or ai_studio_at is None:
        return "ai_studio", (
            "newest_wins: a modification time is missing; fell back to ai_studio_wins"
        )
    github_utc, ai_studio_utc = _as_utc(github_at), _as_utc(ai_studio_at)
    if github_utc == ai_studio_utc:
        return "ai_studio", (
            "newest_wins: modification times are equal; fell back to ai_studio_wins"
        )
    winner: Side = "github" if github_utc > ai_studio_utc else "ai_studio"
    return winner, (
        f"newest_wins: github modified {github_utc.isoformat()}, "
        f"ai_studio modified {ai_studio_utc.isoformat()}"
    )


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _component_key(component: Mapping[str, Any]) -> Any:
    component_id = component.get("id")
    if component_id is None:
        raise ValueError("merge needs validated documents: a component has no id")
    return component_id


def _connection_key(connection: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    source, target, kind = connection.get("from"), connection.get("to"), connection.get("type")
    if type(source) is str and type(target) is str and (kind is None or type(kind) is str):
        return source, target, kind
    # Not valid, but still keyed deterministically (and hashably).
    return _key_part(source), _key_part(target), _key_part(kind)


def _key_part(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    return json.dumps(value, sort_keys=True)


def _sorted_ids(ids: Iterable[Any]) -> list[Any]:
    """Component ids in canonical_json's order, cheaply when all are strings (valid)."""
    ids = list(ids)
    if all(type(component_id) is str for component_id in ids):
        return sorted(ids)
    return sorted(ids, key=json_sort_key)


def _sorted_connection_keys(keys: Iterable[tuple[Any, Any, Any]]) -> list[tuple[Any, Any, Any]]:
    """Connection keys in canonical_json's order for valid documents (parts str or None).

    Plain tuple comparison agrees with that order wherever it succeeds; it raises only
    when a None part is actually compared, and then the explicit key takes over.
    """
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=_connection_sort_key)


def _connection_sort_key(key: tuple[Any, Any, Any]) -> tuple[Any, ...]:
    """By from, to, type; a missing part sorts last, as in canonical_json."""
    return tuple(map(json_sort_key, key))


def _index(
    items: Iterable[Mapping[str, Any]], key_of: Callable[[Mapping[str, Any]], Any]
) -> tuple[dict[Any, Any], bool]:
    """Items by key (first occurrence wins) and whether there were duplicates."""
    indexed: dict[Any, Any] = {}
    count = 0
    for item in items:
        count += 1
        indexed.setdefault(key_of(item), item)
    return indexed, count != len(indexed)


def _is_str_list(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _merge_sets(base: list[str], github: list[str], ai_studio: list[str]) -> list[str]:
    """Apply both sides' additions and removals: base order first, then additions sorted."""
    base_items, github_items, ai_studio_items = set(base), set(github), set(ai_studio)
    kept = [
        item for item in dict.fromkeys(base) if item in github_items and item in ai_studio_items
    ]
    return kept + sorted((github_items | ai_studio_items) - base_items)


def _public(value: Any) -> Any:
    return None if value is MISSING else value


class _Merger:
    """State of one merge: the policy's winner, operator resolutions, records and flags."""

    def __init__(self, winner: Side | None, note: str | None, resolutions: Mapping[str, Any]):
        self.winner = winner
        self.note = note
        self.resolutions = resolutions
        self.used_resolutions: set[str] = set()
        self.conflicts: list[Conflict] = []
        self.github_changed = False
        self.ai_studio_changed = False
        self.counts = {"added": 0, "changed": 0, "removed": 0, "conflicts": 0}

    def run(
        self, base: Mapping[str, Any], github: Mapping[str, Any], ai_studio: Mapping[str, Any]
    ) -> MergeResult:
        header = self._merge_header(base, github, ai_studio)
        components = self._merge_section("components", base, github, ai_studio)
        connections = self._merge_section("connections", base, github, ai_studio)
        documents = []
        for side in range(3):
            document = dict(header[side])
            document["components"] = components[side]
            document["connections"] = connections[side]
            documents.append(document)
        self.counts["conflicts"] = len(self.conflicts)
        return MergeResult(
            github_document=documents[0],
            ai_studio_document=documents[1],
            base_document=documents[2],
            conflicts=self.conflicts,
            counts=self.counts,
            github_changed=self.github_changed,
            ai_studio_changed=self.ai_studio_changed,
            unused_resolutions=sorted(set(self.resolutions) - self.used_resolutions),
        )

    # --- top level -------------------------------------------------------------------

    def _merge_header(
        self, base: Mapping[str, Any], github: Mapping[str, Any], ai_studio: Mapping[str, Any]
    ) -> _Outcome:
        """Top-level keys other than the two lists, with "metadata" merged per key."""
        documents = (base, github, ai_studio)
        scalars = [
            {key: value for key, value in document.items() if key not in _HEADER_SPECIAL}
            for document in documents
        ]
        outcome = self._merge_fields("", None, *scalars)
        metadata = [document.get("metadata", {}) for document in documents]
        if all(isinstance(value, dict) for value in metadata):
            merged = self._merge_fields("/metadata", None, *metadata)
        else:  # not an object somewhere (never after parse_document): one opaque value
            merged = self._merge_value("/metadata", None, "metadata", *metadata, as_set=False)
        for side in range(3):
            if merged[side] is not MISSING:
                outcome[side]["metadata"] = merged[side]
        github_header = {**scalars[1], "metadata": metadata[1]}
        ai_studio_header = {**scalars[2], "metadata": metadata[2]}
        self._track(github_header, ai_studio_header, outcome[0], outcome[1])
        return outcome

    # --- components and connections ---------------------------------------------------

    def _merge_section(
        self,
        section: str,
        base: Mapping[str, Any],
        github: Mapping[str, Any],
        ai_studio: Mapping[str, Any],
    ) -> tuple[list[Any], list[Any], list[Any]]:
        """Merge "components" or "connections" item by item, in canonical key order."""
        key_of = _component_key if section == "components" else _connection_key
        base_items, _ = _index(base.get(section) or [], key_of)
        github_items, github_duplicates = _index(github.get(section) or [], key_of)
        ai_studio_items, ai_studio_duplicates = _index(ai_studio.get(section) or [], key_of)
        self.github_changed |= github_duplicates
        self.ai_studio_changed |= ai_studio_duplicates

        keys = {**base_items, **github_items, **ai_studio_items}
        sort = _sorted_ids if section == "components" else _sorted_connection_keys
        ordered = sort(keys)

        github_out: list[Any] = []
        ai_studio_out: list[Any] = []
        base_out: list[Any] = []
        for key in ordered:
            b = base_items.get(key, MISSING)
            g = github_items.get(key, MISSING)
            a = ai_studio_items.get(key, MISSING)
            if b is not MISSING and same(b, g) and same(b, a):  # the common case: untouched
                github_out.append(g)
                ai_studio_out.append(a)
                base_out.append(b)
                continue
            outcome = self._merge_item(section, key, b, g, a)
            self._track(g, a, outcome[0], outcome[1])
            if section == "components":
                self._count(b, outcome)
            if outcome[0] is not MISSING:
                github_out.append(outcome[0])
            if outcome[1] is not MISSING:
                ai_studio_out.append(outcome[1])
            if outcome[2] is not MISSING:
                base_out.append(outcome[2])
        return github_out, ai_studio_out, base_out

    def _merge_item(self, section: str, key: Any, b: Any, g: Any, a: Any) -> _Outcome:
        """Merge one component or connection that is not the same on all three."""
        if b is MISSING:
            if a is MISSING:
                return g, g, g
            if g is MISSING:
                return a, a, a
            if same(g, a):
                return g, a, g
            return self._merge_fields(*self._describe(section, key)[:2], {}, g, a, section)
        if g is MISSING or a is MISSING:
            survivor = a if g is MISSING else g
            if survivor is MISSING or same(b, survivor):
                return MISSING, MISSING, MISSING
            path, component_id, field_name, identity = self._describe(section, key)
            outcome = self._conflict(path, component_id, field_name, b, g, a)
            return _with_identity(outcome, identity)
        if same(b, g):
            return a, a, a
        if same(b, a):
            return g, g, g
        if same(g, a):
            return g, a, g
        return self._merge_fields(*self._describe(section, key)[:2], b, g, a, section)

    @staticmethod
    def _describe(section: str, key: Any) -> tuple[str, Any, str, dict[str, Any]]:
        """Path, component id, field name and identity keys of a component or connection.

        Only computed when needed (fields merged or a conflict): most items are untouched.
        """
        if section == "components":
            return pointer("components", key), key, str(key), {"id": key}
        parts = ["" if part is None else part for part in key]
        identity = {name: part for name, part in zip(_CONNECTION_KEY, key, strict=True)}
        return pointer("connections", *parts), None, parts[2], identity

    # --- fields -------------------------------------------------------------------------

    def _merge_fields(
        self,
        prefix: str,
        component_id: Any,
        b: Mapping[str, Any],
        g: Mapping[str, Any],
        a: Mapping[str, Any],
        section: str | None = None,
    ) -> _Outcome:
        """Merge two objects key by key (component, connection, metadata or top level)."""
        set_fields = SET_FIELDS if section == "components" else frozenset()
        keys = {**b, **g, **a}
        outputs: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] = ({}, {}, {})
        for key in keys:
            outcome = self._merge_value(
                f"{prefix}/{escape_pointer_part(key)}",
                component_id,
                key,
                b.get(key, MISSING),
                g.get(key, MISSING),
                a.get(key, MISSING),
                key in set_fields,
            )
            for side in range(3):
                if outcome[side] is not MISSING:
                    outputs[side][key] = outcome[side]
        return outputs

    def _merge_value(
        self, path: str, component_id: Any, key: str, b: Any, g: Any, a: Any, as_set: bool
    ) -> _Outcome:
        if same(g, a):
            return g, a, g
        if same(b, g):
            return a, a, a
        if same(b, a):
            return g, g, g
        if as_set and _is_str_list(g) and _is_str_list(a) and (b is MISSING or _is_str_list(b)):
            merged = _merge_sets([] if b is MISSING else b, g, a)
            return merged, merged, merged
        return self._conflict(path, component_id, key, b, g, a)

    def _conflict(
        self, path: str, component_id: Any, field_name: str, b: Any, g: Any, a: Any
    ) -> _Outcome:
        """Record a conflict and settle it: operator resolution, then policy, else open."""
        deleted_on: Side | None = (
            "github" if g is MISSING else "ai_studio" if a is MISSING else None
        )
        note = self.note
        if path in self.resolutions:
            self.used_resolutions.add(path)
            chosen = self.resolutions[path]
            value = MISSING if chosen is DELETED else chosen
            resolution: Resolution | None = "operator"
            outcome: _Outcome = (value, value, value)
            note = None
        elif self.winner is None:
            resolution, value, outcome = None, MISSING, (g, a, b)
        else:
            resolution = self.winner
            value = g if self.winner == "github" else a
            outcome = (value, value, value)
        self.conflicts.append(
            Conflict(
                path=path,
                component_id=component_id,
                field=field_name,
                base=_public(b),
                github=_public(g),
                ai_studio=_public(a),
                deleted_on=deleted_on,
                resolution=resolution,
                resolved_value=_public(value),
                note=note,
            )
        )
        return outcome

    # --- bookkeeping --------------------------------------------------------------------

    def _track(
        self, github_in: Any, ai_studio_in: Any, github_out: Any, ai_studio_out: Any
    ) -> None:
        """Note whether a side's output content differs from what it holds now."""
        if not self.github_changed and github_out is not github_in:
            self.github_changed = not same(github_out, github_in)
        if not self.ai_studio_changed and ai_studio_out is not ai_studio_in:
            self.ai_studio_changed = not same(ai_studio_out, ai_studio_in)

    def _count(self, b: Any, outcome: _Outcome) -> None:
        present = outcome[0] is not MISSING or outcome[1] is not MISSING
        if b is MISSING:
            self.counts["added"] += int(present)
        elif not present:
            self.counts["removed"] += 1
        elif not (same(outcome[0], b) and same(outcome[1], b)):
            self.counts["changed"] += 1


def _with_identity(outcome: _Outcome, identity: dict[str, Any]) -> _Outcome:
    """An operator-supplied component/connection keeps the identity its path names."""
    fixed = {key: part for key, part in identity.items() if part is not None}
    return tuple(  # type: ignore[return-value]
        {**value, **fixed}
        if isinstance(value, dict) and any(value.get(key) != part for key, part in fixed.items())
        else value
        for value in outcome
    )
