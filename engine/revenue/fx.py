"""FX rates: a day uses the latest rate on or before it; a missing one is an error."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import HubError
from engine.revenue.models import FxRate

ONE = Decimal(1)


class MissingFxRate(HubError):
    """A rate needed to value an amount is not in the store (never silently 1.0)."""

    def __init__(self, currency: str, day: date, reporting: str) -> None:
        self.currency, self.day = currency, day
        super().__init__(
            f"no FX rate for {currency} on or before {day} (needed to value {currency} in "
            f"{reporting}): import one with `hub import fx FILE.csv` (date,currency,rate)"
        )


class FxTable:
    """The rates of some currencies, loaded once per report."""

    def __init__(self, reporting: str, rates: dict[str, list[tuple[date, Decimal]]]) -> None:
        self.reporting = reporting
        self._days = {c: [d for d, _ in rs] for c, rs in rates.items()}
        self._rates = {c: [r for _, r in rs] for c, rs in rates.items()}

    @classmethod
    def load(cls, session: Session, reporting: str, currencies: Iterable[str]) -> FxTable:
        wanted = sorted({c for c in currencies if c != reporting})
        rates: dict[str, list[tuple[date, Decimal]]] = {c: [] for c in wanted}
        if wanted:
            rows = session.execute(
                select(FxRate.currency, FxRate.day, FxRate.rate)
                .where(FxRate.currency.in_(wanted))
                .order_by(FxRate.currency, FxRate.day)
            ).all()
            for currency, day, rate in rows:
                rates[currency].append((day, Decimal(rate)))
        return cls(reporting, rates)

    def rate(self, currency: str, day: date) -> Decimal:
        """Units of the reporting currency per unit of `currency` on `day`."""
        if currency == self.reporting:
            return ONE
        days = self._days.get(currency, [])
        i = bisect.bisect_right(days, day)
        if i == 0:
            raise MissingFxRate(currency, day, self.reporting)
        return self._rates[currency][i - 1]
