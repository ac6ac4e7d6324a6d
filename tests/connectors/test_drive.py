"""DriveConnector driven against the stateful Drive fake (and the OAuth fake for 401s)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from engine.connectors import (
    AuthError,
    ConnectorError,
    DriveConnector,
    LostUpdate,
    NotFound,
    RateLimited,
    ServiceAccountTokenProvider,
    StaleMarker,
    StaticTokenProvider,
    Unavailable,
    VersionMarker,
)
from tests.fakes import FakeClock, client_for
from tests.fakes.drive import FakeDrive
from tests.fakes.google_oauth import FakeGoogleOAuth

TOKEN = "static-drive-token-5d41402abc"
V1 = b'{"components": [], "version": "1"}\n'
V2 = b'{"components": [{"id": "auth"}], "version": "1"}\n'
OTHER = b'{"components": [{"id": "billing"}], "version": "1"}\n'
OTHER2 = b'{"components": [{"id": "billing"}, {"id": "crm"}], "version": "1"}\n'


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def drive(clock: FakeClock) -> FakeDrive:
    return FakeDrive(clock=clock)


@pytest.fixture
def file_id(drive: FakeDrive) -> str:
    return drive.add_file(V1)


def make(drive: FakeDrive, file_id: str, tokens: Any = None) -> DriveConnector:
    return DriveConnector(
        drive.base_url, file_id, tokens or StaticTokenProvider(TOKEN), client=drive.client()
    )


@pytest.fixture
def conn(drive: FakeDrive, file_id: str) -> DriveConnector:
    return make(drive, file_id)


def media_gets(drive: FakeDrive) -> int:
    return sum(1 for r in drive.requests if r.url.params.get("alt") == "media")


# ----------------------------------------------------------------------------- reads


def test_read_returns_content_and_full_marker(
    drive: FakeDrive, file_id: str, conn: DriveConnector, clock: FakeClock
) -> None:
    result = conn.read()

    f = drive.file(file_id)
    assert result.content == V1 and not result.unchanged
    assert result.marker.origin == "drive"
    assert result.marker.version == f.version
    assert result.marker.head_revision_id == f.head_revision_id
    assert result.marker.md5 == hashlib.md5(V1).hexdigest()
    assert result.modified_at is not None and result.modified_at.timestamp() == int(clock())
    request = drive.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.url.params["fields"] == "id,name,version,md5Checksum,modifiedTime,headRevisionId"
    assert conn.file_name == "architecture.json"


def test_same_version_is_unchanged_without_download(drive: FakeDrive, conn: DriveConnector) -> None:
    first = conn.read()
    downloads = media_gets(drive)

    again = conn.read(first.marker)

    assert again.unchanged and again.content is None
    assert again.marker == first.marker
    assert media_gets(drive) == downloads


def test_marker_survives_json_round_trip(drive: FakeDrive, conn: DriveConnector) -> None:
    first = conn.read()
    restored = VersionMarker.from_json(first.marker.to_json())
    assert restored == first.marker
    assert conn.read(restored).unchanged


def test_ai_studio_save_is_seen(drive: FakeDrive, file_id: str, conn: DriveConnector) -> None:
    first = conn.read()
    drive.set_content(file_id, OTHER)

    again = conn.read(first.marker)

    assert again.content == OTHER and not again.unchanged
    assert again.marker.version == first.marker.version + 1


def test_metadata_only_change_downloads_but_reports_unchanged(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()
    drive.touch_metadata(file_id, name="renamed.json")

    again = conn.read(first.marker)

    assert again.unchanged and again.content == V1
    assert again.marker.version == first.marker.version + 1


def test_read_racing_a_save_returns_a_consistent_marker(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    drive.faults.before(
        lambda: drive.set_content(file_id, OTHER),
        method="GET",
        where=lambda request: request.url.params.get("alt") == "media",
    )
    # The save lands between the metadata and the download, so they disagree at first.
    result = conn.read()

    assert result.content == OTHER
    assert result.marker.md5 == hashlib.md5(OTHER).hexdigest()
    assert result.marker.version == drive.file(file_id).version
    assert media_gets(drive) == 2


# ----------------------------------------------------------------------------- writes


def test_write_uploads_and_returns_new_marker(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()

    marker = conn.write(V2, first.marker, "ignored on Drive")

    f = drive.file(file_id)
    assert f.content == V2
    assert marker.version == first.marker.version + 1 == f.version
    assert marker.head_revision_id == f.head_revision_id
    assert marker.md5 == hashlib.md5(V2).hexdigest()
    assert drive.count("GET", "/revisions") == 0  # version +1 proves nobody else wrote
    upload = next(r for r in drive.requests if r.method == "PATCH")
    assert upload.url.path == f"/upload/drive/v3/files/{file_id}"
    assert upload.url.params["uploadType"] == "media"
    assert conn.read(marker).unchanged


def test_write_after_someone_saved_is_stale_and_uploads_nothing(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()
    drive.set_content(file_id, OTHER)

    with pytest.raises(StaleMarker) as info:
        conn.write(V2, first.marker, "sync")

    assert info.value.retryable and info.value.origin == "drive"
    assert drive.content(file_id) == OTHER
    assert drive.count("PATCH") == 0


def test_lost_update_is_detected_and_overwritten_content_returned(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()
    drive.write_before_next_upload(file_id, OTHER)

    with pytest.raises(LostUpdate) as info:
        conn.write(V2, first.marker, "sync")

    exc = info.value
    assert exc.retryable and exc.type == "lost_update"
    assert exc.overwritten == OTHER
    assert exc.revisions == [(exc.overwritten_revision_id, OTHER)]
    f = drive.file(file_id)
    assert f.content == V2  # our upload landed...
    assert exc.marker.version == f.version and exc.marker.head_revision_id == f.head_revision_id
    # ...and the engine re-merges and writes again against the marker it was given.
    merged = b'{"components": [{"id": "auth"}, {"id": "billing"}], "version": "1"}\n'
    final = conn.write(merged, exc.marker, "re-merge")
    assert drive.content(file_id) == merged and final.version == f.version


def test_two_intervening_writers_are_all_reported(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()

    def two_saves() -> None:
        drive.set_content(file_id, OTHER)
        drive.set_content(file_id, OTHER2)

    drive.faults.before(two_saves, method="PATCH")

    with pytest.raises(LostUpdate) as info:
        conn.write(V2, first.marker, "sync")

    assert [content for _, content in info.value.revisions] == [OTHER, OTHER2]
    assert info.value.overwritten == OTHER2


def test_bigger_version_step_alone_is_not_a_lost_update(clock: FakeClock) -> None:
    drive = FakeDrive(clock=clock, version_step=3)
    file_id = drive.add_file(V1)
    conn = make(drive, file_id)

    marker = conn.write(V2, conn.read().marker, "sync")

    assert marker.version == drive.file(file_id).version
    assert drive.count("GET", "/revisions") == 1  # checked, found nothing foreign


def test_metadata_change_in_the_window_is_not_a_lost_update(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()
    drive.faults.before(lambda: drive.touch_metadata(file_id), method="PATCH")

    marker = conn.write(V2, first.marker, "sync")

    assert marker.version == first.marker.version + 2
    assert drive.content(file_id) == V2


def test_lost_update_found_when_marker_revision_was_pruned(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()

    def save_and_prune() -> None:
        drive.set_content(file_id, OTHER)
        drive.prune_revisions(file_id, keep_last=1)

    drive.faults.before(save_and_prune, method="PATCH")

    with pytest.raises(LostUpdate) as info:
        conn.write(V2, first.marker, "sync")
    assert info.value.overwritten == OTHER


def test_lost_update_found_across_revision_pages(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    for i in range(250):
        drive.set_content(file_id, f'{{"n": {i}}}')
    first = conn.read()
    drive.write_before_next_upload(file_id, OTHER)

    with pytest.raises(LostUpdate) as info:
        conn.write(V2, first.marker, "sync")

    assert info.value.overwritten == OTHER
    assert drive.count("GET", "/revisions") >= 3  # two list pages + one download


def test_flaky_revision_download_is_retried(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()
    drive.write_before_next_upload(file_id, OTHER)
    drive.faults.status(503, method="GET", path="/revisions/")

    with pytest.raises(LostUpdate) as info:
        conn.write(V2, first.marker, "sync")
    assert info.value.overwritten == OTHER


def test_failed_check_after_upload_is_an_unverified_write_not_silence(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    first = conn.read()
    drive.write_before_next_upload(file_id, OTHER)
    drive.faults.status(500, method="GET", path="/revisions", times=3)

    with pytest.raises(LostUpdate) as info:
        conn.write(V2, first.marker, "sync")

    exc = info.value
    assert exc.type == "unverified_write" and exc.retryable
    assert exc.overwritten is None and exc.expected == first.marker
    assert "recover_overwritten" in exc.message
    assert drive.content(file_id) == V2
    # Later (e.g. in the engine's next attempt) the overwritten content is still recoverable.
    [(revision_id, content)] = conn.recover_overwritten(exc.expected, exc.marker)
    assert content == OTHER and conn.revision_content(revision_id) == OTHER


def test_recover_overwritten_is_empty_without_a_foreign_write(
    drive: FakeDrive, conn: DriveConnector
) -> None:
    first = conn.read()
    written = conn.write(V2, first.marker, "sync")
    assert conn.recover_overwritten(first.marker, written) == []


def test_github_marker_is_a_programming_error(conn: DriveConnector) -> None:
    with pytest.raises(ValueError):
        conn.write(V2, VersionMarker(origin="github", sha="abc"), "sync")


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "rateLimitExceeded"])
def test_403_rate_limit_reasons_are_rate_limited(
    drive: FakeDrive, conn: DriveConnector, reason: str
) -> None:
    drive.inject_rate_limit(reason=reason)
    with pytest.raises(RateLimited) as info:
        conn.read()
    assert info.value.retryable and info.value.status == 403
    assert reason in info.value.message


def test_429_with_retry_after(drive: FakeDrive, conn: DriveConnector) -> None:
    drive.inject_rate_limit(status=429, reason="rateLimitExceeded", retry_after=12)
    with pytest.raises(RateLimited) as info:
        conn.read()
    assert info.value.retry_after == 12


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable(drive: FakeDrive, conn: DriveConnector, status: int) -> None:
    drive.faults.status(status, json={"error": {"code": status, "message": "Backend Error"}})
    with pytest.raises(Unavailable) as info:
        conn.read()
    assert info.value.retryable and info.value.status == status


def test_timeout_during_upload_is_unavailable(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    marker = conn.read().marker
    drive.faults.timeout(method="PATCH")
    with pytest.raises(Unavailable):
        conn.write(V2, marker, "sync")
    assert drive.content(file_id) == V1


def test_missing_file_is_not_found_with_file_id(drive: FakeDrive) -> None:
    conn = make(drive, "no-such-file")
    with pytest.raises(NotFound) as info:
        conn.read()
    assert not info.value.retryable and "no-such-file" in info.value.message
    assert "shared" in info.value.message


def test_read_only_access_is_auth_error(
    drive: FakeDrive, file_id: str, conn: DriveConnector
) -> None:
    marker = conn.read().marker
    drive.set_access(file_id, "reader")
    with pytest.raises(AuthError) as info:
        conn.write(V2, marker, "sync")
    assert not info.value.retryable and info.value.status == 403
    assert "insufficientFilePermissions" in info.value.message
    assert "share the file" in info.value.message


def test_static_token_rejected_retries_once_then_auth_error(drive: FakeDrive, file_id: str) -> None:
    drive.token_validator = lambda token: False
    conn = make(drive, file_id)

    with pytest.raises(AuthError) as info:
        conn.read()

    assert drive.count() == 2
    assert "HUB_GOOGLE_ACCESS_TOKEN" in info.value.message
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


def test_401_refreshes_service_account_token_once(clock: FakeClock) -> None:
    oauth = FakeGoogleOAuth(clock=clock)
    drive = FakeDrive(clock=clock, token_validator=oauth.is_valid)
    file_id = drive.add_file(V1)
    client = client_for(oauth, drive)
    tokens = ServiceAccountTokenProvider(
        oauth.create_service_account(), token_url=oauth.token_url, client=client, clock=clock
    )
    conn = DriveConnector(drive.base_url, file_id, tokens, client=client)
    assert conn.read().content == V1

    oauth.revoke()  # e.g. the key was rotated; the cached token no longer works
    assert conn.read().content == V1

    assert oauth.token_requests == 2
    # First read: metadata + media. Second: metadata (401), the same retried with a new
    # token, then media.
    assert drive.count() == 5
    rejected, retried = drive.requests[2], drive.requests[3]
    assert rejected.url == retried.url
    assert rejected.headers["authorization"] != retried.headers["authorization"]


def test_no_token_in_any_error(drive: FakeDrive, file_id: str, conn: DriveConnector) -> None:
    marker = conn.read().marker
    errors: list[ConnectorError] = []

    def capture(action: Any) -> None:
        try:
            action()
        except ConnectorError as exc:
            errors.append(exc)

    drive.faults.status(500, json={"error": {"code": 500, "message": f"echo Bearer {TOKEN}"}})
    capture(conn.read)
    drive.inject_rate_limit()
    capture(conn.read)
    drive.faults.timeout()
    capture(conn.read)
    capture(make(drive, "missing").read)
    drive.set_content(file_id, OTHER)
    capture(lambda: conn.write(V2, marker, "sync"))
    drive.token_validator = lambda token: False
    capture(conn.read)

    assert len(errors) == 6
    for exc in errors:
        for text in (str(exc), repr(exc), str(exc.to_dict())):
            assert TOKEN not in text
