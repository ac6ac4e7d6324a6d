"""The 0005_revenue migration creates exactly what the models declare, and downgrades."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from engine.store import Store
from engine.store.migrate import alembic_config, current_revisions, upgrade
from engine.store.registry import target_metadata


def test_models_match_the_migration(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, target_metadata())
    assert [d for d in diffs if "revenue_" in repr(d)] == []


def test_revenue_branch_downgrades_and_upgrades_alone(sqlite_store: Store) -> None:
    command.downgrade(alembic_config(sqlite_store), "revenue@-1")
    tables = set(inspect(sqlite_store.engine).get_table_names())
    assert not {t for t in tables if t.startswith("revenue_")}
    assert "import_batches" in tables
    assert "0005_revenue" not in current_revisions(sqlite_store)
    upgrade(sqlite_store)
    assert "0005_revenue" in current_revisions(sqlite_store)
    assert "revenue_mrr_movements" in inspect(sqlite_store.engine).get_table_names()
