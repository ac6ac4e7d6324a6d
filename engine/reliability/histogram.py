"""Fine log-bucketed latency histograms: mergeable, with ≤ 1 % relative error.

Percentiles of a window must come from the merged distribution of every request in it,
never from averaged per-minute or per-host percentiles. Storing counts per logarithmic
bin (the DDSketch idea) makes any window's histogram a plain sum of stored counts.

Bin 0 holds durations ≤ `MIN_MS` (reported as 0). Bin k ≥ 1 holds
(MIN_MS·γ^(k-1), MIN_MS·γ^k] with γ = (1+α)/(1-α); its representative value
2·MIN_MS·γ^k/(γ+1) is within α = 1 % of every value in the bin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
MIN_MS = 0.001  # one microsecond: shorter durations are reported as 0
_LOG_GAMMA = math.log(GAMMA)
MAX_BIN = 32_000  # SmallInteger; γ^32000 · 1 µs is far beyond any real duration


def bin_of(value_ms: float) -> int:
    """The bin a duration falls in."""
    if value_ms <= MIN_MS:
        return 0
    k = math.ceil(math.log(value_ms / MIN_MS) / _LOG_GAMMA)
    return min(max(k, 1), MAX_BIN)


class BinCache(dict[float, int]):
    """Memoised `bin_of` for bulk imports, where the same rounded durations recur."""

    def __missing__(self, value: float) -> int:
        k = bin_of(value)
        if len(self) < 1_000_000:
            self[value] = k
        return k


def bin_value(k: int) -> float:
    """The representative value of bin k (within 1 % of every value in it)."""
    if k <= 0:
        return 0.0
    return 2 * MIN_MS * GAMMA**k / (GAMMA + 1)


def percentiles(bins: Iterable[tuple[int, int]], shares: Iterable[float]) -> list[float | None]:
    """For each share q: the smallest v such that at least q of all values are ≤ v.

    `bins` are (bin, count) pairs in any order, possibly repeated (they are merged).
    None for every share when there are no values.
    """
    merged: dict[int, int] = {}
    for k, n in bins:
        if n:
            merged[int(k)] = merged.get(int(k), 0) + int(n)
    total = sum(merged.values())
    wanted = list(shares)
    if total <= 0:
        return [None] * len(wanted)
    ordered = sorted(merged.items())
    out: list[float | None] = []
    for q in wanted:
        # smallest rank r (1-based) with r ≥ q·total; the value at that rank
        rank = max(1, math.ceil(q * total - 1e-9))
        seen = 0
        for k, n in ordered:
            seen += n
            if seen >= rank:
                out.append(bin_value(k))
                break
    return out
