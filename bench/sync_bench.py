"""Sync engine speed: engine time per sync against the in-process fakes, and a webhook burst.

    .venv/bin/python bench/sync_bench.py [--runs 40] [--skip-webhooks]

Prints p50/p95 of the whole job (claim → read → merge → write → commit) for a no-op sync
(both sides answer "unchanged"), 1,000 components with 50 changed on each side, and one
10,000-component sync with its peak Python memory (tracemalloc); then 1,000 signed GitHub
webhook deliveries over 10 s (10 % redeliveries) against a real `hub api` process.
The fakes answer in-process, so the times are engine time plus a small fake-HTTP cost.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from engine.config import Settings  # noqa: E402
from engine.store import Store, reset_store  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.sync.jobs import claim, enqueue  # noqa: E402
from engine.sync.models import SyncJob, WebhookDelivery  # noqa: E402
from engine.sync.runner import run_claimed_job  # noqa: E402
from tests.sync.harness import SyncWorld, component, document, make_world  # noqa: E402


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-int(share * len(ordered) * 1000) // 1000) - 1)]


def model(n: int) -> dict:
    return document(*(component(f"c{i:05d}", technologies=["Python"]) for i in range(n)))


SETTINGS = Settings()


class Stopwatch:
    """Wraps a connector so the time spent inside it (the "network") can be taken out."""

    def __init__(self, inner: object) -> None:
        self.inner, self.seconds = inner, 0.0

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if name not in ("read", "write"):
            return attr

        def timed(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def timed_sync(w: SyncWorld) -> tuple[float, float, float]:
    """(engine ms = job time minus time inside the connectors, job ms, merge ms)."""
    watches: list[Stopwatch] = []

    def factory(target, settings):  # type: ignore[no-untyped-def]
        conns = w.factory(target, settings)
        conns.github, conns.drive = Stopwatch(conns.github), Stopwatch(conns.drive)
        watches.extend([conns.github, conns.drive])
        return conns

    job_id = enqueue(w.store, w.target, "manual").job_id
    start = time.perf_counter()
    assert claim(w.store, "bench", 60, job_id=job_id) == job_id
    status = run_claimed_job(w.store, job_id, "bench", factory, SETTINGS)
    total = (time.perf_counter() - start) * 1000
    assert status == "succeeded", status
    with w.store.session() as s:
        merge_ms = s.get(SyncJob, job_id).merge_ms or 0.0
    network = sum(x.seconds for x in watches) * 1000
    return total - network, total, merge_ms


def edit(doc: dict, rng: random.Random, count: int, tag: str) -> dict:
    doc = json.loads(json.dumps(doc))
    for c in rng.sample(doc["components"], count):
        c["technologies"] = sorted({*c["technologies"], f"{tag}{rng.randrange(10**6)}"})
    return doc


def bench_syncs(runs: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    store = Store(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(store)
    reset_store(store)
    rng = random.Random(7)

    w = make_world(store, github_doc=model(1000), drive_doc=model(1000), name="noop")
    timed_sync(w)
    noop = [timed_sync(w) for _ in range(runs)]
    print(
        f"no-op sync (304 / same Drive version), 1,000 components, {runs} runs: engine "
        f"p50 {pct([n[0] for n in noop], 0.5):.2f} ms, p95 {pct([n[0] for n in noop], 0.95):.2f}"
        f" ms (job incl. fake HTTP p95 {pct([n[1] for n in noop], 0.95):.2f} ms)"
    )

    w = make_world(store, github_doc=model(1000), drive_doc=model(1000), name="k1")
    timed_sync(w)
    engine, totals, merges = [], [], []
    for _ in range(runs):
        w.edit_github(edit(w.github_doc(), rng, 50, "G"))
        w.edit_drive(edit(w.drive_doc(), rng, 50, "A"))
        eng, total, merge_ms = timed_sync(w)
        engine.append(eng)
        totals.append(total)
        merges.append(merge_ms)
    print(
        f"1,000 components, 50 changed on each side: engine p50 {pct(engine, 0.5):.1f} ms, "
        f"p95 {pct(engine, 0.95):.1f} ms (parse+validate+merge p95 {pct(merges, 0.95):.1f} ms;"
        f" job incl. fake HTTP p95 {pct(totals, 0.95):.1f} ms)"
    )

    w = make_world(store, github_doc=model(10_000), drive_doc=model(10_000), name="k10")
    timed_sync(w)
    w.edit_github(edit(w.github_doc(), rng, 500, "G"))
    w.edit_drive(edit(w.drive_doc(), rng, 500, "A"))
    eng, total, merge_ms = timed_sync(w)
    print(
        f"10,000 components, 500 changed on each side: engine {eng:.0f} ms "
        f"(parse+validate+merge {merge_ms:.0f} ms; job incl. fake HTTP {total:.0f} ms)"
    )
    w.edit_github(edit(w.github_doc(), rng, 500, "G"))
    w.edit_drive(edit(w.drive_doc(), rng, 500, "A"))
    tracemalloc.start()
    timed_sync(w)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"10,000 components: peak Python memory during a sync {peak / 2**20:.0f} MiB "
        "(tracemalloc, a second sync)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_webhooks(total: int = 1000, seconds: float = 10.0) -> None:
    tmp = Path(tempfile.mkdtemp())
    secret = "bench-secret"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env |= {"HUB_HOME": str(tmp), "HUB_GITHUB_WEBHOOK_SECRET": secret}
    hub = [sys.executable, "-m", "engine.cli"]
    subprocess.run([*hub, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            *hub,
            "target",
            "add",
            "arch",
            "--github",
            "acme/platform:docs/a.json",
            "--drive",
            "f1",
            "--schedule",
            "none",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    api = subprocess.Popen([*hub, "api", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        body = json.dumps(
            {
                "ref": "refs/heads/main",
                "repository": {"full_name": "acme/platform"},
                "commits": [{"modified": ["docs/a.json"]}],
            }
        ).encode()
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        rng = random.Random(1)
        ids = [f"d-{i}" for i in range(int(total * 0.9))]
        deliveries = ids + [rng.choice(ids) for _ in range(total - len(ids))]
        rng.shuffle(deliveries)
        latencies: list[float] = []
        codes: list[int] = []
        client = httpx.Client(timeout=10)

        def send(i: int, delivery: str) -> None:
            time.sleep(max(0.0, start + i * seconds / total - time.perf_counter()))
            t0 = time.perf_counter()
            r = client.post(
                f"{url}/webhooks/github",
                content=body,
                headers={
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": delivery,
                    "X-Hub-Signature-256": sig,
                },
            )
            latencies.append(time.perf_counter() - t0)
            codes.append(r.status_code)

        start = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(send, range(total), deliveries))
        elapsed = time.perf_counter() - start
        store = Store(f"sqlite:///{tmp / 'hub.db'}")
        with store.session() as s:
            recorded = s.query(WebhookDelivery).count()
            jobs = s.query(SyncJob).count()
        print(
            f"webhook burst: {total} deliveries in {elapsed:.1f} s; answered p50 "
            f"{statistics.median(latencies) * 1000:.1f} ms, p99 {pct(latencies, 0.99) * 1000:.1f}"
            f" ms, max {max(latencies) * 1000:.1f} ms; non-200: {sum(c != 200 for c in codes)}; "
            f"unique deliveries recorded {recorded}/{len(set(deliveries))} (none lost, "
            f"{total - len(set(deliveries))} duplicates dropped); sync jobs queued {jobs} "
            "(one active job per target)"
        )
    finally:
        api.terminate()
        api.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--skip-webhooks", action="store_true")
    args = parser.parse_args()
    bench_syncs(args.runs)
    if not args.skip_webhooks:
        bench_webhooks()


if __name__ == "__main__":
    main()
