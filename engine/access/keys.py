"""API keys: created with a scope, shown once, stored hashed, revocable, last use recorded.

A key looks like `hub_<scope>_<43 random characters>`; the scope in the text is only a
hint for people reading config files, the stored scope is what counts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from engine.access import audit
from engine.access.models import ApiKey
from engine.access.principal import Principal
from engine.access.roles import Permission, Role, Scope
from engine.errors import InputError
from engine.store import Store
from engine.store.base import utcnow

# Writing `last_used_at` on every ingest request would double the writes of a busy
# client; once a minute keeps the figure honest to the minute.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyView:
    id: int
    name: str
    scope: Scope
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope.value,
            "prefix": self.prefix,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at and self.last_used_at.isoformat(),
            "revoked_at": self.revoked_at and self.revoked_at.isoformat(),
        }


def _view(k: ApiKey) -> KeyView:
    return KeyView(
        k.id,
        k.name,
        Scope(k.scope),
        k.prefix,
        k.created_by,
        k.created_at,
        k.last_used_at,
        k.revoked_at,
    )


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_scope(scope: str) -> Scope:
    try:
        return Scope(scope.strip().lower())
    except ValueError:
        raise InputError(
            f"scope: {scope!r} is not a key scope (use {', '.join(s.value for s in Scope)})"
        ) from None


def create_key(store: Store, actor: Principal, name: str, scope: str) -> tuple[KeyView, str]:
    """A new key and its secret text; the text is returned once and never stored."""
    name = name.strip()
    audit.guard(store, actor, Permission.key_manage, "key.create", name)
    if not name or len(name) > 100:
        raise InputError("name: give the key a name of 1 to 100 characters")
    parsed = parse_scope(scope)
    raw = f"hub_{parsed.value}_{secrets.token_urlsafe(32)}"
    with store.session() as s:
        if s.scalar(select(ApiKey).where(ApiKey.name == name)):
            raise InputError(f"name: a key named {name!r} already exists")
        key = ApiKey(
            name=name,
            scope=parsed.value,
            prefix=raw[: len(f"hub_{parsed.value}_") + 4],
            key_hash=_digest(raw),
            created_by=actor.name,
        )
        s.add(key)
        s.flush()
        audit.record(
            s, actor, "key.create", name, after={"scope": parsed.value, "prefix": key.prefix}
        )
        return _view(key), raw


def list_keys(store: Store, *, include_revoked: bool = True) -> list[KeyView]:
    with store.session() as s:
        q = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if not include_revoked:
            q = q.where(ApiKey.revoked_at.is_(None))
        return [_view(k) for k in s.scalars(q)]


def revoke_key(store: Store, actor: Principal, name: str) -> KeyView:
    audit.guard(store, actor, Permission.key_manage, "key.revoke", name)
    with store.session() as s:
        key = s.scalar(select(ApiKey).where(ApiKey.name == name))
        if key is None:
            raise InputError(f"no API key named {name!r} (see `hub keys list`)")
        already = key.revoked_at is not None
        if not already:
            key.revoked_at = utcnow()
        audit.record(
            s,
            actor,
            "key.revoke",
            name,
            before={"revoked": already},
            after={"revoked": True},
            detail="already revoked" if already else None,
        )
        return _view(key)


def authenticate_key(
    store: Store, raw: str | None, *, address: str | None = None, now: datetime | None = None
) -> Principal | None:
    """The principal of a live key, or None for a missing, unknown or revoked one."""
    if not raw or not raw.startswith("hub_"):
        return None
    now = now or utcnow()
    with store.session() as s:
        key = s.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(raw)))
        if key is None or key.revoked_at is not None:
            return None
        if key.last_used_at is None or now - key.last_used_at >= _TOUCH_EVERY:
            s.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        scope = Scope(key.scope)
        return Principal(
            f"key:{key.name}",
            Role.admin if scope is Scope.admin else Role.viewer,
            "api",
            scope=scope,
            key_id=key.id,
            address=address,
        )
