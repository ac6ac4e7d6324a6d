"""Two workers share one queue: no job runs twice and no target runs twice at once."""

from __future__ import annotations

import threading
import time

import pytest

from engine.config import Settings
from engine.store import Store
from engine.sync.jobs import claim, enqueue
from engine.sync.models import SyncTarget
from engine.sync.runner import Connectors, run_claimed_job
from tests.sync.harness import SyncWorld, component, document, make_world

TARGETS = 8


@pytest.mark.parametrize("rounds", [3])
def test_two_workers_never_double_run(store: Store, rounds: int) -> None:
    if store.is_sqlite:
        pytest.skip("production runs several workers on PostgreSQL only (one on SQLite)")
    worlds: dict[str, SyncWorld] = {
        f"t{i}": make_world(
            store, github_doc=None, drive_doc=document(component(f"c{i}")), name=f"t{i}"
        )
        for i in range(TARGETS)
    }
    running: dict[str, str] = {}
    guard = threading.Lock()
    violations: list[str] = []
    runs: list[tuple[int, str]] = []

    def factory(target: SyncTarget, settings: Settings) -> Connectors:
        with guard:
            if target.name in running:
                violations.append(f"{target.name} run by {running[target.name]} and another")
            running[target.name] = threading.current_thread().name
        time.sleep(0.01)  # widen the window a double run would need
        return worlds[target.name].factory(target, settings)

    def work(name: str) -> None:
        idle = 0
        while idle < 20:
            job_id = claim(store, name, 60)
            if job_id is None:
                idle += 1
                time.sleep(0.02)
                continue
            idle = 0
            run_claimed_job(store, job_id, name, factory)
            with guard:
                runs.append((job_id, name))
                for t, owner in list(running.items()):
                    if owner == name:
                        del running[t]

    for _ in range(rounds):
        for t in worlds:
            enqueue(store, t, "manual")
            enqueue(store, t, "webhook")  # a duplicate trigger: same job
        workers = [threading.Thread(target=work, args=(f"w{i}",), name=f"w{i}") for i in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    assert violations == []
    job_ids = [j for j, _ in runs]
    assert len(job_ids) == len(set(job_ids)) == TARGETS * rounds
    assert {w for _, w in runs} == {"w0", "w1"}  # both did work
    for w in worlds.values():
        assert w.github_doc() == w.drive_doc()
