"""Settings an admin changes at run time (kept in the store, audited), over the config file."""

from __future__ import annotations

from typing import Any

from engine.access import audit
from engine.access.models import HubSetting
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.config import get_settings
from engine.errors import InputError
from engine.store import Store
from engine.store.base import utcnow

RETENTION_KEY = "audit_retention_days"
MIN_RETENTION_DAYS = 30


def retention_days(store: Store) -> int:
    """Audit retention: the Admin page's value if set, else `HUB_AUDIT_RETENTION_DAYS`."""
    with store.session() as s:
        row = s.get(HubSetting, RETENTION_KEY)
        return int(row.value) if row is not None else get_settings().audit_retention_days


def set_retention_days(store: Store, actor: Principal, days: int) -> int:
    audit.guard(store, actor, Permission.settings_manage, "settings.change", RETENTION_KEY)
    if days < MIN_RETENTION_DAYS:
        raise InputError(f"{RETENTION_KEY}: keep audit records at least {MIN_RETENTION_DAYS} days")
    before = retention_days(store)
    with store.session() as s:
        row = s.get(HubSetting, RETENTION_KEY)
        if row is None:
            s.add(HubSetting(key=RETENTION_KEY, value=days, updated_by=actor.name))
        else:
            row.value, row.updated_at, row.updated_by = days, utcnow(), actor.name
        audit.record(
            s,
            actor,
            "settings.change",
            RETENTION_KEY,
            before={RETENTION_KEY: before},
            after={RETENTION_KEY: days},
        )
    return days


def effective_config(store: Store) -> dict[str, Any]:
    """The configuration in force, every secret masked (the Admin page and `hub config`)."""
    out = get_settings().masked()
    out[RETENTION_KEY] = retention_days(store)
    return out
