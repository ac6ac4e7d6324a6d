"""`hub` commands for revenue: imports, KPIs, the MRR series, drill-down and Stripe sync.

JSON output (`--json`) is a stable interface for scripts and checks:

- `hub kpi revenue --from A --to B --json` → an object with exactly the keys of
  `reports.KPI_KEYS` plus `"currency"`; money in major units rounded to cents, rates as
  fractions, `null` where a denominator is zero.
- `hub mrr --from A --to B --by month|week|day --json` →
  `{"currency", "rows": [{"bucket", "mrr_start", "new", "expansion", "reactivation",
  "contraction", "churn", "fx", "mrr_end", "paying_customers_end"}]}`.
- `hub customers mrr CUSTOMER_ID --json` → the customer's movements in time order:
  `[{"at", "day", "kind", "currency", "amount", "mrr_after", "subscriptions"}]`, amounts
  in the subscription's currency, `amount` a positive magnitude.
- `hub import stripe|spend|fx FILE --json` → `{"kind", "batch_id", "new", "duplicates",
  "skipped"}`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from engine.cli_groups import group
from engine.config import get_settings
from engine.periods import Period, parse_day
from engine.store import Store, get_store
from engine.store.migrate import ensure_current

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (stable shape).")]
FromDay = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")]
ToDay = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), included.")]
FileArg = Annotated[Path, typer.Argument(help="File to import (.gz accepted).")]

KPI_HELP = (
    "MRR, movements, churn, ARPA, LTV, CAC for a period (default: last 30 days).\n\n"
    "--json: one object with mrr_start, mrr_end, arr_end, new, expansion, reactivation, "
    "contraction, churn, fx, net_new_mrr, paying_customers_start|end, new_customers, "
    "churned_customers, customer_churn_rate, gross_mrr_churn_rate, net_mrr_churn_rate, "
    "arpa, ltv, cac, cac_payback_months, quick_ratio, trial_conversion_rate, currency. "
    "Money in major units rounded to cents; rates as fractions; null for a zero "
    "denominator."
)
MRR_HELP = (
    "MRR per bucket with new, expansion, reactivation, contraction, churn and fx.\n\n"
    '--json: {"currency", "rows": [{"bucket", "mrr_start", "new", "expansion", '
    '"reactivation", "contraction", "churn", "fx", "mrr_end", "paying_customers_end"}]}; '
    "each row's start + new + expansion + reactivation − contraction − churn + fx = end. "
    "Default range: the last twelve calendar months."
)
CUSTOMER_HELP = (
    "Every MRR movement of one customer, in time order.\n\n"
    '--json: [{"at", "day", "kind", "currency", "amount", "mrr_after", "subscriptions"}] '
    "in the subscription's currency; amount is a positive magnitude."
)

_registered: set[int] = set()


def _store() -> Store:
    store = get_store()
    ensure_current(store)
    return store


def _today() -> date:
    return datetime.now(UTC).astimezone(get_settings().tz).date()


def _period(first: str | None, last: str | None, default_days: int | None = None) -> Period:
    """`--from/--to` as a reporting-timezone period; defaults end today."""
    end = parse_day(last, "--to") if last else _today()
    if first:
        start = parse_day(first, "--from")
    elif default_days is not None:
        start = end - timedelta(days=default_days - 1)
    else:  # twelve calendar months including the current one
        month = end.month - 11
        start = date(end.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return Period.from_days(start, end, get_settings().tz)


def _acting() -> tuple[Store, Any]:
    from engine.cli import acting

    return acting()


def _report(report: Any, as_json: bool, what: str) -> None:
    from engine.cli import emit_json, out

    if as_json:
        emit_json(report.to_dict())
        return
    out.print(
        f"Imported {report.new:,} new {what} into batch {report.batch_id} "
        f"({report.duplicates:,} duplicates, {report.skipped:,} skipped)"
    )


def register(app: typer.Typer) -> None:
    """Add the revenue commands (idempotent: `main()` may run more than once per process)."""
    if id(app) in _registered:
        return
    _registered.add(id(app))
    imports = group(app, "import", "Import data files into the store.")
    kpi = group(app, "kpi", "KPIs for a period, as tables or JSON.")
    customers = group(app, "customers", "Look up one customer.")
    stripe = group(app, "stripe", "Stripe: pull subscriptions and events.")

    @imports.command("stripe")
    def import_stripe(file: FileArg, as_json: JsonFlag = False) -> None:
        """Stripe events as JSON lines (customer.subscription.*, customer.*)."""
        from engine.revenue.ingest import import_events_file

        _report(import_events_file(*_acting(), file), as_json, "Stripe events")

    @imports.command("spend")
    def import_spend(file: FileArg, as_json: JsonFlag = False) -> None:
        """Marketing spend CSV: date,channel,amount,currency (major units), for CAC."""
        from engine.revenue.ingest import import_csv_file

        _report(import_csv_file(*_acting(), "spend", file), as_json, "spend rows")

    @imports.command("fx")
    def import_fx(file: FileArg, as_json: JsonFlag = False) -> None:
        """FX rates CSV: date,currency,rate (1 unit of currency = rate × HUB_CURRENCY)."""
        from engine.revenue.ingest import import_csv_file

        _report(import_csv_file(*_acting(), "fx", file), as_json, "FX rates")

    @kpi.command("revenue", help=KPI_HELP)
    def kpi_revenue(first: FromDay = None, last: ToDay = None, as_json: JsonFlag = False) -> None:
        """MRR, movements, churn, ARPA, LTV, CAC for a period (default: last 30 days)."""
        from engine.cli import emit_json, out
        from engine.revenue.reports import revenue_kpis

        period = _period(first, last, default_days=30)
        values = revenue_kpis(_store(), period).as_json()
        if as_json:
            emit_json(values)
            return
        table = Table("KPI", f"{period.first_day} – {period.last_day}")
        for key, value in values.items():
            table.add_row(key, "null" if value is None else str(value))
        out.print(table)

    @app.command("mrr", help=MRR_HELP)
    def mrr(
        first: FromDay = None,
        last: ToDay = None,
        by: Annotated[str, typer.Option(help="Bucket: month, week or day.")] = "month",
        as_json: JsonFlag = False,
    ) -> None:
        """MRR per bucket with new, expansion, reactivation, contraction, churn and fx."""
        from engine.cli import emit_json, out
        from engine.revenue.reports import SERIES_KEYS, buckets, mrr_series

        period = _period(first, last)
        buckets(period.first_day, period.first_day, by)  # validates --by before any query
        series = mrr_series(_store(), period, by)
        if as_json:
            emit_json(series.as_json())
            return
        headers = (
            "bucket",
            "start",
            "new",
            "exp.",
            "react.",
            "contr.",
            "churn",
            "fx",
            "end",
            "paying",
        )
        table = Table(*headers, title=f"MRR ({series.currency})")
        for row in series.rows:
            table.add_row(
                row["bucket"],
                *(f"{row[k]:,.0f}" for k in SERIES_KEYS[1:-1]),
                str(row["paying_customers_end"]),
            )
        out.print(table)
        out.print("Figures rounded to whole units here; --json gives cents.")

    @customers.command("mrr", help=CUSTOMER_HELP)
    def customer_mrr(
        customer_id: Annotated[str, typer.Argument(help="Stripe customer id (cus_…).")],
        as_json: JsonFlag = False,
    ) -> None:
        """Every MRR movement of one customer, in time order."""
        from engine.cli import emit_json, out
        from engine.revenue.reports import customer_movements

        rows = customer_movements(_store(), customer_id)
        if as_json:
            emit_json(rows)
            return
        if not rows:
            out.print(f"{customer_id} has never contributed MRR")
            return
        table = Table("at", "kind", "amount", "mrr after", "subscriptions")
        for r in rows:
            sign = "-" if r["kind"] in ("contraction", "churn") else "+"
            table.add_row(
                r["at"],
                r["kind"],
                f"{sign}{r['amount']:,.2f} {r['currency']}",
                f"{r['mrr_after']:,.2f}",
                ", ".join(r["subscriptions"]),
            )
        out.print(table)

    @stripe.command("sync")
    def stripe_sync(as_json: JsonFlag = False) -> None:
        """Pull from the Stripe API: subscriptions on the first run, then new events."""
        from engine.cli import emit_json, out
        from engine.revenue.stripe_api import sync_stripe

        report = sync_stripe(*_acting())
        if as_json:
            emit_json(report.to_dict())
            return
        out.print(report.summary())

    @stripe.command("rebuild")
    def stripe_rebuild() -> None:
        """Re-read every stored event with the current rules and recompute all movements."""
        from engine.cli import out
        from engine.revenue.ingest import rebuild

        states, moves = rebuild(*_acting())
        out.print(f"Rebuilt {states:,} subscription states and {moves:,} MRR movements")
