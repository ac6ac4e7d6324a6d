"""The small interface every sync source implements, and the errors it may raise.

A connector does exactly two things: read the document with a version marker, and write
a new document only if the source still holds the version that was read (compare-and-swap,
or the closest the API allows). Retrying, backoff and circuit breaking belong to the job
layer: a connector makes one attempt and classifies what went wrong, so the job can decide.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal

import httpx

Origin = Literal["github", "drive"]

#: Longest piece of a server-supplied message copied into an error, so a chatty or hostile
#: server cannot flood job history.
_MAX_SERVER_TEXT = 300

# Shapes of credentials we never want to echo, even if a server reflects them back.
_SECRET_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bya29\.[A-Za-z0-9._\-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"),  # a JWT
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{8,}"),
)


def scrub(text: str, *secrets: str | None) -> str:
    """Remove the given secrets and anything shaped like a credential from ``text``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("***", text)
    return text


def server_text(text: str | None, *secrets: str | None) -> str:
    """A server-supplied message made safe to show: scrubbed and truncated."""
    if not text:
        return ""
    text = scrub(" ".join(str(text).split()), *secrets)
    if len(text) > _MAX_SERVER_TEXT:
        text = text[: _MAX_SERVER_TEXT - 1] + "…"
    return text


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def parse_timestamp(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp as returned by GitHub and Drive, as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """A classified failure of one connector call.

    ``origin`` and ``type`` go into the job attempt record; ``retryable`` tells the job
    whether backing off can help; ``retry_after`` (seconds) is the server's own wait when it
    gave one. The message is meant for operators: it says what to fix and never contains a
    token or key (it is scrubbed again here as a last line of defence).
    """

    default_type: ClassVar[str] = "error"
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        origin: Origin,
        type: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.origin = origin
        self.type = type or self.default_type
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The fields a job attempt stores."""
        return {
            "origin": self.origin,
            "type": self.type,
            "retryable": self.retryable,
            "message": self.message,
            "retry_after": self.retry_after,
            "status": self.status,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(origin={self.origin!r}, type={self.type!r}, "
            f"retryable={self.retryable!r}, status={self.status!r}, message={self.message!r})"
        )


class AuthError(ConnectorError):
    """Credentials missing, invalid or lacking permission (401/403): fix a setting."""

    default_type = "auth"


class NotFound(ConnectorError):
    """The repository, branch, path or file id does not exist or is not visible (404)."""

    default_type = "not_found"


class InvalidRequest(ConnectorError):
    """The server refused the request as malformed (400/422): retrying cannot help."""

    default_type = "invalid_request"


class ProtocolError(ConnectorError):
    """A response we could not make sense of (unexpected status or shape).

    Retryable because it is usually a proxy or a transient server hiccup; the job's attempt
    limit bounds it.
    """

    default_type = "protocol"
    default_retryable = True


class RateLimited(ConnectorError):
    """The service asked us to slow down; ``retry_after`` is how long, when known."""

    default_type = "rate_limited"
    default_retryable = True


class Unavailable(ConnectorError):
    """5xx, timeout or network failure: the service may recover on its own."""

    default_type = "unavailable"
    default_retryable = True


class Conflict(ConnectorError):
    """The source changed under us (409 or equivalent); re-read, re-merge, retry."""

    default_type = "conflict"
    default_retryable = True


class StaleMarker(Conflict):
    """The expected version is no longer current, so nothing was written."""

    default_type = "stale_marker"


class LostUpdate(Conflict):
    """Our write landed, but someone else wrote between our check and our write.

    Drive has no compare-and-swap, so this is detected after the fact. The content we
    overwrote is carried here (``overwritten``, plus every intervening revision in
    ``revisions``, oldest first) together with ``marker``, the version our write produced.
    The caller must merge ``overwritten`` into its document and write again with
    ``expected=marker``; a plain retry would re-read our own write and lose the edit.

    ``overwritten`` is None (type ``unverified_write``) when the write landed but the check
    itself kept failing: the caller must then recover the content from the connector
    (``DriveConnector.recover_overwritten(exc.expected, exc.marker)``) before writing again.
    """

    default_type = "lost_update"

    def __init__(
        self,
        message: str,
        *,
        origin: Origin,
        expected: VersionMarker,
        marker: VersionMarker,
        overwritten: bytes | None,
        overwritten_revision_id: str | None,
        revisions: list[tuple[str, bytes]],
        type: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, origin=origin, type=type, status=status)
        self.expected = expected
        self.marker = marker
        self.overwritten = overwritten
        self.overwritten_revision_id = overwritten_revision_id
        self.revisions = revisions


# --------------------------------------------------------------------------- markers


@dataclass(frozen=True)
class VersionMarker:
    """Which version of the document a read saw; the precondition of the next write.

    One type for every source so the engine can store it as JSON without knowing the
    source. GitHub fills ``sha`` (git blob sha; None when the file does not exist yet),
    ``etag`` and ``ref`` (the branch read from); Drive fills ``version``,
    ``head_revision_id`` and ``md5``. ``modified_at`` is when the source last changed.
    """

    origin: Origin
    sha: str | None = None
    etag: str | None = None
    ref: str | None = None
    version: int | None = None
    head_revision_id: str | None = None
    md5: str | None = None
    modified_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict; fields that are None are left out."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionMarker:
        """Inverse of :meth:`to_json`; unknown keys are ignored so old rows keep loading."""
        origin = data.get("origin")
        if origin not in ("github", "drive"):
            raise ValueError(f"not a version marker: origin={origin!r}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("modified_at"), str):
            values["modified_at"] = parse_timestamp(values["modified_at"])
        if values.get("version") is not None:
            values["version"] = int(values["version"])
        return cls(**values)


@dataclass(frozen=True)
class ReadResult:
    """What a read returned.

    ``unchanged`` is True when the source proved the content is the same as the previous
    marker's (a 304, an equal blob sha or an equal Drive version); ``content`` is then None
    when it was not downloaded. ``exists`` is False for a GitHub file not created yet (then
    ``content`` is None and writing with this marker creates it).
    """

    content: bytes | None
    marker: VersionMarker
    modified_at: datetime | None
    unchanged: bool = False
    exists: bool = True


class Connector(ABC):
    """A document held by an external service that the hub keeps in sync."""

    origin: ClassVar[Origin]

    @abstractmethod
    def read(self, previous: VersionMarker | None = None) -> ReadResult:
        """Read the document; pass the last marker to make the read conditional."""

    @abstractmethod
    def write(self, content: bytes, expected: VersionMarker, message: str) -> VersionMarker:
        """Replace the document if it is still at ``expected``; return the new marker.

        Raises :class:`StaleMarker` (nothing written) when the source moved since
        ``expected`` was read.
        """

    @abstractmethod
    def describe(self) -> str:
        """Where the document lives, for logs and messages (never contains credentials)."""

    _client: httpx.Client
    _own_client: bool = False

    def _use_client(self, client: httpx.Client | None, timeout: float) -> None:
        """Use the given client (tests, shared pools) or make one this connector owns."""
        self._own_client = client is None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=True
        )

    def close(self) -> None:
        """Release the HTTP client if the connector created it."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- write locks

_LOCKS_GUARD = threading.Lock()
_WRITE_LOCKS: dict[tuple[str, ...], threading.Lock] = {}


def write_lock(*key: str) -> threading.Lock:
    """The process-wide lock serializing writes to one document.

    Two jobs in one process writing the same file would otherwise race between the
    version check and the write; across processes the job lease keeps them apart.
    """
    normalized = tuple(part.lower() for part in key)
    with _LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(normalized)
        if lock is None:
            lock = _WRITE_LOCKS[normalized] = threading.Lock()
        return lock
