"""History from real syncs (through the sync harness's fakes), on every store backend."""

from __future__ import annotations

import base64

import pytest

from engine.architecture.diff import diff_models
from engine.architecture.history import (
    github_web_url,
    load_version,
    recent_changes,
    targets,
    versions,
)
from engine.config import Settings
from engine.errors import HubError
from engine.store import Store
from engine.sync.document import parse_document
from tests.architecture.helpers import history_world
from tests.fakes.github import DEFAULT_TOKEN
from tests.sync.harness import PATH, component, document, make_world


def test_versions_tell_who_and_what_changed_the_model(store: Store) -> None:
    w = history_world(store)
    settings = Settings(github_api_url=w.github.base_url)
    listed = versions(store, "arch", settings=settings)
    assert [v.number for v in listed] == list(range(1, len(listed) + 1))
    origins = [v.origin for v in listed]
    assert origins[0] == "first_sync"
    assert "github" in origins and "ai_studio" in origins and origins[-1] == "operator"
    by_origin = {v.origin: v for v in listed}
    assert by_origin["github"].changes == "+0 ~1 −0"
    assert "GitHub edit" in by_origin["github"].description
    assert by_origin["ai_studio"].changes == "+1 ~0 −0"
    assert by_origin["operator"].actor == "ana@acme.test"
    assert "ana@acme.test" in by_origin["operator"].description
    assert by_origin["operator"].trigger == "resolution"

    latest = listed[-1]
    assert latest.github_ref == w.github.file_sha(PATH)  # the blob the snapshot matches
    assert latest.drive_revision == w.drive.file(w.file_id).head_revision_id
    version, doc = load_version(store, "arch", settings=settings)
    assert version.snapshot_id == latest.snapshot_id and version.number == latest.number
    assert [c["version"] for c in doc["components"] if c["id"] == "auth"] == ["3.0.0"]


def test_links_point_at_the_exact_blob_and_drive_revision(store: Store) -> None:
    w = history_world(store)
    settings = Settings(github_api_url=w.github.base_url, drive_api_url=w.drive.base_url)
    version, doc = load_version(store, "arch", settings=settings)
    links = version.links
    blob = w.github.client().get(
        links["github_blob"], headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    )
    assert blob.status_code == 200, blob.text
    assert links["drive_revision"].endswith(f"/revisions/{version.drive_revision}")
    assert links["drive_file"] == f"https://drive.google.com/file/d/{w.file_id}/view"
    assert links["github_commits"].endswith(f"/commits/main/{PATH}")
    content = base64.b64decode(blob.json()["content"])
    assert parse_document(content, source="github").data["components"] == doc["components"]


def test_versions_limit_upto_and_recent_changes(store: Store) -> None:
    history_world(store)
    everything = versions(store, "arch")
    assert versions(store, "arch", limit=2) == everything[-2:]
    upto = everything[2].snapshot_id
    assert [v.snapshot_id for v in versions(store, "arch", upto=upto)] == [
        v.snapshot_id for v in everything[:3]
    ]
    changes = recent_changes(store, "arch", count=3)
    assert [v.snapshot_id for v, _ in changes] == [v.snapshot_id for v in everything[-3:]][::-1]
    newest, diff = changes[0]
    _, before = load_version(store, "arch", everything[-2].snapshot_id)
    _, after = load_version(store, "arch", newest.snapshot_id)
    assert diff.to_dict() == diff_models(before, after).to_dict()
    first = recent_changes(store, "arch", upto=everything[0].snapshot_id)
    assert len(first) == 1 and [c.id for c in first[0][1].added] == ["auth"]
    plain = versions(store, "arch", with_changes=False)
    assert [v.snapshot_id for v in plain] == [v.snapshot_id for v in everything]
    assert all(v.changes is None for v in plain)


def test_targets_count_versions_and_errors_say_what_to_do(store: Store) -> None:
    history_world(store)
    make_world(store, github_doc=None, drive_doc=document(component("x")), name="fresh")
    listed = {t.name: t for t in targets(store)}
    assert listed["fresh"].versions == 0 and listed["arch"].versions == len(versions(store, "arch"))
    with pytest.raises(HubError, match="no synced model yet"):
        load_version(store, "fresh")
    with pytest.raises(HubError, match="no version 999"):
        load_version(store, "arch", 999)
    with pytest.raises(HubError, match="no sync target named 'nope'"):
        versions(store, "nope")
    assert versions(store, "fresh") == []


def test_github_web_url_for_github_and_enterprise() -> None:
    assert github_web_url("https://api.github.com") == "https://github.com"
    assert github_web_url("https://ghe.acme.test/api/v3/") == "https://ghe.acme.test"
    assert github_web_url("http://127.0.0.1:9999") == "http://127.0.0.1:9999"
