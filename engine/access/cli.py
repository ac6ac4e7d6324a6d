"""`hub user …`, `hub keys …`, `hub audit …`, `hub security` (stable; docs/access.md)."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from typing import Annotated

import typer
from rich.table import Table

from engine.errors import InputError
from engine.store import Store, get_store
from engine.store.migrate import ensure_current

JSON_OPT = Annotated[
    bool, typer.Option("--json", help="Print JSON (documented in docs/access.md).")
]


def _store() -> Store:
    store = get_store()
    ensure_current(store)
    return store


def _password(stdin: bool, prompt: str = "Password") -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _day(value: str | None, field: str, *, end: bool = False) -> datetime | None:
    from engine.config import get_settings
    from engine.periods import parse_day

    if value is None:
        return None
    day = parse_day(value, field)
    if end:
        day = day + timedelta(days=1)
    return datetime.combine(day, time(), get_settings().tz)


def register(app: typer.Typer) -> None:
    from engine.cli import actor, emit_json, out

    user = typer.Typer(
        help="Hub accounts and roles (admin, operator, viewer).", no_args_is_help=True
    )
    keys = typer.Typer(
        help="API keys (scopes ingest, read, admin): shown once, stored hashed.",
        no_args_is_help=True,
    )
    audit_app = typer.Typer(help="The audit trail of every privileged act.", no_args_is_help=True)
    app.add_typer(user, name="user")
    app.add_typer(keys, name="keys")
    app.add_typer(audit_app, name="audit")

    @user.command("add")
    def user_add(
        email: str,
        role: Annotated[str, typer.Option(help="admin, operator or viewer")],
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
        no_password: Annotated[
            bool, typer.Option("--no-password", help="OIDC sign-in only.")
        ] = False,
    ) -> None:
        """Add an account (prompts for a password unless --no-password)."""
        from engine.access.users import add_user

        store = _store()
        password = None if no_password else _password(password_stdin)
        u = add_user(store, actor(store), email, role, password)
        out.print(f"User {u.email} added with role {u.role.value}")

    @user.command("list")
    def user_list(as_json: JSON_OPT = False) -> None:
        """Every account, its role and last sign-in."""
        from engine.access.users import list_users

        users = list_users(_store())
        if as_json:
            emit_json([u.to_dict() for u in users])
            return
        table = Table("email", "role", "status", "last sign-in")
        for u in users:
            status = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
            table.add_row(u.email, u.role.value, status, str(u.last_sign_in_at or "never"))
        out.print(table)

    @user.command("set-role")
    def user_set_role(email: str, role: str) -> None:
        """Change an account's role."""
        from engine.access.users import set_role

        store = _store()
        u = set_role(store, actor(store), email, role)
        out.print(f"{u.email} is now {u.role.value}")

    @user.command("reset-password")
    def user_reset_password(
        email: str,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
    ) -> None:
        """Set a new password; the account's sessions end and its lock is lifted."""
        from engine.access.users import reset_password

        store = _store()
        reset_password(store, actor(store), email, _password(password_stdin, "New password"))
        out.print(f"Password of {email} reset; its sessions are ended")

    @user.command("disable")
    def user_disable(email: str) -> None:
        """Stop an account from signing in (its sessions end at once)."""
        from engine.access.users import set_disabled

        store = _store()
        set_disabled(store, actor(store), email, True)
        out.print(f"{email} disabled")

    @user.command("enable")
    def user_enable(email: str) -> None:
        """Let a disabled account sign in again."""
        from engine.access.users import set_disabled

        store = _store()
        set_disabled(store, actor(store), email, False)
        out.print(f"{email} enabled")

    @user.command("remove")
    def user_remove(email: str) -> None:
        """Delete an account (its audit records stay)."""
        from engine.access.users import remove_user

        store = _store()
        remove_user(store, actor(store), email)
        out.print(f"{email} removed")

    @keys.command("create")
    def keys_create(
        name: Annotated[str, typer.Option(help="What the key is for, e.g. 'web-app'.")],
        scope: Annotated[str, typer.Option(help="ingest, read or admin")],
        as_json: JSON_OPT = False,
    ) -> None:
        """Create a key and print it once: it is stored hashed and cannot be shown again."""
        from engine.access.keys import create_key

        store = _store()
        view, raw = create_key(store, actor(store), name, scope)
        if as_json:
            emit_json({**view.to_dict(), "key": raw})
            return
        out.print(
            f"API key {view.name!r} (scope {view.scope.value}); copy it now, it is not shown again:"
        )
        out.print(raw)

    @keys.command("list")
    def keys_list(as_json: JSON_OPT = False) -> None:
        """Keys with scope, prefix, creation and last use (never the key itself)."""
        from engine.access.keys import list_keys

        found = list_keys(_store())
        if as_json:
            emit_json([k.to_dict() for k in found])
            return
        table = Table("name", "scope", "prefix", "created", "last used", "status")
        for k in found:
            table.add_row(
                k.name,
                k.scope.value,
                k.prefix + "…",
                f"{k.created_at:%Y-%m-%d}",
                str(k.last_used_at or "never"),
                "active" if k.active else "revoked",
            )
        out.print(table)

    @keys.command("revoke")
    def keys_revoke(name: str) -> None:
        """Revoke a key: every request with it gets 401 from now on."""
        from engine.access.keys import revoke_key

        store = _store()
        revoke_key(store, actor(store), name)
        out.print(f"API key {name!r} revoked")

    @audit_app.command("list")
    def audit_list(
        who: Annotated[str | None, typer.Option("--actor", help="Actor (prefix).")] = None,
        action: Annotated[str | None, typer.Option(help="Action (prefix, e.g. 'sync.').")] = None,
        since: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
        until: Annotated[str | None, typer.Option("--to", help="Last day, included.")] = None,
        outcome: Annotated[str | None, typer.Option(help="ok, denied or failed")] = None,
        limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
        as_json: JSON_OPT = False,
    ) -> None:
        """Audit records, newest first (admin)."""
        from engine.access.audit import records
        from engine.access.roles import Permission, require

        store = _store()
        require(actor(store), Permission.audit_read)
        if limit < 1:
            raise InputError("--limit: must be at least 1")
        rows, total = records(
            store,
            actor=who,
            action=action,
            since=_day(since, "--from"),
            until=_day(until, "--to", end=True),
            outcome=outcome,
            limit=limit,
        )
        if as_json:
            emit_json({"total": total, "records": rows})
            return
        table = Table("at", "actor", "channel", "action", "target", "outcome")
        for r in rows:
            table.add_row(
                r["at"][:19], r["actor"], r["channel"], r["action"], r["target"] or "", r["outcome"]
            )
        out.print(table)
        out.print(f"{len(rows)} of {total} record(s)")

    @audit_app.command("retention")
    def audit_retention(
        days: Annotated[int | None, typer.Argument(help="New retention in days.")] = None,
    ) -> None:
        """Show (or set) how many days audit records are kept."""
        from engine.access.settings import retention_days, set_retention_days

        store = _store()
        if days is not None:
            set_retention_days(store, actor(store), days)
        out.print(f"Audit records are kept {retention_days(store)} days")

    @audit_app.command("purge")
    def audit_purge() -> None:
        """Delete records older than the retention (the worker does this daily)."""
        from engine.access.audit import purge
        from engine.access.roles import Permission, require

        store = _store()
        require(actor(store), Permission.settings_manage)
        out.print(f"{purge(store)} audit record(s) past retention deleted")

    @app.command("security")
    def security(as_json: JSON_OPT = False) -> None:
        """The security checklist: the plan's items the hub can check on itself."""
        from engine.access.security import checklist

        checks = checklist(_store())
        if as_json:
            emit_json([c.to_dict() for c in checks])
            return
        colours = {"pass": "green", "fail": "red", "documented": "yellow"}
        table = Table("check", "status", "evidence")
        for c in checks:
            table.add_row(c.name, f"[{colours[c.status]}]{c.status}[/]", c.evidence)
        out.print(table)
