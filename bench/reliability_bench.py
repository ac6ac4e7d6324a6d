"""Reliability bench: import throughput and 30-day query times at production volume.

Builds, in a temporary SQLite file and (when HUB_TEST_POSTGRES_URL is set) a temporary
PostgreSQL database: N probe targets checked every minute for a year, and --rows request
log rows over the same year, imported through the real importers (requests from a JSON
lines file, so parsing is included). Then times, over the last 30 days: uptime (all
targets and the system), error rate, p50/p95/p99 and the whole `hub kpi reliability`
summary. Optionally (--prober-seconds) runs the prober against a local HTTP server with
500 targets on a 30 s interval and reports its CPU use.

    .venv/bin/python bench/reliability_bench.py --rows 1000000
    .venv/bin/python bench/reliability_bench.py            # the issue's 10 million rows
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.access.principal import SYSTEM  # noqa: E402
from engine.periods import Period  # noqa: E402
from engine.reliability.ingest import (  # noqa: E402
    ProbeRecord,
    import_probe_records,
    import_requests_file,
)
from engine.reliability.kpis import (  # noqa: E402
    reliability_summary,
    request_stats,
    uptime_report,
)
from engine.reliability.probes import add_probe  # noqa: E402
from engine.reliability.timeline import seconds_by_state, uptime  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

END = datetime(2026, 1, 1, tzinfo=UTC)
ROUTES = [("api", f"/v1/r{i}", m) for i in range(10) for m in ("GET", "POST")]


def probe_records(targets: int, days: int) -> Iterator[ProbeRecord]:
    """Every target every minute, jittered, with a few outages and blips."""
    rng = random.Random(1)
    start = END - timedelta(days=days)
    minutes = days * 1440
    noise = [rng.lognormvariate(0, 0.3) for _ in range(4096)]
    outages = {rng.randrange(minutes) for _ in range(6)}
    down = {m + k for m in outages for k in range(rng.randrange(3, 40))}
    for t in range(targets):
        name = f"target-{t:02d}"
        for m in range(minutes):
            at = start + timedelta(seconds=m * 60 + rng.random() * 3)
            if (m in down and t < 5) or rng.random() < 0.0002:
                yield ProbeRecord(name, at, False, None, None, "timeout after 10s")
            else:
                yield ProbeRecord(name, at, True, 200, round(40 * noise[m % 4096], 1), None)


def write_requests(path: Path, rows: int, days: int) -> None:
    """A JSON-lines request log spread over the year (what `hub import requests` reads)."""
    rng = random.Random(2)
    start = END - timedelta(days=days)
    span = days * 86400
    step = span / rows
    with path.open("w") as fh:
        t = 0.0
        for _ in range(rows):
            t += rng.expovariate(1 / step)
            if t >= span:
                t = rng.random() * span
            service, route, method = ROUTES[int(rng.random() * len(ROUTES))]
            u = rng.random()
            status = 500 if u < 0.0008 else (404 if u < 0.01 else 200)
            ts = (start + timedelta(seconds=t)).isoformat().replace("+00:00", "Z")
            fh.write(
                json.dumps(
                    {
                        "ts": ts,
                        "service": service,
                        "route": route,
                        "method": method,
                        "status": status,
                        "duration_ms": round(25 * math.exp(rng.gauss(0, 0.7)), 2),
                    }
                )
                + "\n"
            )


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_store(store: Store, args: argparse.Namespace, requests_file: Path) -> dict[str, float]:
    upgrade(store)
    out: dict[str, float] = {}
    for t in range(args.targets):
        add_probe(
            store,
            SYSTEM,
            f"target-{t:02d}",
            f"http://127.0.0.1:9/t{t}",
            critical=t < 5,
            paused=True,
        )
    count = args.targets * args.days * 1440
    started = time.perf_counter()
    report = import_probe_records(
        store, SYSTEM, probe_records(args.targets, args.days), source="api"
    )
    elapsed = time.perf_counter() - started
    out["probe results"] = report.new
    out["probe import rows/s"] = count / elapsed
    started = time.perf_counter()
    report = import_requests_file(store, SYSTEM, requests_file)
    elapsed = time.perf_counter() - started
    out["request rows"] = report.new
    out["request import rows/s"] = report.new / elapsed

    tz = ZoneInfo("UTC")
    last = END.date() - timedelta(days=1)
    period = Period.from_days(last - timedelta(days=29), last, tz)

    def uptime_30d() -> None:
        r = uptime_report(store, period.start, period.end)
        uptime(seconds_by_state(r.system, r.start, r.end))
        r.target_uptime()

    out["30-day uptime s"] = timed(uptime_30d)
    stats = request_stats(store, period.start, period.end)
    out["30-day error rate + p50/p95/p99 s"] = timed(
        lambda: request_stats(store, period.start, period.end)
    )
    odd = (period.start + timedelta(hours=7, minutes=13), period.end - timedelta(minutes=47))
    out["30-day (unaligned edges) error rate + percentiles s"] = timed(
        lambda: request_stats(store, *odd)
    )
    out["30-day full summary s"] = timed(lambda: reliability_summary(store, period))
    year = Period.from_days(date(2025, 1, 1), last, tz)
    out["365-day full summary s"] = timed(lambda: reliability_summary(store, year), repeat=1)
    out["30-day requests"] = stats.requests
    out["30-day p95 ms"] = stats.p95 or 0.0
    return out


def _pg_database(base_url: str) -> tuple[str, Callable[[], None]]:
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


# ---------------------------------------------------------------- prober load


async def _serve(stop: asyncio.Event, ready: threading.Event, port_box: list[int]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_box.append(server.sockets[0].getsockname()[1])
    ready.set()
    async with server:
        await stop.wait()


def bench_prober(seconds: float, targets: int = 500) -> dict[str, float]:
    """CPU of the prober process part (checks + writes) for 500 targets every 30 s."""
    from engine.reliability.prober import Prober

    loop_stop: asyncio.Event | None = None
    ready = threading.Event()
    port_box: list[int] = []
    server_loop = asyncio.new_event_loop()

    def run_server() -> None:
        nonlocal loop_stop
        asyncio.set_event_loop(server_loop)
        loop_stop = asyncio.Event()
        server_loop.run_until_complete(_serve(loop_stop, ready, port_box))

    server_thread = threading.Thread(target=run_server, daemon=True)
    server_thread.start()
    ready.wait(10)
    port = port_box[0]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/prober.db")
        upgrade(store)
        for t in range(targets):
            add_probe(store, SYSTEM, f"p{t:03d}", f"http://127.0.0.1:{port}/t{t}", interval="30s")
        prober = Prober(store, concurrency=200)
        stop = threading.Event()
        thread = threading.Thread(target=lambda: asyncio.run(prober.run(stop)), daemon=True)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        thread.start()
        time.sleep(seconds)
        stop.set()
        thread.join(30)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        with store.session() as s:
            written = s.scalar(text("SELECT count(*) FROM probe_results")) or 0
        store.dispose()
    if loop_stop is not None:
        server_loop.call_soon_threadsafe(loop_stop.set)
    # The local HTTP server runs in this process too: its CPU is included (an upper bound).
    return {
        "prober targets": targets,
        "prober checks written": written,
        "prober expected checks": targets * math.ceil(seconds / 30),
        "prober CPU (cores, incl. test server)": cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="request-log rows")
    parser.add_argument("--targets", type=int, default=20, help="probe targets")
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--prober-seconds", type=float, default=0, help="also bench the prober")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        requests_file = Path(tmp) / "requests.jsonl"
        started = time.perf_counter()
        write_requests(requests_file, args.rows, args.days)
        print(f"wrote {args.rows:,} request lines in {time.perf_counter() - started:.1f}s")
        results: dict[str, dict[str, float]] = {}
        if args.backend in ("sqlite", "both"):
            store = Store(f"sqlite:///{tmp}/bench.db")
            results["sqlite"] = bench_store(store, args, requests_file)
            store.dispose()
        pg = os.environ.get("HUB_TEST_POSTGRES_URL", "")
        if args.backend in ("postgresql", "both") and pg:
            url, drop = _pg_database(pg)
            try:
                store = Store(url)
                results["postgresql"] = bench_store(store, args, requests_file)
                store.dispose()
            finally:
                drop()
    if args.prober_seconds:
        results["prober"] = bench_prober(args.prober_seconds)
    for backend, figures in results.items():
        print(f"\n[{backend}]")
        for key, value in figures.items():
            shown = f"{value:,.0f}" if value >= 100 else f"{value:.3f}"
            print(f"  {key:<52} {shown}")


if __name__ == "__main__":
    main()
