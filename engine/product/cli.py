"""`hub import events|survey`, `hub kpi product|surveys`, `hub funnel`, `hub retention`,
`hub product rebuild-rollups`. JSON output (`--json`) is a stable contract (see docs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.cli_groups import group
from engine.config import get_settings
from engine.errors import InputError
from engine.periods import Period, parse_day
from engine.store import get_store
from engine.store.migrate import ensure_current

From = Annotated[
    str | None, typer.Option("--from", help="First day YYYY-MM-DD (default: 29 days ago).")
]
To = Annotated[str | None, typer.Option("--to", help="Last day YYYY-MM-DD (default: today).")]
Json = Annotated[bool, typer.Option("--json", help="Print stable JSON.")]


def _period(first: str | None, last: str | None) -> Period:
    tz = get_settings().tz
    today = datetime.now(UTC).astimezone(tz).date()
    last_day = parse_day(last, "--to") if last else today
    first_day = parse_day(first, "--from") if first else last_day - timedelta(days=29)
    return Period.from_days(first_day, last_day, tz)


def _store():  # type: ignore[no-untyped-def]
    store = get_store()
    ensure_current(store)
    return store


def _print_kv(title: str, values: dict[str, Any]) -> None:
    from engine.cli import out

    table = Table("metric", "value", title=title)
    for key, value in values.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                table.add_row(f"{key}: {sub}", _fmt(v))
        else:
            table.add_row(key, _fmt(value))
    out.print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def register(app: typer.Typer) -> None:
    imports = group(app, "import", "Import data from files.")
    kpi = group(app, "kpi", "Compute KPIs for a period.")
    product = group(app, "product", "Product analytics maintenance.")

    @imports.command("events")
    def import_events(
        file: Annotated[
            Path, typer.Argument(help="JSON lines (.jsonl or .jsonl.gz), one call a line.")
        ],
        skip_invalid: Annotated[
            bool, typer.Option("--skip-invalid", help="Import good lines, count bad ones.")
        ] = False,
        as_json: Json = False,
    ) -> None:
        """Import Segment calls (track, page, screen, identify) from a JSON-lines file."""
        from engine.cli import actor, emit_json, out, progress_bar
        from engine.product.ingest import import_events_file

        store = _store()
        who = actor(store)
        with progress_bar() as bar:
            task = bar.add_task(
                f"Importing {file.name} (bytes)", total=file.stat().st_size if file.is_file() else 0
            )

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = import_events_file(
                store, who, file, skip_invalid=skip_invalid, progress=progress
            )
        if as_json:
            emit_json(report.to_dict())
        else:
            out.print(
                f"Imported {file}: {report.new:,} new, {report.duplicates:,} duplicates"
                + (f", {report.skipped:,} invalid lines skipped" if report.skipped else "")
            )

    @imports.command("survey")
    def import_survey(
        file: Annotated[
            Path, typer.Argument(help="CSV: respondent_id,kind,score,responded_at,comment")
        ],
        as_json: Json = False,
    ) -> None:
        """Import NPS / CSAT responses from a CSV file (rejected whole on any bad row)."""
        from engine.cli import acting, emit_json, out
        from engine.product.surveys import import_survey_file

        report = import_survey_file(*acting(), file)
        if as_json:
            emit_json(report.to_dict())
        else:
            out.print(f"Imported {file}: {report.new:,} new, {report.duplicates:,} duplicates")

    @kpi.command("product")
    def kpi_product(first: From = None, last: To = None, as_json: Json = False) -> None:
        """DAU, WAU, MAU, stickiness, active users, signups, activation, feature adoption."""
        from engine.cli import emit_json
        from engine.product.kpis import product_summary

        result = product_summary(_store(), _period(first, last))
        if as_json:
            emit_json(result)
        else:
            _print_kv(f"Product {result['from']} – {result['to']} ({result['timezone']})", result)

    @kpi.command("surveys")
    def kpi_surveys(first: From = None, last: To = None, as_json: Json = False) -> None:
        """NPS and CSAT over the period's responses."""
        from engine.cli import emit_json
        from engine.product.surveys import survey_summary

        result = survey_summary(_store(), _period(first, last))
        if as_json:
            emit_json(result)
        else:
            _print_kv("Customer voice", result)

    @app.command("funnel")
    def funnel_cmd(
        steps: Annotated[
            str, typer.Option(help='Comma-separated events, e.g. "Signed Up,Target Created".')
        ],
        first: From = None,
        last: To = None,
        window: Annotated[
            str, typer.Option(help="Conversion window from step 1: 14d, 36h, …")
        ] = "14d",
        strict: Annotated[
            bool, typer.Option("--strict", help="No other event between steps.")
        ] = False,
        as_json: Json = False,
    ) -> None:
        """An ordered funnel: users per step, conversion and median time between steps."""
        from engine.cli import emit_json, out
        from engine.product.funnels import funnel, parse_window

        result = funnel(
            _store(), steps.split(","), _period(first, last), parse_window(window), strict
        )
        if as_json:
            emit_json(result.to_json())
            return
        table = Table("step", "users", "from previous", "from first", "median time from previous")
        for s in result.steps:
            table.add_row(
                s.event,
                f"{s.users:,}",
                _fmt(s.conversion_from_previous),
                _fmt(s.conversion_from_first),
                _fmt(s.median_seconds_from_previous),
            )
        out.print(table)
        out.print(f"Overall conversion: {_fmt(result.overall_conversion)}")

    @app.command("retention")
    def retention_cmd(
        start_event: Annotated[str, typer.Option(help="Cohort by first-ever event.")] = "Signed Up",
        return_event: Annotated[
            str, typer.Option(help="`any` active call, or an event name.")
        ] = "any",
        period: Annotated[str, typer.Option("--period", help="day, week or month.")] = "week",
        periods: Annotated[int, typer.Option(help="Buckets 0 … N−1.")] = 8,
        first: From = None,
        last: To = None,
        mode: Annotated[str, typer.Option(help="on or on_or_after.")] = "on",
        as_json: Json = False,
    ) -> None:
        """Cohort retention table (incomplete buckets marked)."""
        from engine.cli import emit_json, out
        from engine.product.retention import retention

        table_ = retention(
            _store(),
            _period(first, last),
            start_event=start_event,
            return_event=return_event,
            grain=period,  # type: ignore[arg-type]
            periods=periods,
            mode=mode,  # type: ignore[arg-type]
        )
        if as_json:
            emit_json(table_.to_json())
            return
        table = Table("cohort", "size", *[str(n) for n in range(periods)])
        for c in table_.cohorts:
            cells = [
                "" if r is None else f"{r:.0%}" + ("" if done else "*")
                for r, done in zip(c.rates, c.complete, strict=True)
            ]
            table.add_row(str(c.cohort), str(c.size), *cells)
        table.add_row("average", "", *["" if a is None else f"{a:.0%}" for a in table_.average])
        out.print(table)
        out.print("* incomplete bucket (still running at the end of the period)")

    @product.command("rebuild-rollups")
    def rebuild_rollups() -> None:
        """Recompute local days and every rollup (run after changing HUB_TIMEZONE)."""
        from engine.access import audit
        from engine.access.roles import Permission
        from engine.cli import actor, out, progress_bar
        from engine.product.rollups import rebuild_all

        settings = get_settings()
        store = _store()
        who = actor(store)
        audit.guard(store, who, Permission.data_import, "data.rebuild", "product rollups")
        with progress_bar() as bar, store.session() as session:
            task = bar.add_task("Recomputing local days", total=0)
            counts = rebuild_all(
                session,
                settings.tz,
                settings.timezone,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
            audit.record(session, who, "data.rebuild", "product rollups", after=counts)
        out.print(
            f"Rollups rebuilt for {settings.timezone}: {counts['events']:,} events, "
            f"{counts['persons']:,} users"
        )


__all__ = ["InputError", "group", "register"]
