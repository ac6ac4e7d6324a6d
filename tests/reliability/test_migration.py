"""Migration 0003 creates exactly the tables the models declare, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Constraint, Index, Table

from engine.reliability import models
from engine.store import Store
from engine.store.registry import target_metadata

TABLES = {
    m.__tablename__
    for m in vars(models).values()
    if isinstance(m, type) and issubclass(m, models.Base) and m is not models.Base
}


def test_migration_matches_models(store: Store) -> None:
    metadata = target_metadata()
    assert set(metadata.tables) >= TABLES
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)

    assert [d for d in diff if _table_of(d) in TABLES] == []


def _table_of(entry: Any) -> str | None:
    """The table an autogenerate diff entry is about (entries are tuples or lists of them)."""
    if isinstance(entry, list):
        return _table_of(entry[0]) if entry else None
    for part in entry[1:]:
        if isinstance(part, Table):
            return part.name
        if isinstance(part, Index | Constraint) and part.table is not None:
            return part.table.name
    return entry[2] if len(entry) > 2 and isinstance(entry[2], str) else None
