"""Hub accounts: add, change role, reset password, disable; local sign-in with lockout.

Passwords are hashed with Argon2id (argon2-cffi, the reference implementation's binding,
with its recommended parameters). A failed sign-in never says whether the email exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.models import SignInSession, User
from engine.access.principal import Principal
from engine.access.roles import Permission, Role
from engine.config import get_settings
from engine.errors import HubError, InputError
from engine.store import Store
from engine.store.base import utcnow

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A fixed hash to verify against when the email is unknown: the same work either way,
# so response times do not reveal which emails have accounts.
_DUMMY_HASH = _HASHER.hash("not-a-real-password-for-timing")


class SignInRefused(HubError):
    """Wrong email or password, a locked or disabled account: one message for all."""


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    role: Role
    disabled: bool
    has_password: bool
    created_at: datetime
    last_sign_in_at: datetime | None
    locked_until: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role.value,
            "disabled": self.disabled,
            "has_password": self.has_password,
            "created_at": self.created_at.isoformat(),
            "last_sign_in_at": self.last_sign_in_at and self.last_sign_in_at.isoformat(),
            "locked_until": self.locked_until and self.locked_until.isoformat(),
        }


def _view(u: User) -> UserView:
    return UserView(
        u.id,
        u.email,
        Role(u.role),
        u.disabled,
        bool(u.password_hash),
        u.created_at,
        u.last_sign_in_at,
        u.locked_until,
    )


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InputError(f"email: {email!r} is not an email address")
    return email


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise InputError(
            f"role: {role!r} is not a role (use {', '.join(r.value for r in Role)})"
        ) from None


def check_password(password: str) -> None:
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        raise InputError(f"password: at least {minimum} characters are required")


def _get(s: Session, email: str) -> User:
    user = s.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise InputError(f"no user {email!r} (see `hub user list`)")
    return user


def has_users(store: Store) -> bool:
    with store.session() as s:
        return bool(s.scalar(select(func.count()).select_from(User)))


def list_users(store: Store) -> list[UserView]:
    with store.session() as s:
        return [_view(u) for u in s.scalars(select(User).order_by(User.email))]


def find_user(store: Store, email: str) -> UserView | None:
    with store.session() as s:
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        return _view(user) if user else None


def add_user(
    store: Store, actor: Principal, email: str, role: str, password: str | None = None
) -> UserView:
    """A new account; without a password the user can only sign in through OIDC."""
    email = normalize_email(email)
    audit.guard(store, actor, Permission.user_manage, "user.add", email)
    parsed = parse_role(role)
    if password is not None:
        check_password(password)
    with store.session() as s:
        if s.scalar(select(User).where(User.email == email)):
            raise InputError(f"email: a user {email!r} already exists")
        user = User(
            email=email,
            role=parsed.value,
            password_hash=_HASHER.hash(password) if password else None,
            password_changed_at=utcnow() if password else None,
            disabled=False,
            failed_attempts=0,
        )
        s.add(user)
        s.flush()
        audit.record(s, actor, "user.add", email, after={"role": parsed.value})
        return _view(user)


def set_role(store: Store, actor: Principal, email: str, role: str) -> UserView:
    audit.guard(store, actor, Permission.user_manage, "user.set_role", email)
    parsed = parse_role(role)
    with store.session() as s:
        user = _get(s, email)
        before = user.role
        if before == Role.admin and parsed != Role.admin:
            _keep_an_admin(s, user)
        user.role = parsed.value
        audit.record(
            s,
            actor,
            "user.set_role",
            user.email,
            before={"role": before},
            after={"role": parsed.value},
        )
        return _view(user)


def set_disabled(store: Store, actor: Principal, email: str, disabled: bool) -> UserView:
    action = "user.disable" if disabled else "user.enable"
    audit.guard(store, actor, Permission.user_manage, action, email)
    with store.session() as s:
        user = _get(s, email)
        if disabled and user.role == Role.admin:
            _keep_an_admin(s, user)
        before = user.disabled
        user.disabled = disabled
        if disabled:
            _end_sessions(s, user.id)
        audit.record(
            s, actor, action, user.email, before={"disabled": before}, after={"disabled": disabled}
        )
        return _view(user)


def remove_user(store: Store, actor: Principal, email: str) -> None:
    audit.guard(store, actor, Permission.user_manage, "user.remove", email)
    with store.session() as s:
        user = _get(s, email)
        if user.role == Role.admin:
            _keep_an_admin(s, user)
        audit.record(s, actor, "user.remove", user.email, before={"role": user.role})
        s.delete(user)


def reset_password(store: Store, actor: Principal, email: str, password: str) -> None:
    """Set a new password (admins for anyone; every user for themselves) and end sessions."""
    email = normalize_email(email)
    if actor.user_id is None or find_user(store, email) is None or actor.name != email:
        audit.guard(store, actor, Permission.user_manage, "user.reset_password", email)
    check_password(password)
    with store.session() as s:
        user = _get(s, email)
        user.password_hash = _HASHER.hash(password)
        user.password_changed_at = utcnow()
        user.failed_attempts = 0
        user.locked_until = None
        _end_sessions(s, user.id)
        audit.record(s, actor, "user.reset_password", user.email)


def _keep_an_admin(s: Session, leaving: User) -> None:
    others = s.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin.value, User.id != leaving.id, User.disabled.is_(False))
    )
    if not others:
        raise InputError(f"{leaving.email} is the last admin: make someone else admin first")


def _end_sessions(s: Session, user_id: int) -> None:
    now = utcnow()
    for session in s.scalars(
        select(SignInSession).where(
            SignInSession.user_id == user_id, SignInSession.ended_at.is_(None)
        )
    ):
        session.ended_at = now


# ------------------------------------------------------------------ sign-in


def principal_for(
    user: UserView, channel: str = "dashboard", address: str | None = None
) -> Principal:
    return Principal(user.email, user.role, channel, user_id=user.id, address=address)  # type: ignore[arg-type]


def authenticate(
    store: Store,
    email: str,
    password: str,
    *,
    address: str | None = None,
    now: datetime | None = None,
) -> Principal:
    """Check a local password; lock the account after repeated failures.

    Every attempt is audited. The refusal never says which part was wrong.
    """
    now = now or utcnow()
    settings = get_settings()
    key = email.strip().lower()
    refused = SignInRefused("sign-in refused: wrong email or password, or the account is locked")
    with store.session() as s:
        user = s.scalar(select(User).where(User.email == key))
        anon = Principal(key[:320] or "(empty)", Role.viewer, "dashboard", address=address)
        if user is None or not user.password_hash:
            _verify(_DUMMY_HASH, password)
            audit.record(
                s,
                anon,
                "auth.sign_in",
                key,
                outcome="failed",
                detail="unknown account or no password",
            )
            s.commit()
            raise refused
        who = Principal(user.email, Role(user.role), "dashboard", user_id=user.id, address=address)
        if user.disabled:
            audit.record(
                s, who, "auth.sign_in", user.email, outcome="failed", detail="account disabled"
            )
            s.commit()
            raise refused
        if user.locked_until is not None and user.locked_until > now:
            audit.record(
                s,
                who,
                "auth.sign_in",
                user.email,
                outcome="failed",
                detail=f"account locked until {user.locked_until:%Y-%m-%d %H:%M} UTC",
            )
            s.commit()
            raise refused
        if not _verify(user.password_hash, password):
            user.failed_attempts = (user.failed_attempts or 0) + 1
            detail = f"wrong password ({user.failed_attempts} in a row)"
            if user.failed_attempts >= settings.signin_max_failures:
                user.locked_until = now + timedelta(minutes=settings.signin_lockout_minutes)
                user.failed_attempts = 0
                detail += f"; locked for {settings.signin_lockout_minutes} min"
            audit.record(s, who, "auth.sign_in", user.email, outcome="failed", detail=detail)
            s.commit()
            raise refused
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        user.failed_attempts = 0
        user.locked_until = None
        user.last_sign_in_at = now
        audit.record(s, who, "auth.sign_in", user.email, detail="password")
        return who


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def oidc_principal(
    store: Store, email: str | None, verified: bool, *, address: str | None = None
) -> Principal:
    """Match a verified OIDC email to a hub account (or the viewer domain, if configured)."""
    if not email or not verified:
        raise SignInRefused("sign-in refused: the identity provider gave no verified email")
    key = email.strip().lower()
    domain = get_settings().oidc_viewer_domain.strip().lower().lstrip("@")
    with store.session() as s:
        user = s.scalar(select(User).where(User.email == key))
        if user is None or user.disabled:
            if user is None and domain and key.endswith("@" + domain):
                who = Principal(key, Role.viewer, "dashboard", address=address)
                audit.record(s, who, "auth.sign_in", key, detail=f"oidc; viewer by domain {domain}")
                return who
            anon = Principal(key, Role.viewer, "dashboard", address=address)
            audit.record(
                s,
                anon,
                "auth.sign_in",
                key,
                outcome="failed",
                detail="oidc; no hub account" if user is None else "oidc; account disabled",
            )
            s.commit()
            raise SignInRefused(
                f"sign-in refused: {key} has no hub account (ask an admin: `hub user add`)"
            )
        user.last_sign_in_at = utcnow()
        who = Principal(user.email, Role(user.role), "dashboard", user_id=user.id, address=address)
        audit.record(s, who, "auth.sign_in", user.email, detail="oidc")
        return who
