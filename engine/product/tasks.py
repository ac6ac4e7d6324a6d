"""Worker task: resolve anonymous events whose identity link committed concurrently.

Two HTTP requests on PostgreSQL can race: one stores an anonymous call while another,
not yet committed, stores the `identify` that links it. Such events stay unresolved until
this task (or `hub product rebuild-rollups`) claims them for their user.
"""

from __future__ import annotations

from sqlalchemy import text

from engine.product.rollups import RollupDelta
from engine.store import Store
from engine.worker import WorkerTask, register_task


def resolve_orphans(store: Store, limit: int = 10_000) -> bool:
    """Claim up to `limit` unresolved events of linked anonymous ids; True if any."""
    with store.session() as s:
        rows = s.execute(
            text(
                "SELECT e.id, l.user_id, e.type, e.event, e.ts_us, e.day FROM product_events e "
                "JOIN product_identity_links l ON l.anonymous_id = e.anonymous_id "
                "WHERE e.person IS NULL AND e.user_id IS NULL LIMIT :n"
            ),
            {"n": limit},
        ).all()
        if not rows:
            return False
        delta = RollupDelta()
        for _, person, kind, event, ts_us, day in rows:
            if kind != "identify":
                delta.add(person, event, ts_us, day)
        s.execute(
            text("UPDATE product_events SET person = :p WHERE id = :i AND person IS NULL"),
            [{"p": person, "i": row_id} for row_id, person, *_ in rows],
        )
        delta.apply(s)
    return True


register_task(WorkerTask("product.resolve_orphans", resolve_orphans, every_seconds=300))
