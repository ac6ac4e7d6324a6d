"""The audit trail: who did what, when, from where, with the value before and after.

A record is written in the same transaction as the act it describes, so an act and its
record are committed (or rolled back) together. The application has no update or delete
path for records; a database trigger refuses UPDATE on both backends, and the only
deletion is retention (`purge`), which removes records older than the retention period.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from engine.access.models import AuditRecord
from engine.access.principal import Principal
from engine.access.roles import Permission, PermissionDenied, require
from engine.store import Store
from engine.store.base import utcnow

_SECRET_WORDS = ("password", "secret", "token", "key_hash", "webhook", "api_key", "credential")
MASK = "••••••"


def redact(value: Any, field: str = "") -> Any:
    """A JSON-safe copy of `value` with every secret-looking field masked."""
    if field and any(word in field.lower() for word in _SECRET_WORDS) and value:
        return MASK
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    s: Session,
    actor: Principal,
    action: str,
    target: str | None = None,
    *,
    before: Any = None,
    after: Any = None,
    detail: str | None = None,
    outcome: str = "ok",
) -> None:
    """Add one record to `s`: it commits with the act it describes."""
    s.add(
        AuditRecord(
            at=utcnow(),
            actor=actor.name[:320],
            role=(actor.scope and f"key:{actor.scope.value}") or actor.role.value,
            channel=actor.channel,
            address=(actor.address or None) and actor.address[:100],
            action=action,
            target=None if target is None else str(target)[:500],
            outcome=outcome,
            before=redact(before),
            after=redact(after),
            detail=detail,
        )
    )


def record_now(
    store: Store, actor: Principal, action: str, target: str | None = None, **kw: Any
) -> None:
    """Record in a transaction of its own (refusals, failed sign-ins: there is no act)."""
    with store.session() as s:
        record(s, actor, action, target, **kw)


def guard(
    store: Store, actor: Principal, permission: Permission, action: str, target: str | None = None
) -> None:
    """`require` that leaves a `denied` record behind when it refuses."""
    try:
        require(actor, permission)
    except PermissionDenied as exc:
        record_now(store, actor, action, target, outcome="denied", detail=str(exc))
        raise


def records(
    store: Store,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    outcome: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Records newest first that match every filter given, and how many match in all.

    `actor` and `action` match a prefix (`sync.` finds every sync act); `text` matches
    a substring of the target or detail. `until` is exclusive.
    """
    conditions = []
    if actor:
        conditions.append(AuditRecord.actor.startswith(actor, autoescape=True))
    if action:
        conditions.append(AuditRecord.action.startswith(action, autoescape=True))
    if since is not None:
        conditions.append(AuditRecord.at >= since)
    if until is not None:
        conditions.append(AuditRecord.at < until)
    if outcome:
        conditions.append(AuditRecord.outcome == outcome)
    if text:
        conditions.append(
            or_(
                AuditRecord.target.contains(text, autoescape=True),
                AuditRecord.detail.contains(text, autoescape=True),
            )
        )
    with store.session() as s:
        total = s.scalar(select(func.count()).select_from(AuditRecord).where(*conditions)) or 0
        rows = s.scalars(
            select(AuditRecord)
            .where(*conditions)
            .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return [record_dict(r) for r in rows], total


def record_dict(r: AuditRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "actor": r.actor,
        "role": r.role,
        "channel": r.channel,
        "address": r.address,
        "action": r.action,
        "target": r.target,
        "outcome": r.outcome,
        "before": r.before,
        "after": r.after,
        "detail": r.detail,
    }


def actions(store: Store) -> list[str]:
    """Every action name on record (the Audit page's filter choices)."""
    with store.session() as s:
        return list(s.scalars(select(AuditRecord.action).distinct().order_by(AuditRecord.action)))


def purge(store: Store, *, now: datetime | None = None) -> int:
    """Delete records older than the retention period; the only deletion there is."""
    from engine.access.settings import retention_days

    cutoff = (now or utcnow()) - timedelta(days=retention_days(store))
    with store.session() as s:
        result = s.execute(delete(AuditRecord).where(AuditRecord.at < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
