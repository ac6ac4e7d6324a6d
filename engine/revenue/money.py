"""Money arithmetic for revenue: exact decimals, micro-units in the store, cents only in output.

Amounts are stored as integers of 10⁻⁶ of a currency's major unit ("micro"), so SQL sums
are exact on SQLite and PostgreSQL alike and a movement is an exact difference of two
stored MRR values. Rounding to cents happens once, when figures are shown, and is done so
that the published parts of an identity still add up to the cent.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

# Stripe's zero-decimal and three-decimal currencies (amounts in the API are whole units,
# respectively thousandths); every other currency is in hundredths.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

MICRO = 6
CENT = Decimal("0.01")
ZERO = Decimal(0)

# Enough digits that products and sums of micro amounts and FX rates are exact.
CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_EVEN)


def minor_exponent(currency: str) -> int:
    """Digits after the decimal point of a currency's minor unit as Stripe counts them."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def minor_to_major(amount: Decimal, currency: str) -> Decimal:
    return amount.scaleb(-minor_exponent(currency), CONTEXT)


def to_micro(major: Decimal) -> int:
    """Major units → integer micro-units (half-even; the error is ≤ 5·10⁻⁷ of a unit)."""
    return int(major.scaleb(MICRO, CONTEXT).to_integral_value(ROUND_HALF_EVEN))


def from_micro(micro: int | Decimal) -> Decimal:
    return Decimal(micro).scaleb(-MICRO, CONTEXT)


def cents(value: Decimal) -> Decimal:
    """Round half up to cents, the only rounding applied to money."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=CONTEXT)


def as_number(value: Decimal | None) -> float | None:
    """A rounded decimal as a JSON number (cents survive the float exactly in repr)."""
    return None if value is None else float(value)


def ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    """numerator ÷ denominator, or None when the denominator is zero (never 0 or ∞)."""
    if denominator == 0:
        return None
    return CONTEXT.divide(Decimal(numerator), Decimal(denominator))


def round_flows(start: Decimal, flows: Sequence[Decimal], end: Decimal) -> list[Decimal]:
    """Round signed flows to cents so that cents(start) + Σ flows = cents(end) exactly.

    `start + Σ flows = end` holds exactly before rounding. Each flow is rounded to the
    nearest cent; if the rounded parts then miss the rounded end by k cents, the k flows
    whose rounding moved them furthest the other way absorb one cent each (largest
    remainder), so no published part is more than a cent from its exact value and a part
    that was exact (e.g. an fx of 0 in a single-currency company) stays exact whenever
    possible.
    """
    start_r, end_r = cents(start), cents(end)
    rounded = [cents(f) for f in flows]
    gap = int(((end_r - start_r) - sum(rounded, ZERO)) / CENT)
    if gap:
        step = CENT if gap > 0 else -CENT
        # error > 0 means the flow was rounded down; those take +1 cent first.
        errors = [(f - r) * (1 if gap > 0 else -1) for f, r in zip(flows, rounded, strict=True)]
        order = sorted(range(len(flows)), key=lambda i: (errors[i], abs(flows[i])), reverse=True)
        if not order:
            raise ValueError("no flow can absorb the rounding gap")
        for n in range(abs(gap)):
            rounded[order[n % len(order)]] += step
    return rounded
