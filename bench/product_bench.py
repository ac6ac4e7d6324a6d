"""Product analytics bench: import and HTTP throughput, import peak memory, KPI latency.

    .venv/bin/python bench/product_bench.py --users 10000          # scaled down
    .venv/bin/python bench/product_bench.py --scale L               # 100k users, ~10M events

Generates the demo company's Segment calls for N users over 365 days into a .jsonl.gz,
imports it in a child process (so its peak RSS is the importer's alone), posts extra
events through `/v1/batch` in-process with Starlette's TestClient (no network, no uvicorn),
then times the 30-day Adoption numbers, a 3-step 30-day funnel and a 12-week retention
table on SQLite and, when HUB_TEST_POSTGRES_URL is set, PostgreSQL. DuckDB is not
installed, so the DuckDB-on-Parquet comparison the issue asks for is not run.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SCALES = {"S": 500, "M": 5_000, "L": 100_000}
TODAY = date(2026, 6, 30)


def generate(path: Path, users: int, activity: float) -> int:
    from engine.demo import make_spec
    from engine.product.demo import generate_users

    spec = make_spec("S", 42, today=TODAY)
    count = 0
    with gzip.open(path, "wt", compresslevel=1) as fh:
        for calls in generate_users(spec, users, None, activity):
            for call in calls:
                fh.write(json.dumps(call, separators=(",", ":")) + "\n")
            count += len(calls)
    return count


IMPORT_CHILD = """
import sys, time
from engine.store import Store
from engine.product.ingest import import_events_file
from engine.access.principal import SYSTEM  # noqa: E402
store = Store(sys.argv[1])
t = time.perf_counter()
r = import_events_file(store, SYSTEM, sys.argv[2])
print(r.new, r.duplicates, time.perf_counter() - t)
"""


def fresh_database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    base = os.environ["HUB_TEST_POSTGRES_URL"]
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    name = make_url(url).database
    admin = create_engine(os.environ["HUB_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def http_batches(store, events: int) -> float:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from engine.api.app import create_app

    os.environ["HUB_INGEST_KEY"] = "bench"
    auth = {"Authorization": "Basic " + base64.b64encode(b"bench:").decode()}
    start = datetime(2026, 6, 1, tzinfo=UTC)
    batches = []
    for b in range(0, events, 1000):
        batches.append(
            {
                "batch": [
                    {
                        "type": "track",
                        "event": "Dashboard Viewed",
                        "userId": f"http-{(b + i) % 5000}",
                        "messageId": f"http-{b + i}",
                        "timestamp": (start + timedelta(seconds=b + i)).isoformat(),
                        "properties": {"path": "/home"},
                    }
                    for i in range(min(1000, events - b))
                ]
            }
        )
    with TestClient(create_app(store)) as client:
        t = time.perf_counter()
        for body in batches:
            r = client.post("/v1/batch", json=body, headers=auth)
            assert r.status_code == 200, r.text
        return events / (time.perf_counter() - t)


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run_backend(backend: str, data: Path, events: int, http_events: int) -> dict[str, float]:
    from engine.config import get_settings
    from engine.periods import Period
    from engine.product import funnels, kpis, retention
    from engine.store import Store
    from engine.store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    url = fresh_database(backend, tmp)
    try:
        store = Store(url)
        upgrade(store)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_CHILD, url, str(data)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        new, _dups, seconds = int(out[0]), int(out[1]), float(out[2])
        http_rate = http_batches(store, http_events)
        tz = get_settings().tz
        last = TODAY
        p30 = Period.from_days(last - timedelta(days=29), last, tz)
        p12w = Period.from_days(last - timedelta(weeks=12) + timedelta(days=1), last, tz)
        steps = ["Signed Up", "Target Created", "First Sync Completed"]
        result = {
            "events": new,
            "import_events_per_s": new / seconds,
            "import_peak_rss_mb": peak_mb,
            "http_batch_events_per_s": http_rate,
            "adoption_summary_s": timed(lambda: kpis.product_summary(store, p30)),
            "adoption_lifecycle_s": timed(lambda: kpis.lifecycle(store, p30)),
            "adoption_lines_s": timed(lambda: kpis.active_lines(store, p30)),
            "funnel_3_steps_30d_s": timed(lambda: funnels.funnel(store, steps, p30)),
            "retention_12_weeks_s": timed(
                lambda: retention.retention(store, p12w, grain="week", periods=12)
            ),
        }
        store.dispose()
        return result
    finally:
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), help="S, M or L (L = 100k users)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--activity", type=float, default=1.0, help="Activity multiplier.")
    parser.add_argument("--http-events", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    users = SCALES[args.scale] if args.scale else args.users
    os.environ.setdefault("HUB_TIMEZONE", "UTC")
    with tempfile.TemporaryDirectory(prefix="hub-bench-data-") as tmp:
        data = Path(tmp) / "events.jsonl.gz"
        t = time.perf_counter()
        events = generate(data, users, args.activity)
        print(
            f"generated {events:,} events for {users:,} users in {time.perf_counter() - t:.1f} s "
            f"({data.stat().st_size / 1e6:.1f} MB gzip)"
        )
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        if "postgresql" in backends and not os.environ.get("HUB_TEST_POSTGRES_URL"):
            print("postgresql: skipped (HUB_TEST_POSTGRES_URL not set)")
            backends.remove("postgresql")
        for backend in backends:
            figures = run_backend(backend, data, events, args.http_events)
            print(f"\n[{backend}]")
            for key, value in figures.items():
                print(
                    f"  {key:28} {value:,.3f}"
                    if isinstance(value, float)
                    else f"  {key:28} {value:,}"
                )
    print("\nduckdb: not installed, comparison not run")


if __name__ == "__main__":
    main()
