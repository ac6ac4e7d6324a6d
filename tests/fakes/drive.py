"""A stateful fake of the Google Drive v3 API for files with binary content.

Each file has a ``version`` counter that increases on every change (by ``version_step`` on a
content upload, by one on a metadata change), an md5, a ``modifiedTime`` and a list of
revisions with their contents (``headRevisionId`` is the last). Supported endpoints:

* ``GET /drive/v3/files/{id}`` (``fields`` honoured, ``alt=media`` for content)
* ``PATCH /upload/drive/v3/files/{id}?uploadType=media``
* ``GET /drive/v3/files/{id}/revisions`` (paged with ``pageSize``/``pageToken``)
* ``GET /drive/v3/files/{id}/revisions/{revisionId}`` (``alt=media`` for content)

Errors use Google's JSON error shape with ``errors[].reason``.

Test helpers (acting as AI Studio or a human in Drive):

* :meth:`FakeDrive.add_file`, :meth:`~FakeDrive.set_content`, :meth:`~FakeDrive.content`,
  :meth:`~FakeDrive.file`, :meth:`~FakeDrive.touch_metadata`
* :meth:`~FakeDrive.write_before_next_upload` – "another writer" between the connector's
  version check and its upload
* :meth:`~FakeDrive.prune_revisions`, :meth:`~FakeDrive.set_access`
* :meth:`~FakeDrive.inject_rate_limit`, ``.faults`` (see :class:`tests.fakes.FaultQueue`)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.fakes import FakeClock, FakeService, json_response

_FILE_DEFAULT_FIELDS = ("kind", "id", "name", "mimeType")
_REVISION_DEFAULT_FIELDS = ("kind", "id", "mimeType", "modifiedTime")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Revision:
    """One stored version of a file's content."""

    id: str
    content: bytes
    modified_time: str
    author: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.content).hexdigest()

    def to_json(self, mime_type: str) -> dict[str, Any]:
        return {
            "kind": "drive#revision",
            "id": self.id,
            "mimeType": mime_type,
            "modifiedTime": self.modified_time,
            "md5Checksum": self.md5,
            "size": str(len(self.content)),
            "keepForever": False,
            "originalFilename": "",
        }


@dataclass
class DriveFile:
    """A file as the fake stores it; ``revisions`` is oldest first."""

    id: str
    name: str
    mime_type: str
    version: int
    modified_time: str
    revisions: list[Revision] = field(default_factory=list)
    access: str = "writer"  # "writer" | "reader" | "none"

    @property
    def content(self) -> bytes:
        return self.revisions[-1].content

    @property
    def md5(self) -> str:
        return self.revisions[-1].md5

    @property
    def head_revision_id(self) -> str:
        return self.revisions[-1].id

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "version": str(self.version),  # int64 values are strings in Drive's JSON
            "md5Checksum": self.md5,
            "modifiedTime": self.modified_time,
            "headRevisionId": self.head_revision_id,
            "size": str(len(self.content)),
        }


class FakeDrive(FakeService):
    """Google Drive holding a few files, reachable at ``api_url``."""

    def __init__(
        self,
        *,
        api_url: str = "https://www.googleapis.test",
        clock: Callable[[], float] | None = None,
        token_validator: Callable[[str], bool] | None = None,
        version_step: int = 1,
    ) -> None:
        super().__init__(api_url)
        self.clock: Callable[[], float] = clock or FakeClock()
        #: Decides whether a bearer token is valid; None accepts any non-empty token.
        #: Pass ``FakeGoogleOAuth.is_valid`` to require tokens that fake issued.
        self.token_validator = token_validator
        #: How much ``version`` grows per content upload (real Drive may grow it by more
        #: than one; the connector must not depend on it being one).
        self.version_step = version_step
        self.files: dict[str, DriveFile] = {}
        self._counter = 0

    # ================================================================== test helpers

    def add_file(
        self,
        content: bytes | str,
        *,
        name: str = "architecture.json",
        file_id: str | None = None,
        mime_type: str = "application/json",
    ) -> str:
        """Create a file with one revision; returns its id."""
        self._counter += 1
        file_id = file_id or "1" + hashlib.sha1(f"file:{self._counter}".encode()).hexdigest()[:32]
        now = _iso(self.clock())
        self.files[file_id] = DriveFile(file_id, name, mime_type, version=1, modified_time=now)
        self._add_revision(self.files[file_id], _bytes(content), "creator")
        return file_id

    def set_content(
        self, file_id: str, content: bytes | str, *, author: str = "ai-studio"
    ) -> Revision:
        """Save new content as another writer (AI Studio, a human) would."""
        f = self.files[file_id]
        revision = self._add_revision(f, _bytes(content), author)
        f.version += self.version_step
        return revision

    def content(self, file_id: str) -> bytes:
        return self.files[file_id].content

    def file(self, file_id: str) -> DriveFile:
        return self.files[file_id]

    def touch_metadata(self, file_id: str, *, name: str | None = None) -> None:
        """A change that bumps ``version`` without a new revision (rename, sharing)."""
        f = self.files[file_id]
        f.version += 1
        if name is not None:
            f.name = name

    def write_before_next_upload(
        self, file_id: str, content: bytes | str, *, author: str = "ai-studio"
    ) -> None:
        """Another writer saves ``content`` right before the next upload is applied.

        Models the window Drive cannot guard: after the connector checked ``version`` and
        before its upload lands.
        """
        self.faults.before(
            lambda: self.set_content(file_id, content, author=author),
            method="PATCH",
            path=f"/upload/drive/v3/files/{file_id}",
        )

    def prune_revisions(self, file_id: str, *, keep_last: int) -> None:
        """Forget old revisions, as Drive does after 30 days or 100 revisions."""
        f = self.files[file_id]
        f.revisions = f.revisions[-keep_last:]

    def set_access(self, file_id: str, access: str) -> None:
        """What the caller may do with the file: ``"writer"``, ``"reader"`` or ``"none"``."""
        self.files[file_id].access = access

    def inject_rate_limit(
        self,
        *,
        reason: str = "userRateLimitExceeded",
        status: int = 403,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next matching request(s) with a Drive usage-limit error."""
        headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
        self.faults.status(
            status,
            json=_error_body(status, "User rate limit exceeded.", reason, domain="usageLimits"),
            headers=headers,
            method=method,
            path=path,
            times=times,
        )

    # ================================================================== model

    def _add_revision(self, f: DriveFile, content: bytes, author: str) -> Revision:
        self._counter += 1
        # Opaque ids that do not sort by age, so the connector cannot lean on their order.
        rev_id = "0B" + hashlib.sha1(f"{f.id}:{self._counter}".encode()).hexdigest()[:26]
        now = _iso(self.clock())
        revision = Revision(rev_id, content, now, author)
        f.revisions.append(revision)
        f.modified_time = now
        return revision

    # ================================================================== HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        valid = scheme.lower() == "bearer" and bool(token)
        if valid and self.token_validator is not None:
            valid = self.token_validator(token)
        if not valid:
            return json_response(
                401,
                _error_body(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                    "authError",
                    status_text="UNAUTHENTICATED",
                ),
                headers={"www-authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        parts = self.route_path(request).strip("/").split("/")
        if parts[:3] == ["upload", "drive", "v3"] and len(parts) == 5 and parts[3] == "files":
            if request.method == "PATCH":
                return self._upload(request, parts[4])
        elif parts[:3] == ["drive", "v3", "files"] and request.method == "GET":
            if len(parts) == 4:
                return self._get_file(request, parts[3])
            if len(parts) == 5 and parts[4] == "revisions":
                return self._list_revisions(request, parts[3])
            if len(parts) == 6 and parts[4] == "revisions":
                return self._get_revision(request, parts[3], parts[5])
        return json_response(404, _error_body(404, "Not Found", "notFound"))

    def _lookup(self, file_id: str) -> DriveFile | httpx.Response:
        f = self.files.get(file_id)
        if f is None or f.access == "none":
            return json_response(
                404, _error_body(404, f"File not found: {file_id}.", "notFound", location="fileId")
            )
        return f

    def _get_file(self, request: httpx.Request, file_id: str) -> httpx.Response:
        f = self._lookup(file_id)
        if isinstance(f, httpx.Response):
            return f
        if request.url.params.get("alt") == "media":
            return httpx.Response(200, content=f.content, headers={"content-type": f.mime_type})
        return json_response(
            200, _select(f.to_json(), request.url.params.get("fields"), _FILE_DEFAULT_FIELDS)
        )

    def _upload(self, request: httpx.Request, file_id: str) -> httpx.Response:
        f = self._lookup(file_id)
        if isinstance(f, httpx.Response):
            return f
        if request.url.params.get("uploadType") not in ("media", None):
            return json_response(400, _error_body(400, "Unsupported upload type", "badRequest"))
        if f.access != "writer":
            return json_response(
                403,
                _error_body(
                    403,
                    "The user does not have sufficient permissions for this file.",
                    "insufficientFilePermissions",
                ),
            )
        self.set_content(file_id, request.content, author="hub")
        return json_response(
            200, _select(f.to_json(), request.url.params.get("fields"), _FILE_DEFAULT_FIELDS)
        )

    def _list_revisions(self, request: httpx.Request, file_id: str) -> httpx.Response:
        f = self._lookup(file_id)
        if isinstance(f, httpx.Response):
            return f
        params = request.url.params
        size = min(int(params.get("pageSize") or 200), 1000)
        start = int(params.get("pageToken") or 0)
        page = f.revisions[start : start + size]
        body: dict[str, Any] = {
            "kind": "drive#revisionList",
            "revisions": [r.to_json(f.mime_type) for r in page],
        }
        if start + size < len(f.revisions):
            body["nextPageToken"] = str(start + size)
        fields = params.get("fields")
        if fields:
            body = _select_list(body, fields)
        else:
            body["revisions"] = [
                _select(r, None, _REVISION_DEFAULT_FIELDS) for r in body["revisions"]
            ]
        return json_response(200, body)

    def _get_revision(
        self, request: httpx.Request, file_id: str, revision_id: str
    ) -> httpx.Response:
        f = self._lookup(file_id)
        if isinstance(f, httpx.Response):
            return f
        for revision in f.revisions:
            if revision.id == revision_id:
                if request.url.params.get("alt") == "media":
                    return httpx.Response(
                        200, content=revision.content, headers={"content-type": f.mime_type}
                    )
                return json_response(
                    200,
                    _select(
                        revision.to_json(f.mime_type),
                        request.url.params.get("fields"),
                        _REVISION_DEFAULT_FIELDS,
                    ),
                )
        return json_response(
            404, _error_body(404, f"Revision not found: {revision_id}.", "notFound")
        )


def _bytes(content: bytes | str) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _error_body(
    code: int,
    message: str,
    reason: str,
    *,
    domain: str = "global",
    location: str | None = None,
    status_text: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        item.update(location=location, locationType="parameter")
    error: dict[str, Any] = {"code": code, "message": message, "errors": [item]}
    if status_text:
        error["status"] = status_text
    return {"error": error}


def _split_fields(fields: str) -> list[str]:
    """Split a ``fields`` mask at top-level commas: ``a,b(c,d)`` → ``["a", "b(c,d)"]``."""
    out, depth, current = [], 0, ""
    for ch in fields:
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current.strip():
        out.append(current.strip())
    return out


def _select(data: dict[str, Any], fields: str | None, default: tuple[str, ...]) -> dict[str, Any]:
    names = _split_fields(fields) if fields else list(default)
    if "*" in names:
        return data
    return {name: data[name] for name in names if name in data}


def _select_list(body: dict[str, Any], fields: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in _split_fields(fields):
        if "(" in part:
            name, inner = part.split("(", 1)
            items = body.get(name, [])
            out[name] = [_select(item, inner.rstrip(")"), ()) for item in items]
        elif part in body:
            out[part] = body[part]
    return out
