"""A target wired to the GitHub and Drive fakes through the real connectors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.config import Settings
from engine.connectors.drive import DriveConnector
from engine.connectors.github import GitHubConnector
from engine.connectors.google_auth import StaticTokenProvider
from engine.store import Store
from engine.sync import runner
from engine.sync.document import canonical_json, parse_document
from engine.sync.jobs import enqueue
from engine.sync.models import SyncTarget
from engine.sync.service import work_job
from engine.sync.targets import add_target
from tests.actors import ADMIN
from tests.fakes.drive import FakeDrive
from tests.fakes.github import DEFAULT_TOKEN, FakeGitHub

PATH = "docs/architecture.json"


def component(cid: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cid,
        "name": cid.title(),
        "version": "1.0.0",
        "status": "active",
        "technologies": [],
        "dependencies": [],
    }
    out.update(fields)
    return out


def document(*components: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "version": "1",
        "metadata": {"name": "Acme"},
        "components": list(components),
        "connections": [],
        **top,
    }


def dump(doc: dict[str, Any]) -> bytes:
    return canonical_json(doc).encode()


@dataclass
class SyncWorld:
    store: Store
    github: FakeGitHub
    drive: FakeDrive
    file_id: str
    target: str = "arch"
    runs: list[dict[str, Any]] = field(default_factory=list)

    def factory(self, target: SyncTarget, settings: Settings) -> runner.Connectors:
        return runner.Connectors(
            GitHubConnector(
                self.github.base_url,
                DEFAULT_TOKEN,
                target.github_owner,
                target.github_repo,
                target.github_path,
                target.github_branch,
                target.write_mode,
                target.name,  # type: ignore[arg-type]
                client=self.github.client(),
            ),
            DriveConnector(
                self.drive.base_url,
                target.drive_file_id,
                StaticTokenProvider("drive-token"),
                client=self.drive.client(),
            ),
        )

    def sync(self, **settings: Any) -> dict[str, Any]:
        """Queue and run a sync to its end (retries included, with no real sleeping)."""
        queued = enqueue(self.store, self.target, "manual", allow_paused=True)
        cfg = Settings(
            **({"sync_retry_initial_seconds": 0, "sync_retry_max_seconds": 0} | settings)
        )
        job = work_job(
            self.store, queued.job_id, factory=self.factory, settings=cfg, sleep=lambda _s: None
        )
        self.runs.append(job)
        return job

    def github_doc(self, branch: str | None = None) -> dict[str, Any] | None:
        raw = self.github.file(PATH, branch)
        return None if raw is None else parse_document(raw, source="github").data

    def drive_doc(self) -> dict[str, Any]:
        return parse_document(self.drive.content(self.file_id), source="drive").data

    def edit_github(self, doc: dict[str, Any]) -> None:
        self.github.set_file(PATH, json.dumps(doc, indent=4))

    def edit_drive(self, doc: dict[str, Any]) -> None:
        self.drive.set_content(self.file_id, json.dumps(doc))


def make_world(
    store: Store,
    *,
    github_doc: dict[str, Any] | None,
    drive_doc: dict[str, Any],
    policy: str = "manual",
    write_mode: str = "commit",
    name: str = "arch",
) -> SyncWorld:
    gh = FakeGitHub()
    if github_doc is not None:
        gh.set_file(PATH, json.dumps(github_doc, indent=2))
    drive = FakeDrive()
    file_id = drive.add_file(json.dumps(drive_doc))
    add_target(
        store,
        ADMIN,
        name,
        github=f"{gh.owner}/{gh.repo}:{PATH}@main",
        drive=file_id,
        policy=policy,
        write_mode=write_mode,
        schedule=None,
    )
    return SyncWorld(store, gh, drive, file_id, target=name)


@pytest.fixture
def world_factory(store: Store):  # type: ignore[no-untyped-def]
    def make(**kwargs: Any) -> SyncWorld:
        return make_world(store, **kwargs)

    return make
