"""Importers: atomic, line-numbered errors, events stored once, .gz, CSVs, rebuild."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import InputError
from engine.revenue.ingest import (
    import_csv_file,
    import_events,
    import_events_file,
    import_spend,
    rebuild,
)
from engine.revenue.models import MarketingSpend, MrrMovement, StripeEvent, SubscriptionState
from engine.revenue.reports import customer_movements
from engine.store import Store
from engine.store.models import ImportBatch
from tests.actors import ADMIN
from tests.revenue.stripe_objects import event, item, lines, price, subscription, ts


def count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def good_events() -> list[dict]:
    sub = subscription("sub_1", "cus_1", [item(price(1000))])
    return [
        event(ts("2025-01-01"), sub, "created", "evt_a"),
        event(
            ts("2025-02-01"), subscription("sub_1", "cus_1", [item(price(1000), 2)]), evt_id="evt_b"
        ),
    ]


def test_a_bad_line_imports_nothing_and_names_every_bad_line(store: Store) -> None:
    text = lines(good_events())
    text.insert(1, "{not json")
    text.append(json.dumps({"id": "evt_c", "type": "customer.subscription.updated"}))
    with pytest.raises(InputError) as caught:
        import_events(store, ADMIN, text, label="events.jsonl")
    message = str(caught.value)
    assert "events.jsonl: 2 invalid line(s), nothing imported" in message
    assert "line 2: not valid JSON" in message
    assert "line 4: `created` is missing" in message
    assert count(store, StripeEvent) == 0
    assert count(store, ImportBatch) == 0  # not even the batch
    assert count(store, MrrMovement) == 0


def test_an_unpriceable_subscription_is_a_line_error(store: Store) -> None:
    bad = subscription("sub_2", "cus_2", [item(price(1000, "fortnight"))])
    text = [*lines(good_events()), json.dumps(event(ts("2025-01-03"), bad, evt_id="evt_bad"))]
    with pytest.raises(InputError, match=r"line 3: event evt_bad: recurring.interval 'fortnight'"):
        import_events(store, ADMIN, text)
    assert count(store, StripeEvent) == 0


def test_duplicate_event_ids_are_stored_once(store: Store) -> None:
    events = good_events()
    first = import_events(store, ADMIN, lines(events + events[:1]))  # a repeat inside the file
    again = import_events(store, ADMIN, lines(events))
    assert (first.new, first.duplicates) == (2, 1)
    assert (again.new, again.duplicates) == (0, 2)
    assert count(store, StripeEvent) == 2
    assert count(store, SubscriptionState) == 2
    assert [m["kind"] for m in customer_movements(store, "cus_1")] == ["new", "expansion"]


def test_other_event_types_are_skipped_not_stored(store: Store) -> None:
    invoice = {"id": "evt_inv", "type": "invoice.paid", "created": 1, "data": {"object": {}}}
    report = import_events(store, ADMIN, [json.dumps(invoice), *lines(good_events())])
    assert (report.new, report.skipped) == (2, 1)


def test_gzip_file_streams_and_blank_lines_are_ignored(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for line in lines(good_events()):
            fh.write(line + "\n\n")
    report = import_events_file(store, ADMIN, path)
    assert report.new == 2
    with store.session() as s:
        batch = s.get(ImportBatch, report.batch_id)
        assert (batch.kind, batch.source, batch.status, batch.rows_new) == (
            "stripe",
            "file",
            "done",
            2,
        )


def test_every_stored_row_references_its_batch(store: Store) -> None:
    report = import_events(store, ADMIN, lines(good_events()), source="api")
    with store.session() as s:
        assert set(s.scalars(select(StripeEvent.batch_id))) == {report.batch_id}


def test_missing_file_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_events_file(store, ADMIN, tmp_path / "nope.jsonl")


def test_spend_csv_errors_are_by_line_and_atomic(store: Store) -> None:
    rows = [
        "date,channel,amount,currency",
        "2025-01-01,ads,10,USD",
        "2025-13-01,ads,10,USD",
        "2025-01-02,ads,ten,USD",
        "2025-01-03,,10,USD",
        "2025-01-04,ads,-5,USD",
        "2025-01-05,ads,5,US",
    ]
    with pytest.raises(InputError) as caught:
        import_spend(store, ADMIN, rows, label="spend.csv")
    message = str(caught.value)
    for fragment in (
        "line 3: date '2025-13-01'",
        "line 4: amount 'ten'",
        "line 5: channel is empty",
        "line 6: amount -5 is negative",
        "line 7: currency 'US'",
    ):
        assert fragment in message
    assert count(store, MarketingSpend) == 0


def test_spend_csv_needs_its_header(store: Store) -> None:
    with pytest.raises(InputError, match="line 1: header must have columns"):
        import_spend(store, ADMIN, ["day,amount", "2025-01-01,1"], label="spend.csv")


def test_spend_rows_are_replaced_by_key(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    path.write_text("date,channel,amount,currency\n2025-01-01,ads,10,usd\n")
    assert import_csv_file(store, ADMIN, "spend", path).new == 1
    assert import_csv_file(store, ADMIN, "spend", path).duplicates == 1
    path.write_text("date,channel,amount,currency\n2025-01-01,ads,12.5,USD\n")
    assert import_csv_file(store, ADMIN, "spend", path).new == 1
    with store.session() as s:
        assert s.scalar(select(MarketingSpend.amount)) == 12_500_000
    assert count(store, MarketingSpend) == 1


def test_rebuild_rederives_states_and_movements(store: Store) -> None:
    import_events(store, ADMIN, lines(good_events()))
    before = customer_movements(store, "cus_1")
    states, moves = rebuild(store, ADMIN)
    assert (states, moves) == (2, 2)
    assert customer_movements(store, "cus_1") == before


def test_a_line_that_is_not_utf8_is_a_numbered_error(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(("\n".join(lines(good_events())) + "\n").encode() + b'{"id": "\xff"}\n')
    with pytest.raises(InputError, match="line 3: not UTF-8"):
        import_events_file(store, ADMIN, path)
    assert count(store, StripeEvent) == 0


def test_csv_that_is_not_utf8_says_so(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv"
    path.write_bytes(b"date,currency,rate\n2025-01-01,EUR,1.1\xff\n")
    with pytest.raises(InputError, match="not UTF-8"):
        import_csv_file(store, ADMIN, "fx", path)
