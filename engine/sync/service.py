"""The sync engine's public operations, shared by the CLI, the API and the dashboard."""

from __future__ import annotations

import socket
import time
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.config import Settings, get_settings
from engine.errors import HubError, InputError
from engine.store import Store
from engine.store.base import utcnow
from engine.sync import breaker
from engine.sync.jobs import Enqueued, claim, enqueue, job_dict
from engine.sync.models import JOB_ACTIVE, ConflictRecord, SyncJob, SyncState, SyncTarget
from engine.sync.runner import ConnectorFactory, run_claimed_job
from engine.sync.targets import get_target

RESOLUTION_CHOICES = ("github", "ai_studio", "base")


def sync_now(store: Store, actor: Principal, target: str, trigger: str = "manual") -> Enqueued:
    """Queue a sync now (operator); the trigger is audited with the job it queued."""
    audit.guard(store, actor, Permission.sync_trigger, "sync.trigger", target)
    return enqueue(store, target, trigger, actor=actor)


def get_job(store: Store, job_id: int) -> dict[str, Any]:
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        if job is None:
            raise HubError(f"no sync job {job_id}")
        return job_dict(s, job)


def work_job(
    store: Store,
    job_id: int,
    *,
    factory: ConnectorFactory | None = None,
    settings: Settings | None = None,
    sleep: Any = time.sleep,
    max_wait_seconds: float | None = None,
) -> dict[str, Any]:
    """Run a job to its end in this process (`hub sync run --wait` with no worker around).

    Waits out retry delays; a worker that claims the job first simply runs it instead.
    """
    settings = settings or get_settings()
    worker_id = f"cli:{socket.gethostname()}:{id(store)}"
    started = time.monotonic()
    while True:
        job = get_job(store, job_id)
        if job["status"] not in JOB_ACTIVE:
            return job
        if claim(store, worker_id, settings.sync_lease_seconds, job_id=job_id) == job_id:
            run_claimed_job(store, job_id, worker_id, factory, settings)
            continue
        if max_wait_seconds is not None and time.monotonic() - started > max_wait_seconds:
            return job
        due = job.get("next_attempt_at")
        wait = 1.0
        if due:
            wait = max(0.2, min(5.0, (datetime.fromisoformat(due) - utcnow()).total_seconds()))
        sleep(wait)


def history(
    store: Store, target: str | None = None, limit: int = 50, status: str | None = None
) -> list[dict[str, Any]]:
    with store.session() as s:
        query = select(SyncJob).order_by(SyncJob.id.desc()).limit(limit)
        if target:
            query = query.where(SyncJob.target_id == get_target(s, target).id)
        if status:
            query = query.where(SyncJob.status == status)
        return [job_dict(s, job) for job in s.scalars(query)]


def target_status(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    """Health at a glance per target: last status, last success, next run, breakers."""
    now = utcnow()
    with store.session() as s:
        query = select(SyncTarget).order_by(SyncTarget.name)
        if name:
            query = query.where(SyncTarget.id == get_target(s, name).id)
        breakers = {k: v.state for k, v in breaker.states(s).items()}
        out = []
        for t in s.scalars(query):
            last = s.scalar(
                select(SyncJob)
                .where(SyncJob.target_id == t.id, SyncJob.finished_at.is_not(None))
                .order_by(SyncJob.id.desc())
                .limit(1)
            )
            last_ok = s.scalar(
                select(func.max(SyncJob.finished_at)).where(
                    SyncJob.target_id == t.id, SyncJob.status == "succeeded"
                )
            )
            active = s.scalar(
                select(SyncJob).where(SyncJob.target_id == t.id, SyncJob.status.in_(JOB_ACTIVE))
            )
            open_conflicts = s.scalar(
                select(func.count()).where(
                    ConflictRecord.target_id == t.id, ConflictRecord.status == "open"
                )
            )
            state = s.get(SyncState, t.id)
            out.append(
                {
                    "target": t.name,
                    "github": t.github_spec,
                    "drive_file_id": t.drive_file_id,
                    "policy": t.policy,
                    "write_mode": t.write_mode,
                    "schedule": t.schedule,
                    "paused": t.paused,
                    "paused_reason": t.paused_reason,
                    "last_status": last.status if last else None,
                    "last_finished_at": last.finished_at.isoformat() if last else None,
                    "last_success_at": last_ok.isoformat() if last_ok else None,
                    "last_success_age_seconds": (now - last_ok).total_seconds()
                    if last_ok
                    else None,
                    "active_job": {"id": active.id, "status": active.status} if active else None,
                    "next_run_at": t.next_run_at.isoformat() if t.next_run_at else None,
                    "open_conflicts": open_conflicts or 0,
                    "breakers": breakers,
                    "pull_request_url": state.pull_request_url if state else None,
                    "is_demo": t.is_demo,
                }
            )
        return out


def conflict_dict(c: ConflictRecord, target_name: str) -> dict[str, Any]:
    return {
        "id": c.id,
        "target": target_name,
        "job_id": c.job_id,
        "path": c.path,
        "component_id": c.component_id,
        "field": c.field,
        "base": c.base,
        "github": c.github,
        "ai_studio": c.ai_studio,
        "deleted_on": c.deleted_on,
        "policy": c.policy,
        "status": c.status,
        "resolution": c.resolution,
        "resolved_value": c.resolved_value,
        "resolved_by": c.resolved_by,
        "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
    }


def list_conflicts(
    store: Store, target: str | None = None, *, include_all: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    with store.session() as s:
        query = (
            select(ConflictRecord, SyncTarget.name)
            .join(SyncTarget, SyncTarget.id == ConflictRecord.target_id)
            .order_by(ConflictRecord.id.desc())
            .limit(limit)
        )
        if target:
            query = query.where(ConflictRecord.target_id == get_target(s, target).id)
        if not include_all:
            query = query.where(ConflictRecord.status == "open")
        return [conflict_dict(c, name) for c, name in s.execute(query)]


def resolve_conflict(
    store: Store,
    actor: Principal,
    conflict_id: int,
    *,
    take: str | None = None,
    value: Any = None,
    has_value: bool = False,
) -> tuple[dict[str, Any], Enqueued | None]:
    """Record the operator's choice and queue a sync that writes it to both sides."""
    audit.guard(store, actor, Permission.sync_resolve, "conflict.resolve", str(conflict_id))
    if (take is None) == (not has_value):
        raise InputError("give exactly one of --take github|ai_studio|base or --value JSON")
    if take is not None and take not in RESOLUTION_CHOICES:
        raise InputError(f"--take {take!r}: one of {', '.join(RESOLUTION_CHOICES)}")
    with store.session() as s:
        record = s.get(ConflictRecord, conflict_id)
        if record is None:
            raise HubError(f"no conflict {conflict_id} (see `hub conflicts list`)")
        if record.status != "open":
            raise HubError(f"conflict {conflict_id} is already {record.status}")
        target = s.get(SyncTarget, record.target_id)
        assert target is not None
        if take is not None:
            record.resolution = take
            record.resolved_value = {
                "github": record.github,
                "ai_studio": record.ai_studio,
                "base": record.base,
            }[take]
        else:
            record.resolution, record.resolved_value = "value", value
        record.status, record.resolved_by, record.resolved_at = "resolved", actor.name, utcnow()
        result = conflict_dict(record, target.name)
        audit.record(
            s,
            actor,
            "conflict.resolve",
            f"{target.name} {record.path}",
            before={"github": record.github, "ai_studio": record.ai_studio, "base": record.base},
            after={"resolution": record.resolution, "value": record.resolved_value},
        )
        name, paused = target.name, target.paused
    queued = None if paused else enqueue(store, name, "resolution", actor=actor)
    return result, queued
