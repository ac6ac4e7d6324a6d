"""Units and how a number is written with its unit, shared by tiles, tables and the CLI."""

from __future__ import annotations

UNITS = {"ratio", "percent_points", "ms", "seconds", "count", "users", "money", "score", "multiple"}


def format_value(value: float | None, unit: str, currency: str = "USD") -> str:
    """`0.9991` ratio → `99.91 %`; money → `$12,345`; ms → `87 ms`. None → `—`."""
    if value is None:
        return "—"
    if unit == "ratio":
        pct = value * 100
        digits = 2 if abs(pct) >= 99 or abs(pct) < 1 else 1
        return f"{pct:.{digits}f} %"
    if unit == "percent_points":
        return f"{value * 100:+.1f} pp"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit == "seconds":
        return _duration(value)
    if unit == "money":
        symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
        text = f"{abs(value):,.0f}" if abs(value) >= 1000 else f"{abs(value):,.2f}"
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"
    if unit == "users":
        return f"{value:,.0f} users" if value >= 10 else f"{value:,.1f} users"
    if unit == "score":
        return f"{value:+.0f}"
    if unit == "multiple":
        return f"{value:.2f}×"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
