"""Principals for tests: one per role, acting through the CLI door."""

from engine.access.principal import Principal
from engine.access.roles import Role

ADMIN = Principal("admin@example.com", Role.admin, "cli")
OPERATOR = Principal("operator@example.com", Role.operator, "cli")
VIEWER = Principal("viewer@example.com", Role.viewer, "cli")


def install_key(store: object, raw: str, scope: str = "ingest", name: str | None = None) -> None:
    """Store an API key with a known text (tests only: real keys are random)."""
    import hashlib

    from engine.access.models import ApiKey

    with store.session() as s:  # type: ignore[attr-defined]
        s.add(
            ApiKey(
                name=name or f"test-{scope}-{raw[-6:]}",
                scope=scope,
                prefix=raw[:14],
                key_hash=hashlib.sha256(raw.encode()).hexdigest(),
                created_by="tests",
            )
        )
