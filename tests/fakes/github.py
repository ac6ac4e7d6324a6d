"""A stateful fake of the GitHub REST API: contents, git refs/blobs, commits and pulls.

It keeps a real (if tiny) git model: blobs addressed by their git blob sha1, commits with
parents and whole-tree snapshots, branches as refs, and pull requests that can be merged
(three-way, per file) or closed from the test. Responses mimic github.com closely enough
for the connector: weak ETags and 304 on ``If-None-Match`` (not charged to the rate limit),
409 on a stale blob sha, 422 when ``sha`` is missing for an existing file,
``x-ratelimit-*`` headers with a counter that resets, 401/403/404 bodies.

Test helpers (acting as humans on GitHub):

* files: :meth:`FakeGitHub.set_file`, :meth:`~FakeGitHub.delete_file`,
  :meth:`~FakeGitHub.file`, :meth:`~FakeGitHub.file_sha`
* history: :meth:`~FakeGitHub.commits`, :meth:`~FakeGitHub.branch_head`,
  :meth:`~FakeGitHub.branches`, :meth:`~FakeGitHub.create_branch`,
  :meth:`~FakeGitHub.delete_branch`
* pull requests: :meth:`~FakeGitHub.pulls`, :meth:`~FakeGitHub.pull`,
  :meth:`~FakeGitHub.open_pulls`, :meth:`~FakeGitHub.merge_pull_request`,
  :meth:`~FakeGitHub.close_pull_request`
* access and limits: :meth:`~FakeGitHub.set_permissions`, ``token``,
  ``rate_limit_remaining``/``rate_limit_reset``, :meth:`~FakeGitHub.exhaust_rate_limit`,
  :meth:`~FakeGitHub.inject_secondary_rate_limit`
* faults: ``.faults`` (see :class:`tests.fakes.FaultQueue`)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json as jsonlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from tests.fakes import FakeClock, FakeService, json_response

DEFAULT_TOKEN = "fake-github-token-7f3a9c1e5b"
DOCS = "https://docs.github.com/rest"
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def git_blob_sha(content: bytes) -> str:
    """The sha git (and GitHub's contents API) gives a file with this content."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Commit:
    """A commit: a full snapshot of the tree (path → blob sha) plus its parents."""

    sha: str
    tree: dict[str, str]
    parents: tuple[str, ...]
    message: str
    author: str
    date: str


@dataclass
class PullRequestRecord:
    """A pull request as the fake stores it."""

    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "open"
    merged: bool = False
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None


class MergeConflictError(Exception):
    """Raised by :meth:`FakeGitHub.merge_pull_request` when both sides changed a file."""


@dataclass
class _Permissions:
    contents: str = "write"  # "write" | "read" | "none"
    pull_requests: str = "write"


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., httpx.Response]
    charge: bool = True


class FakeGitHub(FakeService):
    """One repository on a fake GitHub (or GitHub Enterprise, via ``api_url``)."""

    def __init__(
        self,
        *,
        owner: str = "acme",
        repo: str = "architecture",
        default_branch: str = "main",
        token: str = DEFAULT_TOKEN,
        api_url: str = "https://api.github.test",
        clock: Callable[[], float] | None = None,
        rate_limit: int = 5000,
        rate_limit_window: float = 3600.0,
        large_file_threshold: int = 1_000_000,
        delete_branch_on_merge: bool = False,
    ) -> None:
        super().__init__(api_url)
        self.owner = owner
        self.repo = repo
        self.default_branch = default_branch
        self.token = token
        self.clock: Callable[[], float] = clock or FakeClock()
        self.rate_limit = rate_limit
        self.rate_limit_window = rate_limit_window
        self.rate_limit_remaining = rate_limit
        self.rate_limit_reset = self.clock() + rate_limit_window
        #: Files bigger than this come back from the contents API without content, as
        #: GitHub does above 1 MB; lower it to exercise the blob fallback.
        self.large_file_threshold = large_file_threshold
        self.delete_branch_on_merge = delete_branch_on_merge
        self.permissions = _Permissions()
        self.blobs: dict[str, bytes] = {}
        self.commits_by_sha: dict[str, Commit] = {}
        self.refs: dict[str, str] = {}
        self.pull_requests: dict[int, PullRequestRecord] = {}
        self._counter = 0
        root = self._commit({}, (), "Initial commit", "github")
        self.refs[default_branch] = root.sha
        repo_prefix = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
        self._routes = [
            _Route("GET", re.compile(repo_prefix + r"/contents/(?P<path>.+)"), self._get_contents),
            _Route("PUT", re.compile(repo_prefix + r"/contents/(?P<path>.+)"), self._put_contents),
            _Route(
                "GET", re.compile(repo_prefix + r"/git/blobs/(?P<sha>[0-9a-f]+)"), self._get_blob
            ),
            _Route(
                "GET", re.compile(repo_prefix + r"/git/ref/heads/(?P<branch>.+)"), self._get_ref
            ),
            _Route("POST", re.compile(repo_prefix + r"/git/refs"), self._create_ref),
            _Route(
                "PATCH",
                re.compile(repo_prefix + r"/git/refs/heads/(?P<branch>.+)"),
                self._update_ref,
            ),
            _Route(
                "DELETE",
                re.compile(repo_prefix + r"/git/refs/heads/(?P<branch>.+)"),
                self._delete_ref,
            ),
            _Route("GET", re.compile(repo_prefix + r"/commits"), self._list_commits),
            _Route("GET", re.compile(repo_prefix + r"/pulls"), self._list_pulls),
            _Route("POST", re.compile(repo_prefix + r"/pulls"), self._create_pull),
            _Route("GET", re.compile(repo_prefix + r"/pulls/(?P<number>\d+)"), self._get_pull),
            _Route("GET", re.compile(r"/rate_limit"), self._get_rate_limit, charge=False),
        ]

    # ================================================================== test helpers

    def set_file(
        self,
        path: str,
        content: bytes | str,
        *,
        branch: str | None = None,
        message: str = "Edit by a human",
        author: str = "human",
    ) -> str:
        """Commit ``content`` at ``path`` as someone else would; returns the commit sha."""
        data = content.encode() if isinstance(content, str) else content
        branch = branch or self.default_branch
        head = self.commits_by_sha[self.refs[branch]]
        tree = dict(head.tree)
        tree[path.strip("/")] = self._store_blob(data)
        commit = self._commit(tree, (head.sha,), message, author)
        self.refs[branch] = commit.sha
        return commit.sha

    def delete_file(self, path: str, *, branch: str | None = None, message: str = "Delete") -> str:
        """Commit the removal of ``path``; returns the commit sha."""
        branch = branch or self.default_branch
        head = self.commits_by_sha[self.refs[branch]]
        tree = dict(head.tree)
        tree.pop(path.strip("/"), None)
        commit = self._commit(tree, (head.sha,), message, "human")
        self.refs[branch] = commit.sha
        return commit.sha

    def file(self, path: str, branch: str | None = None) -> bytes | None:
        """The file's content at the head of ``branch`` (None when absent)."""
        sha = self.file_sha(path, branch)
        return None if sha is None else self.blobs[sha]

    def file_sha(self, path: str, branch: str | None = None) -> str | None:
        branch = branch or self.default_branch
        if branch not in self.refs:
            return None
        return self.commits_by_sha[self.refs[branch]].tree.get(path.strip("/"))

    def branch_head(self, branch: str | None = None) -> str | None:
        return self.refs.get(branch or self.default_branch)

    def branches(self) -> list[str]:
        return sorted(self.refs)

    def create_branch(self, name: str, from_branch: str | None = None) -> str:
        self.refs[name] = self.refs[from_branch or self.default_branch]
        return self.refs[name]

    def delete_branch(self, name: str) -> None:
        self.refs.pop(name, None)

    def commits(self, branch: str | None = None) -> list[Commit]:
        """First-parent history of ``branch``, newest first."""
        out: list[Commit] = []
        sha: str | None = self.refs.get(branch or self.default_branch)
        while sha:
            commit = self.commits_by_sha[sha]
            out.append(commit)
            sha = commit.parents[0] if commit.parents else None
        return out

    def pulls(self, state: str = "all") -> list[PullRequestRecord]:
        return [
            pr
            for pr in sorted(self.pull_requests.values(), key=lambda p: p.number)
            if state == "all" or pr.state == state
        ]

    def open_pulls(self) -> list[PullRequestRecord]:
        return self.pulls("open")

    def pull(self, number: int) -> PullRequestRecord:
        return self.pull_requests[number]

    def merge_pull_request(self, number: int, *, delete_branch: bool | None = None) -> str:
        """Merge like the "Create a merge commit" button; returns the merge commit sha.

        Per-file three-way merge against the merge base; raises
        :class:`MergeConflictError` when both sides changed the same file differently.
        """
        pr = self.pull_requests[number]
        if pr.state != "open":
            raise ValueError(f"pull request #{number} is {pr.state}")
        base_sha, head_sha = self.refs[pr.base], self.refs[pr.head]
        merge_base = self._merge_base(base_sha, head_sha)
        old = self.commits_by_sha[merge_base].tree if merge_base else {}
        ours, theirs = self.commits_by_sha[base_sha].tree, self.commits_by_sha[head_sha].tree
        tree: dict[str, str] = {}
        for path in set(old) | set(ours) | set(theirs):
            o, a, b = old.get(path), ours.get(path), theirs.get(path)
            if b == o or a == b:
                chosen = a
            elif a == o:
                chosen = b
            else:
                raise MergeConflictError(f"{path} changed on both {pr.base} and {pr.head}")
            if chosen is not None:
                tree[path] = chosen
        merge = self._commit(
            tree, (base_sha, head_sha), f"Merge pull request #{number} from {pr.head}", "human"
        )
        self.refs[pr.base] = merge.sha
        now = _iso(self.clock())
        pr.state, pr.merged, pr.merged_at, pr.closed_at = "closed", True, now, now
        pr.merge_commit_sha = merge.sha
        pr.updated_at = now
        if self.delete_branch_on_merge if delete_branch is None else delete_branch:
            self.refs.pop(pr.head, None)
        return merge.sha

    def close_pull_request(self, number: int) -> None:
        """Close without merging, as a reviewer rejecting the hub's change would."""
        pr = self.pull_requests[number]
        now = _iso(self.clock())
        pr.state, pr.closed_at, pr.updated_at = "closed", now, now

    def create_pull_request(self, head: str, base: str | None = None, title: str = "PR") -> int:
        """Open a pull request directly (e.g. a human beat the hub to it)."""
        now = _iso(self.clock())
        number = len(self.pull_requests) + 1
        self.pull_requests[number] = PullRequestRecord(
            number, title, "", head, base or self.default_branch, created_at=now, updated_at=now
        )
        return number

    def set_permissions(
        self, *, contents: str | None = None, pull_requests: str | None = None
    ) -> None:
        """What the token may do: ``"write"``, ``"read"`` or ``"none"`` per area."""
        if contents is not None:
            self.permissions.contents = contents
        if pull_requests is not None:
            self.permissions.pull_requests = pull_requests

    def exhaust_rate_limit(self) -> None:
        """Spend the primary rate limit: further charged requests get 403 until reset."""
        self.rate_limit_remaining = 0

    def inject_secondary_rate_limit(
        self,
        *,
        retry_after: float | None = None,
        status: int = 403,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next matching request with a secondary (abuse) rate limit."""
        headers = {"retry-after": str(int(retry_after))} if retry_after is not None else {}
        self.faults.status(
            status,
            json={"message": SECONDARY_LIMIT_MESSAGE, "documentation_url": DOCS},
            headers=headers,
            method=method,
            path=path,
        )

    # ================================================================== git model

    def _store_blob(self, content: bytes) -> str:
        sha = git_blob_sha(content)
        self.blobs[sha] = content
        return sha

    def _commit(
        self, tree: dict[str, str], parents: tuple[str, ...], message: str, author: str
    ) -> Commit:
        self._counter += 1
        seed = f"{self._counter}:{parents}:{sorted(tree.items())}:{message}"
        sha = hashlib.sha1(seed.encode()).hexdigest()
        commit = Commit(sha, tree, parents, message, author, _iso(self.clock()))
        self.commits_by_sha[sha] = commit
        return commit

    def _ancestors(self, sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.commits_by_sha[current].parents)
        return seen

    def _merge_base(self, a: str, b: str) -> str | None:
        ancestors_a = self._ancestors(a)
        queue = [b]
        seen: set[str] = set()
        while queue:
            current = queue.pop(0)
            if current in ancestors_a:
                return current
            if current in seen:
                continue
            seen.add(current)
            queue.extend(self.commits_by_sha[current].parents)
        return None

    def _resolve(self, ref: str | None) -> str | None:
        ref = ref or self.default_branch
        if ref.startswith("refs/heads/"):
            ref = ref[len("refs/heads/") :]
        if ref in self.refs:
            return self.refs[ref]
        return ref if ref in self.commits_by_sha else None

    # ================================================================== HTTP

    def decorate(self, response: httpx.Response) -> httpx.Response:
        for name, value in self._rate_headers().items():
            response.headers.setdefault(name, value)
        return response

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(self.rate_limit_remaining),
            "x-ratelimit-reset": str(int(self.rate_limit_reset)),
            "x-ratelimit-used": str(self.rate_limit - self.rate_limit_remaining),
            "x-ratelimit-resource": "core",
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        now = self.clock()
        if now >= self.rate_limit_reset:
            self.rate_limit_remaining = self.rate_limit
            self.rate_limit_reset = now + self.rate_limit_window
        auth = request.headers.get("authorization", "")
        scheme, _, presented = auth.partition(" ")
        if scheme.lower() not in ("bearer", "token") or presented != self.token:
            return self.decorate(
                json_response(401, {"message": "Bad credentials", "documentation_url": DOCS})
            )
        path = self.route_path(request)
        for route in self._routes:
            if request.method != route.method:
                continue
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.charge and self.rate_limit_remaining <= 0:
                return self.decorate(
                    json_response(
                        403,
                        {
                            "message": "API rate limit exceeded for user ID 1. If you reach out "
                            "to GitHub Support for help, please include the request ID.",
                            "documentation_url": DOCS,
                        },
                    )
                )
            params = match.groupdict()
            if "owner" in params and (
                params.pop("owner").lower() != self.owner.lower()
                or params.pop("repo").lower() != self.repo.lower()
            ):
                response = _not_found()
            else:
                response = route.handler(request, **params)
            response = self._conditional(request, response)
            if route.charge and response.status_code != 304:
                self.rate_limit_remaining -= 1
            return self.decorate(response)
        return self.decorate(_not_found())

    def _conditional(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        """Weak ETags on successful GETs, and 304 when the client already has this body."""
        if request.method != "GET" or response.status_code != 200:
            return response
        etag = 'W/"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        response.headers["etag"] = etag
        return response

    def _body(self, request: httpx.Request) -> dict[str, Any] | None:
        try:
            data = jsonlib.loads(request.content or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _urls(self, path: str, ref: str) -> dict[str, Any]:
        api = f"{self.base_url}/repos/{self.owner}/{self.repo}"
        html = f"https://github.test/{self.owner}/{self.repo}"
        return {
            "url": f"{api}/contents/{quote(path)}?ref={quote(ref)}",
            "html_url": f"{html}/blob/{quote(ref)}/{quote(path)}",
            "download_url": f"https://raw.github.test/{self.owner}/{self.repo}/{ref}/{path}",
        }

    def _file_json(self, path: str, sha: str, ref: str, *, with_content: bool) -> dict[str, Any]:
        data = self.blobs[sha]
        encoded = base64.encodebytes(data).decode("ascii") if with_content else ""
        large = len(data) > self.large_file_threshold
        body: dict[str, Any] = {}
        if with_content:
            body = {"encoding": "none" if large else "base64", "content": "" if large else encoded}
        return {
            "type": "file",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            **body,
            "sha": sha,
            "git_url": f"{self.base_url}/repos/{self.owner}/{self.repo}/git/blobs/{sha}",
            **self._urls(path, ref),
        }

    def _can_read(self) -> bool:
        return self.permissions.contents in ("read", "write")

    # ---------------------------------------------------------------- contents

    def _get_contents(self, request: httpx.Request, path: str) -> httpx.Response:
        if not self._can_read():
            return _not_found()
        ref = request.url.params.get("ref") or self.default_branch
        head = self._resolve(ref)
        if head is None:
            return json_response(
                404, {"message": f"No commit found for the ref {ref}", "documentation_url": DOCS}
            )
        tree = self.commits_by_sha[head].tree
        path = path.strip("/")
        if path in tree:
            return json_response(200, self._file_json(path, tree[path], ref, with_content=True))
        children = sorted({p for p in tree if p.startswith(path + "/")})
        if children:
            entries = []
            for child in children:
                rest = child[len(path) + 1 :]
                if "/" in rest:
                    name = rest.split("/", 1)[0]
                    entries.append({"type": "dir", "name": name, "path": f"{path}/{name}"})
                else:
                    entries.append(self._file_json(child, tree[child], ref, with_content=False))
            unique = {e["path"]: e for e in entries}
            return json_response(200, list(unique.values()))
        return _not_found()

    def _put_contents(self, request: httpx.Request, path: str) -> httpx.Response:
        if not self._can_read():
            return _not_found()
        if self.permissions.contents != "write":
            return _forbidden("Resource not accessible by personal access token")
        body = self._body(request)
        if body is None or not body.get("message") or "content" not in body:
            return _invalid('"message" and "content" are required')
        try:
            content = base64.b64decode(str(body["content"]), validate=True)
        except (binascii.Error, ValueError):
            return _invalid("content is not valid Base64")
        branch = str(body.get("branch") or self.default_branch)
        if branch not in self.refs:
            return json_response(404, {"message": f"Branch {branch} not found"})
        head = self.commits_by_sha[self.refs[branch]]
        path = path.strip("/")
        current = head.tree.get(path)
        sha = body.get("sha")
        if current is not None and not sha:
            return _invalid('Invalid request.\n\n"sha" wasn\'t supplied.')
        if sha and sha != current:
            return json_response(
                409,
                {"message": f"{path} does not match {sha}", "documentation_url": DOCS},
            )
        tree = dict(head.tree)
        tree[path] = self._store_blob(content)
        commit = self._commit(tree, (head.sha,), str(body["message"]), "hub")
        self.refs[branch] = commit.sha
        return json_response(
            201 if current is None else 200,
            {
                "content": self._file_json(path, tree[path], branch, with_content=False),
                "commit": self._commit_json(commit),
            },
        )

    def _get_blob(self, request: httpx.Request, sha: str) -> httpx.Response:
        if not self._can_read() or sha not in self.blobs:
            return _not_found()
        data = self.blobs[sha]
        return json_response(
            200,
            {
                "sha": sha,
                "size": len(data),
                "encoding": "base64",
                "content": base64.encodebytes(data).decode("ascii"),
            },
        )

    def _commit_json(self, commit: Commit) -> dict[str, Any]:
        person = {
            "name": commit.author,
            "email": f"{commit.author}@example.test",
            "date": commit.date,
        }
        return {
            "sha": commit.sha,
            "message": commit.message,
            "author": person,
            "committer": person,
            "parents": [{"sha": p} for p in commit.parents],
            "html_url": f"https://github.test/{self.owner}/{self.repo}/commit/{commit.sha}",
        }

    def _list_commits(self, request: httpx.Request) -> httpx.Response:
        if not self._can_read():
            return _not_found()
        ref = request.url.params.get("sha") or self.default_branch
        head = self._resolve(ref)
        if head is None:
            return json_response(404, {"message": f"No commit found for SHA: {ref}"})
        path = (request.url.params.get("path") or "").strip("/")
        per_page = int(request.url.params.get("per_page") or 30)
        page = int(request.url.params.get("page") or 1)
        out: list[dict[str, Any]] = []
        sha: str | None = head
        while sha:
            commit = self.commits_by_sha[sha]
            parent = self.commits_by_sha[commit.parents[0]].tree if commit.parents else {}
            if not path or commit.tree.get(path) != parent.get(path):
                out.append({"sha": commit.sha, "commit": self._commit_json(commit)})
            sha = commit.parents[0] if commit.parents else None
        return json_response(200, out[(page - 1) * per_page : page * per_page])

    # ---------------------------------------------------------------- refs

    def _ref_json(self, branch: str) -> dict[str, Any]:
        api = f"{self.base_url}/repos/{self.owner}/{self.repo}"
        return {
            "ref": f"refs/heads/{branch}",
            "url": f"{api}/git/refs/heads/{branch}",
            "object": {"sha": self.refs[branch], "type": "commit"},
        }

    def _get_ref(self, request: httpx.Request, branch: str) -> httpx.Response:
        if not self._can_read() or branch not in self.refs:
            return _not_found()
        return json_response(200, self._ref_json(branch))

    def _create_ref(self, request: httpx.Request) -> httpx.Response:
        if self.permissions.contents != "write":
            return _forbidden("Resource not accessible by personal access token")
        body = self._body(request) or {}
        ref, sha = str(body.get("ref") or ""), str(body.get("sha") or "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return _invalid(f"{ref} is not a valid ref name.")
        if sha not in self.commits_by_sha:
            return _invalid("Object does not exist")
        if not ref.startswith("refs/heads/"):
            return _invalid("only branches are supported by this fake")
        branch = ref[len("refs/heads/") :]
        if branch in self.refs:
            return _invalid("Reference already exists")
        self.refs[branch] = sha
        return json_response(201, self._ref_json(branch))

    def _update_ref(self, request: httpx.Request, branch: str) -> httpx.Response:
        if self.permissions.contents != "write":
            return _forbidden("Resource not accessible by personal access token")
        body = self._body(request) or {}
        sha = str(body.get("sha") or "")
        if branch not in self.refs:
            return _invalid("Reference does not exist")
        if sha not in self.commits_by_sha:
            return _invalid("Object does not exist")
        if not body.get("force") and self.refs[branch] not in self._ancestors(sha):
            return _invalid("Update is not a fast forward")
        self.refs[branch] = sha
        return json_response(200, self._ref_json(branch))

    def _delete_ref(self, request: httpx.Request, branch: str) -> httpx.Response:
        if self.permissions.contents != "write":
            return _forbidden("Resource not accessible by personal access token")
        if branch not in self.refs:
            return _invalid("Reference does not exist")
        del self.refs[branch]
        return httpx.Response(204)

    # ---------------------------------------------------------------- pulls

    def _pull_json(self, pr: PullRequestRecord) -> dict[str, Any]:
        html = f"https://github.test/{self.owner}/{self.repo}/pull/{pr.number}"
        return {
            "number": pr.number,
            "state": pr.state,
            "title": pr.title,
            "body": pr.body,
            "html_url": html,
            "url": f"{self.base_url}/repos/{self.owner}/{self.repo}/pulls/{pr.number}",
            "head": {
                "ref": pr.head,
                "sha": self.refs.get(pr.head),
                "label": f"{self.owner}:{pr.head}",
            },
            "base": {
                "ref": pr.base,
                "sha": self.refs.get(pr.base),
                "label": f"{self.owner}:{pr.base}",
            },
            "merged": pr.merged,
            "merged_at": pr.merged_at,
            "closed_at": pr.closed_at,
            "created_at": pr.created_at,
            "updated_at": pr.updated_at,
            "merge_commit_sha": pr.merge_commit_sha,
            "draft": False,
        }

    def _head_branch(self, head: str) -> str | None:
        """``owner:branch`` or ``branch`` → branch (None for another owner's fork)."""
        if ":" in head:
            owner, _, branch = head.partition(":")
            return branch if owner.lower() == self.owner.lower() else None
        return head

    def _list_pulls(self, request: httpx.Request) -> httpx.Response:
        if self.permissions.pull_requests == "none":
            return _forbidden("Resource not accessible by personal access token")
        params = request.url.params
        state = params.get("state") or "open"
        head = self._head_branch(params["head"]) if params.get("head") else None
        base = params.get("base")
        pulls = [
            self._pull_json(pr)
            for pr in sorted(self.pull_requests.values(), key=lambda p: -p.number)
            if (state == "all" or pr.state == state)
            and (not params.get("head") or pr.head == head)
            and (base is None or pr.base == base)
        ]
        per_page = int(params.get("per_page") or 30)
        return json_response(200, pulls[:per_page])

    def _create_pull(self, request: httpx.Request) -> httpx.Response:
        if self.permissions.pull_requests != "write":
            return _forbidden("Resource not accessible by personal access token")
        body = self._body(request) or {}
        head = self._head_branch(str(body.get("head") or ""))
        base = str(body.get("base") or "")
        if not body.get("title"):
            return _validation(
                {"resource": "PullRequest", "field": "title", "code": "missing_field"}
            )
        if not head or head not in self.refs:
            return _validation({"resource": "PullRequest", "field": "head", "code": "invalid"})
        if base not in self.refs:
            return _validation({"resource": "PullRequest", "field": "base", "code": "invalid"})
        for pr in self.pull_requests.values():
            if pr.state == "open" and pr.head == head and pr.base == base:
                return _validation(
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {self.owner}:{head}.",
                    }
                )
        if self.refs[head] in self._ancestors(self.refs[base]):
            return _validation(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"No commits between {base} and {head}",
                }
            )
        number = self.create_pull_request(head, base, str(body["title"]))
        self.pull_requests[number].body = str(body.get("body") or "")
        return json_response(201, self._pull_json(self.pull_requests[number]))

    def _get_pull(self, request: httpx.Request, number: str) -> httpx.Response:
        if self.permissions.pull_requests == "none":
            return _forbidden("Resource not accessible by personal access token")
        pr = self.pull_requests.get(int(number))
        return _not_found() if pr is None else json_response(200, self._pull_json(pr))

    def _get_rate_limit(self, request: httpx.Request) -> httpx.Response:
        core = {
            "limit": self.rate_limit,
            "remaining": self.rate_limit_remaining,
            "reset": int(self.rate_limit_reset),
            "used": self.rate_limit - self.rate_limit_remaining,
        }
        return json_response(200, {"resources": {"core": core}, "rate": core})


def _not_found() -> httpx.Response:
    return json_response(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


def _forbidden(message: str) -> httpx.Response:
    return json_response(403, {"message": message, "documentation_url": DOCS, "status": "403"})


def _invalid(message: str) -> httpx.Response:
    return json_response(422, {"message": message, "documentation_url": DOCS, "status": "422"})


def _validation(error: dict[str, Any]) -> httpx.Response:
    return json_response(
        422, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}
    )
