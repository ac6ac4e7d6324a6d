"""CLI: `hub probe …`, `hub maintenance add`, `hub import probes|requests`, `hub kpi reliability`.

`import` and `kpi` are groups several capabilities add to, so they are looked up on the
app before being created (`_group`); `register` is idempotent because `engine.cli.main`
registers command modules on every call.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.config import get_settings
from engine.errors import InputError
from engine.periods import Period, parse_day
from engine.store import get_store
from engine.store.migrate import ensure_current


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The app's sub-command group `name`, created when no capability has made it yet."""
    try:  # the shared helper, where the foundation has it
        from engine.cli_groups import group
    except ImportError:
        pass
    else:
        return group(app, name, help_text)
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(name=name, help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


def _has(group: typer.Typer, command: str) -> bool:
    return any(c.name == command for c in group.registered_commands)


def _store():  # type: ignore[no-untyped-def]
    store = get_store()
    ensure_current(store)
    return store


def acting() -> tuple[Any, Any]:
    from engine.cli import acting as _acting

    return _acting()


def actor(store: Any) -> Any:
    from engine.cli import actor as _actor

    return _actor(store)


def _console():  # type: ignore[no-untyped-def]
    from engine.cli import err, out

    return out, err


def _emit_json(payload: Any) -> None:
    from engine.cli import emit_json

    emit_json(payload)


def register(app: typer.Typer) -> None:
    probe = _group(app, "probe", "Uptime probe targets.")
    if _has(probe, "add"):
        return  # already registered in this process
    maintenance = _group(app, "maintenance", "Declared maintenance windows (left out of uptime).")
    importer = _group(app, "import", "Import data from files.")
    kpi = _group(app, "kpi", "Compute KPIs for a period.")

    @probe.command("add")
    def probe_add(
        name: Annotated[str, typer.Argument(help="Unique target name.")],
        url: Annotated[str, typer.Option("--url", help="URL to check.")],
        method: Annotated[str, typer.Option(help="HTTP method.")] = "GET",
        interval: Annotated[str, typer.Option(help="Between checks: 30s, 5m, …")] = "60s",
        timeout: Annotated[str, typer.Option(help="Give up after: 10s, …")] = "10s",
        expect: Annotated[str, typer.Option(help="Statuses that mean up.")] = "200-299",
        contains: Annotated[str | None, typer.Option(help="Text the body must contain.")] = None,
        critical: Annotated[
            bool, typer.Option("--critical", help="Counts for system uptime.")
        ] = False,
    ) -> None:
        """Add an uptime probe target (the worker checks it)."""
        from engine.reliability.probes import add_probe

        p = add_probe(
            *acting(),
            name,
            url,
            method=method,
            interval=interval,
            timeout=timeout,
            expect=expect,
            contains=contains,
            critical=critical,
        )
        out, _ = _console()
        out.print(
            f"Probe {p.name!r} added: {p.method} {p.url} every {p.interval_seconds}s"
            f"{' (critical)' if p.critical else ''}"
        )

    @probe.command("list")
    def probe_list(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List probe targets (configured and imported) with their latest state."""
        from engine.reliability.probes import list_probes

        views = list_probes(_store())
        if as_json:
            _emit_json([v.to_dict() for v in views])
            return
        out, _ = _console()
        if not views:
            out.print("No probes yet: add one with `hub probe add NAME --url URL`.")
            return
        table = Table("name", "url", "every", "critical", "last check", "state")
        for v in views:
            state = "—" if v.last_ok is None else ("up" if v.last_ok else "[red]down[/]")
            if v.paused:
                state += " (paused)"
            table.add_row(
                v.name,
                v.url or "(imported)",
                f"{v.interval_seconds:g}s" if v.interval_seconds else "—",
                "yes" if v.critical else "",
                v.last_checked_at.strftime("%Y-%m-%d %H:%M:%S") if v.last_checked_at else "—",
                state,
            )
        out.print(table)

    @probe.command("remove")
    def probe_remove(
        name: Annotated[str, typer.Argument(help="Target name.")],
        purge: Annotated[
            bool, typer.Option("--purge", help="Also delete the target's results.")
        ] = False,
    ) -> None:
        """Remove a probe target (its history stays unless --purge)."""
        from engine.reliability.probes import remove_probe

        purged = remove_probe(*acting(), name, purge=purge)
        out, _ = _console()
        out.print(f"Probe {name!r} removed" + (f"; {purged} results deleted" if purge else ""))

    @maintenance.command("add")
    def maintenance_add(
        start: Annotated[str, typer.Option("--from", help="Start (ISO 8601).")],
        end: Annotated[str, typer.Option("--to", help="End (ISO 8601).")],
        target: Annotated[str | None, typer.Option("--target", help="One target.")] = None,
        all_targets: Annotated[bool, typer.Option("--all", help="Every target.")] = False,
        reason: Annotated[str, typer.Option(help="Why (shown on the page).")] = "",
    ) -> None:
        """Declare a maintenance window; timestamps without an offset are in HUB_TIMEZONE."""
        from engine.reliability.probes import add_maintenance, parse_local_instant

        if bool(target) == all_targets:
            raise InputError("maintenance add: give exactly one of --target NAME or --all")
        tz = get_settings().tz
        a = parse_local_instant(start, tz, "--from")
        b = parse_local_instant(end, tz, "--to")
        add_maintenance(*acting(), a, b, target=target, reason=reason)
        out, _ = _console()
        out.print(
            f"Maintenance {a:%Y-%m-%d %H:%M}–{b:%Y-%m-%d %H:%M} UTC declared for "
            f"{target or 'every target'}"
        )

    @maintenance.command("list")
    def maintenance_list(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List declared maintenance windows (UTC)."""
        from engine.reliability.probes import list_maintenance

        windows = list_maintenance(_store())
        if as_json:
            _emit_json(windows)
            return
        out, _ = _console()
        if not windows:
            out.print("No maintenance windows declared.")
            return
        table = Table("id", "target", "from (UTC)", "to (UTC)", "reason")
        for w in windows:
            table.add_row(
                str(w["id"]), w["target"] or "all", w["from"][:16], w["to"][:16], w["reason"]
            )
        out.print(table)

    @importer.command("probes")
    def import_probes(
        file: Annotated[
            Path, typer.Argument(help="CSV: target,checked_at,ok,status_code,latency_ms,error")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Import probe history from a CSV file (all rows or none)."""
        from engine.reliability.ingest import import_probes_file

        report = import_probes_file(*acting(), file)
        _report(
            report.to_dict(),
            as_json,
            f"{file.name}: {report.new:,} checks imported, {report.duplicates:,} already stored",
        )

    @importer.command("requests")
    def import_requests(
        file: Annotated[Path, typer.Argument(help="JSON lines (optionally .gz).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Import request logs (JSON lines: ts, service, route, method, status, duration_ms)."""
        from engine.cli import progress_bar
        from engine.reliability.ingest import import_requests_file

        store = _store()
        with progress_bar() as bar:
            size = file.stat().st_size if file.is_file() else 0
            task = bar.add_task(f"Importing {file.name} (bytes read)", total=size)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = import_requests_file(store, actor(store), file, progress)
        _report(report.to_dict(), as_json, f"{file.name}: {report.new:,} requests imported")

    @kpi.command("reliability")
    def kpi_reliability(
        start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
        objective: Annotated[
            float, typer.Option(help="Availability objective for the error budget.")
        ] = 0.999,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Uptime, outages, error rate and latency for a period (default: last 30 days)."""
        from engine.reliability.kpis import reliability_summary

        if not 0 < objective < 1:
            raise InputError("--objective must be a fraction between 0 and 1, e.g. 0.999")
        period = _period(start, end)
        summary = reliability_summary(_store(), period, objective=objective)
        if as_json:
            _emit_json(summary)
            return
        _print_summary(summary, period)


def _period(start: str | None, end: str | None) -> Period:
    tz = get_settings().tz
    today = datetime.now(UTC).astimezone(tz).date()
    last: date = parse_day(end, "--to") if end else today
    first: date = parse_day(start, "--from") if start else last - timedelta(days=29)
    return Period.from_days(first, last, tz)


def _report(payload: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        _emit_json(payload)
    else:
        out, _ = _console()
        out.print(line)


def _print_summary(summary: dict[str, Any], period: Period) -> None:
    from engine.kpi.units import format_value

    out, _ = _console()
    table = Table("KPI", "value", title=f"Reliability {period.label}")
    units = {
        "uptime": "ratio",
        "downtime_seconds": "seconds",
        "no_data_seconds": "seconds",
        "outages": "count",
        "longest_outage_seconds": "seconds",
        "error_rate": "ratio",
        "requests": "count",
        "latency_p50_ms": "ms",
        "latency_p95_ms": "ms",
        "latency_p99_ms": "ms",
        "probe_latency_p95_ms": "ms",
        "error_budget_remaining": "ratio",
    }
    for key, unit in units.items():
        table.add_row(key, format_value(summary[key], unit))
    for name, value in summary["uptime_by_target"].items():
        table.add_row(f"uptime of {name}", format_value(value, "ratio"))
    out.print(table)
