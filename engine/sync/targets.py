"""Sync targets: what is kept in step with what, how conflicts settle, and when it runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import HubError, InputError
from engine.store import Store
from engine.store.base import utcnow
from engine.sync.models import POLICIES, WRITE_MODES, SyncState, SyncTarget

DEFAULT_SCHEDULE = "0 */6 * * *"  # bidirectional every 6 hours: the plan's slowest cadence
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_GITHUB = re.compile(
    r"^(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+):(?P<path>[^@]+?)(?:@(?P<branch>.+))?$"
)


@dataclass(frozen=True)
class GitHubLocation:
    owner: str
    repo: str
    path: str
    branch: str


def parse_github(spec: str) -> GitHubLocation:
    """`OWNER/REPO:PATH[@BRANCH]` (branch defaults to main)."""
    m = _GITHUB.match(spec.strip())
    if not m:
        raise InputError(
            f"--github {spec!r} is not OWNER/REPO:PATH[@BRANCH] "
            "(e.g. acme/platform:docs/architecture.json@main)"
        )
    return GitHubLocation(m["owner"], m["repo"], m["path"].lstrip("/"), m["branch"] or "main")


def check_schedule(schedule: str | None) -> str | None:
    if schedule in (None, "", "none"):
        return None
    if not croniter.is_valid(schedule):
        raise InputError(f"--schedule {schedule!r} is not a cron expression (e.g. '0 */6 * * *')")
    return schedule


def next_run(schedule: str | None, after: datetime) -> datetime | None:
    if not schedule:
        return None
    return croniter(schedule, after).get_next(datetime)


def add_target(
    store: Store,
    actor: Principal,
    name: str,
    *,
    github: str,
    drive: str,
    policy: str = "manual",
    write_mode: str = "pull_request",
    schedule: str | None = DEFAULT_SCHEDULE,
    is_demo: bool = False,
) -> SyncTarget:
    audit.guard(store, actor, Permission.target_manage, "target.add", name)
    if not _NAME.match(name):
        raise InputError(
            f"target name {name!r}: use lowercase letters, digits, '.', '_' or '-' (≤ 100)"
        )
    if policy not in POLICIES:
        raise InputError(f"--policy {policy!r}: one of {', '.join(POLICIES)}")
    if write_mode not in WRITE_MODES:
        raise InputError(f"--write-mode {write_mode!r}: one of {', '.join(WRITE_MODES)}")
    if not drive.strip():
        raise InputError("--drive: the Google Drive file id is required")
    location = parse_github(github)
    schedule = check_schedule(schedule)
    now = utcnow()
    target = SyncTarget(
        name=name,
        github_owner=location.owner,
        github_repo=location.repo,
        github_path=location.path,
        github_branch=location.branch,
        drive_file_id=drive.strip(),
        policy=policy,
        write_mode=write_mode,
        schedule=schedule,
        paused=False,
        next_run_at=next_run(schedule, now),
        is_demo=is_demo,
        created_at=now,
    )
    try:
        with store.session() as s:
            s.add(target)
            s.flush()
            s.add(SyncState(target_id=target.id, updated_at=now))
            audit.record(
                s,
                actor,
                "target.add",
                name,
                after={
                    "github": f"{location.owner}/{location.repo}:{location.path}@{location.branch}",
                    "drive": target.drive_file_id,
                    "policy": policy,
                    "write_mode": write_mode,
                    "schedule": schedule,
                },
            )
    except IntegrityError:
        raise HubError(f"a target named {name!r} already exists") from None
    return target


def get_target(session: Session, name: str) -> SyncTarget:
    target = session.scalar(select(SyncTarget).where(SyncTarget.name == name))
    if target is None:
        raise HubError(f"no sync target named {name!r} (see `hub target list`)")
    return target


def list_targets(store: Store) -> list[SyncTarget]:
    with store.session() as s:
        return list(s.scalars(select(SyncTarget).order_by(SyncTarget.name)))


def set_paused(
    store: Store, actor: Principal, name: str, paused: bool, reason: str | None = None
) -> SyncTarget:
    action = "target.pause" if paused else "target.resume"
    audit.guard(store, actor, Permission.target_pause, action, name)
    with store.session() as s:
        target = get_target(s, name)
        audit.record(
            s,
            actor,
            action,
            name,
            before={"paused": target.paused, "reason": target.paused_reason},
            after={
                "paused": paused,
                "reason": (reason or "paused by an operator") if paused else None,
            },
        )
        target.paused = paused
        target.paused_reason = (reason or "paused by an operator") if paused else None
        if not paused:
            target.next_run_at = next_run(target.schedule, utcnow())
        return target


def remove_target(store: Store, actor: Principal, name: str) -> None:
    audit.guard(store, actor, Permission.target_manage, "target.remove", name)
    with store.session() as s:
        target = get_target(s, name)
        audit.record(
            s,
            actor,
            "target.remove",
            name,
            before={
                "github": f"{target.github_owner}/{target.github_repo}:{target.github_path}",
                "drive": target.drive_file_id,
            },
        )
        s.delete(target)
