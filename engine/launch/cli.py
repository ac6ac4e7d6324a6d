"""CLI: `hub slo …`, `hub alert add|list|edit|remove|test|evaluate|webhook|history`,
`hub incident open|note|resolve|list`, `hub annotate`, `hub launch …`.

`hub launch status --json` is a stable contract:
`{"decision_suggested": "go"|"no_go"|"rollback", "success_criteria": [{"name", "value",
"threshold", "passed"}], "rollback_criteria": [{"name", "value", "threshold", "met"}],
"checklist": {"done", "total", "by_phase": {phase: {"done", "total"}}}}` (`passed` is
null while a criterion is pending; items marked n/a are left out of the totals).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.cli_groups import group
from engine.config import get_settings
from engine.store import get_store
from engine.store.migrate import ensure_current

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _store():  # type: ignore[no-untyped-def]
    store = get_store()
    ensure_current(store)
    return store


def _acting() -> tuple[Any, Any]:
    from engine.cli import acting

    return acting()


def _out():  # type: ignore[no-untyped-def]
    from engine.cli import out

    return out


def _json(payload: Any) -> None:
    from engine.cli import emit_json

    emit_json(payload)


def _when(value: str | None, label: str) -> datetime | None:
    from engine.reliability.probes import parse_local_instant

    return None if value is None else parse_local_instant(value, get_settings().tz, label)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def register(app: typer.Typer) -> None:
    incident = group(app, "incident", "Incidents: open, timeline notes, resolve.")
    if any(c.name == "open" for c in incident.registered_commands):
        return  # already registered in this process
    slo = group(app, "slo", "Service level objectives, error budgets and burn rates.")
    alert = group(app, "alert", "Alert rules and notifications (Slack, JSON webhook).")
    launch = group(app, "launch", "Launch control: checklist, criteria, go/no-go.")
    _slo_commands(slo)
    _alert_commands(alert)
    _incident_commands(incident)
    _launch_commands(launch)

    @app.command("annotate")
    def annotate_cmd(
        text: Annotated[str, typer.Argument(help="What happened, e.g. 'deploy v1.4.2'.")],
        kind: Annotated[str, typer.Option(help="deploy, rollback, config or note.")] = "deploy",
        at: Annotated[str | None, typer.Option(help="When (ISO 8601; default now).")] = None,
        service: Annotated[str | None, typer.Option(help="Service name.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a marker (e.g. a deploy) shown on every time chart."""
        from engine.launch.incidents import annotate

        row = annotate(*_acting(), text, kind=kind, at=_when(at, "--at"), service=service)
        if as_json:
            _json(row)
        else:
            _out().print(f"Annotation #{row['id']} ({row['kind']}) at {row['at']}")


def _slo_commands(slo: typer.Typer) -> None:
    @slo.command("list")
    def slo_list(as_json: JsonOpt = False) -> None:
        """The SLOs (the plan's defaults unless changed)."""
        from engine.launch.slo import list_slos

        views = [v.to_dict() for v in list_slos(_store())]
        if as_json:
            _json(views)
            return
        table = Table("name", "kind", "objective", "window (days)")
        for v in views:
            table.add_row(v["name"], v["kind"], f"{v['objective']:g}", str(v["window_days"]))
        _out().print(table)

    @slo.command("set")
    def slo_set(
        name: Annotated[str, typer.Argument(help="SLO name.")],
        kind: Annotated[str, typer.Option(help="availability, error_rate or latency_p95.")],
        objective: Annotated[float, typer.Option(help="e.g. 0.999, 0.001 or 500 (ms).")],
        window_days: Annotated[int, typer.Option(help="SLO window in days.")] = 30,
    ) -> None:
        """Add or change an SLO."""
        from engine.launch.slo import set_slo

        v = set_slo(*_acting(), name, kind, objective, window_days)
        _out().print(f"SLO {v.name}: {v.kind} {v.objective:g} over {v.window_days} days")

    @slo.command("burn")
    def slo_burn(
        name: Annotated[str, typer.Option("--slo", help="SLO name.")] = "availability",
        as_json: JsonOpt = False,
    ) -> None:
        """Burn rates over 5m/30m/1h/6h/3d and the alert they call for (page/ticket)."""
        from engine.launch.slo import burn_status, error_budget

        store = _store()
        status = burn_status(store, name) | {"budget": error_budget(store, name)}
        if as_json:
            _json(status)
            return
        out = _out()
        for window, value in status["burn"].items():
            out.print(f"burn {window}: {_fmt(value)}")
        out.print(f"alert: {status['alert'] or 'none'} {'; '.join(status['rules'])}")
        out.print(f"error budget remaining: {_fmt(status['budget']['remaining'])}")


def _alert_commands(alert: typer.Typer) -> None:
    @alert.command("add")
    def alert_add(
        name: Annotated[str, typer.Argument(help="Unique rule name.")],
        metric: Annotated[str | None, typer.Option(help="KPI, e.g. error_rate.")] = None,
        op: Annotated[str, typer.Option(help="> >= < <=")] = ">",
        threshold: Annotated[float | None, typer.Option(help="Alert when metric op this.")] = None,
        window: Annotated[str, typer.Option(help="Look-back: 5m, 1h, …")] = "5m",
        severity: Annotated[str, typer.Option(help="page, ticket or info.")] = "ticket",
        burn: Annotated[
            str | None, typer.Option("--burn", help="A burn-rate rule on this SLO instead.")
        ] = None,
        webhook: Annotated[str | None, typer.Option(help="JSON webhook for this rule.")] = None,
    ) -> None:
        """Add an alert rule on a KPI (or, with --burn SLO, the SLO's burn-rate rule)."""
        from engine.launch.alerts import add_rule

        r = add_rule(
            *_acting(),
            name,
            metric=metric,
            op=op,
            threshold=threshold,
            window=window,
            severity=severity,
            burn_slo=burn,
            webhook_url=webhook,
        )
        what = (
            f"burn rate of SLO {r['metric']}"
            if r["kind"] == "burn"
            else f"{r['metric']} {r['op']} {r['threshold']:g} over {r['window_seconds']}s"
        )
        _out().print(f"Alert {r['name']!r} added: {what} ({r['severity']})")

    @alert.command("list")
    def alert_list(as_json: JsonOpt = False) -> None:
        """List alert rules and whether they are firing."""
        from engine.launch.alerts import list_rules

        rules = list_rules(_store())
        if as_json:
            _json(rules)
            return
        if not rules:
            _out().print("No alert rules yet: `hub alert add NAME --metric error_rate ...`.")
            return
        table = Table("name", "rule", "severity", "state", "last value")
        for r in rules:
            rule = (
                f"burn {r['metric']}"
                if r["kind"] == "burn"
                else f"{r['metric']} {r['op']} {r['threshold']:g} / {r['window_seconds']}s"
            )
            state = "[red]FIRING[/]" if r["firing"] else "ok"
            table.add_row(r["name"], rule, r["severity"], state, _fmt(r["last_value"]))
        _out().print(table)

    @alert.command("edit")
    def alert_edit(
        name: Annotated[str, typer.Argument(help="Rule name.")],
        op: Annotated[str | None, typer.Option(help="> >= < <=")] = None,
        threshold: Annotated[float | None, typer.Option(help="New threshold.")] = None,
        window: Annotated[str | None, typer.Option(help="New look-back: 5m, 1h, …")] = None,
        severity: Annotated[str | None, typer.Option(help="page, ticket or info.")] = None,
        enabled: Annotated[
            bool | None, typer.Option("--enable/--disable", help="Evaluate it or not.")
        ] = None,
    ) -> None:
        """Change an alert rule in place (what is not given stays as it is)."""
        from engine.launch.alerts import update_rule

        r = update_rule(
            *_acting(),
            name,
            op=op,
            threshold=threshold,
            window=window,
            severity=severity,
            enabled=enabled,
        )
        _out().print(f"Alert {r['name']!r} saved ({r['severity']}, enabled: {r['enabled']})")

    @alert.command("remove")
    def alert_remove(name: Annotated[str, typer.Argument(help="Rule name.")]) -> None:
        """Remove an alert rule."""
        from engine.launch.alerts import remove_rule

        remove_rule(*_acting(), name)
        _out().print(f"Alert {name!r} removed")

    @alert.command("test")
    def alert_test(
        webhook: Annotated[str | None, typer.Option(help="Also/instead send here.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Send a test alert to every configured channel (recorded as evidence)."""
        from engine.launch.alerts import send_test

        results = send_test(*_acting(), webhook_url=webhook)
        if as_json:
            _json(results)
        else:
            for channel, ok in results.items():
                _out().print(f"{channel}: {'delivered' if ok else 'FAILED (see history)'}")
        if not all(results.values()):
            raise typer.Exit(1)

    @alert.command("evaluate")
    def alert_evaluate(as_json: JsonOpt = False) -> None:
        """Evaluate every rule now (the worker does this every 30 s)."""
        from engine.access.roles import Permission, require
        from engine.launch.alerts import evaluate

        store, who = _acting()
        require(who, Permission.alert_manage)
        events = evaluate(store)
        rows = [{"rule": e.rule, "event": e.event, "message": e.message} for e in events]
        if as_json:
            _json(rows)
            return
        for r in rows:
            _out().print(f"{r['event']}: {r['rule']} — {r['message']}")
        if not rows:
            _out().print("No alert changed state.")

    @alert.command("webhook")
    def alert_webhook(
        url: Annotated[str | None, typer.Argument(help="Generic JSON webhook URL.")] = None,
        clear: Annotated[bool, typer.Option("--clear", help="Remove it.")] = False,
    ) -> None:
        """Set (or --clear) the generic JSON webhook every alert is sent to."""
        from engine.errors import InputError
        from engine.launch.alerts import set_default_webhook

        if bool(url) == clear:
            raise InputError("alert webhook: give a URL or --clear")
        set_default_webhook(*_acting(), None if clear else url)
        _out().print("Webhook cleared" if clear else "Webhook set")

    @alert.command("history")
    def alert_history(as_json: JsonOpt = False) -> None:
        """Recent fire/resolve/test events and their deliveries."""
        from engine.launch.alerts import history

        rows = history(_store())
        if as_json:
            _json(rows)
            return
        table = Table("at (UTC)", "rule", "event", "severity", "delivered to", "attempts")
        for r in rows:
            table.add_row(
                f"{r['at']:%Y-%m-%d %H:%M}",
                r["rule"],
                r["event"],
                r["severity"],
                r["delivered_to"] or "—",
                str(r["attempts"]),
            )
        _out().print(table)


def _incident_commands(incident: typer.Typer) -> None:
    @incident.command("open")
    def incident_open(
        title: Annotated[str, typer.Argument(help="What is wrong.")],
        severity: Annotated[str, typer.Option(help="SEV1, SEV2 or SEV3.")] = "SEV2",
        start: Annotated[str | None, typer.Option("--start", help="Began at (ISO 8601).")] = None,
        category: Annotated[
            str | None, typer.Option(help="data_loss, data_corruption or security_breach.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Open an incident."""
        from engine.launch.incidents import open_incident

        row = open_incident(
            *_acting(), title, severity, started_at=_when(start, "--start"), category=category
        )
        if as_json:
            _json(row)
        else:
            _out().print(f"Incident #{row['id']} {row['severity']} opened: {row['title']}")

    @incident.command("note")
    def incident_note(
        incident_id: Annotated[int, typer.Argument(help="Incident number.")],
        text: Annotated[str, typer.Argument(help="Timeline note.")],
        at: Annotated[str | None, typer.Option(help="When (default now).")] = None,
    ) -> None:
        """Add a timeline note to an incident."""
        from engine.launch.incidents import add_note

        add_note(*_acting(), incident_id, text, at=_when(at, "--at"))
        _out().print(f"Note added to incident #{incident_id}")

    @incident.command("resolve")
    def incident_resolve(
        incident_id: Annotated[int, typer.Argument(help="Incident number.")],
        at: Annotated[str | None, typer.Option(help="Resolved at (default now).")] = None,
        note: Annotated[str, typer.Option(help="Resolution note.")] = "",
    ) -> None:
        """Resolve an incident."""
        from engine.launch.incidents import resolve_incident

        row = resolve_incident(*_acting(), incident_id, at=_when(at, "--at"), note=note)
        _out().print(f"Incident #{row['id']} resolved at {row['resolved_at']}")

    @incident.command("list")
    def incident_list(
        open_only: Annotated[bool, typer.Option("--open", help="Only open ones.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """List incidents (newest first) with their timelines in --json."""
        from engine.launch.incidents import list_incidents

        rows = list_incidents(_store(), open_only=open_only)
        if as_json:
            _json(rows)
            return
        if not rows:
            _out().print("No incidents.")
            return
        table = Table("#", "severity", "title", "started", "status")
        for r in rows:
            table.add_row(
                str(r["id"]), r["severity"], r["title"], r["started_at"][:16], r["status"]
            )
        _out().print(table)


def _launch_commands(launch: typer.Typer) -> None:
    @launch.command("status")
    def launch_status_cmd(as_json: JsonOpt = False) -> None:
        """Suggested decision, success and rollback criteria, checklist progress."""
        from engine.errors import HubError
        from engine.launch.control import launch_status

        store = get_store()
        try:
            store.ping()
        except HubError:
            pass  # unreachable: the status says ROLLBACK (database connectivity lost)
        else:
            ensure_current(store)
        status = launch_status(store, details=not as_json)
        if as_json:
            _json(status)
            return
        out = _out()
        out.print(f"Suggested decision: [bold]{status['decision_suggested'].upper()}[/]")
        for reason in status["reasons"]:
            out.print(f"  · {reason}")
        table = Table("criterion", "value", "threshold", "result", "source", title="Criteria")
        for r in status["success_details"]:
            table.add_row(
                r["name"],
                _fmt(r["value"]),
                f"{r['op']} {_fmt(r['threshold'])}",
                {True: "pass", False: "[red]FAIL[/]", None: "pending"}[r["passed"]],
                r["source"],
            )
        for r in status["rollback_details"]:
            table.add_row(
                r["name"],
                _fmt(r["value"]),
                f"{r['op']} {_fmt(r['threshold'])}",
                "[red]ROLLBACK[/]" if r["met"] else "ok",
                r["source"],
            )
        out.print(table)
        c = status["checklist"]
        if c["total"] is None:
            out.print("Checklist: unavailable (database unreachable)")
        else:
            out.print(f"Checklist: {c['done']}/{c['total']} done")

    @launch.command("checklist")
    def launch_checklist(
        phase: Annotated[str | None, typer.Option(help="Only this phase.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The launch checklist (seeded once from the plan) with live evidence."""
        from engine.launch.control import checklist

        items = [i for i in checklist(_store()) if phase is None or i["phase"] == phase]
        if as_json:
            _json(items)
            return
        table = Table("key", "phase", "item", "status", "owner", "due (UTC)", "live")
        for i in items:
            live = (
                ""
                if i["live_ok"] is None
                else ("✓ " if i["live_ok"] else "✗ ") + i["live_evidence"]
            )
            status = f"[red]{i['status']} (overdue)[/]" if i["overdue"] else i["status"]
            table.add_row(
                i["key"],
                i["phase"],
                i["text"],
                status,
                i["owner"],
                f"{i['due_at']:%Y-%m-%d %H:%M}",
                live,
            )
        _out().print(table)

    @launch.command("item")
    def launch_item(
        key: Annotated[str, typer.Argument(help="Item key (see `hub launch checklist`).")],
        status: Annotated[str | None, typer.Option(help="todo, doing, done, n/a.")] = None,
        owner: Annotated[str | None, typer.Option(help="Who owns it.")] = None,
        due: Annotated[str | None, typer.Option(help="Due relative to launch: -24h, +2h.")] = None,
        notes: Annotated[str | None, typer.Option(help="Notes.")] = None,
        evidence: Annotated[str | None, typer.Option(help="Evidence link.")] = None,
    ) -> None:
        """Edit a checklist item."""
        from engine.launch.control import update_item

        update_item(
            *_acting(), key, status=status, owner=owner, due=due, notes=notes, evidence=evidence
        )
        _out().print(f"Checklist item {key} updated")

    @launch.command("set-date")
    def launch_set_date(
        when: Annotated[str, typer.Argument(help="Launch time (ISO 8601).")],
    ) -> None:
        """Set the launch time (the plan's: 2026-01-09T10:00-05:00)."""
        from engine.launch.control import set_launch_at

        at = _when(when, "launch time")
        assert at is not None
        set_launch_at(*_acting(), at)
        _out().print(f"Launch time set to {at:%Y-%m-%d %H:%M} UTC")

    @launch.command("threshold")
    def launch_threshold(
        key: Annotated[str, typer.Argument(help="Criterion key, e.g. uptime_24h.")],
        value: Annotated[float, typer.Argument(help="New threshold.")],
    ) -> None:
        """Change a success or rollback criterion's threshold."""
        from engine.launch.control import set_threshold

        set_threshold(*_acting(), key, value)
        _out().print(f"Threshold of {key} set to {value:g}")

    @launch.command("decide")
    def launch_decide(
        decision: Annotated[str, typer.Argument(help="go, no_go or rollback.")],
        by: Annotated[
            str | None,
            typer.Option("--by", help="Decide as this hub user (same as `hub --as EMAIL`)."),
        ] = None,
        note: Annotated[str, typer.Option(help="Why.")] = "",
        as_json: JsonOpt = False,
    ) -> None:
        """Record a go/no-go decision with a frozen snapshot of every criterion."""
        from engine.cli import actor as acting_as
        from engine.launch.control import record_decision

        store = _store()
        who = acting_as(store, by) if by else acting_as(store)
        row = record_decision(store, who, decision, note=note)
        if as_json:
            _json(row)
        else:
            _out().print(
                f"Decision #{row['id']} {row['decision'].upper()} by {row['decided_by']} recorded "
                f"(suggested: {row['snapshot']['decision_suggested']})"
            )

    @launch.command("decisions")
    def launch_decisions(as_json: JsonOpt = False) -> None:
        """Decisions taken, newest first."""
        from engine.launch.control import list_decisions

        rows = list_decisions(_store())
        if as_json:
            _json(rows)
            return
        if not rows:
            _out().print("No decision recorded yet.")
        for r in rows:
            _out().print(
                f"{r['decided_at'][:16]} {r['decision'].upper()} by {r['decided_by']} {r['note']}"
            )

    @launch.command("report")
    def launch_report(
        output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
        as_html: Annotated[bool, typer.Option("--html", help="Printable HTML.")] = False,
    ) -> None:
        """The launch report: checklist, criteria, incidents, decisions."""
        from engine.launch.control import launch_report_html, launch_report_markdown

        store = _store()
        text = launch_report_html(store) if as_html else launch_report_markdown(store)
        if output:
            output.write_text(text, encoding="utf-8")
            _out().print(f"Report written to {output}")
        else:
            print(text)
