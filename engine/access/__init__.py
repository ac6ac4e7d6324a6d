"""Access control: who may do what (roles, API-key scopes), sign-in, and the audit trail."""

from engine.access.principal import SYSTEM, Principal
from engine.access.roles import Permission, Role, require

__all__ = ["SYSTEM", "Permission", "Principal", "Role", "require"]
