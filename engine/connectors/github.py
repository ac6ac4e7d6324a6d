"""GitHub side of a sync target: one JSON file in a repository, via the REST contents API.

Reads are conditional (``If-None-Match`` with the last ETag; a 304 costs no rate limit).
Writes pass the blob sha that was read, so GitHub itself refuses a write over a file that
moved (409) and we never overwrite blindly.

``pull_request`` write mode: the hub commits to its own branch ``hub/sync/<target>`` and
keeps exactly one open pull request per target, which later syncs update. While that PR is
open the GitHub side *is* the PR branch (reads come from it); once it is merged or closed,
reads come from the target branch again and the next write force-resets the hub branch to
the target branch head before committing (a closed PR's commits stay reachable through the
closed PR itself), then opens a fresh PR.
"""

from __future__ import annotations

import base64
import contextlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx

from engine.connectors.base import (
    AuthError,
    Conflict,
    Connector,
    ConnectorError,
    InvalidRequest,
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

WriteMode = Literal["commit", "pull_request"]

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
SYNC_BRANCH_PREFIX = "hub/sync/"
#: GitHub asks clients to wait at least a minute after a secondary rate limit that came
#: without ``retry-after``.
SECONDARY_LIMIT_WAIT = 60.0

_REF_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sync_branch_name(target_name: str) -> str:
    """The hub's branch for a target: ``hub/sync/<target>`` with the name made ref-safe."""
    slug = _REF_UNSAFE.sub("-", target_name.strip()).strip(".-")
    slug = re.sub(r"\.{2,}", ".", slug)
    if slug.endswith(".lock"):
        slug = slug[: -len(".lock")]
    return SYNC_BRANCH_PREFIX + (slug or "target")


@dataclass(frozen=True)
class PullRequest:
    """The hub's open pull request for a target, as shown to operators."""

    number: int
    url: str
    head: str
    base: str
    state: str = "open"

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PullRequest:
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or data.get("url") or ""),
            head=str(data.get("head", {}).get("ref", "")),
            base=str(data.get("base", {}).get("ref", "")),
            state=str(data.get("state", "open")),
        )


class GitHubConnector(Connector):
    """One file in one GitHub repository, read and written through the REST API.

    ``rate_limit_remaining``/``rate_limit_reset`` hold what the last response said; when the
    budget is known to be spent, calls fail fast with :class:`RateLimited` instead of
    spending a request. ``pull_request`` holds the hub's open PR seen by the last read or
    write (pull_request mode only).
    """

    origin = "github"

    def __init__(
        self,
        api_url: str,
        token: str,
        owner: str,
        repo: str,
        path: str,
        branch: str = "main",
        write_mode: WriteMode = "commit",
        target_name: str = "default",
        client: httpx.Client | None = None,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        if write_mode not in ("commit", "pull_request"):
            raise ValueError(f"write_mode must be 'commit' or 'pull_request', not {write_mode!r}")
        if not token:
            raise AuthError("HUB_GITHUB_TOKEN is not set", origin="github", type="auth")
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._token = token
        self.owner = owner
        self.repo = repo
        self.path = path.strip("/")
        self.branch = branch
        self.write_mode: WriteMode = write_mode
        self.target_name = target_name
        self.sync_branch = sync_branch_name(target_name)
        self._clock = clock
        self._use_client(client, timeout)
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: float | None = None
        self.pull_request: PullRequest | None = None
        self.last_commit_sha: str | None = None

    # ------------------------------------------------------------------ public API

    def describe(self) -> str:
        return f"github:{self.owner}/{self.repo}/{self.path}@{self.branch}"

    def read(self, previous: VersionMarker | None = None) -> ReadResult:
        """Read the file from the branch that currently *is* the GitHub side."""
        ref = self._read_ref()
        conditional = (
            previous is not None
            and previous.origin == "github"
            and previous.ref == ref
            and previous.etag is not None
        )
        headers = {"If-None-Match": previous.etag} if conditional and previous else {}
        response = self._call(
            "GET",
            self._contents_url(),
            params={"ref": ref},
            headers=headers,
            allow=(200, 304, 404),
            what=f"file {self.path} on {ref}",
        )
        if response.status_code == 304 and previous is not None:
            return ReadResult(None, previous, previous.modified_at, unchanged=True)
        if response.status_code == 404:
            self._require_ref(ref)  # raises NotFound when the repo or branch is the problem
            return ReadResult(
                None, VersionMarker(origin="github", ref=ref), None, unchanged=False, exists=False
            )

        data = self._json(response, f"file {self.path} on {ref}")
        if not isinstance(data, dict) or data.get("type") != "file" or "sha" not in data:
            raise InvalidRequest(
                f"{self.owner}/{self.repo}:{self.path} on {ref} is not a file; "
                "point the target's GitHub path at a JSON file",
                origin="github",
            )
        sha = str(data["sha"])
        content = self._decode_content(data)
        same = previous is not None and previous.sha == sha and previous.ref == ref
        modified_at = previous.modified_at if same and previous else self._last_commit_time(ref)
        marker = VersionMarker(
            origin="github",
            sha=sha,
            etag=response.headers.get("etag"),
            ref=ref,
            modified_at=modified_at,
        )
        return ReadResult(content, marker, modified_at, unchanged=same)

    def write(self, content: bytes, expected: VersionMarker, message: str) -> VersionMarker:
        """Commit ``content`` if the file is still at ``expected`` (else StaleMarker)."""
        if expected.origin != "github":
            raise ValueError(f"a {expected.origin} marker cannot be used to write to GitHub")
        with write_lock("github", self.api_url, self.owner, self.repo, self.path):
            if self.write_mode == "commit":
                if expected.ref not in (None, self.branch):
                    raise StaleMarker(
                        f"the marker was read from {expected.ref}, not {self.branch}; re-read",
                        origin="github",
                    )
                return self._put(self.branch, content, expected.sha, message)
            return self._write_via_pull_request(content, expected, message)

    # ------------------------------------------------------------------ pull_request mode

    def _read_ref(self) -> str:
        if self.write_mode != "pull_request":
            return self.branch
        self.pull_request = self._find_open_pr()
        return self.sync_branch if self.pull_request else self.branch

    def _write_via_pull_request(
        self, content: bytes, expected: VersionMarker, message: str
    ) -> VersionMarker:
        open_pr = self._find_open_pr()
        if open_pr is not None:
            if expected.ref != self.sync_branch:
                raise StaleMarker(
                    f"pull request #{open_pr.number} was opened since the read; "
                    f"re-read from {self.sync_branch}",
                    origin="github",
                )
            marker = self._put(self.sync_branch, content, expected.sha, message)
        else:
            if expected.ref not in (None, self.branch):
                raise StaleMarker(
                    f"the hub's pull request from {self.sync_branch} was merged or closed "
                    f"since the read; re-read from {self.branch}",
                    origin="github",
                )
            self._reset_sync_branch(self._branch_head(self.branch))
            marker = self._put(self.sync_branch, content, expected.sha, message)
        # Re-check after the commit: if the PR was merged in the meantime, open a new one
        # so the commit we just made is not stranded on a branch nobody looks at.
        self.pull_request = self._find_open_pr() or self._create_pr(message)
        return marker

    def _find_open_pr(self) -> PullRequest | None:
        response = self._call(
            "GET",
            self._repo_url("pulls"),
            params={
                "state": "open",
                "head": f"{self.owner}:{self.sync_branch}",
                "base": self.branch,
                "per_page": "10",
            },
            what=f"open pull requests from {self.sync_branch}",
        )
        pulls = self._json(response, "pull request list")
        if not isinstance(pulls, list):
            raise ProtocolError("GitHub returned an unexpected pull request list", origin="github")
        for item in pulls:
            pr = PullRequest.from_api(item)
            if pr.head == self.sync_branch and pr.base == self.branch and pr.state == "open":
                return pr
        return None

    def _create_pr(self, message: str) -> PullRequest:
        response = self._call(
            "POST",
            self._repo_url("pulls"),
            json={
                "title": f"Hub sync: {self.target_name}",
                "head": self.sync_branch,
                "base": self.branch,
                "body": (
                    "Changes from Google AI Studio merged by Bakhmach Business Hub for target "
                    f"`{self.target_name}`. Later syncs update this pull request.\n\n"
                    f"Last change: {message}"
                ),
            },
            allow=(201, 422),
            what=f"pull request {self.sync_branch} → {self.branch}",
        )
        if response.status_code == 201:
            return PullRequest.from_api(self._json(response, "new pull request"))
        if "already exists" in _error_text(response).lower():
            existing = self._find_open_pr()
            if existing is not None:
                return existing
        raise InvalidRequest(
            f"GitHub refused to open a pull request {self.sync_branch} → {self.branch}: "
            f"{_error_text(response, self._token)}",
            origin="github",
            status=422,
        )

    def _branch_head(self, branch: str) -> str:
        response = self._call("GET", self._ref_url(branch), what=f"branch {branch}")
        data = self._json(response, f"branch {branch}")
        try:
            return str(data["object"]["sha"])
        except (KeyError, TypeError):
            raise ProtocolError(f"GitHub returned no head for {branch}", origin="github") from None

    def _reset_sync_branch(self, head_sha: str) -> None:
        """Make the hub branch start at ``head_sha`` (create it, or force-move a stale one)."""
        response = self._call(
            "POST",
            self._repo_url("git/refs"),
            json={"ref": f"refs/heads/{self.sync_branch}", "sha": head_sha},
            allow=(201, 422),
            what=f"branch {self.sync_branch}",
        )
        if response.status_code == 201:
            return
        if "already exists" not in _error_text(response).lower():
            raise InvalidRequest(
                f"GitHub refused to create branch {self.sync_branch}: "
                f"{_error_text(response, self._token)}",
                origin="github",
                status=422,
            )
        self._call(
            "PATCH",
            self._repo_url(f"git/refs/heads/{quote(self.sync_branch, safe='/')}"),
            json={"sha": head_sha, "force": True},
            what=f"branch {self.sync_branch}",
        )

    # ------------------------------------------------------------------ contents

    def _put(self, branch: str, content: bytes, sha: str | None, message: str) -> VersionMarker:
        body: dict[str, Any] = {
            "message": message,
            "content": base64.b64encode(content).decode("ascii"),
            "branch": branch,
        }
        if sha:
            body["sha"] = sha
        response = self._call(
            "PUT",
            self._contents_url(),
            json=body,
            allow=(200, 201, 409, 422),
            what=f"file {self.path} on {branch}",
        )
        if response.status_code in (409, 422):
            text = _error_text(response, self._token)
            if response.status_code == 409 or "sha" in text.lower():
                raise StaleMarker(
                    f"{self.owner}/{self.repo}:{self.path} on {branch} changed since it was read "
                    f"({response.status_code} {text}); re-read and re-merge",
                    origin="github",
                    status=response.status_code,
                )
            raise InvalidRequest(
                f"GitHub refused the commit to {self.path} on {branch}: {text}",
                origin="github",
                status=422,
            )
        data = self._json(response, f"commit to {self.path}")
        try:
            new_sha = str(data["content"]["sha"])
        except (KeyError, TypeError):
            raise ProtocolError(
                "GitHub's commit response had no blob sha", origin="github"
            ) from None
        commit = data.get("commit") or {}
        self.last_commit_sha = commit.get("sha")  # where the change is visible on GitHub
        modified_at = parse_timestamp(
            (commit.get("committer") or {}).get("date") or (commit.get("author") or {}).get("date")
        )
        return VersionMarker(origin="github", sha=new_sha, ref=branch, modified_at=modified_at)

    def _decode_content(self, data: dict[str, Any]) -> bytes:
        encoding = data.get("encoding")
        raw = data.get("content") or ""
        if encoding == "base64" and (raw or not data.get("size")):
            return base64.b64decode(raw)
        # Files over 1 MB come back without content; the blob API serves them by sha, which
        # is immutable, so there is no race with a concurrent commit.
        response = self._call(
            "GET", self._repo_url(f"git/blobs/{data['sha']}"), what=f"blob of {self.path}"
        )
        blob = self._json(response, f"blob of {self.path}")
        if blob.get("encoding") != "base64":
            raise ProtocolError("GitHub returned a blob in an unknown encoding", origin="github")
        return base64.b64decode(blob.get("content") or "")

    def _last_commit_time(self, ref: str) -> datetime | None:
        response = self._call(
            "GET",
            self._repo_url("commits"),
            params={"sha": ref, "path": self.path, "per_page": "1"},
            what=f"history of {self.path} on {ref}",
        )
        commits = self._json(response, "commit list")
        if not isinstance(commits, list) or not commits:
            return None
        commit = commits[0].get("commit") or {}
        return parse_timestamp(
            (commit.get("committer") or {}).get("date") or (commit.get("author") or {}).get("date")
        )

    def _require_ref(self, ref: str) -> None:
        """Tell a missing file (fine: we create it) from a missing repo or branch (not fine)."""
        self._branch_head(ref)

    # ------------------------------------------------------------------ HTTP plumbing

    def _repo_url(self, suffix: str) -> str:
        return f"{self.api_url}/repos/{quote(self.owner)}/{quote(self.repo)}/{suffix}"

    def _contents_url(self) -> str:
        return self._repo_url(f"contents/{quote(self.path, safe='/')}")

    def _ref_url(self, branch: str) -> str:
        return self._repo_url(f"git/ref/heads/{quote(branch, safe='/')}")

    def _call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        allow: Iterable[int] = (200,),
    ) -> httpx.Response:
        """Send one request; return it if its status is in ``allow``, else raise classified."""
        now = self._clock()
        if (
            self.rate_limit_remaining == 0
            and self.rate_limit_reset is not None
            and self.rate_limit_reset > now
        ):
            raise RateLimited(
                f"GitHub API rate limit spent; it resets in {self.rate_limit_reset - now:.0f} s",
                origin="github",
                retry_after=self.rate_limit_reset - now,
            )
        request_headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "bakhmach-hub",
            **(headers or {}),
        }
        try:
            response = self._client.request(
                method, url, params=params, json=json, headers=request_headers
            )
        except httpx.TimeoutException as exc:
            raise Unavailable(
                f"GitHub timed out on {method} {what} ({type(exc).__name__})", origin="github"
            ) from None
        except httpx.TransportError as exc:
            raise Unavailable(
                f"could not reach GitHub at {self.api_url} for {what} ({type(exc).__name__})",
                origin="github",
            ) from None
        self._note_rate_limit(response)
        if response.status_code in tuple(allow):
            return response
        raise self._classify(response, method, what)

    def _note_rate_limit(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.strip().lstrip("-").isdigit():
            self.rate_limit_remaining = int(remaining)
        if reset is not None:
            with contextlib.suppress(ValueError):
                self.rate_limit_reset = float(reset)

    def _classify(self, response: httpx.Response, method: str, what: str) -> ConnectorError:
        status = response.status_code
        text = _error_text(response, self._token)
        detail = f"({status} {text})" if text else f"({status})"
        if status in (403, 429):
            limited = self._rate_limited(response, text, detail)
            if limited is not None:
                return limited
        if status == 401:
            return AuthError(
                f"GitHub rejected HUB_GITHUB_TOKEN {detail}: set a valid, unexpired token",
                origin="github",
                status=status,
            )
        if status == 403:
            needs = "contents: read and write"
            if self.write_mode == "pull_request":
                needs += ", pull requests: read and write"
            return AuthError(
                f"GitHub denied {method} {what} {detail}: give HUB_GITHUB_TOKEN access to "
                f"{self.owner}/{self.repo} with {needs}",
                origin="github",
                status=status,
            )
        if status == 404:
            return NotFound(
                f"GitHub has no {what} in {self.owner}/{self.repo} {detail}: check the target's "
                "repository, branch and path, and that HUB_GITHUB_TOKEN can see the repository",
                origin="github",
                status=status,
            )
        if status == 409:
            return Conflict(
                f"GitHub reported a conflict on {what} {detail}", origin="github", status=status
            )
        if status in (400, 422):
            return InvalidRequest(
                f"GitHub refused {method} {what} {detail}", origin="github", status=status
            )
        if status >= 500:
            return Unavailable(
                f"GitHub failed on {method} {what} {detail}", origin="github", status=status
            )
        return ProtocolError(
            f"unexpected GitHub response to {method} {what} {detail}",
            origin="github",
            status=status,
        )

    def _rate_limited(self, response: httpx.Response, text: str, detail: str) -> RateLimited | None:
        """Classify a 403/429 as a primary or secondary rate limit, following GitHub's advice.

        Order: ``retry-after`` when given; else, with ``x-ratelimit-remaining: 0``, wait until
        ``x-ratelimit-reset``; else, for a secondary limit (or any 429), at least a minute.
        A 403 with none of these is a permission problem, not a limit.
        """
        now = self._clock()
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        lowered = text.lower()
        secondary = "secondary rate limit" in lowered or "abuse" in lowered
        primary = response.headers.get("x-ratelimit-remaining") == "0" or (
            "rate limit exceeded" in lowered and not secondary
        )
        if retry_after is None:
            if primary and self.rate_limit_reset is not None:
                retry_after = max(1.0, self.rate_limit_reset - now)
            elif secondary or response.status_code == 429 or primary:
                retry_after = SECONDARY_LIMIT_WAIT
            else:
                return None
        kind = "secondary rate limit" if secondary else "rate limit"
        return RateLimited(
            f"GitHub {kind} hit {detail}; retry in {retry_after:.0f} s",
            origin="github",
            retry_after=retry_after,
            status=response.status_code,
        )

    def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ProtocolError(
                f"GitHub returned non-JSON for {what} ({response.status_code})", origin="github"
            ) from None


def _error_text(response: httpx.Response, *secrets: str | None) -> str:
    """GitHub's error ``message`` (plus validation ``errors``), scrubbed."""
    try:
        data = response.json()
    except ValueError:
        return server_text(response.text[:200], *secrets)
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get("message") or "")]
    for err in data.get("errors") or []:
        if isinstance(err, dict) and err.get("message"):
            parts.append(str(err["message"]))
        elif isinstance(err, str):
            parts.append(err)
    return server_text(": ".join(p for p in parts if p), *secrets)
