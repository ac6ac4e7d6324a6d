from engine import worker as worker_mod
from engine.store import Store
from engine.worker import Worker, WorkerTask, live_workers


def test_worker_runs_due_tasks_and_survives_failures(store: Store, monkeypatch) -> None:
    calls: list[str] = []

    def ok(_s: Store) -> bool:
        calls.append("ok")
        return True

    def broken(_s: Store) -> bool:
        calls.append("broken")
        raise RuntimeError("boom")

    monkeypatch.setattr(
        worker_mod,
        "_TASKS",
        {"ok": WorkerTask("ok", ok), "broken": WorkerTask("broken", broken, every_seconds=3600)},
    )
    monkeypatch.setattr(worker_mod, "tasks", lambda: list(worker_mod._TASKS.values()))
    w = Worker(store)
    assert w.run_once() is True
    assert w.run_once() is True
    assert calls == ["ok", "broken", "ok"]  # the hourly task ran once, its failure was contained


def test_heartbeat_makes_a_worker_visible(store: Store) -> None:
    w = Worker(store)
    assert live_workers(store) == []
    w.heartbeat()
    w.heartbeat()
    assert [wid for wid, _ in live_workers(store)] == [w.id]
