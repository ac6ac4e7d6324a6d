"""`hub target …`, `hub sync …`, `hub conflicts …` (stable: scripts depend on them)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.errors import InputError
from engine.store import get_store
from engine.store.migrate import ensure_current
from engine.sync import service
from engine.sync.targets import (
    DEFAULT_SCHEDULE,
    add_target,
    remove_target,
    set_paused,
)

JSON_OPT = Annotated[bool, typer.Option("--json", help="Print JSON (documented in docs/sync.md).")]
EXIT_BY_STATUS = {"succeeded": 0, "conflict": 2, "failed": 1, "cancelled": 1}


def _store() -> Any:
    store = get_store()
    ensure_current(store)
    return store


def register(app: typer.Typer) -> None:
    from engine.cli import acting, emit_json, out

    target = typer.Typer(
        help="Sync targets: a GitHub file and a Drive file kept in step.", no_args_is_help=True
    )
    sync = typer.Typer(help="Run and inspect sync jobs.", no_args_is_help=True)
    conflicts = typer.Typer(help="Conflicts the merge could not settle.", no_args_is_help=True)
    app.add_typer(target, name="target")
    app.add_typer(sync, name="sync")
    app.add_typer(conflicts, name="conflicts")

    @target.command("add")
    def target_add(
        name: str,
        github: Annotated[str, typer.Option(help="OWNER/REPO:PATH[@BRANCH]")],
        drive: Annotated[str, typer.Option(help="Google Drive file id")],
        policy: Annotated[
            str, typer.Option(help="manual|ai_studio_wins|github_wins|newest_wins")
        ] = "manual",
        write_mode: Annotated[str, typer.Option(help="commit|pull_request")] = "pull_request",
        schedule: Annotated[str, typer.Option(help="cron, or 'none'")] = DEFAULT_SCHEDULE,
    ) -> None:
        """Add a target."""
        t = add_target(
            *acting(),
            name,
            github=github,
            drive=drive,
            policy=policy,
            write_mode=write_mode,
            schedule=schedule,
        )
        out.print(
            f"Target {t.name} added: {t.github_spec} ⇄ drive:{t.drive_file_id} "
            f"(policy {t.policy}, {t.write_mode}, schedule {t.schedule or 'none'})"
        )

    @target.command("list")
    def target_list(as_json: JSON_OPT = False) -> None:
        """List targets with their health."""
        rows = service.target_status(_store())
        if as_json:
            emit_json(rows)
            return
        table = Table("target", "github", "drive", "policy", "last", "paused", "next run")
        for r in rows:
            table.add_row(
                r["target"],
                r["github"],
                r["drive_file_id"],
                r["policy"],
                r["last_status"] or "—",
                r["paused_reason"] or "no",
                r["next_run_at"] or "—",
            )
        out.print(table)

    @target.command("pause")
    def target_pause(
        name: str, reason: Annotated[str, typer.Option(help="Shown on the Sync page.")] = ""
    ) -> None:
        """Pause scheduled and webhook syncs of a target."""
        set_paused(*acting(), name, True, reason or None)
        out.print(f"Target {name} paused")

    @target.command("resume")
    def target_resume(name: str) -> None:
        """Resume a paused target."""
        set_paused(*acting(), name, False)
        out.print(f"Target {name} resumed")

    @target.command("remove")
    def target_remove(name: str) -> None:
        """Remove a target with its history (the two documents are left untouched)."""
        remove_target(*acting(), name)
        out.print(f"Target {name} removed")

    @sync.command("run")
    def sync_run(
        name: str,
        wait: Annotated[
            bool, typer.Option("--wait", help="Return when the job has ended.")
        ] = False,
        as_json: JSON_OPT = False,
    ) -> None:
        """Queue a sync (or return the one already queued or running)."""
        store, who = acting()
        queued = service.sync_now(store, who, name, "cli")
        job = (
            service.work_job(store, queued.job_id)
            if wait
            else service.get_job(store, queued.job_id)
        )
        if as_json:
            emit_json(job)
        else:
            verb = "queued" if queued.created else "already active"
            out.print(f"Job {job['id']} for {name} {verb}: {job['status']}")
            for a in job["attempts"]:
                if a["message"]:
                    out.print(f"  attempt {a['number']} {a['status']}: {a['message']}")
        if wait:
            raise typer.Exit(EXIT_BY_STATUS.get(job["status"], 1))

    @sync.command("cancel")
    def sync_cancel(job_id: int) -> None:
        """Cancel a queued or running job (a running attempt finishes, its result is dropped)."""
        from engine.sync.jobs import cancel

        job = cancel(*acting(), job_id)
        out.print(f"Job {job.id} cancelled")

    @sync.command("status")
    def sync_status(
        name: Annotated[str | None, typer.Argument()] = None, as_json: JSON_OPT = False
    ) -> None:
        """Health of one or every target."""
        rows = service.target_status(_store(), name)
        if as_json:
            emit_json(rows if name is None else rows[0])
            return
        table = Table("target", "last", "last success", "active", "conflicts", "paused", "breakers")
        for r in rows:
            table.add_row(
                r["target"],
                r["last_status"] or "—",
                r["last_success_at"] or "never",
                f"#{r['active_job']['id']} {r['active_job']['status']}" if r["active_job"] else "—",
                str(r["open_conflicts"]),
                r["paused_reason"] or "no",
                ", ".join(f"{k}:{v}" for k, v in r["breakers"].items()),
            )
        out.print(table)

    @sync.command("history")
    def sync_history(
        name: str, limit: Annotated[int, typer.Option()] = 50, as_json: JSON_OPT = False
    ) -> None:
        """Past jobs of a target, newest first."""
        jobs = service.history(_store(), name, limit)
        if as_json:
            emit_json(jobs)
            return
        table = Table("job", "status", "trigger", "created", "attempts", "+", "~", "-", "conflicts")
        for j in jobs:
            c = j["counts"]
            table.add_row(
                str(j["id"]),
                j["status"],
                j["trigger"],
                j["created_at"],
                str(len(j["attempts"])),
                str(c["added"]),
                str(c["changed"]),
                str(c["removed"]),
                str(c["conflicts"]),
            )
        out.print(table)

    @conflicts.command("list")
    def conflicts_list(
        name: Annotated[str | None, typer.Argument()] = None,
        include_all: Annotated[
            bool, typer.Option("--all", help="Also resolved and settled.")
        ] = False,
        as_json: JSON_OPT = False,
    ) -> None:
        """Open conflicts (with --all: resolved and policy-settled ones too)."""
        rows = service.list_conflicts(_store(), name, include_all=include_all)
        if as_json:
            emit_json(rows)
            return
        table = Table("id", "target", "path", "status", "github", "ai_studio", "base")
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["target"],
                r["path"],
                r["status"],
                json.dumps(r["github"]),
                json.dumps(r["ai_studio"]),
                json.dumps(r["base"]),
            )
        out.print(table)

    @conflicts.command("resolve")
    def conflicts_resolve(
        conflict_id: int,
        take: Annotated[str | None, typer.Option(help="github|ai_studio|base")] = None,
        value: Annotated[str | None, typer.Option(help="The value to keep, as JSON.")] = None,
    ) -> None:
        """Settle a conflict and queue a sync that writes the choice to both sides."""
        parsed: Any = None
        if value is not None:
            try:
                parsed = json.loads(value)
            except ValueError as exc:
                raise InputError(f"--value is not JSON: {exc}") from None
        record, queued = service.resolve_conflict(
            *acting(),
            conflict_id,
            take=take,
            value=parsed,
            has_value=value is not None,
        )
        follow = f"; sync job {queued.job_id} queued" if queued else " (target paused)"
        out.print(f"Conflict {conflict_id} at {record['path']} resolved{follow}")
