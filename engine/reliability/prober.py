"""The prober: checks every due target with httpx and writes results through the importer.

It runs as an asyncio loop in a background thread of the worker, so the worker's other
tasks keep their rhythm. Each check is its own task under a concurrency bound with a
hard per-target timeout, so a hung target only ever holds one slot: it never delays the
others. Results are buffered in memory and written every couple of seconds; if the store
is unreachable they stay buffered (bounded) and are written when it is back.

One prober is active across all workers (a lease row); when a prober takes over a lease
whose last beat is older than twice the shortest probe interval, the time in between is
recorded as a monitoring gap — the prober was not running, so that time is never "up".
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.reliability.ingest import ProbeRecord, record_probe_results
from engine.reliability.models import Probe, ProberLease
from engine.reliability.probes import record_gap
from engine.store import Store
from engine.store.base import utcnow
from engine.worker import WorkerTask, register_task

log = logging.getLogger(__name__)

LEASE_ID = "prober"
LEASE_STALE = timedelta(seconds=30)
MAX_BUFFER = 200_000  # results kept while the store is unreachable (oldest dropped beyond)
ERROR_TEXT = 500


@dataclass(frozen=True)
class ProbeConfig:
    """A snapshot of one target's configuration, safe to use off the database thread."""

    name: str
    url: str
    method: str
    interval: float
    timeout: float
    expect_min: int
    expect_max: int
    contains: str | None

    @classmethod
    def of(cls, p: Probe) -> ProbeConfig:
        return cls(
            p.name,
            p.url,
            p.method,
            float(p.interval_seconds),
            float(p.timeout_seconds),
            p.expect_min,
            p.expect_max,
            p.contains,
        )


async def check(client: httpx.AsyncClient, cfg: ProbeConfig) -> ProbeRecord:
    """One check: up when the status is in range (and the body has `contains`)."""
    checked_at = utcnow()
    started = time.perf_counter()
    status: int | None = None
    try:
        async with asyncio.timeout(cfg.timeout):
            response = await client.request(cfg.method, cfg.url, timeout=cfg.timeout)
            body = response.text if cfg.contains else ""
        latency: float | None = (time.perf_counter() - started) * 1000
        status = response.status_code
        error = None
        if not cfg.expect_min <= status <= cfg.expect_max:
            error = f"status {status} not in {cfg.expect_min}-{cfg.expect_max}"
        elif cfg.contains and cfg.contains not in body:
            error = f"response does not contain {cfg.contains!r}"
    except TimeoutError:
        latency, error = None, f"timeout after {cfg.timeout:g}s"
    except httpx.TimeoutException:
        latency, error = None, f"timeout after {cfg.timeout:g}s"
    except httpx.HTTPError as exc:
        latency, error = None, f"{type(exc).__name__}: {exc}"[:ERROR_TEXT]
    return ProbeRecord(cfg.name, checked_at, error is None, status, latency, error)


class Prober:
    """Schedules checks by each target's interval and writes their results in batches."""

    def __init__(
        self,
        store: Store,
        *,
        concurrency: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
        flush_seconds: float = 2.0,
        reload_seconds: float = 10.0,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.concurrency = concurrency
        self.transport = transport
        self.flush_seconds = flush_seconds
        self.reload_seconds = reload_seconds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.clock = clock
        self.buffer: deque[ProbeRecord] = deque(maxlen=MAX_BUFFER)
        self.targets: dict[str, ProbeConfig] = {}
        self.next_due: dict[str, float] = {}
        self.in_flight: set[str] = set()
        self.active: bool | None = None  # None until the first beat tells
        self.dropped = 0
        self._tasks: set[asyncio.Task[None]] = set()

    # -- store side (runs in a thread) ------------------------------------------------

    def load_targets(self) -> dict[str, ProbeConfig]:
        with self.store.session() as s:
            probes = s.scalars(select(Probe).where(Probe.paused.is_(False)))
            return {p.name: ProbeConfig.of(p) for p in probes}

    def _gap_threshold(self) -> timedelta:
        shortest = min((t.interval for t in self.targets.values()), default=60.0)
        return timedelta(seconds=2 * shortest)

    def write(self, records: list[ProbeRecord]) -> None:
        """Beat the lease (taking it over when stale) and write results, in one transaction.

        With no active targets there is nothing to monitor: no beat, no lease, no writes.
        """
        if not self.targets and not records:
            return
        now = self.clock()
        with self.store.session() as s:
            lease = s.get(ProberLease, LEASE_ID, with_for_update=True)
            if lease is None:
                s.add(ProberLease(id=LEASE_ID, owner=self.owner, started_at=now, last_beat_at=now))
                self.active = True
            elif lease.owner == self.owner:
                lease.last_beat_at = max(lease.last_beat_at, now)
                self.active = True
            elif now - lease.last_beat_at > LEASE_STALE:
                self._record_gap(s, lease.last_beat_at, now)
                lease.owner, lease.started_at, lease.last_beat_at = self.owner, now, now
                self.active = True
            else:
                self.active = False
            record_probe_results(s, records)

    def _record_gap(self, s: Session, last_beat: datetime, now: datetime) -> None:
        """The prober was not running from its last beat (or from when the first of today's
        targets was configured, if later) until now: a gap, when beyond 2× the interval."""
        configured = s.scalar(select(func.min(Probe.created_at)).where(Probe.paused.is_(False)))
        start = max(last_beat, configured) if configured else last_beat
        silent = now - start
        if self.targets and silent > self._gap_threshold():
            record_gap(s, start, now, f"prober not running ({silent})")
            log.warning("prober was not running for %s: recorded a monitoring gap", silent)

    # -- event loop side ----------------------------------------------------------------

    async def flush(self) -> bool:
        """Write what is buffered; on failure keep it for the next try. True when written."""
        records = list(self.buffer)
        try:
            await asyncio.to_thread(self.write, records)
        except Exception as exc:
            log.warning(
                "prober could not write to the store (%s); %d results buffered",
                type(exc).__name__,
                len(self.buffer),
            )
            return False
        for _ in range(min(len(records), len(self.buffer))):
            self.buffer.popleft()
        return True

    def _record(self, record: ProbeRecord) -> None:
        if len(self.buffer) == self.buffer.maxlen:
            self.dropped += 1
        self.buffer.append(record)

    async def _run_check(
        self, client: httpx.AsyncClient, cfg: ProbeConfig, limit: asyncio.Semaphore
    ) -> None:
        try:
            async with limit:
                self._record(await check(client, cfg))
        finally:
            self.in_flight.discard(cfg.name)

    def launch_due(self, client: httpx.AsyncClient, limit: asyncio.Semaphore) -> int:
        """Start a check for every due target that is not already being checked."""
        now = time.monotonic()
        started = 0
        for name, cfg in self.targets.items():
            due = self.next_due.setdefault(name, now)
            if due > now or name in self.in_flight:
                continue
            # Keep the schedule on its grid; skip slots missed while the loop was busy.
            self.next_due[name] = max(due + cfg.interval, now)
            self.in_flight.add(name)
            task = asyncio.create_task(self._run_check(client, cfg, limit))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def run(self, stop: threading.Event | asyncio.Event, tick: float = 0.2) -> None:
        """Probe until `stop` is set; a final flush writes what is left."""
        limit = asyncio.Semaphore(self.concurrency)
        last_reload = last_flush = -1e9
        async with httpx.AsyncClient(
            transport=self.transport, follow_redirects=True, headers={"User-Agent": "hub-prober"}
        ) as client:
            while not stop.is_set():
                now = time.monotonic()
                if now - last_reload >= self.reload_seconds:
                    last_reload = now
                    try:
                        self.targets = await asyncio.to_thread(self.load_targets)
                    except Exception as exc:
                        log.warning("prober could not load targets (%s)", type(exc).__name__)
                    for gone in set(self.next_due) - set(self.targets):
                        self.next_due.pop(gone, None)
                if self.active is not False:  # standby probers only beat
                    self.launch_due(client, limit)
                if now - last_flush >= self.flush_seconds:
                    last_flush = now
                    await self.flush()
                await asyncio.sleep(tick)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.flush()


# ---------------------------------------------------------------- worker integration

_thread: threading.Thread | None = None
_thread_store: Store | None = None
_stop = threading.Event()
_lock = threading.Lock()


def _serve(store: Store, stop: threading.Event) -> None:
    prober = Prober(store)
    try:
        asyncio.run(prober.run(stop))
    except Exception:
        log.exception("prober stopped unexpectedly; the worker will restart it")


def ensure_prober(store: Store) -> bool:
    """Worker task: keep the prober thread alive (restarted if it died). Never busy."""
    global _thread, _thread_store, _stop
    with _lock:
        if _thread is not None and _thread.is_alive() and _thread_store is not store:
            _stop.set()  # a different store (tests, a reconfigured process): start afresh
            _thread.join(5)
        if _thread is None or not _thread.is_alive():
            _stop = threading.Event()
            _thread_store = store
            _thread = threading.Thread(
                target=_serve, args=(store, _stop), name="prober", daemon=True
            )
            _thread.start()
    return False


def stop_prober(timeout: float = 5.0) -> None:
    """Stop the background prober, writing its buffered results first."""
    _stop.set()
    if _thread is not None:
        _thread.join(timeout)


atexit.register(stop_prober)

register_task(WorkerTask(name="reliability.prober", run=ensure_prober, every_seconds=5.0))
