"""The job queue: enqueue idempotently, claim with a lease, end with an explicit state.

The database is the coordinator: a partial unique index allows one active job per target,
and claims are compare-and-set updates (plus `FOR UPDATE SKIP LOCKED` on PostgreSQL), so
any number of stateless workers can share the queue and a killed worker's job is finished
by another once its lease lapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import HubError
from engine.store import Store
from engine.store.base import UtcDateTime, utcnow
from engine.sync.models import JOB_ACTIVE, Attempt, ConflictRecord, SyncJob, SyncTarget
from engine.sync.targets import get_target

TRIGGERS = ("manual", "schedule", "webhook", "resolution", "cli", "api")


@dataclass(frozen=True)
class Enqueued:
    job_id: int
    created: bool  # False: the target already had a queued or running job, returned as is


def active_job(session: Session, target_id: int) -> SyncJob | None:
    return session.scalar(
        select(SyncJob).where(SyncJob.target_id == target_id, SyncJob.status.in_(JOB_ACTIVE))
    )


def enqueue(
    store: Store,
    target_name: str,
    trigger: str,
    *,
    allow_paused: bool = False,
    actor: Principal | None = None,
) -> Enqueued:
    """Queue a sync of the target, or return the job already queued or running for it.

    With `actor`, the trigger is audited in the same transaction that queues the job.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    with store.session() as s:
        target = get_target(s, target_name)
        if target.paused and not allow_paused:
            raise HubError(
                f"target {target_name!r} is paused ({target.paused_reason}): "
                f"resume it with `hub target resume {target_name}` first"
            )
        existing = active_job(s, target.id)
        if existing is not None:
            if actor is not None:
                audit.record(
                    s,
                    actor,
                    "sync.trigger",
                    target_name,
                    after={"job": existing.id, "trigger": trigger},
                    detail="already queued",
                )
            return Enqueued(existing.id, False)
        target_id = target.id
    try:
        with store.session() as s:
            job = SyncJob(
                target_id=target_id,
                status="queued",
                trigger=trigger,
                created_at=utcnow(),
                next_attempt_at=utcnow(),
                attempt_count=0,
                added=0,
                changed=0,
                removed=0,
                conflicts=0,
                wrote_github=False,
                wrote_drive=False,
            )
            s.add(job)
            s.flush()
            if actor is not None:
                audit.record(
                    s, actor, "sync.trigger", target_name, after={"job": job.id, "trigger": trigger}
                )
            return Enqueued(job.id, True)
    except IntegrityError:  # another process queued one between our check and insert
        with store.session() as s:
            existing = active_job(s, target_id)
            if existing is None:  # it already ended: queue again
                return enqueue(store, target_name, trigger, allow_paused=allow_paused, actor=actor)
            return Enqueued(existing.id, False)


def _due(now: datetime) -> Any:
    return or_(
        and_(SyncJob.status == "queued", SyncJob.next_attempt_at <= now),
        and_(SyncJob.status == "running", SyncJob.lease_expires_at < now),
    )


def claim(
    store: Store, worker_id: str, lease_seconds: int, job_id: int | None = None
) -> int | None:
    """Take the oldest due job (or `job_id`) for this worker; None when nothing is due."""
    now = utcnow()
    with store.session() as s:
        query = select(SyncJob.id).where(_due(now)).order_by(SyncJob.next_attempt_at).limit(5)
        if job_id is not None:
            query = query.where(SyncJob.id == job_id)
        if not store.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        candidates = list(s.scalars(query))
        for candidate in candidates:
            # Compare-and-set: only one claimer can move the job out of the due state.
            result = s.execute(
                update(SyncJob)
                .where(SyncJob.id == candidate, _due(now))
                .values(
                    status="running",
                    lease_owner=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    started_at=func.coalesce(SyncJob.started_at, literal(now, UtcDateTime())),
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                return candidate
    return None


def extend_lease(store: Store, job_id: int, worker_id: str, lease_seconds: int) -> bool:
    """Keep the claim alive during a long attempt; False when another worker took it."""
    with store.session() as s:
        result = s.execute(
            update(SyncJob)
            .where(
                SyncJob.id == job_id, SyncJob.lease_owner == worker_id, SyncJob.status == "running"
            )
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        )
        return result.rowcount == 1


def cancel(store: Store, actor: Principal, job_id: int) -> SyncJob:
    audit.guard(store, actor, Permission.sync_trigger, "sync.cancel", str(job_id))
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        if job is None:
            raise HubError(f"no sync job {job_id}")
        if job.status not in JOB_ACTIVE:
            raise HubError(f"job {job_id} already ended ({job.status})")
        audit.record(
            s,
            actor,
            "sync.cancel",
            str(job_id),
            before={"status": job.status},
            after={"status": "cancelled"},
        )
        job.status, job.finished_at, job.lease_owner = "cancelled", utcnow(), None
        return job


def purge_history(store: Store, days: int) -> int:
    """Drop ended jobs (with attempts) and settled conflicts older than `days`."""
    cutoff = utcnow() - timedelta(days=days)
    with store.session() as s:
        old = select(SyncJob.id).where(
            SyncJob.status.not_in(JOB_ACTIVE), SyncJob.created_at < cutoff
        )
        s.execute(delete(Attempt).where(Attempt.job_id.in_(old)))
        removed = s.execute(delete(SyncJob).where(SyncJob.id.in_(old))).rowcount or 0
        s.execute(
            delete(ConflictRecord).where(
                ConflictRecord.status.in_(("applied", "settled")),
                ConflictRecord.created_at < cutoff,
            )
        )
        return removed


def job_dict(session: Session, job: SyncJob, target: SyncTarget | None = None) -> dict[str, Any]:
    """The documented JSON shape of a job (docs/sync.md)."""
    target = target or session.get(SyncTarget, job.target_id)
    attempts = session.scalars(
        select(Attempt).where(Attempt.job_id == job.id).order_by(Attempt.number)
    )
    return {
        "id": job.id,
        "target": target.name if target else None,
        "status": job.status,
        "trigger": job.trigger,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "next_attempt_at": _iso(job.next_attempt_at) if job.status == "queued" else None,
        "attempts": [
            {
                "number": a.number,
                "status": a.status,
                "origin": a.origin,
                "type": a.type,
                "retryable": a.retryable,
                "message": a.message,
                "violations": a.violations or [],
                "started_at": _iso(a.started_at),
                "finished_at": _iso(a.finished_at),
            }
            for a in attempts
        ],
        "timings_ms": {"fetch": job.fetch_ms, "merge": job.merge_ms, "write": job.write_ms},
        "counts": {
            "added": job.added,
            "changed": job.changed,
            "removed": job.removed,
            "conflicts": job.conflicts,
        },
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
