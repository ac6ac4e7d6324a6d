"""Retry timing: exponential backoff with full jitter, capped, honouring the server's wait."""

from __future__ import annotations

import random


def retry_delay(
    attempt: int,
    *,
    initial: float,
    base: float,
    maximum: float,
    server_wait: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds before attempt `attempt + 1` (attempt counts from 1).

    Jitter spreads retries of many targets so they don't hit a recovering service together;
    a `Retry-After` from the server is a floor, never shortened by jitter.
    """
    ceiling = min(maximum, initial * base ** (attempt - 1))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if server_wait is not None:
        delay = max(delay, server_wait)
    return delay
