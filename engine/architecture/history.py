"""Versions of a target's model: every snapshot a successful sync stored, with its story.

A snapshot is the merged document after a sync. Which side the change came from is read
from the job that stored it: the hub writes only to a side whose content differs, so a
job that wrote only to Drive carried a GitHub edit over, and the other way round. Links
point at the exact GitHub blob (by its sha) and Drive revision the snapshot matches.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from engine.config import Settings, get_settings
from engine.errors import HubError
from engine.store import Store
from engine.sync.models import ConflictRecord, Snapshot, SyncJob, SyncTarget
from engine.sync.targets import get_target

from .diff import ModelDiff, diff_models

ORIGIN_LABELS = {
    "github": "GitHub edit",
    "ai_studio": "AI Studio edit",
    "both": "edits on both sides",
    "operator": "conflict resolution",
    "first_sync": "first sync",
    "merge": "merge",
    "recorded": "recorded",
}


@dataclass(frozen=True)
class TargetInfo:
    name: str
    github_owner: str
    github_repo: str
    github_path: str
    github_branch: str
    drive_file_id: str
    is_demo: bool
    versions: int

    @property
    def github_spec(self) -> str:
        return f"{self.github_owner}/{self.github_repo}:{self.github_path}@{self.github_branch}"


@dataclass(frozen=True)
class Version:
    """One snapshot of a target's model and who or what produced it."""

    snapshot_id: int
    number: int  # 1 = the target's first snapshot
    created_at: datetime
    sha256: str
    job_id: int | None
    trigger: str | None
    origin: str  # a key of ORIGIN_LABELS
    description: str
    actor: str | None
    github_ref: str | None
    drive_revision: str | None
    links: dict[str, str] = field(default_factory=dict)
    changes: str | None = None  # summary against the previous version, when computed
    counts: dict[str, int] | None = None

    @property
    def label(self) -> str:
        return (
            f"v{self.number} · {self.created_at:%Y-%m-%d %H:%M} · "
            f"{ORIGIN_LABELS.get(self.origin, self.origin)}"
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        out["label"] = self.label
        return out


def targets(store: Store) -> list[TargetInfo]:
    """Every sync target with how many versions of its model are stored."""
    with store.session() as s:
        counts = dict(
            s.execute(select(Snapshot.target_id, func.count()).group_by(Snapshot.target_id)).all()
        )
        return [
            TargetInfo(
                t.name,
                t.github_owner,
                t.github_repo,
                t.github_path,
                t.github_branch,
                t.drive_file_id,
                t.is_demo,
                counts.get(t.id, 0),
            )
            for t in s.scalars(select(SyncTarget).order_by(SyncTarget.name))
        ]


def versions(
    store: Store,
    target: str,
    *,
    limit: int | None = 200,
    upto: int | None = None,
    with_changes: bool = True,
    settings: Settings | None = None,
) -> list[Version]:
    """The target's versions, oldest first: the most recent `limit` (up to snapshot `upto`).

    With `with_changes`, each carries a summary of its diff against the one before (the
    first version against an empty model).
    """
    return [v for v, _, _ in _walk(store, target, limit, upto, with_changes, settings)]


def recent_changes(
    store: Store,
    target: str,
    *,
    upto: int | None = None,
    count: int = 10,
    settings: Settings | None = None,
) -> list[tuple[Version, ModelDiff]]:
    """The last `count` versions up to snapshot `upto` with what each changed, newest first."""
    walked = _walk(store, target, count, upto, True, settings)
    return [(v, d) for v, d, _ in reversed(walked) if d is not None]


def _walk(
    store: Store,
    target: str,
    limit: int | None,
    upto: int | None,
    with_changes: bool,
    settings: Settings | None,
) -> list[tuple[Version, ModelDiff | None, dict[str, Any] | None]]:
    """Versions with (when asked) their diff to the previous one and their document."""
    settings = settings or get_settings()
    with store.session() as s:
        t = get_target(s, target)
        query = select(Snapshot).where(Snapshot.target_id == t.id).order_by(Snapshot.id.desc())
        if upto is not None:
            query = query.where(Snapshot.id <= upto)
        if not with_changes:
            query = query.options(defer(Snapshot.document))
        if limit is not None:
            query = query.limit(limit + (1 if with_changes else 0))
        rows = list(s.scalars(query))[::-1]
        if not rows:
            return []
        first_number = s.scalar(_count(t.id).where(Snapshot.id <= rows[0].id)) or 1
        jobs = {
            j.id: j
            for j in s.scalars(
                select(SyncJob).where(SyncJob.id.in_([r.job_id for r in rows if r.job_id]))
            )
        }
        resolutions = _resolutions(s, t.id)
        docs = [load_snapshot(r.document) for r in rows] if with_changes else [None] * len(rows)
        out: list[tuple[Version, ModelDiff | None, dict[str, Any] | None]] = []
        for i, snap in enumerate(rows):
            number = first_number + i
            diff = None
            if with_changes and (i > 0 or number == 1):
                diff = diff_models(docs[i - 1] if i > 0 else {}, docs[i])  # type: ignore[arg-type]
            previous_at = rows[i - 1].created_at if i > 0 else None
            job = jobs.get(snap.job_id or -1)
            version = _version(t, snap, number, job, resolutions, previous_at, diff, settings)
            out.append((version, diff, docs[i]))
    if with_changes and limit is not None and len(out) > limit:
        out = out[-limit:]
    return out


def load_version(
    store: Store,
    target: str,
    snapshot_id: int | None = None,
    *,
    settings: Settings | None = None,
) -> tuple[Version, dict[str, Any]]:
    """A version and its document (the latest when `snapshot_id` is None)."""
    settings = settings or get_settings()
    with store.session() as s:
        t = get_target(s, target)
        query = select(Snapshot).where(Snapshot.target_id == t.id)
        if snapshot_id is None:
            snap = s.scalar(query.order_by(Snapshot.id.desc()).limit(1))
            if snap is None:
                raise HubError(
                    f"target {target!r} has no synced model yet: run `hub sync run {target}`"
                )
        else:
            snap = s.scalar(query.where(Snapshot.id == snapshot_id))
            if snap is None:
                raise HubError(
                    f"target {target!r} has no version {snapshot_id} "
                    f"(see `hub arch history {target}`)"
                )
        number = s.scalar(_count(t.id).where(Snapshot.id <= snap.id)) or 1
        previous_at = s.scalar(
            select(Snapshot.created_at)
            .where(Snapshot.target_id == t.id, Snapshot.id < snap.id)
            .order_by(Snapshot.id.desc())
            .limit(1)
        )
        job = s.get(SyncJob, snap.job_id) if snap.job_id else None
        resolutions = _resolutions(s, t.id)
        version = _version(t, snap, number, job, resolutions, previous_at, None, settings)
        return version, load_snapshot(snap.document)


def github_web_url(api_url: str) -> str:
    """The web address for an API base: api.github.com → github.com; GHE's /api/v3 → host."""
    base = api_url.rstrip("/")
    if base in ("https://api.github.com", "http://api.github.com"):
        return "https://github.com"
    if base.endswith("/api/v3"):
        return base[: -len("/api/v3")]
    return base


def links(
    owner: str,
    repo: str,
    path: str,
    branch: str,
    drive_file_id: str,
    github_ref: str | None,
    drive_revision: str | None,
    settings: Settings,
    github_commit: str | None = None,
) -> dict[str, str]:
    """Where to see this version: the GitHub blob, the file's commits, the Drive revision."""
    api = settings.github_api_url.rstrip("/")
    web = github_web_url(api)
    repo_path = f"{quote(owner)}/{quote(repo)}"
    file_path = quote(path.lstrip("/"))
    out = {
        "github_file": f"{web}/{repo_path}/blob/{quote(branch)}/{file_path}",
        "github_commits": f"{web}/{repo_path}/commits/{quote(branch)}/{file_path}",
        "drive_file": f"https://drive.google.com/file/d/{quote(drive_file_id)}/view",
    }
    if github_commit:
        out["github_commit"] = f"{web}/{repo_path}/commit/{quote(github_commit)}"
    if github_ref:
        out["github_blob"] = f"{api}/repos/{repo_path}/git/blobs/{quote(github_ref)}"
    if drive_revision:
        drive_api = settings.drive_api_url.rstrip("/")
        out["drive_revision"] = (
            f"{drive_api}/drive/v3/files/{quote(drive_file_id)}/revisions/{quote(drive_revision)}"
        )
    return out


# --------------------------------------------------------------------------- internals


def _resolutions(s: Session, target_id: int) -> list[Any]:
    """(resolved_at, resolved_by) of every operator or policy resolution of the target."""
    return list(
        s.execute(
            select(ConflictRecord.resolved_at, ConflictRecord.resolved_by).where(
                ConflictRecord.target_id == target_id,
                ConflictRecord.resolved_at.is_not(None),
                ConflictRecord.status.in_(("applied", "resolved")),
            )
        )
    )


def _count(target_id: int) -> Any:
    return select(func.count()).select_from(Snapshot).where(Snapshot.target_id == target_id)


def load_snapshot(text: str) -> dict[str, Any]:
    """Parse a stored snapshot (canonical JSON the hub wrote: plain json.loads is enough).

    The cyclic garbage collector is paused meanwhile: a 10,000-component model is ~500k
    fresh objects, and collections triggered by them (which can free nothing: the objects
    are all reachable) cost three times the parse itself.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        data = json.loads(text)
    finally:
        if paused:
            gc.enable()
    if not isinstance(data, dict):
        raise HubError("a stored snapshot is not a JSON object (the store is damaged)")
    return data


def _version(
    t: SyncTarget,
    snap: Snapshot,
    number: int,
    job: SyncJob | None,
    resolutions: Sequence[Any],
    previous_at: datetime | None,
    diff: ModelDiff | None,
    settings: Settings,
) -> Version:
    origin, description, actor = _story(snap, number, job, resolutions, previous_at)
    return Version(
        snapshot_id=snap.id,
        number=number,
        created_at=snap.created_at,
        sha256=snap.sha256,
        job_id=snap.job_id,
        trigger=job.trigger if job else None,
        origin=origin,
        description=description,
        actor=actor,
        github_ref=snap.github_ref,
        drive_revision=snap.drive_revision,
        links=links(
            t.github_owner,
            t.github_repo,
            t.github_path,
            t.github_branch,
            t.drive_file_id,
            snap.github_ref,
            snap.drive_revision,
            settings,
            snap.github_commit,
        ),
        changes=diff.summary() if diff is not None else None,
        counts=diff.counts() if diff is not None else None,
    )


def _story(
    snap: Snapshot,
    number: int,
    job: SyncJob | None,
    resolutions: Sequence[Any],
    previous_at: datetime | None,
) -> tuple[str, str, str | None]:
    """(origin, one sentence, actor) of a snapshot."""
    blob = f"blob {snap.github_ref[:7]}" if snap.github_ref else "GitHub"
    rev = f"revision {snap.drive_revision}" if snap.drive_revision else "Drive"
    if job is None:
        return "recorded", "stored without a sync job (imported or demo history)", None
    via = f" (sync job {job.id}, {job.trigger})"
    if job.trigger == "resolution":
        people = sorted(
            {
                who
                for at, who in resolutions
                if who
                and not who.startswith("policy:")
                and at <= (job.created_at or snap.created_at)
                and (previous_at is None or at > previous_at)
            }
        )
        actor = ", ".join(people) or None
        return (
            "operator",
            f"conflict resolution by {actor or 'an operator'} written to both sides{via}",
            actor,
        )
    if number == 1:
        return "first_sync", f"first sync: the union of both sides{via}", None
    if job.wrote_drive and not job.wrote_github:
        return "github", f"GitHub edit ({blob}) carried to AI Studio{via}", None
    if job.wrote_github and not job.wrote_drive:
        return "ai_studio", f"AI Studio edit (Drive {rev}) carried to GitHub{via}", None
    if job.wrote_github and job.wrote_drive:
        settled = f", {job.conflicts} conflict(s)" if job.conflicts else ""
        return "both", f"edits on both sides merged{settled}{via}", None
    return "merge", f"both sides already held this model{via}", None
