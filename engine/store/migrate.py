"""Schema migrations (Alembic), run programmatically so `hub init` needs no alembic.ini.

Each capability keeps its own migration branch (branch label = its name) rooted at the
foundation, so capabilities can land independently; "current" means every head applied.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.errors import SchemaOutOfDate
from engine.store.db import Store

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = store.engine
    return cfg


def head_revisions(store: Store) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(store)).get_heads())


def current_revisions(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def upgrade(store: Store) -> tuple[set[str], set[str]]:
    """Create or upgrade the schema to every head; returns (before, after) revisions."""
    before = current_revisions(store)
    command.upgrade(alembic_config(store), "heads")
    return before, current_revisions(store)


def schema_status(store: Store) -> tuple[bool, str]:
    """(is current, one-line explanation with the fix when not)."""
    store.ping()
    current, heads = current_revisions(store), head_revisions(store)
    if current == heads:
        return True, f"schema current ({', '.join(sorted(heads))})"
    if not current:
        return False, f"database {store.display_url} has no hub schema yet: run `hub init`"
    script = ScriptDirectory.from_config(alembic_config(store))
    known = {rev.revision for rev in script.walk_revisions()}
    if current - known:
        return False, (
            f"database schema {sorted(current - known)} is newer than this code: "
            "upgrade the hub (git pull and reinstall)"
        )
    return False, (
        f"database schema is behind ({', '.join(sorted(current))} → "
        f"{', '.join(sorted(heads))}): run `hub init`"
    )


def ensure_current(store: Store) -> None:
    """Every process calls this at start: a stale schema is a clear error, not a crash later."""
    ok, why = schema_status(store)
    if not ok:
        raise SchemaOutOfDate(why)
