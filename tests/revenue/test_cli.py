"""The revenue CLI through `engine.cli.main`: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from engine.cli import main
from engine.cli_groups import group as shared_group
from engine.config import get_settings
from engine.revenue import stripe_api
from engine.revenue.reports import KPI_KEYS, SERIES_KEYS
from engine.store import Store
from tests.revenue.fake_stripe import API_KEY, FakeStripe
from tests.revenue.stripe_objects import event, item, lines, price, subscription, ts


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    gold = subscription("sub_gold", "cus_1", [item(price(50000, "year"), 4)])
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join(
            lines(
                [
                    event(ts("2025-01-10"), gold, "created"),
                    event(
                        ts("2025-02-10"),
                        subscription("sub_s", "cus_1", [item(price(3000), 2)]),
                        "created",
                    ),
                    event(
                        ts("2025-02-20"),
                        subscription(
                            "sub_e", "cus_2", [item(price(1000, currency="eur"))], currency="eur"
                        ),
                        "created",
                    ),
                ]
            )
        )
        + "\n"
    )
    return path


@pytest.fixture
def loaded(
    store: Store, events_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Store:
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,rate\n2025-01-01,EUR,1.25\n")
    assert run(capsys, "import", "fx", str(fx))[0] == 0
    assert run(capsys, "import", "stripe", str(events_file))[0] == 0
    return store


def test_import_stripe_json_report_and_duplicates(
    store: Store, events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "import", "stripe", str(events_file), "--json")
    assert code == 0
    assert json.loads(out) == {
        "kind": "stripe",
        "batch_id": 1,
        "new": 3,
        "duplicates": 0,
        "skipped": 0,
    }
    code, out, _ = run(capsys, "import", "stripe", str(events_file))
    assert code == 0 and "0 new Stripe events" in out and "3 duplicates" in out


def test_bad_file_is_exit_2_and_one_line(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "evt_1"}\n')
    code, _, err = run(capsys, "import", "stripe", str(path))
    assert code == 2
    assert "line 1:" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_kpi_revenue_json_has_exactly_the_documented_keys(
    loaded: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "kpi", "revenue", "--from", "2025-02-01", "--to", "2025-02-28", "--json"
    )
    assert code == 0
    k = json.loads(out)
    assert set(k) == {*KPI_KEYS, "currency"}
    assert (k["mrr_start"], k["expansion"], k["new"], k["mrr_end"]) == (166.67, 60.0, 12.5, 239.17)
    assert k["currency"] == "USD" and k["customer_churn_rate"] == 0.0 and k["ltv"] is None


def test_mrr_json_rows(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "mrr", "--from", "2025-01-01", "--to", "2025-02-28", "--by", "month", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["currency"] == "USD"
    assert [set(r) for r in data["rows"]] == [set(SERIES_KEYS)] * 2
    assert [(r["bucket"], r["mrr_end"], r["paying_customers_end"]) for r in data["rows"]] == [
        ("2025-01", 166.67, 1),
        ("2025-02", 239.17, 2),
    ]


def test_mrr_rejects_an_unknown_bucket(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "mrr", "--by", "year")
    assert code == 2 and "--by must be one of month, week, day" in err


def test_bad_dates_are_input_errors(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "kpi", "revenue", "--from", "2025-02-30", "--json")
    assert code == 2 and "--from" in err
    code, _, err = run(capsys, "kpi", "revenue", "--from", "2025-03-01", "--to", "2025-02-01")
    assert code == 2 and "before it starts" in err


def test_customer_movements_json(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "customers", "mrr", "cus_1", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["kind"], r["amount"], r["currency"]) for r in rows] == [
        ("new", 166.67, "USD"),
        ("expansion", 60.0, "USD"),
    ]
    assert rows[0]["at"] == "2025-01-10T12:00:00Z" and rows[0]["subscriptions"] == ["sub_gold"]
    code, _, err = run(capsys, "customers", "mrr", "cus_nobody")
    assert code == 2 and "unknown customer" in err


def test_missing_fx_rate_is_exit_1_naming_currency_and_date(
    store: Store, events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "import", "stripe", str(events_file))[0] == 0
    code, out, err = run(capsys, "kpi", "revenue", "--from", "2025-02-01", "--to", "2025-02-28")
    assert code == 1
    assert "no FX rate for EUR on or before 2025-02-20" in err and "hub import fx" in err
    assert out == ""


def test_import_spend_and_table_output(
    loaded: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spend = tmp_path / "spend.csv"
    spend.write_text("date,channel,amount,currency\n2025-02-02,ads,250,USD\n")
    code, out, _ = run(capsys, "import", "spend", str(spend), "--json")
    assert code == 0 and json.loads(out)["new"] == 1
    code, out, _ = run(capsys, "kpi", "revenue", "--from", "2025-02-01", "--to", "2025-02-28")
    assert code == 0 and "cac" in out and "250.0" in out


def test_stripe_sync_command(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeStripe()
    fake.add_subscription(
        subscription("sub_1", "cus_1", [item(price(900))], start_date=ts("2025-01-01"))
    )
    monkeypatch.setattr(stripe_api, "default_transport", fake.transport)
    code, _, err = run(capsys, "stripe", "sync")
    assert code == 1 and "HUB_STRIPE_API_KEY" in err
    monkeypatch.setenv("HUB_STRIPE_API_KEY", API_KEY)
    get_settings.cache_clear()
    code, out, _ = run(capsys, "stripe", "sync", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["seeded"], report["subscriptions"], report["new"]) == (True, 1, 1)


def test_shared_group_is_reused_not_duplicated() -> None:
    app = typer.Typer()
    existing = typer.Typer(name="import")
    app.add_typer(existing, name="import")
    assert shared_group(app, "import", "x") is existing
    created = shared_group(app, "kpi", "KPIs")
    assert shared_group(app, "kpi", "KPIs") is created
    assert [g.name for g in app.registered_groups] == ["import", "kpi"]
