"""The prober: a hung target never delays the others; buffering; gaps; check semantics."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from engine.reliability.models import MonitoringGap, Probe, ProbeResult, ProberLease
from engine.reliability.prober import LEASE_ID, ProbeConfig, Prober, check
from engine.reliability.probes import add_probe
from engine.store import Store
from engine.store.base import utcnow
from tests.actors import ADMIN


async def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.host == "hung.test":
        await asyncio.sleep(3600)  # never answers
    if request.url.host == "down.test":
        return httpx.Response(503, text="unavailable")
    return httpx.Response(200, text="all systems go")


def _results(store: Store) -> dict[str, list[ProbeResult]]:
    out: dict[str, list[ProbeResult]] = {}
    with store.session() as s:
        for r in s.scalars(select(ProbeResult).order_by(ProbeResult.checked_at)):
            out.setdefault(r.target, []).append(r)
    return out


def test_a_hung_target_never_delays_the_others(store: Store) -> None:
    add_probe(store, ADMIN, "fast", "http://fast.test/", interval="1s", timeout="1s")
    add_probe(store, ADMIN, "hung", "http://hung.test/", interval="1s", timeout="2s", critical=True)
    prober = Prober(
        store, transport=httpx.MockTransport(_handler), flush_seconds=0.3, concurrency=4
    )

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(prober.run(stop, tick=0.02))
        started = time.monotonic()
        await asyncio.sleep(4.5)
        stop.set()
        await task
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    results = _results(store)
    fast = results["fast"]
    # Checked on its own 1 s grid the whole time, although `hung` never answered.
    assert len(fast) >= 4, [r.checked_at for r in fast]
    gaps = [(b.checked_at - a.checked_at).total_seconds() for a, b in itertools.pairwise(fast)]
    assert max(gaps) < 1.6, gaps
    assert all(r.ok for r in fast)
    hung = results.get("hung", [])
    assert hung and all(not r.ok and r.error == "timeout after 2s" for r in hung)
    assert all(r.status_code is None and r.latency_ms is None for r in hung)
    assert elapsed < 7  # the stop did not wait for the hung request


def test_results_are_buffered_while_the_store_is_unreachable(store: Store) -> None:
    add_probe(store, ADMIN, "fast", "http://fast.test/", interval="1s")
    prober = Prober(store, transport=httpx.MockTransport(_handler))
    real_write = prober.write
    outage = {"on": True}

    def flaky(records: list) -> None:  # type: ignore[type-arg]
        if outage["on"]:
            raise OSError("connection refused")
        real_write(records)

    prober.write = flaky  # type: ignore[method-assign]

    async def scenario() -> None:
        prober.targets = await asyncio.to_thread(prober.load_targets)
        async with httpx.AsyncClient(transport=httpx.MockTransport(_handler)) as client:
            for _ in range(3):
                prober._record(await check(client, prober.targets["fast"]))
                await asyncio.sleep(0.01)
        assert not await prober.flush()
        assert len(prober.buffer) == 3
        outage["on"] = False
        assert await prober.flush()

    asyncio.run(scenario())
    assert not prober.buffer
    assert len(_results(store)["fast"]) == 3


def test_taking_over_a_stale_lease_records_a_monitoring_gap(store: Store) -> None:
    add_probe(store, ADMIN, "api", "http://fast.test/", interval="60s")
    last = utcnow() - timedelta(minutes=10)
    with store.session() as s:
        s.add(ProberLease(id=LEASE_ID, owner="old", started_at=last, last_beat_at=last))
        s.execute(update(Probe).values(created_at=last - timedelta(days=1)))
    prober = Prober(store, owner="new")
    prober.targets = prober.load_targets()
    prober.write([])
    assert prober.active is True
    with store.session() as s:
        gaps = list(s.scalars(select(MonitoringGap)))
        assert len(gaps) == 1
        assert gaps[0].starts_at == last
        assert "prober not running" in gaps[0].reason
    # A second prober sees a fresh lease and stands by (no probing, no gap).
    other = Prober(store, owner="other")
    other.targets = prober.targets
    other.write([])
    assert other.active is False
    with store.session() as s:
        assert len(list(s.scalars(select(MonitoringGap)))) == 1


@pytest.mark.parametrize(
    ("url", "contains", "ok", "error"),
    [
        ("http://fast.test/", None, True, None),
        ("http://fast.test/", "systems go", True, None),
        ("http://fast.test/", "maintenance", False, "response does not contain 'maintenance'"),
        ("http://down.test/", None, False, "status 503 not in 200-299"),
    ],
)
def test_check_semantics(url: str, contains: str | None, ok: bool, error: str | None) -> None:
    cfg = ProbeConfig("t", url, "GET", 60, 5, 200, 299, contains)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_handler)) as client:
            record = await check(client, cfg)
        assert (record.ok, record.error) == (ok, error)
        assert record.latency_ms is not None and record.status_code in (200, 503)

    asyncio.run(run())


def test_no_gap_for_time_before_the_first_target_was_configured(store: Store) -> None:
    last = utcnow() - timedelta(days=30)
    with store.session() as s:
        s.add(ProberLease(id=LEASE_ID, owner="old", started_at=last, last_beat_at=last))
    add_probe(store, ADMIN, "api", "http://fast.test/", interval="60s")  # configured just now
    prober = Prober(store, owner="new")
    prober.targets = prober.load_targets()
    prober.write([])
    with store.session() as s:
        assert list(s.scalars(select(MonitoringGap))) == []


def test_the_worker_task_probes_a_real_local_server(store: Store) -> None:
    """End to end: the worker task starts the prober thread; it checks 127.0.0.1 over TCP."""
    from engine.reliability.prober import ensure_prober, stop_prober

    ready = threading.Event()
    box: dict[str, object] = {}

    async def serve() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nhealthy"
            )
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        box["port"] = server.sockets[0].getsockname()[1]
        box["stop"] = stop = asyncio.Event()
        box["loop"] = asyncio.get_running_loop()
        ready.set()
        async with server:
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(5)
    add_probe(
        store,
        ADMIN,
        "local",
        f"http://127.0.0.1:{box['port']}/",
        interval="1s",
        contains="healthy",
        critical=True,
    )
    try:
        assert ensure_prober(store) is False
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(_results(store).get("local", [])) < 2:
            time.sleep(0.2)
    finally:
        stop_prober()
        loop = box["loop"]
        loop.call_soon_threadsafe(box["stop"].set)  # type: ignore[attr-defined]
        thread.join(5)
    results = _results(store)["local"]
    assert len(results) >= 2 and all(r.ok and r.status_code == 200 for r in results)
