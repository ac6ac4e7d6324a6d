"""Roles, API-key scopes and the permissions each grants: the one table every check reads.

Checks live in engine/, on every write operation, so the dashboard, the CLI and the HTTP
API cannot disagree: hiding a button is a courtesy, `require` is the rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from engine.errors import HubError

if TYPE_CHECKING:
    from engine.access.principal import Principal


class Role(StrEnum):
    """The plan's users: founders (admin), operators, product (viewer)."""

    admin = "admin"
    operator = "operator"
    viewer = "viewer"


class Scope(StrEnum):
    """What an API key may do. `ingest` only sends data; `read` reads; `admin` does all."""

    ingest = "ingest"
    read = "read"
    admin = "admin"


class Permission(StrEnum):
    read = "read"  # every page, KPI and CSV export
    sync_trigger = "sync.trigger"
    sync_resolve = "sync.resolve"
    target_pause = "target.pause"
    target_manage = "target.manage"  # add or remove sync targets (repositories, Drive files)
    probe_manage = "probe.manage"  # probes and maintenance windows
    alert_manage = "alert.manage"  # alert rules, SLOs, webhooks, test alerts
    incident_manage = "incident.manage"
    annotate = "annotate"  # deploy and other chart markers
    checklist_edit = "checklist.edit"
    launch_configure = "launch.configure"  # launch date and criteria thresholds
    launch_decide = "launch.decide"
    data_import = "data.import"  # events, surveys, probes, requests, Stripe, rebuilds
    demo_manage = "demo.manage"
    user_manage = "user.manage"
    key_manage = "key.manage"
    settings_manage = "settings.manage"
    audit_read = "audit.read"


_OPERATOR = frozenset(
    {
        Permission.read,
        Permission.sync_trigger,
        Permission.sync_resolve,
        Permission.target_pause,
        Permission.probe_manage,
        Permission.alert_manage,
        Permission.incident_manage,
        Permission.annotate,
        Permission.checklist_edit,
        Permission.data_import,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.operator: _OPERATOR,
    Role.viewer: frozenset({Permission.read}),
}
SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.admin: frozenset(Permission),
    Scope.read: frozenset({Permission.read}),
    Scope.ingest: frozenset({Permission.data_import, Permission.annotate}),
}


def least_role(permission: Permission) -> Role:
    """The weakest role that holds `permission` (named in refusals)."""
    for role in (Role.viewer, Role.operator, Role.admin):
        if permission in ROLE_PERMISSIONS[role]:
            return role
    raise AssertionError(permission)


class PermissionDenied(HubError):
    """The acting principal lacks a permission; says which role (or key scope) it needs."""

    exit_code = 4

    def __init__(self, principal: Principal, permission: Permission) -> None:
        self.permission = permission
        need = least_role(permission)
        if principal.scope is not None:
            scopes = [s.value for s, p in SCOPE_PERMISSIONS.items() if permission in p]
            message = (
                f"{permission.value} needs an API key with scope {' or '.join(scopes)} "
                f"(this key's scope is {principal.scope.value})"
            )
        else:
            message = (
                f"{permission.value} needs the {need.value} role "
                f"({principal.name} is {principal.role.value})"
            )
        super().__init__(message)


def require(principal: Principal, permission: Permission) -> None:
    """Raise `PermissionDenied` unless `principal` holds `permission`."""
    if permission not in principal.permissions:
        raise PermissionDenied(principal, permission)
