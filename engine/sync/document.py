"""The architecture document: a tolerant reader and a canonical writer.

The reader accepts what GitHub users and AI Studio exports actually produce (id aliases,
missing ids, unknown fields) and normalizes it to one shape, so the merge never has to care
where a document came from. The writer is deterministic so a sync that changes nothing
produces byte-identical files and diffs stay minimal.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]

ID_ALIASES: tuple[str, ...] = ("component_id", "service_id")
"""Other names an export may use for a component's id, in order of precedence after "id"."""

DEFAULT_DOCUMENT_VERSION = "1"

_LIST_KEYS: tuple[str, ...] = ("components", "connections")


class DocumentError(ValueError):
    """A document that cannot be read: says where (source, line/column or JSON pointer)."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        pointer: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.pointer = pointer
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ParsedDocument:
    """A normalized document; `ids_derived` tells the caller it must write the ids back."""

    data: dict[str, Any]
    ids_derived: bool


def escape_pointer_part(part: object) -> str:
    """Escape one JSON-pointer reference token (RFC 6901: "~" → "~0", "/" → "~1")."""
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(*parts: object) -> str:
    """Build an RFC 6901 JSON pointer from unescaped parts."""
    return "".join("/" + escape_pointer_part(part) for part in parts)


def parse_document(text: str | bytes, *, source: str) -> ParsedDocument:
    """Read a document tolerantly and return it in the normalized shape.

    Normalization: "version" defaults to "1", "metadata" to {}, "components" and
    "connections" to [] (null counts as absent); `component_id`/`service_id` become "id";
    a component without any id gets one derived from its name (see `derive_id`). Unknown
    fields anywhere are kept. Component and connection order is kept as written, so
    validation pointers point into the document as written.
    """
    raw = _load_json(text, source=source)
    if not isinstance(raw, dict):
        raise DocumentError(
            f"{source}: the document must be a JSON object, got {_json_type(raw)}",
            source=source,
            pointer="",
        )
    data: dict[str, Any] = raw  # freshly decoded: normalized in place, no copies
    if data.get("version") is None:
        data["version"] = DEFAULT_DOCUMENT_VERSION
    metadata = data.get("metadata")
    if metadata is None:
        data["metadata"] = {}
    elif not isinstance(metadata, dict):
        raise _structure_error(source, "/metadata", "an object", metadata)
    for key in _LIST_KEYS:
        value = data.get(key)
        if value is None:
            data[key] = []
        elif not isinstance(value, list):
            raise _structure_error(source, pointer(key), "an array", value)
        for index, item in enumerate(data[key]):
            if type(item) is not dict:
                raise _structure_error(source, pointer(key, index), "an object", item)

    for component in data["components"]:
        if _is_blank(component.get("id")):
            _take_id_from_alias(component)
    ids_derived = _derive_missing_ids(data["components"], data["connections"])
    return ParsedDocument(data=data, ids_derived=ids_derived)


def canonical_json(data: dict[str, Any]) -> str:
    """Serialize deterministically: sorted keys, 2-space indent, trailing newline.

    Components are sorted by id and connections by (from, to, type); every other list keeps
    its order because order may be meaningful there. Non-ASCII text is written as is.
    """
    document = dict(data)
    if isinstance(document.get("components"), list):
        document["components"] = _sorted(document["components"], _fast_id, component_sort_key)
    if isinstance(document.get("connections"), list):
        document["connections"] = _sorted(
            document["connections"], _fast_connection_key, connection_sort_key
        )
    out: list[str] = []
    _write(document, "\n", out)
    out.append("\n")
    return "".join(out)


def component_sort_key(component: Any) -> tuple[int, str]:
    """Order components by id; ids that are not strings (invalid) sort last, still stably."""
    return json_sort_key(component.get("id") if isinstance(component, dict) else component)


def connection_sort_key(connection: Any) -> tuple[tuple[int, str], ...]:
    """Order connections by (from, to, type), tolerating missing or non-string parts."""
    if not isinstance(connection, dict):
        return (json_sort_key(connection),)
    return tuple(json_sort_key(connection.get(key)) for key in ("from", "to", "type"))


def _write(value: Any, newline: str, out: list[str]) -> None:
    """Append `value` as json.dumps(sort_keys=True, indent=2, ensure_ascii=False) would.

    Byte-for-byte the same output (tested), but several times faster: on Python 3.11 an
    indent forces json's pure-Python encoder, and documents have thousands of components.
    `newline` is a line break followed by the current indentation.
    """
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))
    elif kind is dict or (kind is not list and isinstance(value, dict)):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            if type(key) is not str:
                raise TypeError(f"keys must be strings, got {key!r}")
            item = value[key]
            if type(item) is str:  # the common leaf, inlined
                out.append(separator + _encode_string(key) + ": " + _encode_string(item))
            else:
                out.append(separator + _encode_string(key) + ": ")
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                out.append(separator + _encode_string(item))
            else:
                out.append(separator)
                _write(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    else:
        out.append(_encode_scalar(value))


def _encode_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not allowed in JSON")
        return float.__repr__(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class _NotPlain(Exception):
    """A sort key part that is not a string: use the general (slower) key."""


def _fast_id(component: Any) -> str:
    component_id = component.get("id") if type(component) is dict else None
    if type(component_id) is not str:
        raise _NotPlain
    return component_id


def _fast_connection_key(connection: Any) -> tuple[str, str, str]:
    if type(connection) is not dict:
        raise _NotPlain
    key = (connection.get("from"), connection.get("to"), connection.get("type"))
    if type(key[0]) is not str or type(key[1]) is not str or type(key[2]) is not str:
        raise _NotPlain
    return key  # type: ignore[return-value]


def _sorted(items: list[Any], fast_key: Any, general_key: Any) -> list[Any]:
    """Sort with plain string keys when all are strings (valid documents), else generally.

    Both keys order strings identically, so the result does not depend on the path taken.
    """
    try:
        return sorted(items, key=fast_key)
    except _NotPlain:
        return sorted(items, key=general_key)


def derive_id(name: str) -> str:
    """A stable slug of a component name: "Identity & Security" → "identity-security".

    Accents are folded ("Café" → "cafe"), other letters and digits of any script are kept
    ("Бахмач" → "бахмач"), everything else becomes a single "-". A name with no letters or
    digits at all yields "component".
    """
    decomposed = unicodedata.normalize("NFKD", name)
    slug: list[str] = []
    for char in decomposed:
        if unicodedata.category(char) == "Mn":
            continue
        if char.isalnum():
            slug.append(char.lower())
        elif slug and slug[-1] != "-":
            slug.append("-")
    result = unicodedata.normalize("NFC", "".join(slug).strip("-"))
    return result or "component"


def json_sort_key(value: Any) -> tuple[int, str]:
    """Total order on JSON values used as keys: strings first, anything else after."""
    if isinstance(value, str):
        return (0, value)
    return (1, json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def _load_json(text: str | bytes, *, source: str) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = text.count(b"\n", 0, exc.start) + 1
            column = exc.start - text.rfind(b"\n", 0, exc.start)
            raise DocumentError(
                f"{source}: not valid UTF-8 at line {line}, column {column}",
                source=source,
                line=line,
                column=column,
            ) from exc
    elif text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            source=source,
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    except _NonFiniteNumber as exc:
        offset = _constant_offset(text, exc.token)
        line = text.count("\n", 0, offset) + 1
        column = offset - text.rfind("\n", 0, offset)
        raise DocumentError(
            f"{source}: invalid JSON at line {line}, column {column}: "
            f"{exc.token} is not a JSON number",
            source=source,
            line=line,
            column=column,
        ) from exc


class _NonFiniteNumber(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _reject_constant(token: str) -> Any:
    """NaN/Infinity are not JSON and never compare equal to themselves: refuse them."""
    raise _NonFiniteNumber(token)


def _constant_offset(text: str, token: str) -> int:
    """Offset of the first `token` outside a string (error path only, so a plain scan)."""
    in_string = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif text.startswith(token, index):
            return index
        index += 1
    return 0


def _structure_error(source: str, where: str, expected: str, value: Any) -> DocumentError:
    return DocumentError(
        f"{source}: {where or '/'} must be {expected}, got {_json_type(value)}",
        source=source,
        pointer=where,
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _take_id_from_alias(component: dict[str, Any]) -> None:
    """Move `component_id`/`service_id` to "id"; drop a blank "id" if none is there."""
    for alias in ID_ALIASES:
        if not _is_blank(component.get(alias)):
            component["id"] = component.pop(alias)
            return
    component.pop("id", None)


def _derive_missing_ids(
    components: list[dict[str, Any]], connections: list[dict[str, Any]]
) -> bool:
    """Give id-less components an id from their name; return whether any was derived.

    Collisions get "-2", "-3", … in document order, never reusing an id already in the
    document. References (dependencies, connection ends) that name such a component by its
    name instead of an id are pointed at the derived id, since an export without ids can
    only refer to components by name.
    """
    if all("id" in component for component in components):
        return False
    taken = {component["id"] for component in components if isinstance(component.get("id"), str)}
    next_suffix: dict[str, int] = {}  # keeps many equal names linear
    derived_by_name: dict[str, str] = {}
    ambiguous_names: set[str] = set()
    for component in components:
        name = component.get("name")
        if "id" in component or not isinstance(name, str) or not name.strip():
            continue
        base = derive_id(name)
        candidate, suffix = base, next_suffix.get(base, 2)
        while candidate in taken:
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        next_suffix[base] = suffix
        taken.add(candidate)
        component["id"] = candidate
        if name in derived_by_name:
            ambiguous_names.add(name)
        derived_by_name[name] = candidate
    if not derived_by_name:
        return False

    renames = {
        name: new_id
        for name, new_id in derived_by_name.items()
        if name not in ambiguous_names and name not in taken
    }
    if renames:
        for component in components:
            dependencies = component.get("dependencies")
            if isinstance(dependencies, list):
                component["dependencies"] = [
                    renames.get(dep, dep) if isinstance(dep, str) else dep for dep in dependencies
                ]
        for connection in connections:
            for end in ("from", "to"):
                value = connection.get(end)
                if isinstance(value, str) and value in renames:
                    connection[end] = renames[value]
    return True
