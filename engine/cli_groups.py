"""Command groups several capabilities share (`hub import …`, `hub kpi …`)."""

from __future__ import annotations

import typer

HELP = {
    "import": "Import data from files (atomic: a bad row rejects the whole file).",
    "kpi": "KPIs for a period as JSON or a table.",
}


def group(app: typer.Typer, name: str, help_text: str | None = None) -> typer.Typer:
    """The sub-app `name` of `app`, created on first use so capabilities can share it."""
    for info in app.registered_groups:
        instance = info.typer_instance
        found = info.name or (instance.info.name if instance is not None else None)
        if found == name and instance is not None:
            return instance
    sub = typer.Typer(name=name, help=help_text or HELP.get(name), no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub
