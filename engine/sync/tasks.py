"""Worker tasks of the sync engine: run due jobs, fire schedules, forget old history."""

from __future__ import annotations

import os
import socket

from sqlalchemy import select

from engine.config import get_settings
from engine.store import Store
from engine.store.base import utcnow
from engine.sync.jobs import claim, enqueue, purge_history
from engine.sync.models import SyncTarget
from engine.sync.runner import run_claimed_job
from engine.sync.targets import next_run
from engine.worker import WorkerTask, register_task

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def run_due_jobs(store: Store) -> bool:
    """Claim and run one due job; True when there was one (the worker polls again at once)."""
    settings = get_settings()
    job_id = claim(store, WORKER_ID, settings.sync_lease_seconds)
    if job_id is None:
        return False
    run_claimed_job(store, job_id, WORKER_ID, settings=settings)
    return True


def fire_schedules(store: Store) -> bool:
    """Queue a sync for every target whose next run is due; missed runs collapse into one."""
    now = utcnow()
    fired = False
    with store.session() as s:
        due = list(
            s.scalars(
                select(SyncTarget).where(
                    SyncTarget.paused.is_(False),
                    SyncTarget.next_run_at.is_not(None),
                    SyncTarget.next_run_at <= now,
                )
            )
        )
        for target in due:
            target.next_run_at = next_run(target.schedule, now)  # the next one after now
    for target in due:
        enqueue(store, target.name, "schedule")
        fired = True
    return fired


def purge(store: Store) -> bool:
    purge_history(store, get_settings().sync_history_days)
    return False


register_task(WorkerTask("sync.jobs", run_due_jobs))
register_task(WorkerTask("sync.schedules", fire_schedules, every_seconds=15))
register_task(WorkerTask("sync.purge", purge, every_seconds=3600))
