"""Engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Lock

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.config import Settings, get_settings, mask_url
from engine.errors import HubError


class Store:
    """A database the hub writes to: one engine, one session factory, per process.

    Processes hold no other state, so any number of them can share one database.
    """

    def __init__(self, url: str, *, settings: Settings | None = None) -> None:
        settings = settings or get_settings()
        self.url = url
        self.engine = _make_engine(url, settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back whole on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        """Raise `HubError` with the fix when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise HubError(
                f"database {self.display_url} is not reachable ({type(exc).__name__}); "
                "check HUB_DATABASE_URL and that the server is running"
            ) from None

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, settings: Settings) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            # A folder that cannot be made shows up as "not reachable" at the first use
            # (Store.ping), like a database server that is down, instead of here.
            with contextlib.suppress(OSError):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000}
        )
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets the dashboard read while the worker writes; the busy timeout
            # makes a second writer wait instead of failing at once.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


_store: Store | None = None
_lock = Lock()


def get_store() -> Store:
    """The process-wide store for the configured database."""
    global _store
    with _lock:
        if _store is None:
            _store = Store(get_settings().effective_database_url)
        return _store


def reset_store(store: Store | None = None) -> None:
    """Replace (or forget) the process-wide store; used by tests and `hub` subcommands."""
    global _store
    with _lock:
        if _store is not None and _store is not store:
            _store.dispose()
        _store = store
