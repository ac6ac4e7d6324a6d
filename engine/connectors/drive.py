"""Google AI Studio side of a sync target: one JSON file in Google Drive (API v3).

Drive v3 has no compare-and-swap on upload, so a write is guarded in two steps:

1. Before writing, re-read the file's ``version``; if it moved from the marker's, raise
   :class:`StaleMarker` and write nothing.
2. After writing, compare the ``version`` our upload returned with the one we checked.
   Drive bumps ``version`` on every change, so ``checked + 1`` proves nothing happened in
   between. A bigger jump is only a *suspicion* (a rename or a sharing change also bumps
   it, and Drive may bump by more than one per upload), so we then list the revisions: any
   revision between the marker's ``headRevisionId`` and ours was written by someone else
   and our upload replaced it. We download the latest such revision (the content we
   overwrote) and raise :class:`LostUpdate` carrying it, so the engine re-merges it and
   writes again; nothing is silently lost. If that check itself keeps failing after our
   upload landed, :class:`LostUpdate` comes with ``overwritten=None`` (type
   ``unverified_write``) and :meth:`DriveConnector.recover_overwritten` finishes the job.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from engine.connectors.base import (
    AuthError,
    Connector,
    ConnectorError,
    InvalidRequest,
    LostUpdate,
    NotFound,
    ProtocolError,
    RateLimited,
    ReadResult,
    StaleMarker,
    Unavailable,
    VersionMarker,
    parse_retry_after,
    parse_timestamp,
    server_text,
    write_lock,
)
from engine.connectors.google_auth import TokenProvider

DEFAULT_API_URL = "https://www.googleapis.com"
METADATA_FIELDS = "id,name,version,md5Checksum,modifiedTime,headRevisionId"
REVISION_FIELDS = "nextPageToken,revisions(id,modifiedTime,md5Checksum,size)"
#: 403 reasons that mean "slow down", not "forbidden".
RATE_LIMIT_REASONS = frozenset(
    {
        "userRateLimitExceeded",
        "rateLimitExceeded",
        "dailyLimitExceeded",
        "quotaExceeded",
        "RATE_LIMIT_EXCEEDED",
    }
)
#: How often a read retries when the file changes between its metadata and its download.
_READ_ATTEMPTS = 3
#: How often the post-write check for a concurrent writer is tried before giving up.
_VERIFY_ATTEMPTS = 3


@dataclass(frozen=True)
class _Meta:
    version: int
    md5: str | None
    head_revision_id: str | None
    modified_at: datetime | None
    name: str | None

    def marker(self) -> VersionMarker:
        return VersionMarker(
            origin="drive",
            version=self.version,
            head_revision_id=self.head_revision_id,
            md5=self.md5,
            modified_at=self.modified_at,
        )


class DriveConnector(Connector):
    """One Drive file (the AI Studio project's architecture JSON), by file id."""

    origin = "drive"

    def __init__(
        self,
        api_url: str,
        file_id: str,
        tokens: TokenProvider,
        client: httpx.Client | None = None,
        *,
        timeout: float = 30.0,
    ) -> None:
        if not file_id:
            raise ValueError("file_id is required")
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.file_id = file_id
        self._tokens = tokens
        self._use_client(client, timeout)
        #: Name of the file as Drive reported it on the last metadata read.
        self.file_name: str | None = None

    # ------------------------------------------------------------------ public API

    def describe(self) -> str:
        return f"drive:{self.file_id}"

    def read(self, previous: VersionMarker | None = None) -> ReadResult:
        """Read metadata; download only when ``version`` moved since ``previous``."""
        meta = self._metadata()
        if previous is not None and previous.origin == "drive" and previous.version == meta.version:
            return ReadResult(None, meta.marker(), meta.modified_at, unchanged=True)
        for _ in range(_READ_ATTEMPTS):
            content = self._download(self._file_url(), params={"alt": "media"}, what="content")
            if meta.md5 is None or hashlib.md5(content).hexdigest() == meta.md5:
                same = (
                    previous is not None
                    and previous.origin == "drive"
                    and (previous.md5 is not None and previous.md5 == meta.md5)
                )
                return ReadResult(content, meta.marker(), meta.modified_at, unchanged=same)
            # The file changed between the metadata and the download: the marker would not
            # describe the content, so read both again.
            meta = self._metadata()
        raise Unavailable(
            f"Drive file {self.file_id} kept changing while being read; try again",
            origin="drive",
        )

    def write(self, content: bytes, expected: VersionMarker, message: str) -> VersionMarker:
        """Upload ``content`` if the file is still at ``expected.version``.

        ``message`` is unused: Drive revisions carry no description. Raises
        :class:`StaleMarker` (nothing written) or :class:`LostUpdate` (written, but another
        writer's content was replaced; it is carried on the exception).
        """
        if expected.origin != "drive" or expected.version is None:
            raise ValueError("writing to Drive needs a Drive marker with a version")
        with write_lock("drive", self.api_url, self.file_id):
            current = self._metadata()
            if current.version != expected.version:
                raise StaleMarker(
                    f"Drive file {self.file_id} changed since it was read (version "
                    f"{expected.version} → {current.version}); re-read and re-merge",
                    origin="drive",
                )
            written = self._upload(content).marker()
            if written.version == current.version + 1:
                return written
            self._verify_no_lost_update(expected, written)
            return written

    def recover_overwritten(
        self, expected: VersionMarker, written: VersionMarker | None = None
    ) -> list[tuple[str, bytes]]:
        """Contents of the revisions someone else saved between ``expected`` and ``written``.

        Oldest first; empty when nobody did. ``write`` calls this itself; the engine calls
        it when a :class:`LostUpdate` arrives with ``overwritten=None`` (the check failed
        after our upload landed), before it writes again. ``written=None`` means "up to the
        current head": for an upload whose response was lost (timeout, 5xx) and may or may
        not have landed; the result may then include our own content, which re-merges as a
        no-op.
        """
        revisions = self._revisions()
        ids = [r.get("id") for r in revisions]
        head = written.head_revision_id if written is not None else None
        mine = ids.index(head) if head in ids else len(ids)
        if expected.head_revision_id and expected.head_revision_id in ids[:mine]:
            between = revisions[ids.index(expected.head_revision_id) + 1 : mine]
        else:
            # The marker's revision is gone (pruned) or unknown: judge by the revision just
            # before ours; if its content is not what we read, someone else wrote it.
            before = revisions[mine - 1 : mine] if mine > 0 else []
            between = [r for r in before if r.get("md5Checksum") != expected.md5]
        return [(str(r["id"]), self.revision_content(str(r["id"]))) for r in between]

    def revision_content(self, revision_id: str) -> bytes:
        """The content of one stored revision of the file."""
        return self._download(
            self._revision_url(revision_id), params={"alt": "media"}, what="revision"
        )

    # ------------------------------------------------------------------ lost updates

    def _verify_no_lost_update(self, expected: VersionMarker, written: VersionMarker) -> None:
        """Raise :class:`LostUpdate` if our upload replaced someone else's revision.

        The version jumped by more than our own upload, which a concurrent save, a metadata
        change or Drive's own bookkeeping can cause; the revisions list tells them apart.
        Transient failures are retried a few times here, because once our upload has landed
        a plain job retry would re-read our own content and never look again.
        """
        last_error: ConnectorError | None = None
        for _ in range(_VERIFY_ATTEMPTS):
            try:
                recovered = self.recover_overwritten(expected, written)
            except ConnectorError as exc:
                last_error = exc
                if exc.retryable:
                    continue
                break
            if not recovered:
                return  # the version moved for a metadata change, not a write
            last_id, overwritten = recovered[-1]
            raise LostUpdate(
                f"another writer changed Drive file {self.file_id} between our check and our "
                f"upload ({len(recovered)} revision(s)); its content was recovered from "
                f"revision {last_id} and must be merged again",
                origin="drive",
                expected=expected,
                marker=written,
                overwritten=overwritten,
                overwritten_revision_id=last_id,
                revisions=recovered,
            )
        raise LostUpdate(
            f"our upload to Drive file {self.file_id} landed, but checking for a concurrent "
            f"writer failed ({last_error.message if last_error else 'unknown'}); call "
            "recover_overwritten(expected, marker) before writing again",
            origin="drive",
            type="unverified_write",
            expected=expected,
            marker=written,
            overwritten=None,
            overwritten_revision_id=None,
            revisions=[],
        )

    def _revisions(self) -> list[dict[str, Any]]:
        """All revisions, oldest first (the order Drive lists them in)."""
        out: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            params = {"fields": REVISION_FIELDS, "pageSize": "200"}
            if page_token:
                params["pageToken"] = page_token
            data = self._json(
                self._call("GET", self._file_url("/revisions"), params=params, what="revisions"),
                "revisions",
            )
            out.extend(r for r in data.get("revisions") or [] if isinstance(r, dict) and "id" in r)
            page_token = data.get("nextPageToken")
            if not page_token:
                return out

    # ------------------------------------------------------------------ HTTP plumbing

    def _file_url(self, suffix: str = "") -> str:
        return f"{self.api_url}/drive/v3/files/{quote(self.file_id, safe='')}{suffix}"

    def _revision_url(self, revision_id: str) -> str:
        return self._file_url(f"/revisions/{quote(revision_id, safe='')}")

    def _metadata(self) -> _Meta:
        response = self._call(
            "GET", self._file_url(), params={"fields": METADATA_FIELDS}, what="metadata"
        )
        return self._meta(self._json(response, "metadata"))

    def _upload(self, content: bytes) -> _Meta:
        url = f"{self.api_url}/upload/drive/v3/files/{quote(self.file_id, safe='')}"
        response = self._call(
            "PATCH",
            url,
            params={"uploadType": "media", "fields": METADATA_FIELDS},
            content=content,
            headers={"Content-Type": "application/json"},
            what="upload",
        )
        return self._meta(self._json(response, "upload"))

    def _download(self, url: str, *, params: dict[str, str], what: str) -> bytes:
        return self._call("GET", url, params=params, what=what).content

    def _meta(self, data: Any) -> _Meta:
        try:
            version = int(data["version"])
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(
                f"Drive returned no version for file {self.file_id}", origin="drive"
            ) from None
        self.file_name = data.get("name") or self.file_name
        return _Meta(
            version=version,
            md5=data.get("md5Checksum"),
            head_revision_id=data.get("headRevisionId"),
            modified_at=parse_timestamp(data.get("modifiedTime")),
            name=data.get("name"),
        )

    def _call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        allow: Iterable[int] = (200,),
    ) -> httpx.Response:
        """Send one request; on 401 refresh the token and try exactly once more."""
        response = self._send(method, url, params, content, headers, what)
        if response.status_code == 401:
            self._tokens.invalidate()
            response = self._send(method, url, params, content, headers, what)
        if response.status_code in tuple(allow):
            return response
        raise self._classify(response, method, what)

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        content: bytes | None,
        headers: dict[str, str] | None,
        what: str,
    ) -> httpx.Response:
        token = self._tokens.token()
        try:
            return self._client.request(
                method,
                url,
                params=params,
                content=content,
                headers={
                    "Authorization": f"Bearer {token}",
                    "User-Agent": "bakhmach-hub",
                    **(headers or {}),
                },
            )
        except httpx.TimeoutException as exc:
            raise Unavailable(
                f"Drive timed out on {method} {what} of file {self.file_id} ({type(exc).__name__})",
                origin="drive",
            ) from None
        except httpx.TransportError as exc:
            raise Unavailable(
                f"could not reach Drive at {self.api_url} ({type(exc).__name__})", origin="drive"
            ) from None

    def _classify(self, response: httpx.Response, method: str, what: str) -> ConnectorError:
        status = response.status_code
        reason, text = _google_error(response)
        detail = f"({status}{' ' + reason if reason else ''}{': ' + text if text else ''})"
        setting = getattr(self._tokens, "setting", "the Google credentials")
        if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
            return RateLimited(
                f"Drive rate limit hit on {what} of file {self.file_id} {detail}",
                origin="drive",
                retry_after=parse_retry_after(response.headers.get("retry-after"), time.time()),
                status=status,
            )
        if status == 401:
            return AuthError(
                f"Drive rejected the access token twice {detail}: check {setting}",
                origin="drive",
                status=status,
            )
        if status == 403:
            return AuthError(
                f"Drive denied {method} {what} of file {self.file_id} {detail}: share the file "
                f"with the account behind {setting} as an editor",
                origin="drive",
                status=status,
            )
        if status == 404:
            return NotFound(
                f"Drive file {self.file_id} not found {detail}: check the target's Drive file "
                f"id and that the file is shared with the account behind {setting}",
                origin="drive",
                status=status,
            )
        if status >= 500:
            return Unavailable(
                f"Drive failed on {method} {what} of file {self.file_id} {detail}",
                origin="drive",
                status=status,
            )
        if status in (400, 411, 413, 422):
            return InvalidRequest(
                f"Drive refused {method} {what} of file {self.file_id} {detail}",
                origin="drive",
                status=status,
            )
        return ProtocolError(
            f"unexpected Drive response to {method} {what} of file {self.file_id} {detail}",
            origin="drive",
            status=status,
        )

    def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProtocolError(f"Drive returned no JSON object for {what}", origin="drive")
        return data


def _google_error(response: httpx.Response) -> tuple[str, str]:
    """``(reason, message)`` from a Google API error body, in either of its shapes."""
    try:
        data = response.json()
    except ValueError:
        return "", server_text(response.text[:200])
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", server_text(str(error or ""))
    reason = ""
    for item in error.get("errors") or []:
        if isinstance(item, dict) and item.get("reason"):
            reason = str(item["reason"])
            break
    if not reason:
        for item in error.get("details") or []:
            if isinstance(item, dict) and item.get("reason"):
                reason = str(item["reason"])
                break
    return reason, server_text(str(error.get("message") or ""))
