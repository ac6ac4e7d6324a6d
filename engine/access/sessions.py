"""Dashboard sign-in sessions for local accounts: a random token, idle and absolute expiry.

The browser tab holds the token; the store keeps only its SHA-256, so a leaked database
backup cannot be replayed as a session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.access import audit
from engine.access.models import SignInSession, User
from engine.access.principal import Principal
from engine.access.roles import Role
from engine.config import get_settings
from engine.store import Store
from engine.store.base import utcnow

# Touching `last_seen_at` on every page run would write on every click; once a minute is
# precise enough for an idle timeout counted in hours.
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(store: Store, who: Principal, *, now: datetime | None = None) -> str:
    """A new session for a signed-in user; returns the token (never stored in clear)."""
    assert who.user_id is not None, "only accounts have sessions"
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with store.session() as s:
        s.add(
            SignInSession(
                token_hash=_digest(token),
                user_id=who.user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=get_settings().session_max_hours),
            )
        )
    return token


def resume(
    store: Store, token: str, *, address: str | None = None, now: datetime | None = None
) -> Principal | None:
    """The principal of a live session, or None when it ended, expired or idled out.

    The role is read from the account every time, so a role change or a disabled
    account takes effect on the user's next click, not at their next sign-in.
    """
    now = now or utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    with store.session() as s:
        row = s.execute(
            select(SignInSession, User)
            .join(User, User.id == SignInSession.user_id)
            .where(SignInSession.token_hash == _digest(token))
        ).first()
        if row is None:
            return None
        session, user = row
        if session.ended_at is not None or user.disabled:
            return None
        if now >= session.expires_at or now - session.last_seen_at >= idle:
            session.ended_at = now
            return None
        if now - session.last_seen_at >= _TOUCH_EVERY:
            session.last_seen_at = now
        return Principal(user.email, Role(user.role), "dashboard", user_id=user.id, address=address)


def end(store: Store, token: str, who: Principal) -> None:
    """Sign out: the session can never be resumed."""
    with store.session() as s:
        session = s.scalar(select(SignInSession).where(SignInSession.token_hash == _digest(token)))
        if session is not None and session.ended_at is None:
            session.ended_at = utcnow()
        audit.record(s, who, "auth.sign_out", who.name)
