"""Demo company: deterministic, realistic data loaded through the real ingestion paths.

Each capability registers a `DemoKind` that generates its data with a seeded RNG and
feeds it to that capability's own importer in a batch marked `is_demo`, so demo rows can
be removed exactly. Nothing here writes KPI results.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.ingest import delete_demo_batches, demo_loaded
from engine.store import Store

Scale = Literal["S", "M", "L"]
ProgressFn = Callable[[str, int, int], None]  # (step label, done, total)


@dataclass(frozen=True)
class DemoSpec:
    """The company the generators share, so every kind tells the same story."""

    scale: Scale
    seed: int
    today: date  # last day with data
    days: int  # history length
    launch_day: date  # the launch spike
    outages: tuple[tuple[datetime, timedelta], ...]  # (start, length) of the two outages

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    def rng(self, kind: str) -> random.Random:
        """An independent, deterministic stream per kind: adding a kind changes no other."""
        return random.Random(f"{self.seed}:{kind}")


class DemoKind(Protocol):
    name: str

    def load(self, store: Store, spec: DemoSpec, progress: ProgressFn) -> int:
        """Generate and import this kind's data; return the number of rows imported."""

    def clear(self, session: Session) -> int:
        """Delete this kind's demo rows (only rows of demo batches); return the count."""


_KINDS: dict[str, DemoKind] = {}

SCALE_USERS = {"S": 500, "M": 5_000, "L": 100_000}


def register(kind: DemoKind) -> DemoKind:
    _KINDS[kind.name] = kind
    return kind


def kinds() -> list[DemoKind]:
    from engine.capabilities import import_all

    import_all("demo")
    return list(_KINDS.values())


def make_spec(scale: Scale = "S", seed: int = 42, today: date | None = None) -> DemoSpec:
    today = today or datetime.now(UTC).date()
    days = 365
    launch = today - timedelta(days=120)
    rng = random.Random(seed)
    outages = tuple(
        (
            datetime.combine(today - timedelta(days=d), datetime.min.time(), UTC)
            + timedelta(minutes=rng.randrange(0, 24 * 60)),
            timedelta(minutes=length),
        )
        for d, length in ((200, 42), (37, 14))
    )
    return DemoSpec(scale, seed, today, days, launch, outages)


def load(
    store: Store, actor: Principal, spec: DemoSpec, progress: ProgressFn | None = None
) -> dict[str, int]:
    """Load every registered kind; returns rows per kind."""
    audit.guard(store, actor, Permission.demo_manage, "demo.load")
    progress = progress or (lambda _label, _done, _total: None)
    counts = {kind.name: kind.load(store, spec, progress) for kind in kinds()}
    audit.record_now(
        store, actor, "demo.load", f"scale {spec.scale}, seed {spec.seed}", after=counts
    )
    return counts


def clear(store: Store, actor: Principal) -> dict[str, int]:
    """Remove demo data, and only demo data, in one transaction."""
    audit.guard(store, actor, Permission.demo_manage, "demo.clear")
    with store.session() as s:
        counts = {kind.name: kind.clear(s) for kind in kinds()}
        counts["batches"] = delete_demo_batches(s)
        audit.record(s, actor, "demo.clear", before=counts)
    return counts


def is_loaded(store: Store) -> bool:
    return demo_loaded(store)
