"""When sign-in is required: the one rule the dashboard and `hub up` both apply.

On 127.0.0.1 with no accounts and no OIDC provider, the person at the keyboard is the
only one who can reach the hub, so they are signed in as admin (and told so on every
page). Anywhere else, or once an account exists, everyone signs in. Listening beyond
loopback with no way to sign in is refused.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path

from engine.access.principal import Principal
from engine.access.roles import Role
from engine.store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_ADMIN = Principal("local-admin", Role.admin, "dashboard", address="127.0.0.1")


class SignInMode(StrEnum):
    local_admin = "local_admin"  # loopback, no accounts, no OIDC: signed in automatically
    required = "required"  # accounts or OIDC exist: everyone signs in
    unconfigured = "unconfigured"  # beyond loopback with no way to sign in: refuse


def is_loopback(host: str | None) -> bool:
    return (host or "").strip().lower() in LOOPBACK or (host or "").startswith("127.")


def secrets_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Where Streamlit reads secrets.toml from (project first, then the user's)."""
    return [root / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def oidc_configured(root: Path = PROJECT_ROOT) -> bool:
    """An `[auth]` section with a provider in a secrets.toml Streamlit will read."""
    for path in secrets_files(root):
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            continue
        auth = data.get("auth")
        if isinstance(auth, dict) and (
            "client_id" in auth or any(isinstance(v, dict) for v in auth.values())
        ):
            return True
    return False


def sign_in_mode(store: Store, host: str | None, *, oidc: bool | None = None) -> SignInMode:
    from engine.access.users import has_users

    oidc = oidc_configured() if oidc is None else oidc
    if oidc or has_users(store):
        return SignInMode.required
    return SignInMode.local_admin if is_loopback(host) else SignInMode.unconfigured


UNCONFIGURED_HELP = (
    "sign-in is not configured, so the hub only listens on 127.0.0.1. To listen on {host}: "
    "add an account (`hub user add you@example.com --role admin`) or an OIDC provider "
    "(`[auth]` in .streamlit/secrets.toml; see docs/access.md)"
)
