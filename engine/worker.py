"""The background worker: runs registered tasks in a loop and announces itself.

Tasks (sync jobs, probes, rollups, retention) are registered by their capabilities; the
worker holds no state of its own, so any number can run against one PostgreSQL database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from engine.observability import WORKER_TASK_ERRORS, WORKER_TICKS
from engine.store import Store
from engine.store.base import utcnow
from engine.store.models import WorkerHeartbeat

log = logging.getLogger(__name__)

HEARTBEAT_STALE = timedelta(seconds=60)


@dataclass(frozen=True)
class WorkerTask:
    """A unit of background work; `run` returns True when it did something (poll again soon)."""

    name: str
    run: Callable[[Store], bool]
    every_seconds: float = 0.0  # minimum gap between runs; 0 = every loop


_TASKS: dict[str, WorkerTask] = {}


def register_task(task: WorkerTask) -> WorkerTask:
    _TASKS[task.name] = task
    return task


def tasks() -> list[WorkerTask]:
    from engine.capabilities import import_all

    import_all("tasks")
    return list(_TASKS.values())


class Worker:
    def __init__(self, store: Store, *, poll_seconds: float = 2.0) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        started = utcnow()
        self.id = f"{socket.gethostname()}:{os.getpid()}:{started:%H%M%S}"
        self.started_at = started
        self._last_run: dict[str, float] = {}
        self.stopping = threading.Event()

    def heartbeat(self) -> None:
        now = utcnow()
        with self.store.session() as s:
            beat = s.get(WorkerHeartbeat, self.id)
            if beat is None:
                s.add(
                    WorkerHeartbeat(
                        id=self.id,
                        hostname=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=self.started_at,
                        last_seen_at=now,
                    )
                )
            else:
                beat.last_seen_at = now
            s.execute(
                delete(WorkerHeartbeat).where(
                    WorkerHeartbeat.last_seen_at < now - 10 * HEARTBEAT_STALE
                )
            )

    def run_once(self) -> bool:
        """Run every task that is due once; True when any did work."""
        busy = False
        for task in tasks():
            now = time.monotonic()
            if now - self._last_run.get(task.name, -1e9) < task.every_seconds:
                continue
            self._last_run[task.name] = now
            WORKER_TICKS.labels(task.name).inc()
            try:
                busy = task.run(self.store) or busy
            except Exception:
                WORKER_TASK_ERRORS.labels(task.name).inc()
                log.exception("worker task %s failed; it will run again", task.name)
        return busy

    def run_forever(self) -> None:
        log.info("worker %s started with tasks: %s", self.id, [t.name for t in tasks()])
        last_beat = 0.0
        while not self.stopping.is_set():
            if time.monotonic() - last_beat > HEARTBEAT_STALE.total_seconds() / 4:
                self.heartbeat()
                last_beat = time.monotonic()
            if not self.run_once():
                self.stopping.wait(self.poll_seconds)
        with self.store.session() as s:
            s.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.id == self.id))
        log.info("worker %s stopped", self.id)


def live_workers(store: Store) -> list[tuple[str, datetime]]:
    """Workers seen within the last minute: (id, last seen)."""
    with store.session() as s:
        rows = s.execute(
            select(WorkerHeartbeat.id, WorkerHeartbeat.last_seen_at).where(
                WorkerHeartbeat.last_seen_at >= utcnow() - HEARTBEAT_STALE
            )
        ).all()
    return [(r[0], r[1]) for r in rows]
