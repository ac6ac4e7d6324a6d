"""`hub arch …`: export a model version, list its history, diff two versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.cli_groups import group
from engine.errors import InputError
from engine.store import get_store
from engine.store.migrate import ensure_current

from .diff import diff_models
from .export import FORMATS, export_version
from .history import load_version, versions

JSON_OPT = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _store() -> Any:
    store = get_store()
    ensure_current(store)
    return store


def register(app: typer.Typer) -> None:
    from engine.cli import emit_json, out

    arch = group(app, "arch", "The architecture model: exports, history and diffs.")
    if any(c.name == "export" for c in arch.registered_commands):
        return  # already registered in this process (main() runs once per call in tests)

    @arch.command("export")
    def arch_export(
        target: Annotated[str, typer.Argument(help="Sync target name.")],
        fmt: Annotated[str, typer.Option("--format", help="png|svg|pdf|json|csv")],
        out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
        version: Annotated[
            int | None,
            typer.Option("--version", help="Snapshot id (see `hub arch history`); default latest."),
        ] = None,
        view: Annotated[str, typer.Option(help="Diagram for png/svg/pdf: 2d or 3d.")] = "2d",
        theme: Annotated[str, typer.Option(help="light or dark (png/svg).")] = "light",
    ) -> None:
        """Write a version of the model as an image, a PDF report, JSON or CSV."""
        if fmt.lower() not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        if view not in ("2d", "3d"):
            raise InputError(f"--view must be 2d or 3d, got {view!r}")
        if theme not in ("light", "dark"):
            raise InputError(f"--theme must be light or dark, got {theme!r}")
        exported = export_version(
            _store(),
            target,
            fmt,
            snapshot_id=version,
            view=view,
            theme=theme,  # type: ignore[arg-type]
        )
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_bytes(exported.content)
        out.print(f"Wrote {out_file} ({len(exported.content):,} bytes, {fmt.lower()})")

    @arch.command("history")
    def arch_history(
        target: Annotated[str, typer.Argument(help="Sync target name.")],
        limit: Annotated[int, typer.Option(help="Most recent versions to list.")] = 50,
        as_json: JSON_OPT = False,
    ) -> None:
        """Versions of the model (one per successful sync that changed it), oldest first."""
        listed = versions(_store(), target, limit=limit)
        if as_json:
            emit_json([v.to_dict() for v in listed])
            return
        table = Table("id", "version", "created (UTC)", "changes", "what changed it")
        for v in listed:
            table.add_row(
                str(v.snapshot_id),
                f"v{v.number}",
                f"{v.created_at:%Y-%m-%d %H:%M}",
                v.changes or "",
                v.description,
            )
        out.print(table)

    @arch.command("diff")
    def arch_diff(
        target: Annotated[str, typer.Argument(help="Sync target name.")],
        old: Annotated[int, typer.Argument(help="Snapshot id of the older version.")],
        new: Annotated[int, typer.Argument(help="Snapshot id of the newer version.")],
        as_json: JSON_OPT = False,
    ) -> None:
        """Components added, removed and changed (field by field) between two versions."""
        store = _store()
        v_old, doc_old = load_version(store, target, old)
        v_new, doc_new = load_version(store, target, new)
        diff = diff_models(doc_old, doc_new)
        if as_json:
            emit_json(
                {
                    "target": target,
                    "from": v_old.to_dict(),
                    "to": v_new.to_dict(),
                    "diff": diff.to_dict(),
                }
            )
            return
        out.print(f"{target}: {v_old.label} → {v_new.label}: {diff.summary()}")
        if diff.empty:
            return
        table = Table("component", "change", "field", "before", "after")
        for row in diff.field_rows():
            table.add_row(
                row["component"], row["change"], row["field"], row["before"], row["after"]
            )
        for c in diff.connections:
            table.add_row(c.label, c.kind, "", "", "")
        for f in diff.document:
            table.add_row("(document)", "changed", f.field, str(f.before), str(f.after))
        out.print(table)
