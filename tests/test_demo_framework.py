from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine import demo
from engine.ingest import ImportReport, finish_batch, open_batch
from engine.store import Store
from engine.store.models import ImportBatch
from tests.actors import ADMIN


@dataclass
class CountingKind:
    """A data kind that imports N rows as batches, like a real importer would."""

    name: str = "widgets"

    def load(self, store: Store, spec: demo.DemoSpec, progress: demo.ProgressFn) -> int:
        n = spec.rng(self.name).randint(3, 9)
        with store.session() as s:
            batch = open_batch(s, self.name, "demo", "demo", is_demo=True)
            finish_batch(batch, ImportReport(self.name, batch.id, new=n))
        progress(self.name, n, n)
        return n

    def clear(self, session: Session) -> int:
        return session.execute(
            delete(ImportBatch).where(ImportBatch.kind == self.name, ImportBatch.is_demo)
        ).rowcount


def test_spec_is_deterministic_per_seed() -> None:
    a = demo.make_spec("S", 7, today=date(2026, 11, 1))
    b = demo.make_spec("S", 7, today=date(2026, 11, 1))
    c = demo.make_spec("S", 8, today=date(2026, 11, 1))
    assert a == b and a.outages != c.outages
    assert a.rng("x").random() == b.rng("x").random() != a.rng("y").random()
    assert a.first_day < a.launch_day < a.today and len(a.outages) == 2


def test_load_and_clear_through_registered_kinds(store: Store, monkeypatch) -> None:
    demo.kinds()  # import every real kind first, so none registers into the patched dict
    monkeypatch.setattr(demo, "_KINDS", {"widgets": CountingKind()})
    spec = demo.make_spec("S", 1, today=date(2026, 11, 1))
    seen: list[tuple[str, int, int]] = []
    rows = demo.load(store, ADMIN, spec, lambda *a: seen.append(a))
    assert rows["widgets"] == seen[-1][1] > 0
    assert demo.is_loaded(store)
    counts = demo.clear(store, ADMIN)
    assert counts["widgets"] == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
