"""Product analytics bench: import and HTTP throughput, import peak memory, KPI latency.

    .venv/bin/python bench/product_bench.py --users 10000          # scaled down
    .venv/bin/python bench/product_bench.py --scale L               # 100k users, ~10M events
    .venv/bin/python bench/product_bench.py --scale L --backend postgresql

Generates the demo company's Segment calls for N users over 365 days into a .jsonl.gz under
--data-dir (kept: a second run reuses it) and a Parquet copy of the same events, imports the
file through the real `import_events_file` in a child process (so its peak RSS is the
importer's alone), posts extra events through `/v1/batch` in-process with Starlette's
TestClient (no network, no uvicorn), then times the 30-day Adoption numbers (summary and the
DAU/WAU/MAU lines), a 3-step 30-day funnel and a 12-week retention table on SQLite and, when
HUB_TEST_POSTGRES_URL is set, PostgreSQL. With `duckdb` installed (`pip install -e
".[bench]"`) it computes the same answers from the raw events in Parquet, checks they agree
and prints hub time ÷ DuckDB time.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SCALES = {"S": 500, "M": 5_000, "L": 100_000}
# Activity multiplier per scale: L is the 100,000 users and ~10 million events.
SCALE_ACTIVITY = {"S": 1.0, "M": 1.0, "L": 1.35}
STEPS = ["Signed Up", "Target Created", "First Sync Completed"]
TODAY = date(2026, 6, 30)


def generate(path: Path, users: int, activity: float) -> int:
    """Write the calls as JSON lines (.gz), once: a later run with the same size reuses it."""
    import orjson

    from engine.demo import make_spec
    from engine.product.demo import generate_users

    counted = path.with_suffix(".count")
    if path.exists() and counted.exists():
        return int(counted.read_text())
    spec = make_spec("S", 42, today=TODAY)
    count = 0
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wb", compresslevel=1) as fh:
        for calls in generate_users(spec, users, None, activity):
            fh.write(b"".join(orjson.dumps(call) + b"\n" for call in calls))
            count += len(calls)
    partial.rename(path)
    counted.write_text(str(count))
    return count


def write_parquet(data: Path, parquet: Path) -> None:
    """The same raw events as Parquet (one row per call), for DuckDB."""
    import duckdb

    if parquet.exists():
        return
    partial = parquet.with_name(parquet.name + ".partial")
    con = duckdb.connect()
    con.execute(
        f"""COPY (
          SELECT messageId AS message_id, type,
                 CASE type WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed'
                      ELSE event END AS event,
                 userId AS user_id, anonymousId AS anonymous_id,
                 epoch_us(CAST("timestamp" AS TIMESTAMPTZ)) AS ts_us
          FROM read_json('{data}', format = 'newline_delimited', columns = {{
            messageId: 'VARCHAR', type: 'VARCHAR', event: 'VARCHAR', userId: 'VARCHAR',
            anonymousId: 'VARCHAR', "timestamp": 'VARCHAR'}})
        ) TO '{partial}' (FORMAT parquet)"""
    )
    con.close()
    partial.rename(parquet)


IMPORT_CHILD = """
import sys, time
from engine.store import Store
from engine.product.ingest import import_events_file
from engine.access.principal import SYSTEM
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

    from engine.access.keys import create_key
    from engine.access.principal import SYSTEM
    from engine.api.app import create_app

    _, key = create_key(store, SYSTEM, f"bench-{time.time_ns()}", "ingest")
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
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


def run_backend(
    backend: str, data: Path, http_events: int, repeat: int
) -> tuple[dict[str, float | int], dict[str, Any]]:
    from engine.config import get_settings
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
        p30, p12w = periods(get_settings().tz)
        answers: dict[str, Any] = {}

        def keep(name: str, fn):  # type: ignore[no-untyped-def]
            def run() -> None:
                answers[name] = fn()

            return run

        figures: dict[str, float | int] = {
            "events": new,
            "import_events_per_s": new / seconds,
            "import_peak_rss_mb": peak_mb,
        }
        # The answers are taken before the HTTP events below change the data.
        figures |= {
            "adoption_summary_s": timed(
                keep("summary", lambda: kpis.product_summary(store, p30)), repeat
            ),
            "adoption_lines_s": timed(keep("lines", lambda: kpis.active_lines(store, p30)), repeat),
            "adoption_lifecycle_s": timed(lambda: kpis.lifecycle(store, p30), repeat),
            "funnel_3_steps_30d_s": timed(
                keep("funnel", lambda: funnels.funnel(store, STEPS, p30)), repeat
            ),
            "retention_12_weeks_s": timed(
                keep(
                    "retention",
                    lambda: retention.retention(store, p12w, grain="week", periods=12),
                ),
                repeat,
            ),
        }
        figures["http_batch_events_per_s"] = http_batches(store, http_events)
        store.dispose()
        return figures, answers
    finally:
        drop_database(url)
        shutil.rmtree(tmp, ignore_errors=True)


def periods(tz):  # type: ignore[no-untyped-def]
    from engine.periods import Period

    p30 = Period.from_days(TODAY - timedelta(days=29), TODAY, tz)
    p12w = Period.from_days(TODAY - timedelta(weeks=12) + timedelta(days=1), TODAY, tz)
    return p30, p12w


# DuckDB answers the same questions from the raw calls in Parquet: identity links from
# `identify` (first link wins), then the same definitions (UTC days: the bench's timezone).
DUCK_ACT = """
links AS (
  SELECT anonymous_id, arg_min(user_id, ts_us) AS user_id FROM raw
  WHERE type = 'identify' AND user_id IS NOT NULL AND anonymous_id IS NOT NULL
  GROUP BY anonymous_id),
act AS (
  SELECT coalesce(r.user_id, l.user_id) AS person, r.event, r.ts_us,
         r.ts_us // 86400000000 AS day
  FROM raw r LEFT JOIN links l ON r.user_id IS NULL AND l.anonymous_id = r.anonymous_id
  WHERE r.type <> 'identify' AND coalesce(r.user_id, l.user_id) IS NOT NULL)
"""


def duck_adoption(con, d) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Summary numbers and the DAU/WAU/MAU lines of the 30-day period `d`."""
    f, last = d.first, d.last
    lines = con.execute(
        f"""WITH {DUCK_ACT}, win AS (SELECT DISTINCT person, day FROM act
               WHERE day BETWEEN {f - 29} AND {last})
        SELECT x.d, count(DISTINCT CASE WHEN w.day = x.d THEN w.person END),
               count(DISTINCT CASE WHEN w.day > x.d - 7 THEN w.person END),
               count(DISTINCT w.person)
        FROM range({f - 29}, {last + 1}) x(d) JOIN win w ON w.day <= x.d AND w.day > x.d - 30
        GROUP BY x.d ORDER BY x.d"""
    ).fetchall()
    by_day = {x: (dau, wau, mau) for x, dau, wau, mau in lines}
    features = [
        e
        for (e,) in con.execute(
            "SELECT DISTINCT event FROM raw WHERE type = 'track' ORDER BY event"
        ).fetchall()
        if e not in ("Signed Up", "Signed In")
    ]
    active_users, *_ = con.execute(
        f"WITH {DUCK_ACT} SELECT count(DISTINCT person) FROM act WHERE day BETWEEN {f} AND {last}"
    ).fetchone()
    adopted = dict(
        con.execute(
            f"WITH {DUCK_ACT} SELECT event, count(DISTINCT person) FROM act "
            f"WHERE day BETWEEN {f} AND {last} GROUP BY event"
        ).fetchall()
    )
    signups, activated, ttv = con.execute(
        f"""WITH {DUCK_ACT},
        su AS (SELECT person, min(ts_us) AS t FROM act WHERE event = 'Signed Up'
               GROUP BY person HAVING min(ts_us) >= {d.start_us} AND min(ts_us) < {d.end_us}),
        ac AS (SELECT su.person, su.t, min(a.ts_us) AS act_t FROM su
               LEFT JOIN act a ON a.person = su.person AND a.event = 'First Sync Completed'
               AND a.ts_us >= su.t AND a.ts_us <= su.t + {14 * 86_400_000_000}
               GROUP BY su.person, su.t)
        SELECT count(*), count(act_t), median((act_t - t) / 1e6) FROM ac"""
    ).fetchone()
    mau = by_day[last][2]
    return {
        "summary": {
            "dau": sum(by_day.get(x, (0, 0, 0))[0] for x in range(f, last + 1)) / d.count,
            "wau": by_day[last][1],
            "mau": mau,
            "stickiness": (
                sum(by_day.get(x, (0, 0, 0))[0] for x in range(last - 29, last + 1)) / 30 / mau
                if mau
                else None
            ),
            "active_users": active_users,
            "signups": signups,
            "activation_rate": activated / signups if signups else None,
            "time_to_value_median_seconds": ttv,
            "feature_adoption": {
                e: adopted.get(e, 0) / active_users if active_users else None for e in features
            },
        },
        "lines": [(x, *by_day.get(x, (0, 0, 0))) for x in range(f, last + 1)],
    }


def duck_funnel(con, d) -> list[tuple[int, float | None]]:  # type: ignore[no-untyped-def]
    w = 14 * 86_400_000_000
    row = con.execute(
        f"""WITH {DUCK_ACT},
        s1 AS (SELECT person, min(ts_us) AS t FROM act WHERE event = '{STEPS[0]}'
               AND ts_us >= {d.start_us} AND ts_us < {d.end_us} GROUP BY person),
        s2 AS (SELECT p.person, min(a.ts_us) AS t FROM s1 p JOIN act a ON a.person = p.person
               AND a.event = '{STEPS[1]}' AND a.ts_us >= p.t AND a.ts_us <= p.t + {w}
               GROUP BY p.person),
        s3 AS (SELECT p.person, min(a.ts_us) AS t FROM s2 p JOIN s1 f ON f.person = p.person
               JOIN act a ON a.person = p.person AND a.event = '{STEPS[2]}'
               AND a.ts_us >= p.t AND a.ts_us <= f.t + {w} GROUP BY p.person)
        SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3),
          (SELECT median((s2.t - s1.t) / 1e6) FROM s2 JOIN s1 USING (person)),
          (SELECT median((s3.t - s2.t) / 1e6) FROM s3 JOIN s2 USING (person))"""
    ).fetchone()
    return [(row[0], None), (row[1], row[3]), (row[2], row[4])]


def duck_retention(con, d, first_monday: int) -> dict[int, list[int]]:  # type: ignore[no-untyped-def]
    """Weekly cohorts (Mondays from `first_monday`): size, then users active in week N."""
    rows = con.execute(
        f"""WITH {DUCK_ACT},
        m AS (SELECT person, min(ts_us) AS t, min(day) AS day FROM act WHERE event = 'Signed Up'
              GROUP BY person),
        c AS (SELECT person, day - (day + 3) % 7 AS cohort FROM m
              WHERE t >= {first_monday * 86_400_000_000} AND t < {d.end_us}),
        r AS (SELECT DISTINCT c.person, c.cohort, (a.day - (a.day + 3) % 7 - c.cohort) // 7 AS n
              FROM c JOIN act a ON a.person = c.person
              WHERE a.day >= {first_monday} AND a.day <= {d.last})
        SELECT cohort, -1, count(*) FROM c GROUP BY cohort
        UNION ALL SELECT cohort, n, count(*) FROM r WHERE n BETWEEN 1 AND 11 GROUP BY cohort, n"""
    ).fetchall()
    out: dict[int, list[int]] = {}
    for cohort, n, count in rows:
        out.setdefault(cohort, [0] * 12)[max(n, 0)] = count
    return out


def duckdb_compare(parquet: Path, hub: dict[str, dict[str, Any]], repeat: int) -> None:
    """Time DuckDB on the Parquet events, check its answers equal the hub's, print ratios."""
    try:
        import duckdb
    except ImportError:
        print('\nduckdb: not installed (pip install -e ".[bench]"), comparison not run')
        return
    from engine.config import get_settings
    from engine.product.buckets import day_number, week_start
    from engine.product.common import Days

    p30, p12w = periods(get_settings().tz)
    d30, d12 = Days.of(p30), Days.of(p12w)
    first_monday = day_number(week_start(p12w.first_day))
    if first_monday < d12.first:
        first_monday += 7
    con = duckdb.connect()
    con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet('{parquet}')")
    answers: dict[str, Any] = {}

    def keep(name: str, fn):  # type: ignore[no-untyped-def]
        def run() -> None:
            answers[name] = fn()

        return run

    times = {
        "adoption": timed(keep("adoption", lambda: duck_adoption(con, d30)), repeat),
        "funnel": timed(keep("funnel", lambda: duck_funnel(con, d30)), repeat),
        "retention": timed(
            keep("retention", lambda: duck_retention(con, d12, first_monday)), repeat
        ),
    }
    print(f"\n[duckdb {duckdb.__version__} on Parquet, raw events]")
    for name, seconds in times.items():
        print(f"  {name + '_s':28} {seconds:,.3f}")
    for backend, (figures, got) in hub.items():
        checks = _differences(got, answers)
        print(f"\n[{backend} vs duckdb] same answers: {'yes' if not checks else 'NO'}")
        for problem in checks[:10]:
            print(f"  differs: {problem}")
        adoption = figures["adoption_summary_s"] + figures["adoption_lines_s"]
        for name, hub_s in (
            ("adoption (summary + lines)", adoption),
            ("funnel", figures["funnel_3_steps_30d_s"]),
            ("retention", figures["retention_12_weeks_s"]),
        ):
            duck_s = times[name.split()[0]]
            print(f"  {name:28} hub {hub_s:.3f} s / duckdb {duck_s:.3f} s = {hub_s / duck_s:.2f}×")


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def _differences(hub: dict[str, Any], duck: dict[str, Any]) -> list[str]:
    out = []
    summary, expected = hub["summary"], duck["adoption"]["summary"]
    for key, value in expected.items():
        if key == "feature_adoption":
            if set(value) != set(summary[key]):
                out.append(f"feature events {sorted(summary[key])} vs {sorted(value)}")
            out += [
                f"adoption of {e}: {summary[key].get(e)} vs {v}"
                for e, v in value.items()
                if not _close(summary[key].get(e), v)
            ]
        elif not _close(summary[key], value):
            out.append(f"{key}: {summary[key]} vs {value}")
    for line, (x, dau, wau, mau) in zip(hub["lines"], duck["adoption"]["lines"], strict=False):
        if (line["dau"], line["wau"], line["mau"]) != (dau, wau, mau):
            out.append(f"line {line['day']}: {line} vs {(dau, wau, mau)} (day {x})")
    for step, (users, median_s) in zip(hub["funnel"].steps, duck["funnel"], strict=True):
        if step.users != users or not _close(step.median_seconds_from_previous, median_s):
            out.append(f"funnel {step.event}: {step.users}, {step.median_seconds_from_previous}")
    from engine.product.buckets import day_number

    for cohort in hub["retention"].cohorts:
        want = duck["retention"].get(day_number(cohort.cohort), [0] * 12)
        got = [cohort.size, *(cohort.retained[1:])]
        want = [
            want[0],
            *(None if g is None else w for g, w in zip(got[1:], want[1:], strict=True)),
        ]
        if got != want:
            out.append(f"retention cohort {cohort.cohort}: {got} vs {want}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), help="S, M or L (L = 100k users)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--activity", type=float, help="Activity multiplier (default by scale).")
    parser.add_argument("--http-events", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=3, help="Best of N for each query.")
    args = parser.parse_args()
    users = SCALES[args.scale] if args.scale else args.users
    activity = args.activity or SCALE_ACTIVITY.get(args.scale or "", 1.0)
    os.environ.setdefault("HUB_TIMEZONE", "UTC")
    data = args.data_dir / f"hub-product-bench-{users}u-{activity:g}.jsonl.gz"
    t = time.perf_counter()
    events = generate(data, users, activity)
    print(
        f"{events:,} events for {users:,} users in {data} "
        f"({data.stat().st_size / 1e6:.1f} MB gzip, {time.perf_counter() - t:.1f} s)"
    )
    parquet = data.with_suffix("").with_suffix(".parquet")
    try:
        write_parquet(data, parquet)
    except ImportError:
        parquet = None  # type: ignore[assignment]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("HUB_TEST_POSTGRES_URL"):
        print("postgresql: skipped (HUB_TEST_POSTGRES_URL not set)")
        backends.remove("postgresql")
    hub: dict[str, Any] = {}
    for backend in backends:
        figures, answers = run_backend(backend, data, args.http_events, args.repeat)
        hub[backend] = (figures, answers)
        print(f"\n[{backend}]")
        for key, value in figures.items():
            print(
                f"  {key:28} {value:,.3f}" if isinstance(value, float) else f"  {key:28} {value:,}"
            )
        summary = answers["summary"]
        print("  30-day adoption:", {k: v for k, v in summary.items() if k not in ("from", "to")})
        print(
            "  funnel users:", [s.users for s in answers["funnel"].steps],
            "overall", answers["funnel"].overall_conversion,
        )  # fmt: skip
        print(
            "  retention average:", [round(a, 3) if a else a for a in answers["retention"].average]
        )
    if parquet is None:
        print('\nduckdb: not installed (pip install -e ".[bench]"), comparison not run')
    elif hub:
        duckdb_compare(parquet, hub, args.repeat)


if __name__ == "__main__":
    main()
