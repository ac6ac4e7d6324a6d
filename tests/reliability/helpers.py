"""Helpers for reliability tests: build checks and requests tersely."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.reliability.ingest import ProbeRecord, RequestRecord


def at(text: str) -> datetime:
    """'2026-01-10 05:00' → aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def check(target: str, when: str, ok: bool, latency: float | None = 50.0) -> ProbeRecord:
    return ProbeRecord(
        target,
        at(when),
        ok,
        200 if ok else 503,
        latency,
        None if ok else "status 503 not in 200-299",
    )


def request(when: datetime, status: int = 200, duration: float = 10.0) -> RequestRecord:
    return RequestRecord(when, "api", "/v1/things", "GET", status, duration)
