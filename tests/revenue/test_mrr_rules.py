"""The MRR rules on single subscription objects, hand-computed (no store needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.revenue.money import from_micro, round_flows
from engine.revenue.mrr import SubscriptionError, parse_subscription, tiered_amount
from tests.revenue.stripe_objects import coupon, discount, item, price, subscription


def mrr(sub: dict) -> Decimal:
    return from_micro(parse_subscription(sub).mrr_micro)


def one(p: dict, quantity: int | None = 1, **kw: object) -> dict:
    return subscription("sub_1", "cus_1", [item(p, quantity)], **kw)


@pytest.mark.parametrize(
    ("interval", "count", "amount", "expected"),
    [
        ("month", 1, 10000, Decimal("100")),
        ("month", 3, 30000, Decimal("100")),  # quarterly: ÷ 3
        ("year", 1, 120000, Decimal("100")),  # ÷ 12
        ("year", 2, 240000, Decimal("100")),  # ÷ 24
        ("week", 1, 1200, Decimal("52")),  # 12 × 52 ÷ 12
        ("week", 2, 2400, Decimal("52")),
        ("day", 1, 1200, Decimal("365")),  # 12 × 365 ÷ 12
        ("day", 5, 6000, Decimal("365")),
    ],
)
def test_interval_normalisation(interval: str, count: int, amount: int, expected: Decimal) -> None:
    assert mrr(one(price(amount, interval, count))) == expected


def test_annual_price_keeps_full_precision_until_output() -> None:
    # $2,000 a year = 166.666…; three of them must be $500.00, not 3 × 166.67.
    subs = [one(price(200000, "year")) for _ in range(3)]
    total = sum((mrr(s) for s in subs), Decimal(0))
    assert abs(total - Decimal("500")) < Decimal("0.00001")
    assert mrr(subs[0]) != Decimal("166.67")


def test_quantity_multiplies_and_items_add_up() -> None:
    sub = subscription("sub_1", "cus_1", [item(price(1000), 3), item(price(12000, "year"), 2)])
    assert mrr(sub) == Decimal("30") + Decimal("20")


def test_stripe_example_mrr_12500() -> None:
    monthly = [one(price(10000)) for _ in range(100)]
    annual = [one(price(60000, "year")) for _ in range(50)]
    assert sum((mrr(s) for s in monthly + annual), Decimal(0)) == Decimal("12500")


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        ("active", True),
        ("past_due", True),
        ("trialing", False),
        ("incomplete", False),
        ("incomplete_expired", False),
        ("unpaid", False),
        ("paused", False),
        ("canceled", False),
    ],
)
def test_status_rules(status: str, counts: bool) -> None:
    assert (mrr(one(price(5000), status=status)) == 50) is counts
    assert (mrr(one(price(5000), status=status)) == 0) is not counts


def test_metered_items_are_left_out() -> None:
    metered = price(25, usage_type="metered")
    sub = subscription("sub_1", "cus_1", [item(price(4900)), item(metered, None)])
    assert mrr(sub) == Decimal("49")


TIERS = [
    {"up_to": 5, "unit_amount": 1000, "flat_amount": None},
    {"up_to": 10, "unit_amount": 800, "flat_amount": 500},
    {"up_to": None, "unit_amount": 500, "flat_amount": None},
]


@pytest.mark.parametrize(
    ("mode", "quantity", "expected_minor"),
    [
        ("volume", 3, 3 * 1000),
        ("volume", 7, 7 * 800 + 500),  # all units at tier 2's price, plus its flat fee
        ("volume", 12, 12 * 500),
        ("graduated", 3, 3 * 1000),
        ("graduated", 7, 5 * 1000 + 2 * 800 + 500),
        ("graduated", 12, 5 * 1000 + 5 * 800 + 500 + 2 * 500),
        ("graduated", 0, 0),
    ],
)
def test_tiered_prices(mode: str, quantity: int, expected_minor: int) -> None:
    assert tiered_amount(TIERS, mode, Decimal(quantity)) == expected_minor
    p = price(None, tiers=TIERS, tiers_mode=mode)
    assert mrr(one(p, quantity)) == Decimal(expected_minor) / 100


def test_tiered_price_without_tiers_is_an_error_not_zero() -> None:
    p = price(None, tiers_mode="volume")
    p["billing_scheme"] = "tiered"
    with pytest.raises(SubscriptionError, match="tiers"):
        parse_subscription(one(p))


def test_forever_percent_coupon_scales_once_coupon_does_not() -> None:
    forever = one(price(10000), discount=discount(coupon(percent_off=25)))
    once = one(price(10000), discount=discount(coupon("once", percent_off=25)))
    repeating = one(price(10000), discount=discount(coupon("repeating", percent_off=25)))
    assert mrr(forever) == Decimal("75")
    assert mrr(once) == Decimal("100")
    assert mrr(repeating) == Decimal("100")


def test_amount_off_is_per_invoice_normalised_like_the_price() -> None:
    # $1,200/year with $120 off each (yearly) invoice → (1200 − 120) / 12 = 90.
    yearly = one(price(120000, "year"), discount=discount(coupon(amount_off=12000, currency="usd")))
    assert mrr(yearly) == Decimal("90")
    monthly = one(price(10000), discount=discount(coupon(amount_off=3000, currency="usd")))
    assert mrr(monthly) == Decimal("70")


def test_amount_off_never_takes_mrr_below_zero() -> None:
    sub = one(price(1000), discount=discount(coupon(amount_off=5000, currency="usd")))
    assert mrr(sub) == 0


def test_discounts_list_wins_over_discount_and_is_never_counted_twice() -> None:
    d = discount(coupon(percent_off=50))
    both = one(price(10000), discount=d, discounts=[d])
    assert mrr(both) == Decimal("50")  # not 25
    newer = one(
        price(10000),
        discount=discount(coupon(percent_off=50)),
        discounts=[discount(coupon(percent_off=10))],
    )
    assert mrr(newer) == Decimal("90")


def test_discounts_of_unexpanded_ids_fall_back_to_discount() -> None:
    sub = one(price(10000), discount=discount(coupon(percent_off=20)), discounts=["di_123"])
    assert mrr(sub) == Decimal("80")


def test_discount_source_coupon_of_newer_api_versions() -> None:
    d = {"id": "di_1", "object": "discount", "source": {"coupon": coupon(percent_off=10)}}
    assert mrr(one(price(10000), discounts=[d])) == Decimal("90")


def test_zero_decimal_currency_amounts_are_whole_units() -> None:
    jpy = one(price(12000, currency="jpy"), currency="jpy")
    parsed = parse_subscription(jpy)
    assert parsed.currency == "JPY"
    assert from_micro(parsed.mrr_micro) == Decimal("12000")
    usd = one(price(12000))
    assert mrr(usd) == Decimal("120")


def test_cancel_at_period_end_is_scheduled_not_immediate() -> None:
    sub = one(price(10000), cancel_at_period_end=True, current_period_end=1_800_000_000)
    parsed = parse_subscription(sub)
    assert parsed.mrr_micro == 100_000_000
    assert parsed.ends_at == 1_800_000_000


def test_period_end_on_items_for_newer_api_versions() -> None:
    it = item(price(10000))
    it["current_period_end"] = 1_800_000_000
    sub = subscription("sub_1", "cus_1", [it], cancel_at_period_end=True)
    assert parse_subscription(sub).ends_at == 1_800_000_000


def test_expanded_customer_and_legacy_plan() -> None:
    sub = {
        "id": "sub_old",
        "customer": {"id": "cus_9", "object": "customer"},
        "status": "active",
        "currency": "usd",
        "plan": {"id": "gold", "amount": 3000, "interval": "month", "interval_count": 1},
        "quantity": 2,
    }
    parsed = parse_subscription(sub)
    assert parsed.customer_id == "cus_9"
    assert from_micro(parsed.mrr_micro) == Decimal("60")


def test_plans_split_the_discounted_mrr_exactly() -> None:
    sub = subscription(
        "sub_1",
        "cus_1",
        [item(price(10000, nickname="Base")), item(price(5000, nickname="Addon"))],
        discount=discount(coupon(percent_off=33.3)),
    )
    parsed = parse_subscription(sub)
    assert sum(parsed.plans.values()) == parsed.mrr_micro
    assert set(parsed.plans) == {"Base", "Addon"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"status": None}, "status"),
        ({"customer": None}, "customer"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_unpriceable_objects_name_the_field(bad: dict, message: str) -> None:
    sub = one(price(1000))
    sub.update(bad)
    if bad.get("currency"):
        sub["items"]["data"][0]["price"]["currency"] = "dollars"
    with pytest.raises(SubscriptionError, match=message):
        parse_subscription(sub)


def test_round_flows_keeps_the_identity_and_exact_zeros() -> None:
    third = Decimal(200000) / 12 / 100  # 166.666…
    start, flows = third, [third, Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
    end = start + sum(flows)
    rounded = round_flows(start, flows, end)
    assert Decimal("166.67") + sum(rounded) == Decimal("333.33")
    assert rounded[5] == 0  # fx stays 0: the cent goes to a flow that was rounded
    assert rounded[0] == Decimal("166.66")
