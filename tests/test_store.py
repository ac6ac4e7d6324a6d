import os

import pytest
from sqlalchemy import create_engine, inspect, select, text

from engine.errors import HubError, SchemaOutOfDate
from engine.store import Store
from engine.store.migrate import (
    current_revisions,
    ensure_current,
    head_revisions,
    schema_status,
    upgrade,
)
from engine.store.models import ImportBatch
from engine.store.registry import target_metadata
from tests.conftest import PG_URL


def _fresh_pg_schema_store(request: pytest.FixtureRequest) -> Store:
    """An empty PostgreSQL schema of its own, to test migrating up from nothing."""
    schema = f"mig_{os.getpid()}_{request.node.name[-20:].strip('[]-')}".lower()
    admin = create_engine(request.getfixturevalue("pg_url"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    request.addfinalizer(lambda: _drop_schema(admin, schema))
    url = request.getfixturevalue("pg_url") + f"?options=-csearch_path%3D{schema}"
    return Store(url)


def _drop_schema(admin, schema: str) -> None:  # type: ignore[no-untyped-def]
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_run_up_from_empty(backend: str, tmp_path, request) -> None:
    if backend == "postgresql" and not PG_URL:
        pytest.skip("HUB_TEST_POSTGRES_URL is not set")
    store = (
        Store(f"sqlite:///{tmp_path / 'x.db'}")
        if backend == "sqlite"
        else (_fresh_pg_schema_store(request))
    )
    ok, why = schema_status(store)
    assert not ok and "run `hub init`" in why
    with pytest.raises(SchemaOutOfDate, match="hub init"):
        ensure_current(store)
    before, after = upgrade(store)
    assert before == set() and after == head_revisions(store)
    assert schema_status(store)[0]
    # Every table the models declare exists with every declared column.
    insp = inspect(store.engine)
    for table in target_metadata().sorted_tables:
        cols = {c["name"] for c in insp.get_columns(table.name)}
        assert {c.name for c in table.columns} <= cols, table.name
    # Upgrading again is a no-op.
    assert upgrade(store)[0] == upgrade(store)[1] == current_revisions(store)
    store.dispose()


def test_schema_behind_names_the_fix(sqlite_store: Store) -> None:
    with sqlite_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))  # one row per migration branch
        conn.execute(text("INSERT INTO alembic_version VALUES ('ffffdeadbeef')"))
    ok, why = schema_status(sqlite_store)
    assert not ok and "newer than this code" in why


def test_sqlite_runs_in_wal_with_busy_timeout(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_session_is_atomic(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session() as s:
        s.add(
            ImportBatch(
                kind="x",
                source="file",
                label="",
                is_demo=False,
                status="done",
                rows_new=1,
                rows_duplicate=0,
                rows_skipped=0,
            )
        )
        s.flush()
        raise RuntimeError("boom")
    with store.session() as s:
        assert s.scalars(select(ImportBatch)).all() == []


def test_unreachable_database_is_one_clear_line() -> None:
    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(HubError) as info:
        store.ping()
    assert "not reachable" in str(info.value) and "HUB_DATABASE_URL" in str(info.value)
