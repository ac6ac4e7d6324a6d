"""Access control costs: the permission check on an engine call, and the Audit page's
queries over one million audit records (issue 7's targets: ≤ 1 ms and ≤ 1 s).

    .venv/bin/python bench/access_bench.py [--records 1000000] [--pg URL]

The check is timed both alone and as the difference between an engine write with and
without it. The audit queries are the ones the Audit page runs (count + newest 1,000) for
each filter it offers, on SQLite and, with --pg, on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACTIONS = [
    "auth.sign_in",
    "sync.trigger",
    "conflict.resolve",
    "probe.add",
    "incident.open",
    "incident.note",
    "checklist.edit",
    "data.import",
    "key.create",
    "user.set_role",
]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def check_cost() -> None:
    from engine.access import audit
    from engine.access.principal import Principal
    from engine.access.roles import Permission, Role, require

    who = Principal("op@x.io", Role.operator, "cli")
    n = 200_000
    started = time.perf_counter()
    for _ in range(n):
        require(who, Permission.incident_manage)
    per = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for _ in range(n):
        audit.guard(None, who, Permission.incident_manage, "incident.open")  # type: ignore[arg-type]
    per_guard = (time.perf_counter() - started) / n
    print(f"permission check: require {per * 1e6:.2f} µs, guard {per_guard * 1e6:.2f} µs per call")


def engine_call_cost(store) -> None:  # type: ignore[no-untyped-def]
    """An engine write (annotate) timed with the check against the same write without it."""
    from engine.access import audit
    from engine.access.principal import SYSTEM
    from engine.launch import incidents

    runs = 300
    with_check = []
    for i in range(runs):
        started = time.perf_counter()
        incidents.annotate(store, SYSTEM, f"deploy {i}")
        with_check.append(time.perf_counter() - started)
    real_guard = audit.guard
    audit.guard = lambda *a, **k: None  # type: ignore[assignment]
    try:
        without = []
        for i in range(runs):
            started = time.perf_counter()
            incidents.annotate(store, SYSTEM, f"deploy b{i}")
            without.append(time.perf_counter() - started)
    finally:
        audit.guard = real_guard
    a, b = statistics.median(with_check), statistics.median(without)
    print(
        f"annotate(): median {_ms(a)} with the check, {_ms(b)} without "
        f"(difference {(a - b) * 1000:+.3f} ms; noise included)"
    )


def fill(store, count: int) -> None:  # type: ignore[no-untyped-def]
    from engine.access.models import AuditRecord

    rng = random.Random(7)
    now = datetime.now(UTC)
    actors = [f"user{i}@acme.io" for i in range(40)] + [f"key:client{i}" for i in range(5)]
    table = AuditRecord.__table__
    batch = 20_000
    started = time.perf_counter()
    with store.engine.begin() as conn:
        for first in range(0, count, batch):
            rows = []
            for i in range(first, min(count, first + batch)):
                at = now - timedelta(seconds=(count - i) * 31_536_000 / count)  # a year
                action = rng.choice(ACTIONS)
                rows.append(
                    {
                        "at": at,
                        "actor": rng.choice(actors),
                        "role": "operator",
                        "channel": rng.choice(["dashboard", "cli", "api"]),
                        "address": "10.0.0.7",
                        "action": action,
                        "target": f"target-{rng.randrange(500)}",
                        "outcome": "denied" if rng.random() < 0.01 else "ok",
                        "before": None,
                        "after": {"n": i},
                        "detail": None,
                    }
                )
            conn.execute(table.insert(), rows)
    print(f"{count:,} audit records written in {time.perf_counter() - started:.1f} s")


def queries(store, label: str) -> None:  # type: ignore[no-untyped-def]
    from engine.access import audit

    now = datetime.now(UTC)
    cases = {
        "no filter (newest 1,000 + count)": {},
        "last 30 days": {"since": now - timedelta(days=30)},
        "who = user7@": {"actor": "user7@"},
        "what = incident.": {"action": "incident."},
        "who + what + 90 days": {
            "actor": "user7@",
            "action": "sync.",
            "since": now - timedelta(days=90),
        },
        "outcome = denied": {"outcome": "denied"},
        "text contains 'target-42'": {"text": "target-42"},
    }
    for name, filters in cases.items():
        times = []
        total = 0
        for _ in range(3):
            started = time.perf_counter()
            _, total = audit.records(store, limit=1000, **filters)
            times.append(time.perf_counter() - started)
        print(f"  {label} {name:<34} {_ms(min(times)):>10} ({total:,} match)")


def page_time() -> None:
    """The Audit page end to end (AppTest, caches cleared): query, table and URL."""
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)

    st.config.set_option("server.address", "127.0.0.1")
    app = str(ROOT / "dashboard" / "app.py")
    for label, query in (
        ("no filter", {}),
        ("who + what", {"actor": "user7@", "action": "sync."}),
        ("text", {"text": "target-42"}),
    ):
        times = []
        for _ in range(3):
            st.cache_data.clear()
            at = AppTest.from_file(app, default_timeout=120)
            for k, v in query.items():
                at.query_params[k] = v
            at.run()
            at.switch_page("../pages/audit.py")
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
            assert not at.exception, at.exception
        shown = next((c.value for c in at.caption if "match" in c.value), "no match")
        print(f"  Audit page (SQLite), {label:<12} {_ms(min(times)):>10} per run: {shown[:40]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--pg", help="PostgreSQL server URL to bench on too")
    args = parser.parse_args()
    os.environ["HUB_HOME"] = tempfile.mkdtemp()
    from sqlalchemy import create_engine, text

    from engine.store import Store, get_store
    from engine.store.migrate import upgrade

    check_cost()
    store = get_store()
    upgrade(store)
    engine_call_cost(store)
    stores = [("SQLite", store)]
    if args.pg:
        name = f"hub_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg = Store(args.pg.rsplit("/", 1)[0] + f"/{name}")
        upgrade(pg)
        stores.append(("PostgreSQL", pg))
    for label, s in stores:
        fill(s, args.records)
        if s.dialect == "postgresql":
            with s.engine.begin() as conn:
                conn.execute(text("ANALYZE audit_records"))
        queries(s, label)
        if label == "SQLite":
            page_time()
    if args.pg:
        pg.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))


if __name__ == "__main__":
    main()
