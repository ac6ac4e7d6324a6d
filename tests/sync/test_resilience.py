"""Schedules, breakers, rate limits, leases, cancellation and retention of history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from engine.config import Settings
from engine.store import Store
from engine.store.base import utcnow
from engine.sync import breaker
from engine.sync.jobs import cancel, claim, enqueue, purge_history
from engine.sync.models import Breaker, SyncJob, SyncTarget
from engine.sync.runner import run_claimed_job
from engine.sync.service import get_job
from engine.sync.targets import add_target
from engine.sync.tasks import fire_schedules
from tests.actors import ADMIN
from tests.sync.harness import component, document, make_world

FAST = Settings(sync_retry_initial_seconds=0, sync_retry_max_seconds=0)


def test_missed_schedule_runs_once_and_moves_on(store: Store) -> None:
    add_target(store, ADMIN, "nightly", github="a/b:c.json", drive="f", schedule="0 3 * * *")
    with store.session() as s:  # the worker was down for three days
        s.execute(update(SyncTarget).values(next_run_at=utcnow() - timedelta(days=3)))
    assert fire_schedules(store) is True
    assert fire_schedules(store) is False  # not due again until tomorrow 03:00
    with store.session() as s:
        jobs = s.scalars(select(SyncJob)).all()
        target = s.scalars(select(SyncTarget)).one()
    assert [j.trigger for j in jobs] == ["schedule"]
    assert target.next_run_at > utcnow() and target.next_run_at.hour == 3


def test_paused_targets_are_not_scheduled(store: Store) -> None:
    add_target(store, ADMIN, "nightly", github="a/b:c.json", drive="f", schedule="* * * * *")
    with store.session() as s:
        s.execute(update(SyncTarget).values(paused=True, next_run_at=utcnow()))
    assert fire_schedules(store) is False


def test_breaker_opens_after_repeated_outages_and_defers_without_attempts(store: Store) -> None:
    w = make_world(store, github_doc=None, drive_doc=document(component("auth")))
    for _ in range(breaker.THRESHOLD):
        w.github.faults.status(503)
        job_id = enqueue(store, "arch", "manual", allow_paused=True).job_id
        assert claim(store, "w", 60, job_id=job_id) == job_id
        run_claimed_job(store, job_id, "w", w.factory, Settings(sync_max_attempts=1))
    with store.session() as s:
        state = s.get(Breaker, "github")
        assert state.state == "open" and state.retry_at > utcnow()
    job_id = enqueue(store, "arch", "manual", allow_paused=True).job_id
    assert claim(store, "w", 60, job_id=job_id) == job_id
    assert run_claimed_job(store, job_id, "w", w.factory, FAST) == "queued"
    job = get_job(store, job_id)
    assert job["attempts"] == []  # waiting for the service spends no attempt
    with store.session() as s:  # after the cool-down one trial runs and closes it
        s.execute(update(Breaker).values(retry_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(SyncJob).where(SyncJob.id == job_id).values(next_attempt_at=utcnow()))
    assert claim(store, "w", 60, job_id=job_id) == job_id
    assert run_claimed_job(store, job_id, "w", w.factory, FAST) == "succeeded"
    with store.session() as s:
        assert s.get(Breaker, "github").state == "closed"


def test_secondary_rate_limit_waits_at_least_a_minute(store: Store) -> None:
    w = make_world(store, github_doc=None, drive_doc=document(component("auth")))
    w.github.inject_secondary_rate_limit()
    job_id = enqueue(store, "arch", "manual").job_id
    assert claim(store, "w", 60, job_id=job_id) == job_id
    assert run_claimed_job(store, job_id, "w", w.factory, FAST) == "queued"
    job = get_job(store, job_id)
    assert job["attempts"][0]["type"] == "rate_limited"
    with store.session() as s:
        due = s.get(SyncJob, job_id).next_attempt_at
    assert due - utcnow() >= timedelta(seconds=55)


def test_result_of_a_taken_over_attempt_is_dropped(store: Store) -> None:
    w = make_world(store, github_doc=None, drive_doc=document(component("auth")))
    job_id = enqueue(store, "arch", "manual").job_id
    assert claim(store, "slow", 60, job_id=job_id) == job_id

    def factory(target, settings):  # type: ignore[no-untyped-def]
        with store.session() as s:  # meanwhile the lease lapsed and another worker took it
            s.execute(update(SyncJob).where(SyncJob.id == job_id).values(lease_owner="other"))
        return w.factory(target, settings)

    assert run_claimed_job(store, job_id, "slow", factory, FAST) == "running"
    job = get_job(store, job_id)
    assert job["attempts"][0]["status"] == "abandoned"


def test_cancel_and_purge(store: Store) -> None:
    make_world(store, github_doc=None, drive_doc=document(component("auth")))
    job_id = enqueue(store, "arch", "manual").job_id
    assert cancel(store, ADMIN, job_id).status == "cancelled"
    assert enqueue(store, "arch", "manual").created  # a cancelled job frees the target
    with store.session() as s:
        s.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(created_at=utcnow() - timedelta(days=91))
        )
    assert purge_history(store, 90) == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncJob)) == 1
