"""Shared fixtures: an isolated configuration and a migrated store on every backend.

The store is tested on SQLite always and on PostgreSQL whenever HUB_TEST_POSTGRES_URL is
set: one fresh database per test run (dropped at the end), emptied between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.config import get_settings
from engine.store import Store, reset_store
from engine.store.migrate import upgrade
from engine.store.registry import target_metadata

PG_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def hub_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No HUB_* setting leaks in from the machine; each test gets its own home."""
    for key in list(os.environ):
        if key.startswith("HUB_") and key != "HUB_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    home = tmp_path / "hub-home"
    monkeypatch.setenv("HUB_HOME", str(home))
    monkeypatch.setenv("HUB_CONFIG_FILE", str(tmp_path / "hub.toml"))
    # The API's own request logs are written by a background thread: off unless a test
    # turns it on (tests/reliability/test_self_requests.py), so no row lands in another
    # test's store.
    monkeypatch.setenv("HUB_RECORD_API_REQUESTS", "false")
    get_settings.cache_clear()
    yield home
    reset_store(None)
    get_settings.cache_clear()


def _admin_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    if not PG_URL:
        pytest.skip("HUB_TEST_POSTGRES_URL is not set")
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _admin_url(PG_URL, name)
    store = Store(url)
    upgrade(store)
    store.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    store = Store(f"sqlite:///{path}")
    upgrade(store)
    with store.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    store.dispose()
    return path


def _empty_pg(store: Store) -> None:
    tables = [t.name for t in target_metadata().sorted_tables]
    if tables:
        quoted = ", ".join(f'"{t}"' for t in tables)
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """A migrated, empty store, installed as the process store and in HUB_DATABASE_URL."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    get_settings.cache_clear()
    s = Store(url)
    if request.param == "postgresql":
        _empty_pg(s)
    reset_store(s)
    yield s
    reset_store(None)
    s.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """SQLite only, for tests of SQLite-specific behaviour."""
    path = tmp_path / "store.db"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    s = Store(f"sqlite:///{path}")
    reset_store(s)
    return s
