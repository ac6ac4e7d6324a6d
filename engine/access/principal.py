"""Who is acting, with which role or key scope, and through which door (for the audit)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Literal

from engine.access.roles import (
    ROLE_PERMISSIONS,
    SCOPE_PERMISSIONS,
    Permission,
    Role,
    Scope,
)

Channel = Literal["dashboard", "cli", "api", "worker", "webhook"]


@dataclass(frozen=True)
class Principal:
    """The acting party of an engine write: a user, an API key or the hub itself.

    `role` is what a user holds; a key's `scope` narrows what it may do instead (a key
    with scope `ingest` has no role's rights). `user_id` links a user principal to its
    account; `address` is where the act came from (client IP, host), for the audit.
    """

    name: str
    role: Role
    channel: Channel
    scope: Scope | None = None
    user_id: int | None = None
    key_id: int | None = None
    address: str | None = None
    permissions: frozenset[Permission] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        granted = (
            SCOPE_PERMISSIONS[self.scope] if self.scope is not None else ROLE_PERMISSIONS[self.role]
        )
        object.__setattr__(self, "permissions", granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def via(self, channel: Channel, address: str | None = None) -> Principal:
        """The same principal acting through another door."""
        return Principal(
            self.name,
            self.role,
            channel,
            self.scope,
            self.user_id,
            self.key_id,
            address or self.address,
        )


# The hub acting on its own: schedules, the worker, demo loading in `hub up`.
SYSTEM = Principal("system", Role.admin, "worker")


def webhook(source: str) -> Principal:
    """A caller authenticated by a webhook signature (GitHub, Drive, Stripe), not a key."""
    return Principal(f"webhook:{source}", Role.operator, "webhook")


def cli_admin() -> Principal:
    """The CLI holds the database credentials, so it is as trusted as they are: admin.

    `hub --as EMAIL …` acts as (and is limited to) a hub user instead.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return Principal(f"cli:{user}", Role.admin, "cli")
