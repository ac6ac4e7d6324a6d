"""The Revenue page and the Overview's Revenue tiles, rendered with AppTest."""

from __future__ import annotations

from engine.revenue.ingest import import_events, import_fx, import_spend
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page
from tests.revenue.stripe_objects import customer, event, item, lines, price, subscription, ts

FEBRUARY = {"range": "custom", "from": "2025-02-01", "to": "2025-02-28"}


def load(store: Store, *, rates: bool = True) -> None:
    if rates:
        import_fx(store, ADMIN, ["date,currency,rate", "2025-01-01,EUR,1.10"])
    import_spend(store, ADMIN, ["date,channel,amount,currency", "2025-02-05,ads,300,USD"])
    import_events(
        store,
        ADMIN,
        lines(
            [
                customer("cus_1", "Acme Labs", ts("2025-01-01")),
                event(
                    ts("2025-01-05"),
                    subscription("sub_1", "cus_1", [item(price(10000, nickname="Pro"), 2)]),
                    "created",
                ),
                event(
                    ts("2025-01-06"),
                    subscription("sub_2", "cus_2", [item(price(5000, nickname="Basic"))]),
                    "created",
                ),
                event(
                    ts("2025-02-10"),
                    subscription("sub_2", "cus_2", [item(price(5000))], status="canceled"),
                    "deleted",
                ),
                event(
                    ts("2025-02-12"),
                    subscription(
                        "sub_3",
                        "cus_3",
                        [item(price(4000, currency="eur", nickname="Pro"))],
                        currency="eur",
                    ),
                    "created",
                ),
            ]
        ),
    )


def metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]


def test_empty_state_is_honest(store: Store) -> None:
    at = open_page("revenue.py")
    assert_clean(at)
    assert at.title[0].value == "Revenue"
    assert any("No Stripe data yet" in i.value for i in at.info)
    assert not at.metric


def test_page_shows_kpis_movements_plans_and_comparison(store: Store) -> None:
    load(store)
    at = open_page("revenue.py", FEBRUARY)
    assert_clean(at)
    shown = metrics(at)
    assert shown["MRR"] == "$244.00"  # 200 + €40 at 1.10
    assert shown["ARR"] == "$2,928"
    assert shown["Paying customers"] == "2"
    assert shown["Customer churn rate"] == "50.0 %"
    assert shown["CAC"] == "$300.00"
    assert shown["LTV:CAC"] == "0.81×"  # (244 / 2) ÷ 0.5 = 244 LTV; 244 ÷ 300
    subheaders = [s.value for s in at.subheader]
    for title in (
        "MRR over time",
        "Compared with the previous period",
        "MRR by plan",
        "Customer drill-down",
    ):
        assert title in subheaders
    assert len(at.dataframe) >= 3  # movements, comparison, plans
    assert any("How these numbers are computed" in e.label for e in at.expander)


def test_customer_drill_down_lists_changes_with_csv(store: Store) -> None:
    load(store)
    at = open_page("revenue.py", FEBRUARY)
    picker = next(s for s in at.selectbox if s.label.startswith("Customer"))
    assert picker.options[0].startswith("Acme Labs (cus_1)")
    picker.select_index(0).run()
    assert_clean(at)
    table = at.dataframe[-1].value
    assert list(table["kind"]) == ["new"] and list(table["amount"]) == [200.0]
    assert at.get("download_button"), "CSV download is offered"


def test_missing_fx_rate_is_shown_not_crashed(store: Store) -> None:
    load(store, rates=False)
    at = open_page("revenue.py", FEBRUARY)
    assert not at.exception
    assert any("no FX rate for EUR" in e.value for e in at.error)


def test_overview_tiles_with_and_without_data(store: Store) -> None:
    at = open_page("overview.py")
    assert_clean(at)
    assert "Revenue" in [s.value for s in at.subheader]
    assert {m.label: m.value for m in at.metric}["MRR"] == "No data"
    load(store)
    at = open_page("overview.py", FEBRUARY)
    assert_clean(at)
    shown = metrics(at)
    assert shown["MRR"] == "$244.00"
    assert shown["Net new MRR"] == "-$6.00"  # +44 new − 50 churn
    assert shown["Customer churn (monthly)"] == "53.6 %"  # 1 of 2, × 30 ÷ 28 days
    assert shown["LTV:CAC"] == "0.81×"
