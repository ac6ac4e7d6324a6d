"""The security checklist: the plan's security items the hub can check on itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.access.keys import list_keys
from engine.access.policy import oidc_configured
from engine.access.roles import Role
from engine.access.settings import retention_days
from engine.access.users import list_users
from engine.config import get_settings
from engine.store import Store
from engine.store.base import utcnow


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass | fail | documented
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "evidence": self.evidence}


def checklist(store: Store, *, now: datetime | None = None) -> list[Check]:
    now = now or utcnow()
    settings = get_settings()
    users = list_users(store)
    oidc = oidc_configured()
    out: list[Check] = []

    sign_in = bool(users) or oidc
    out.append(
        Check(
            "Sign-in required beyond loopback",
            "pass" if sign_in else "fail",
            (f"{len(users)} account(s)" + (", OIDC provider configured" if oidc else ""))
            if sign_in
            else "no accounts and no OIDC provider: the hub may only listen on 127.0.0.1 "
            "(`hub up` refuses other addresses)",
        )
    )
    missing = [
        name
        for name, value in (
            ("HUB_GITHUB_WEBHOOK_SECRET", settings.github_webhook_secret),
            ("HUB_STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret),
        )
        if value is None or not value.get_secret_value()
    ]
    out.append(
        Check(
            "Webhook secrets set",
            "fail" if missing else "pass",
            f"not set: {', '.join(missing)} (unsigned deliveries are refused)"
            if missing
            else "GitHub and Stripe webhook secrets set",
        )
    )
    stale = [
        k.name
        for k in list_keys(store, include_revoked=False)
        if now - k.created_at > timedelta(days=settings.key_rotation_days)
    ]
    active = len(list_keys(store, include_revoked=False))
    out.append(
        Check(
            f"API keys rotated within {settings.key_rotation_days} days",
            "fail" if stale else "pass",
            f"older keys: {', '.join(stale)} (create a new key, then `hub keys revoke`)"
            if stale
            else f"{active} active key(s), none older than {settings.key_rotation_days} days",
        )
    )
    cutoff = now - timedelta(days=settings.admin_signin_days)
    idle = [
        u.email
        for u in users
        if u.role is Role.admin
        and not u.disabled
        and (u.last_sign_in_at is None or u.last_sign_in_at < cutoff)
    ]
    out.append(
        Check(
            f"No admin without a sign-in in {settings.admin_signin_days} days",
            "fail" if idle else "pass",
            f"admins not signed in recently: {', '.join(idle)} (demote or disable them)"
            if idle
            else f"{sum(u.role is Role.admin for u in users)} admin(s), all signed in recently",
        )
    )
    days = retention_days(store)
    out.append(
        Check(
            "Audit trail kept 365 days",
            "pass" if days >= 365 else "fail",
            f"audit records kept {days} days",
        )
    )
    out.append(
        Check(
            "TLS terminated in front of the hub",
            "documented",
            "the hub serves plain HTTP; put it behind a TLS-terminating proxy "
            "(docs/access.md, 'Running beyond one laptop')",
        )
    )
    return out
