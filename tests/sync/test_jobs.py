"""Sync jobs end to end: real connectors against the stateful fakes, on every backend."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from engine.sync.jobs import claim, enqueue
from engine.sync.models import ConflictRecord, Snapshot, SyncJob
from engine.sync.service import list_conflicts, resolve_conflict, target_status
from tests.actors import ADMIN
from tests.sync.harness import PATH, component, document


def test_first_sync_unions_and_creates_the_github_file(world_factory) -> None:
    w = world_factory(github_doc=None, drive_doc=document(component("auth"), component("core")))
    job = w.sync()
    assert job["status"] == "succeeded", job
    assert w.github_doc() == w.drive_doc()
    assert [c["id"] for c in w.github_doc()["components"]] == ["auth", "core"]
    assert job["timings_ms"]["fetch"] is not None
    with w.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_one_sided_edits_flow_both_ways(world_factory) -> None:
    base = document(component("auth"), component("core"))
    w = world_factory(github_doc=base, drive_doc=base)
    assert w.sync()["status"] == "succeeded"
    gh = document(component("auth", version="2.0.0"), component("core"))
    w.edit_github(gh)
    ai = document(component("auth"), component("core", technologies=["Go"]), component("web"))
    w.edit_drive(ai)
    job = w.sync()
    assert job["status"] == "succeeded"
    merged = w.github_doc()
    assert merged == w.drive_doc()
    by_id = {c["id"]: c for c in merged["components"]}
    assert by_id["auth"]["version"] == "2.0.0"
    assert by_id["core"]["technologies"] == ["Go"]
    assert "web" in by_id
    assert job["counts"]["added"] == 1 and job["counts"]["changed"] == 2


def test_nothing_changed_writes_nothing(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.sync()
    commits_before = len(w.github.commits())
    version_before = w.drive.file(w.file_id).version
    job = w.sync()
    assert job["status"] == "succeeded"
    assert "nothing changed" in job["attempts"][0]["message"]
    assert len(w.github.commits()) == commits_before
    assert w.drive.file(w.file_id).version == version_before


def test_same_content_in_other_formatting_is_left_alone(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.sync()
    w.github.set_file(PATH, json.dumps(base, indent=8))  # same content, other formatting
    commits = len(w.github.commits())
    version = w.drive.file(w.file_id).version
    assert w.sync()["status"] == "succeeded"
    assert len(w.github.commits()) == commits and w.drive.file(w.file_id).version == version


def test_invalid_document_fails_at_once_and_writes_nothing(world_factory) -> None:
    good = document(component("auth"))
    w = world_factory(github_doc=good, drive_doc=good)
    w.sync()
    w.edit_drive(document(component("auth", version="two"), component("x", dependencies=["nope"])))
    commits = len(w.github.commits())
    job = w.sync()
    assert job["status"] == "failed"
    (attempt,) = job["attempts"]
    assert attempt["origin"] == "validation" and attempt["retryable"] is False
    rules = {(v["pointer"], v["rule"]) for v in attempt["violations"]}
    assert ("/components/0/version", "version_format_valid") in rules
    assert ("/components/1/dependencies/0", "reference_exists") in rules or any(
        r == "reference_exists" for _, r in rules
    )
    assert len(w.github.commits()) == commits


def test_conflict_under_manual_keeps_each_side_then_resolution_syncs(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.sync()
    w.edit_github(document(component("auth", version="2.0.0")))
    w.edit_drive(document(component("auth", version="3.0.0"), component("web")))
    job = w.sync()
    assert job["status"] == "conflict"
    # Everything that merged cleanly is written; the conflicting field keeps each side's value.
    assert {c["id"] for c in w.github_doc()["components"]} == {"auth", "web"}
    assert w.github_doc()["components"][0]["version"] == "2.0.0"
    assert w.drive_doc()["components"][0]["version"] == "3.0.0"
    (conflict,) = list_conflicts(w.store, "arch")
    assert conflict["path"] == "/components/auth/version"
    assert (conflict["base"], conflict["github"], conflict["ai_studio"]) == (
        "1.0.0",
        "2.0.0",
        "3.0.0",
    )
    # Re-syncing does not duplicate the open conflict.
    assert w.sync()["status"] == "conflict"
    assert len(list_conflicts(w.store, "arch")) == 1
    record, queued = resolve_conflict(w.store, ADMIN, conflict["id"], take="ai_studio")
    assert queued is not None and record["resolved_by"] == ADMIN.name
    from engine.sync.service import work_job

    job = work_job(w.store, queued.job_id, factory=w.factory, sleep=lambda _s: None)
    assert job["status"] == "succeeded", job
    assert (
        w.github_doc()["components"][0]["version"]
        == "3.0.0"
        == (w.drive_doc()["components"][0]["version"])
    )
    assert list_conflicts(w.store, "arch") == []
    (kept,) = list_conflicts(w.store, "arch", include_all=True)
    assert kept["status"] == "applied" and kept["github"] == "2.0.0"  # the loser is kept


def test_policy_settles_and_records_the_loser(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base, policy="github_wins")
    w.sync()
    w.edit_github(document(component("auth", version="2.0.0")))
    w.edit_drive(document(component("auth", version="3.0.0")))
    assert w.sync()["status"] == "succeeded"
    assert w.drive_doc()["components"][0]["version"] == "2.0.0"
    (record,) = list_conflicts(w.store, "arch", include_all=True)
    assert record["status"] == "settled" and record["ai_studio"] == "3.0.0"
    assert record["resolved_by"] == "policy:github_wins"


def test_stale_sha_rereads_and_remerges(world_factory) -> None:
    base = document(component("auth"), component("core"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.sync()
    w.edit_drive(document(component("auth", version="1.1.0"), component("core")))
    # A human commits between our read and our write: the PUT gets a 409.
    w.github.faults.before(
        lambda: w.edit_github(document(component("auth"), component("core", version="9.0.0"))),
        method="PUT",
    )
    job = w.sync()
    assert job["status"] == "succeeded", job
    by_id = {c["id"]: c for c in w.github_doc()["components"]}
    assert by_id["auth"]["version"] == "1.1.0" and by_id["core"]["version"] == "9.0.0"
    assert w.github_doc() == w.drive_doc()


def test_drive_lost_update_is_rebased_not_lost(world_factory) -> None:
    base = document(component("auth"), component("core"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.sync()
    w.edit_github(document(component("auth", version="2.0.0"), component("core")))
    w.drive.write_before_next_upload(
        w.file_id, json.dumps(document(component("auth"), component("core"), component("ml")))
    )
    job = w.sync()
    assert job["status"] == "succeeded", job
    ids = {c["id"] for c in w.drive_doc()["components"]}
    assert ids == {"auth", "core", "ml"}
    assert w.github_doc() == w.drive_doc()


def test_transient_errors_retry_then_succeed(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.sync()
    w.edit_drive(document(component("auth", version="1.0.1")))
    w.github.faults.status(502)
    w.drive.faults.timeout()
    job = w.sync()
    assert job["status"] == "succeeded"
    assert [a["status"] for a in job["attempts"]][-1] == "succeeded"
    assert len(job["attempts"]) >= 2
    assert {a["type"] for a in job["attempts"][:-1]} <= {"unavailable"}


def test_auth_failure_stops_at_once_and_repeated_failures_pause(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base)
    w.github.token = "another-token"  # our token is now rejected: 401
    for _ in range(3):
        job = w.sync()
        assert job["status"] == "failed" and len(job["attempts"]) == 1
        assert job["attempts"][0]["retryable"] is False
    (status,) = target_status(w.store, "arch")
    assert status["paused"] and "3 consecutive failed" in status["paused_reason"]


def test_sync_now_is_idempotent_and_claims_are_exclusive(world_factory) -> None:
    w = world_factory(github_doc=None, drive_doc=document(component("auth")))
    first = enqueue(w.store, "arch", "manual")
    again = enqueue(w.store, "arch", "manual")
    assert first.created and not again.created and first.job_id == again.job_id
    assert claim(w.store, "worker-a", 60) == first.job_id
    assert claim(w.store, "worker-b", 60) is None  # leased
    assert enqueue(w.store, "arch", "webhook").job_id == first.job_id  # still one active job
    with w.store.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncJob)) == 1


def test_expired_lease_is_taken_over(world_factory) -> None:
    from datetime import timedelta

    from engine.store.base import utcnow

    w = world_factory(github_doc=None, drive_doc=document(component("auth")))
    job_id = enqueue(w.store, "arch", "manual").job_id
    assert claim(w.store, "dead-worker", 60) == job_id
    with w.store.session() as s:
        s.get(SyncJob, job_id).lease_expires_at = utcnow() - timedelta(seconds=1)
    assert claim(w.store, "worker-b", 60) == job_id


def test_conflict_records_never_lose_a_value(world_factory) -> None:
    base = document(component("auth"))
    w = world_factory(github_doc=base, drive_doc=base, policy="ai_studio_wins")
    w.sync()
    w.edit_github(document())  # deleted on GitHub …
    w.edit_drive(document(component("auth", version="5.0.0")))  # … modified in AI Studio
    assert w.sync()["status"] == "succeeded"
    with w.store.session() as s:
        record = s.scalars(select(ConflictRecord)).one()
    assert record.path == "/components/auth" and record.deleted_on == "github"
    assert record.ai_studio["version"] == "5.0.0"
    assert [c["id"] for c in w.github_doc()["components"]] == ["auth"]


def test_snapshot_records_the_commit_the_sync_made(world_factory) -> None:
    from engine.architecture.history import versions

    w = world_factory(github_doc=None, drive_doc=document(component("auth")))
    assert w.sync()["status"] == "succeeded"
    with w.store.session() as s:
        snap = s.scalars(select(Snapshot)).one()
    assert snap.github_commit == w.github.branch_head()
    (version,) = versions(w.store, "arch")
    assert version.links["github_commit"].endswith(f"/commit/{snap.github_commit}")
