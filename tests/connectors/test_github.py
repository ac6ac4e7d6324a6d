"""GitHubConnector driven against the stateful GitHub fake."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from engine.connectors import (
    AuthError,
    ConnectorError,
    GitHubConnector,
    NotFound,
    RateLimited,
    StaleMarker,
    Unavailable,
    VersionMarker,
    sync_branch_name,
)
from engine.connectors.base import write_lock
from engine.connectors.github import API_VERSION
from tests.fakes import FakeClock
from tests.fakes.github import FakeGitHub, git_blob_sha

PATH = "docs/architecture.json"
V1 = b'{"components": [], "version": "1"}\n'
V2 = b'{"components": [{"id": "auth"}], "version": "1"}\n'
V3 = b'{"components": [{"id": "core"}], "version": "1"}\n'


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gh(clock: FakeClock) -> FakeGitHub:
    fake = FakeGitHub(clock=clock)
    fake.set_file(PATH, V1)
    return fake


def connector(gh: FakeGitHub, clock: FakeClock, **overrides: Any) -> GitHubConnector:
    kwargs: dict[str, Any] = {
        "api_url": gh.base_url,
        "token": gh.token,
        "owner": gh.owner,
        "repo": gh.repo,
        "path": PATH,
        "branch": "main",
        "write_mode": "commit",
        "target_name": "demo",
        "client": gh.client(),
        "clock": clock,
    }
    kwargs.update(overrides)
    return GitHubConnector(**kwargs)


@pytest.fixture
def conn(gh: FakeGitHub, clock: FakeClock) -> GitHubConnector:
    return connector(gh, clock)


@pytest.fixture
def pr_conn(gh: FakeGitHub, clock: FakeClock) -> GitHubConnector:
    return connector(gh, clock, write_mode="pull_request")


# ----------------------------------------------------------------------------- reads


def test_read_returns_content_blob_sha_etag_and_commit_time(
    gh: FakeGitHub, conn: GitHubConnector, clock: FakeClock
) -> None:
    result = conn.read()

    assert result.content == V1
    assert result.exists and not result.unchanged
    assert result.marker.sha == git_blob_sha(V1)
    assert result.marker.ref == "main"
    assert result.marker.etag and result.marker.etag.startswith('W/"')
    assert result.modified_at is not None
    assert result.modified_at.timestamp() == int(clock())


def test_requests_carry_auth_accept_and_api_version(gh: FakeGitHub, conn: GitHubConnector) -> None:
    conn.read()
    request = gh.requests[0]
    assert request.headers["authorization"] == f"Bearer {gh.token}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == API_VERSION == "2022-11-28"
    assert request.url.params["ref"] == "main"


def test_conditional_read_304_is_unchanged_and_not_charged(
    gh: FakeGitHub, conn: GitHubConnector
) -> None:
    first = conn.read()
    remaining = gh.rate_limit_remaining

    again = conn.read(first.marker)

    assert again.unchanged and again.content is None
    assert again.marker == first.marker
    assert gh.requests[-1].headers["if-none-match"] == first.marker.etag
    assert gh.rate_limit_remaining == remaining  # a 304 costs nothing
    assert conn.rate_limit_remaining == remaining


def test_conditional_read_sees_a_human_edit(gh: FakeGitHub, conn: GitHubConnector) -> None:
    first = conn.read()
    gh.set_file(PATH, V2, message="Human edit")

    again = conn.read(first.marker)

    assert not again.unchanged
    assert again.content == V2
    assert again.marker.sha == git_blob_sha(V2)


def test_commit_elsewhere_in_repo_still_304(gh: FakeGitHub, conn: GitHubConnector) -> None:
    first = conn.read()
    gh.set_file("README.md", b"hello")
    assert conn.read(first.marker).unchanged


def test_marker_survives_json_round_trip(gh: FakeGitHub, conn: GitHubConnector) -> None:
    first = conn.read()
    restored = VersionMarker.from_json(first.marker.to_json())

    assert restored == first.marker
    assert conn.read(restored).unchanged


def test_same_blob_without_etag_is_unchanged_but_has_content(
    gh: FakeGitHub, conn: GitHubConnector
) -> None:
    first = conn.read()
    no_etag = VersionMarker(origin="github", sha=first.marker.sha, ref="main")

    again = conn.read(no_etag)

    assert again.unchanged and again.content == V1


def test_large_file_is_fetched_through_the_blob_api(clock: FakeClock) -> None:
    gh = FakeGitHub(clock=clock, large_file_threshold=16)
    big = b'{"components": ' + b"[]" * 50 + b"}\n"
    gh.set_file(PATH, big)

    result = connector(gh, clock).read()

    assert result.content == big
    assert gh.count("GET", "/git/blobs/") == 1


def test_missing_file_reads_as_not_existing(gh: FakeGitHub, clock: FakeClock) -> None:
    conn = connector(gh, clock, path="docs/new.json")
    result = conn.read()

    assert result.content is None and not result.exists
    assert result.marker.sha is None and result.marker.ref == "main"


def test_github_enterprise_base_url_with_path_prefix(clock: FakeClock) -> None:
    gh = FakeGitHub(clock=clock, api_url="https://ghe.example.test/api/v3")
    gh.set_file(PATH, V1)

    result = connector(gh, clock).read()

    assert result.content == V1
    assert gh.requests[0].url.path.startswith("/api/v3/repos/acme/architecture/contents/")


# ----------------------------------------------------------------------------- writes


def test_write_commits_with_the_sha_read(gh: FakeGitHub, conn: GitHubConnector) -> None:
    first = conn.read()

    marker = conn.write(V2, first.marker, "Sync from AI Studio")

    assert gh.file(PATH) == V2
    assert gh.commits()[0].message == "Sync from AI Studio"
    assert marker.sha == git_blob_sha(V2) and marker.ref == "main"
    assert conn.read(marker).content == V2


def test_write_with_stale_sha_raises_and_leaves_file_untouched(
    gh: FakeGitHub, conn: GitHubConnector
) -> None:
    first = conn.read()
    gh.set_file(PATH, V3, message="Human edit")
    head = gh.branch_head()

    with pytest.raises(StaleMarker) as info:
        conn.write(V2, first.marker, "Sync")

    assert info.value.retryable and info.value.status == 409
    assert info.value.origin == "github" and info.value.type == "stale_marker"
    assert gh.file(PATH) == V3
    assert gh.branch_head() == head


def test_write_creates_a_missing_file(gh: FakeGitHub, clock: FakeClock) -> None:
    conn = connector(gh, clock, path="docs/new.json")
    missing = conn.read()

    marker = conn.write(V2, missing.marker, "Create architecture file")

    assert gh.file("docs/new.json") == V2
    assert marker.sha == git_blob_sha(V2)


def test_create_over_a_file_someone_else_created_is_stale(gh: FakeGitHub, clock: FakeClock) -> None:
    conn = connector(gh, clock, path="docs/new.json")
    missing = conn.read()
    gh.set_file("docs/new.json", V3)

    with pytest.raises(StaleMarker) as info:
        conn.write(V2, missing.marker, "Create")

    assert info.value.status == 422
    assert gh.file("docs/new.json") == V3


def test_commit_mode_rejects_marker_from_another_branch(
    gh: FakeGitHub, conn: GitHubConnector
) -> None:
    marker = VersionMarker(origin="github", sha=git_blob_sha(V1), ref="hub/sync/demo")
    with pytest.raises(StaleMarker):
        conn.write(V2, marker, "Sync")
    assert gh.file(PATH) == V1


def test_drive_marker_is_a_programming_error(conn: GitHubConnector) -> None:
    with pytest.raises(ValueError):
        conn.write(V2, VersionMarker(origin="drive", version=3), "Sync")


def test_concurrent_writes_are_serialized(gh: FakeGitHub, clock: FakeClock) -> None:
    """Two writers with the same marker never overlap: one lands, the other is stale."""
    marker = connector(gh, clock).read().marker
    in_flight, peak = 0, 0
    guard = threading.Lock()

    def slow_puts(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        if request.method != "PUT":
            return gh.transport.handle_request(request)
        with guard:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.05)  # a slow GitHub widens the race window
        try:
            return gh.transport.handle_request(request)
        finally:
            with guard:
                in_flight -= 1

    outcomes: list[str] = []

    def write(content: bytes) -> None:
        conn = connector(gh, clock, client=httpx.Client(transport=httpx.MockTransport(slow_puts)))
        try:
            conn.write(content, marker, "Sync")
            outcomes.append("ok")
        except StaleMarker:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(c,)) for c in (V2, V3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert peak == 1
    assert sorted(outcomes) == ["ok", "stale"]
    assert len(gh.commits()) == 3  # initial, V1, one sync


def test_write_lock_is_per_document() -> None:
    assert write_lock("github", "u", "Acme", "Repo", "a.json") is write_lock(
        "github", "u", "acme", "repo", "a.json"
    )
    assert write_lock("github", "u", "acme", "repo", "a.json") is not write_lock(
        "github", "u", "acme", "repo", "b.json"
    )


# ----------------------------------------------------------------------------- pull_request mode


def test_sync_branch_name_is_ref_safe() -> None:
    assert sync_branch_name("demo") == "hub/sync/demo"
    assert sync_branch_name("Acme arch: v2..") == "hub/sync/Acme-arch-v2"
    assert sync_branch_name("x.lock") == "hub/sync/x"
    assert sync_branch_name("~^:?*") == "hub/sync/target"


def test_pull_request_mode_writes_to_hub_branch_and_opens_one_pr(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    first = pr_conn.read()
    assert first.marker.ref == "main" and pr_conn.pull_request is None

    marker = pr_conn.write(V2, first.marker, "Sync from AI Studio")

    assert gh.file(PATH) == V1  # target branch untouched
    assert gh.file(PATH, "hub/sync/demo") == V2
    assert marker.ref == "hub/sync/demo"
    [pr] = gh.open_pulls()
    assert (pr.head, pr.base) == ("hub/sync/demo", "main")
    assert pr_conn.pull_request is not None
    assert pr_conn.pull_request.number == pr.number
    assert pr_conn.pull_request.url.endswith(f"/pull/{pr.number}")
    assert "demo" in pr.title


def test_reads_come_from_the_pr_branch_while_it_is_open(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    marker = pr_conn.write(V2, pr_conn.read().marker, "Sync")
    gh.set_file(PATH, V3, message="Human edit on main")  # main moves; the PR is the GitHub side

    result = pr_conn.read(marker)

    assert result.content == V2
    assert result.marker.ref == "hub/sync/demo"
    assert result.unchanged  # same blob as our write


def test_later_syncs_update_the_same_pr(gh: FakeGitHub, pr_conn: GitHubConnector) -> None:
    pr_conn.write(V2, pr_conn.read().marker, "Sync 1")
    number = pr_conn.pull_request.number if pr_conn.pull_request else None

    pr_conn.write(V3, pr_conn.read().marker, "Sync 2")

    assert len(gh.pulls()) == 1
    assert pr_conn.pull_request is not None and pr_conn.pull_request.number == number
    assert gh.file(PATH, "hub/sync/demo") == V3
    assert [c.message for c in gh.commits("hub/sync/demo")[:2]] == ["Sync 2", "Sync 1"]


def test_pr_found_by_a_fresh_connector(gh: FakeGitHub, clock: FakeClock) -> None:
    """Another job (new connector instance) finds and reuses the open PR."""
    first = connector(gh, clock, write_mode="pull_request")
    first.write(V2, first.read().marker, "Sync 1")

    second = connector(gh, clock, write_mode="pull_request")
    result = second.read()
    second.write(V3, result.marker, "Sync 2")

    assert result.marker.ref == "hub/sync/demo"
    assert len(gh.pulls()) == 1


def test_after_merge_reads_target_branch_and_next_write_opens_new_pr(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    pr_conn.write(V2, pr_conn.read().marker, "Sync 1")
    gh.merge_pull_request(gh.open_pulls()[0].number)

    after = pr_conn.read()
    assert after.marker.ref == "main" and after.content == V2
    assert pr_conn.pull_request is None

    pr_conn.write(V3, after.marker, "Sync 2")

    pulls = gh.pulls()
    assert [p.state for p in pulls] == ["closed", "open"]
    assert pr_conn.pull_request is not None and pr_conn.pull_request.number == pulls[1].number
    # The hub branch was reset to main's head: the new PR carries only the new commit.
    head = gh.commits("hub/sync/demo")
    assert head[0].message == "Sync 2" and head[1].sha == gh.branch_head("main")


def test_after_merge_with_branch_deleted_the_branch_is_recreated(clock: FakeClock) -> None:
    gh = FakeGitHub(clock=clock, delete_branch_on_merge=True)
    gh.set_file(PATH, V1)
    conn = connector(gh, clock, write_mode="pull_request")
    conn.write(V2, conn.read().marker, "Sync 1")
    gh.merge_pull_request(gh.open_pulls()[0].number)
    assert "hub/sync/demo" not in gh.branches()

    conn.write(V3, conn.read().marker, "Sync 2")

    assert gh.file(PATH, "hub/sync/demo") == V3
    assert len(gh.open_pulls()) == 1


def test_after_close_without_merge_reads_target_and_resets_branch(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    pr_conn.write(V2, pr_conn.read().marker, "Rejected sync")
    gh.close_pull_request(gh.open_pulls()[0].number)

    after = pr_conn.read()
    assert after.marker.ref == "main" and after.content == V1

    pr_conn.write(V3, after.marker, "Sync 2")

    assert gh.file(PATH, "hub/sync/demo") == V3
    assert "Rejected sync" not in [c.message for c in gh.commits("hub/sync/demo")]
    assert len(gh.open_pulls()) == 1


def test_marker_from_pr_branch_is_stale_once_pr_merged(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    pr_conn.write(V2, pr_conn.read().marker, "Sync 1")
    on_branch = pr_conn.read().marker
    gh.merge_pull_request(gh.open_pulls()[0].number)

    with pytest.raises(StaleMarker, match="merged or closed"):
        pr_conn.write(V3, on_branch, "Sync 2")
    assert gh.file(PATH) == V2


def test_marker_from_target_is_stale_once_a_pr_is_open(gh: FakeGitHub, clock: FakeClock) -> None:
    one = connector(gh, clock, write_mode="pull_request")
    two = connector(gh, clock, write_mode="pull_request")
    read_before = two.read().marker
    one.write(V2, one.read().marker, "Sync 1")

    with pytest.raises(StaleMarker, match="opened since the read"):
        two.write(V3, read_before, "Sync 2")
    assert gh.file(PATH, "hub/sync/demo") == V2


def test_leftover_hub_branch_without_pr_is_force_reset(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    gh.create_branch("hub/sync/demo")
    gh.set_file(PATH, b"stale leftover\n", branch="hub/sync/demo")
    gh.set_file("other.txt", b"x")  # main moves on

    pr_conn.write(V2, pr_conn.read().marker, "Sync")

    assert gh.file("other.txt", "hub/sync/demo") == b"x"
    assert gh.commits("hub/sync/demo")[1].sha == gh.branch_head("main")
    assert gh.count("PATCH", "/git/refs/heads/hub/sync/demo") == 1


def test_pr_mode_stale_when_target_moves_between_read_and_write(
    gh: FakeGitHub, pr_conn: GitHubConnector
) -> None:
    marker = pr_conn.read().marker
    gh.set_file(PATH, V3, message="Human edit")

    with pytest.raises(StaleMarker):
        pr_conn.write(V2, marker, "Sync")
    assert gh.open_pulls() == []
    assert gh.file(PATH) == V3


def test_pr_permission_missing_is_actionable(gh: FakeGitHub, pr_conn: GitHubConnector) -> None:
    gh.set_permissions(pull_requests="none")
    with pytest.raises(AuthError) as info:
        pr_conn.read()
    assert not info.value.retryable
    assert "pull requests" in info.value.message and "HUB_GITHUB_TOKEN" in info.value.message


# ----------------------------------------------------------------------------- rate limits


def test_primary_rate_limit_waits_until_reset(
    gh: FakeGitHub, conn: GitHubConnector, clock: FakeClock
) -> None:
    gh.exhaust_rate_limit()
    gh.rate_limit_reset = clock() + 120

    with pytest.raises(RateLimited) as info:
        conn.read()

    assert info.value.retryable and info.value.status == 403
    assert info.value.retry_after == pytest.approx(120, abs=1)
    assert conn.rate_limit_remaining == 0


def test_spent_budget_fails_fast_without_a_request(
    gh: FakeGitHub, conn: GitHubConnector, clock: FakeClock
) -> None:
    gh.exhaust_rate_limit()
    gh.rate_limit_reset = clock() + 60
    with pytest.raises(RateLimited):
        conn.read()
    sent = len(gh.requests)

    clock.advance(30)
    with pytest.raises(RateLimited) as info:
        conn.read()
    assert len(gh.requests) == sent
    assert info.value.retry_after == pytest.approx(30, abs=1)

    clock.advance(31)  # past the reset: the fake refills, the connector tries again
    assert conn.read().content == V1


def test_rate_limit_remaining_is_exposed(gh: FakeGitHub, conn: GitHubConnector) -> None:
    assert conn.rate_limit_remaining is None
    conn.read()
    assert conn.rate_limit_remaining == gh.rate_limit_remaining
    assert conn.rate_limit_reset == int(gh.rate_limit_reset)


def test_secondary_limit_with_retry_after(gh: FakeGitHub, conn: GitHubConnector) -> None:
    gh.inject_secondary_rate_limit(retry_after=17)
    with pytest.raises(RateLimited) as info:
        conn.read()
    assert info.value.retry_after == 17
    assert "secondary" in info.value.message


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_without_retry_after_waits_a_minute(
    gh: FakeGitHub, conn: GitHubConnector, status: int
) -> None:
    gh.inject_secondary_rate_limit(status=status)
    with pytest.raises(RateLimited) as info:
        conn.read()
    assert info.value.retry_after is not None and info.value.retry_after >= 60


def test_429_with_http_date_retry_after(
    gh: FakeGitHub, conn: GitHubConnector, clock: FakeClock
) -> None:
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(clock() + 90))
    gh.faults.status(429, json={"message": "Too many"}, headers={"retry-after": when})
    with pytest.raises(RateLimited) as info:
        conn.read()
    assert info.value.retry_after == pytest.approx(90, abs=1)


def test_rate_limit_on_write_leaves_file_untouched(gh: FakeGitHub, conn: GitHubConnector) -> None:
    marker = conn.read().marker
    gh.inject_secondary_rate_limit(method="PUT")
    with pytest.raises(RateLimited):
        conn.write(V2, marker, "Sync")
    assert gh.file(PATH) == V1
    assert conn.write(V2, marker, "Sync").sha == git_blob_sha(V2)


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_unavailable_and_retryable(
    gh: FakeGitHub, conn: GitHubConnector, status: int
) -> None:
    gh.faults.status(status)
    with pytest.raises(Unavailable) as info:
        conn.read()
    assert info.value.retryable and info.value.status == status


def test_timeout_is_unavailable(gh: FakeGitHub, conn: GitHubConnector) -> None:
    marker = conn.read().marker
    gh.faults.timeout(method="PUT")
    with pytest.raises(Unavailable) as info:
        conn.write(V2, marker, "Sync")
    assert info.value.retryable and "timed out" in info.value.message
    assert gh.file(PATH) == V1


def test_network_error_is_unavailable(gh: FakeGitHub, conn: GitHubConnector) -> None:
    gh.faults.network_error()
    with pytest.raises(Unavailable, match="could not reach GitHub"):
        conn.read()


def test_bad_token_is_auth_error_naming_the_setting(gh: FakeGitHub, clock: FakeClock) -> None:
    conn = connector(gh, clock, token="wrong-token-0123456789")
    with pytest.raises(AuthError) as info:
        conn.read()
    assert not info.value.retryable and info.value.status == 401
    assert "HUB_GITHUB_TOKEN" in info.value.message
    assert "wrong-token-0123456789" not in str(info.value)


def test_read_only_token_cannot_write(gh: FakeGitHub, conn: GitHubConnector) -> None:
    marker = conn.read().marker
    gh.set_permissions(contents="read")
    with pytest.raises(AuthError) as info:
        conn.write(V2, marker, "Sync")
    assert info.value.status == 403 and not info.value.retryable
    assert "contents: read and write" in info.value.message
    assert "acme/architecture" in info.value.message


def test_missing_branch_is_not_found(gh: FakeGitHub, clock: FakeClock) -> None:
    with pytest.raises(NotFound) as info:
        connector(gh, clock, branch="release").read()
    assert not info.value.retryable
    assert "release" in info.value.message and "acme/architecture" in info.value.message


def test_missing_repo_is_not_found(gh: FakeGitHub, clock: FakeClock) -> None:
    with pytest.raises(NotFound) as info:
        connector(gh, clock, repo="nope").read()
    assert "acme/nope" in info.value.message and "HUB_GITHUB_TOKEN" in info.value.message


def test_directory_path_is_a_clear_error(gh: FakeGitHub, clock: FakeClock) -> None:
    with pytest.raises(ConnectorError, match="not a file"):
        connector(gh, clock, path="docs").read()


def test_empty_token_is_rejected_up_front() -> None:
    with pytest.raises(AuthError, match="HUB_GITHUB_TOKEN"):
        GitHubConnector("https://api.github.test", "", "o", "r", "p.json")


def test_no_token_in_any_error(gh: FakeGitHub, clock: FakeClock) -> None:
    """Every error path, including a server that echoes the token back, hides it."""
    conn = connector(gh, clock)
    marker = conn.read().marker
    errors: list[ConnectorError] = []

    def capture(action: Any) -> None:
        try:
            action()
        except ConnectorError as exc:
            errors.append(exc)

    gh.faults.status(500, json={"message": f"boom for Bearer {gh.token} ({gh.token})"})
    capture(conn.read)
    gh.faults.status(422, json={"message": f"bad sha; token={gh.token}"}, method="PUT")
    capture(lambda: conn.write(V2, marker, "Sync"))
    gh.faults.timeout()
    capture(conn.read)
    gh.inject_secondary_rate_limit()
    capture(conn.read)
    capture(lambda: connector(gh, clock, repo="nope").read())
    gh.set_file(PATH, V3)
    capture(lambda: conn.write(V2, marker, "Sync"))
    bad = connector(gh, clock, token="another-secret-token-42")
    capture(bad.read)

    assert len(errors) == 7
    for exc in errors:
        for text in (str(exc), repr(exc), str(exc.to_dict()), *map(str, exc.args)):
            assert gh.token not in text
            assert "another-secret-token-42" not in text
        assert exc.__cause__ is None or gh.token not in str(exc.__cause__)


def test_error_to_dict_has_attempt_fields(gh: FakeGitHub, conn: GitHubConnector) -> None:
    gh.faults.status(503)
    with pytest.raises(Unavailable) as info:
        conn.read()
    assert info.value.to_dict() == {
        "origin": "github",
        "type": "unavailable",
        "retryable": True,
        "message": info.value.message,
        "retry_after": None,
        "status": 503,
    }


def test_own_client_is_created_and_closed() -> None:
    conn = GitHubConnector("https://api.github.test/", "t0ken-value-123", "o", "r", "/a.json")
    assert conn.api_url == "https://api.github.test" and conn.path == "a.json"
    assert conn.describe() == "github:o/r/a.json@main"
    with conn:
        pass
    assert conn._client.is_closed


def test_unknown_write_mode_rejected() -> None:
    with pytest.raises(ValueError):
        GitHubConnector("https://x.test", "t", "o", "r", "p", write_mode="force")  # type: ignore[arg-type]


def test_client_with_transport_errors_bubbles_as_unavailable(clock: FakeClock) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed", request=request)

    client = httpx.Client(transport=httpx.MockTransport(broken))
    conn = GitHubConnector(
        "https://api.github.test", "tok-123456789", "o", "r", "p.json", client=client, clock=clock
    )
    with pytest.raises(Unavailable):
        conn.read()
