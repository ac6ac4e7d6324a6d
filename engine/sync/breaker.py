"""Circuit breaker per connector, kept in the store so every worker sees the same state.

After `THRESHOLD` consecutive service failures (5xx, timeouts) the breaker opens: jobs that
need that service wait instead of burning attempts and API quota. After the cool-down one
job may try (half-open); its success closes the breaker, its failure re-opens it for longer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.store.base import utcnow
from engine.sync.models import Breaker

THRESHOLD = 5
COOL_DOWN = timedelta(seconds=60)
MAX_COOL_DOWN = timedelta(minutes=30)
CONNECTORS = ("github", "drive")


def _get(session: Session, connector: str) -> Breaker:
    breaker = session.get(Breaker, connector)
    if breaker is None:
        # Two workers may meet a missing row at once: insert-if-absent, then read it.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(Breaker)
            .values(connector=connector, state="closed", failures=0)
            .on_conflict_do_nothing(index_elements=["connector"])
        )
        breaker = session.get(Breaker, connector)
        assert breaker is not None
    return breaker


def blocked_until(session: Session, connector: str, now: datetime | None = None) -> datetime | None:
    """When the breaker will let a call through, or None if it does now."""
    now = now or utcnow()
    breaker = session.get(Breaker, connector)
    if breaker is None or breaker.state == "closed":
        return None
    if breaker.retry_at and breaker.retry_at > now:
        return breaker.retry_at
    breaker.state = "half_open"
    return None


def record_success(session: Session, connector: str) -> None:
    breaker = session.get(Breaker, connector)
    if breaker is not None and (breaker.state != "closed" or breaker.failures):
        breaker.state, breaker.failures, breaker.retry_at = "closed", 0, None


def record_failure(session: Session, connector: str, message: str) -> None:
    breaker = _get(session, connector)
    breaker.failures += 1
    breaker.last_error = message[:500]
    if breaker.state == "half_open" or breaker.failures >= THRESHOLD:
        now = utcnow()
        opened = max(0, breaker.failures - THRESHOLD)
        cool = min(MAX_COOL_DOWN, COOL_DOWN * (2**opened))
        breaker.state, breaker.opened_at, breaker.retry_at = "open", now, now + cool


def states(session: Session) -> dict[str, Breaker]:
    return {c: _get(session, c) for c in CONNECTORS}
