"""Access control plugs into the hub: roles, accounts, API keys, audit trail, admin pages."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="access",
    order=90,
    models="engine.access.models",
    routes="engine.access.api",
    commands="engine.access.cli",
    tasks="engine.access.tasks",
    pages=(
        PageSpec("audit.py", "Audit", "📜", "audit", "Admin", order=90),
        PageSpec("admin.py", "Admin", "🔐", "admin", "Admin", order=91),
    ),
)
