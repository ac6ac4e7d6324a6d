"""Import batches: the one path every source (file, HTTP, API pull, demo) records itself by.

A batch row is written in the same transaction as the rows it brought, so a failed
import leaves nothing behind, not even its batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session, object_session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.store import Store
from engine.store.base import utcnow
from engine.store.models import ImportBatch

SOURCES = ("file", "http", "demo", "api", "webhook")


@dataclass
class ImportReport:
    """What an import did, as told to the user (`hub import …` prints it)."""

    kind: str
    batch_id: int | None
    new: int = 0
    duplicates: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int | str | None]:
        return {
            "kind": self.kind,
            "batch_id": self.batch_id,
            "new": self.new,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
        }


def open_batch(
    session: Session, kind: str, source: str, label: str = "", *, is_demo: bool = False
) -> ImportBatch:
    if source not in SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    batch = ImportBatch(
        kind=kind,
        source=source,
        label=label[:500],
        is_demo=is_demo,
        status="running",
        rows_new=0,
        rows_duplicate=0,
        rows_skipped=0,
        started_at=utcnow(),
    )
    session.add(batch)
    session.flush()
    return batch


def finish_batch(batch: ImportBatch, report: ImportReport, actor: Principal | None = None) -> None:
    """Close the batch; with `actor`, audit the import in the same transaction."""
    batch.rows_new, batch.rows_duplicate = report.new, report.duplicates
    batch.rows_skipped = report.skipped
    batch.status = "done"
    batch.finished_at = utcnow()
    if actor is not None:
        session = object_session(batch)
        assert session is not None
        audit.record(
            session, actor, "data.import", f"{batch.kind}: {batch.label}", after=report.to_dict()
        )


def check_import(store: Store, actor: Principal, kind: str, label: str) -> None:
    """The permission check every importer makes before reading its input."""
    audit.guard(store, actor, Permission.data_import, "data.import", f"{kind}: {label}")


def demo_loaded(store: Store) -> bool:
    with store.session() as s:
        return bool(s.scalar(select(exists().where(ImportBatch.is_demo.is_(True)))))


def data_as_of(store: Store) -> dict[str, datetime]:
    """Per data kind, when its latest finished import ended ("data as of")."""
    with store.session() as s:
        rows = s.execute(
            select(ImportBatch.kind, func.max(ImportBatch.finished_at))
            .where(ImportBatch.status == "done")
            .group_by(ImportBatch.kind)
        ).all()
    return {kind: ts for kind, ts in rows if ts is not None}


def delete_demo_batches(session: Session) -> int:
    result = session.execute(delete(ImportBatch).where(ImportBatch.is_demo.is_(True)))
    return result.rowcount or 0
