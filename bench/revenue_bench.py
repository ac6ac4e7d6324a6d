"""Revenue benchmark: import throughput, peak memory and the 24-month MRR series time.

Run:  .venv/bin/python bench/revenue_bench.py                   (50,000 customers,
      500,000 subscription events, SQLite; add --pg-url or set HUB_TEST_POSTGRES_URL for
      PostgreSQL too)
      .venv/bin/python bench/revenue_bench.py --customers 5000 --events 50000   (scaled)

Targets (issue #5): import ≥ 10,000 events/s; peak memory ≤ 500 MB; the 24-month MRR
series with movements ≤ 1 s on SQLite and PostgreSQL. Each import runs in a child process
so its peak RSS is its own. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from engine.access.principal import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

END = date(2026, 3, 31)
MONTHS = 24
PLANS = ((2900, "month"), (7900, "month"), (19900, "month"), (29000, "year"), (79000, "year"))


def generate(path: Path, customers: int, events: int, seed: int = 1) -> tuple[int, date]:
    """Stripe-shaped subscription events: each customer's subscription is created, then
    changes seats or plan, falls past due, cancels (and the customer may come back with a
    new one); 20% bill in EUR. Written as .jsonl.gz."""
    rng = random.Random(seed)
    first = date(END.year - MONTHS // 12, END.month, 1) + timedelta(days=31)
    first = first.replace(day=1)
    start = int(datetime.combine(first, datetime.min.time(), UTC).timestamp())
    end = int(datetime.combine(END, datetime.max.time(), UTC).timestamp())
    per_customer = max(1, events // customers)
    written = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        for c in range(customers):
            currency = "eur" if rng.random() < 0.2 else "usd"
            n = per_customer if c >= events % customers else per_customer + 1
            times = sorted(rng.randrange(start, end) for _ in range(n))
            seats, plan = rng.randint(1, 10), rng.randrange(len(PLANS))
            sub_no, fresh = 0, True
            for i, at in enumerate(times):
                status = "active"
                kind = "created" if fresh else "updated"
                roll = rng.random()
                if fresh:
                    fresh = False
                elif roll < 0.45:
                    seats = max(1, seats + rng.choice((-2, -1, 1, 2, 3)))
                elif roll < 0.55:
                    plan = rng.randrange(len(PLANS))
                elif roll < 0.65:
                    status = "past_due"
                elif roll < 0.72:
                    status, kind = "canceled", "deleted"
                amount, interval = PLANS[plan]
                obj = {
                    "id": f"sub_{c:06d}_{sub_no}",
                    "object": "subscription",
                    "customer": f"cus_{c:06d}",
                    "status": status,
                    "currency": currency,
                    "cancel_at_period_end": False,
                    "cancel_at": None,
                    "current_period_end": at + 30 * 86400,
                    "discount": None,
                    "discounts": [],
                    "trial_end": None,
                    "items": {
                        "object": "list",
                        "data": [
                            {
                                "id": f"si_{c:06d}",
                                "object": "subscription_item",
                                "quantity": seats,
                                "price": {
                                    "id": f"price_{plan}_{currency}",
                                    "object": "price",
                                    "currency": currency,
                                    "nickname": f"Plan {plan}",
                                    "product": f"prod_{plan}",
                                    "unit_amount": amount,
                                    "billing_scheme": "per_unit",
                                    "recurring": {
                                        "interval": interval,
                                        "interval_count": 1,
                                        "usage_type": "licensed",
                                    },
                                },
                            }
                        ],
                    },
                }
                fh.write(
                    json.dumps(
                        {
                            "id": f"evt_{c:06d}_{i:03d}",
                            "object": "event",
                            "type": f"customer.subscription.{kind}",
                            "created": at,
                            "data": {"object": obj},
                        },
                        separators=(",", ":"),
                    )
                )
                fh.write("\n")
                written += 1
                if status == "canceled":  # a later event starts a new subscription
                    sub_no, fresh = sub_no + 1, True
    return written, first


def fx_csv(path: Path, first: date) -> None:
    rng = random.Random(2)
    rate = 1.08
    with path.open("w") as fh:
        fh.write("date,currency,rate\n")
        day = first - timedelta(days=5)
        while day <= END:
            rate = min(1.2, max(0.98, rate + rng.gauss(0, 0.003)))
            fh.write(f"{day},EUR,{rate:.6f}\n")
            day += timedelta(days=1)


def child_import(url: str, events: Path, fx: Path) -> None:
    """In a fresh process: migrate, import FX then events; print timings and peak RSS."""
    import resource

    from engine.revenue.ingest import import_csv_file, import_events_file
    from engine.store import Store
    from engine.store.migrate import upgrade

    store = Store(url)
    upgrade(store)
    import_csv_file(store, SYSTEM, "fx", fx)
    started = time.perf_counter()
    report = import_events_file(store, SYSTEM, events)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"new": report.new, "seconds": seconds, "peak_mb": peak_mb}))


def time_series(url: str, first: date, repeats: int = 5) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    from engine.periods import Period
    from engine.revenue.reports import mrr_series, revenue_kpis
    from engine.store import Store

    store = Store(url)
    period = Period.from_days(first, END, ZoneInfo("UTC"))
    runs, rows = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        rows = mrr_series(store, period, "month").rows
        runs.append(time.perf_counter() - started)
    kpi_runs = []
    last_month = Period.from_days(END.replace(day=1), END, ZoneInfo("UTC"))
    for _ in range(repeats):
        started = time.perf_counter()
        revenue_kpis(store, last_month)
        kpi_runs.append(time.perf_counter() - started)
    store.dispose()
    return {
        "series_median_s": statistics.median(runs),
        "series_first_s": runs[0],
        "buckets": len(rows),
        "mrr_end": rows[-1]["mrr_end"] if rows else 0.0,
        "kpi_month_median_s": statistics.median(kpi_runs),
    }


def pg_database(admin_url: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--pg-url", default=os.environ.get("HUB_TEST_POSTGRES_URL", ""))
    parser.add_argument("--no-pg", action="store_true", help="SQLite only.")
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    parser.add_argument("--child", nargs=3, metavar=("URL", "EVENTS", "FX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return

    work = Path(tempfile.mkdtemp(prefix="revenue-bench-"))
    events_path, fx_path = work / "events.jsonl.gz", work / "fx.csv"
    started = time.perf_counter()
    written, first = generate(events_path, args.customers, args.events)
    fx_csv(fx_path, first)
    print(
        f"generated {written:,} events for {args.customers:,} customers "
        f"({events_path.stat().st_size / 1e6:.1f} MB gz) in {time.perf_counter() - started:.1f} s"
    )
    backends = [("sqlite", f"sqlite:///{work / 'bench.db'}", None)]
    if args.pg_url and not args.no_pg:
        url, drop = pg_database(args.pg_url)
        backends.append(("postgresql", url, drop))
    for name, url, drop in backends:
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", url, str(events_path), str(fx_path)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
            imp = json.loads(out.strip().splitlines()[-1])
            series = time_series(url, first)
            print(
                f"{name:10s} import {imp['new']:,} events in {imp['seconds']:.1f} s = "
                f"{imp['new'] / imp['seconds']:,.0f} events/s, peak RSS {imp['peak_mb']:.0f} MB; "
                f"{series['buckets']}-month MRR series {series['series_median_s'] * 1000:.0f} ms "
                f"median (first {series['series_first_s'] * 1000:.0f} ms); one-month KPIs "
                f"{series['kpi_month_median_s'] * 1000:.0f} ms; MRR at end "
                f"{series['mrr_end']:,.2f}"
            )
        finally:
            if drop is not None:
                drop()
    if args.keep:
        print(f"files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
