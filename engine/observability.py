"""The hub's own counters and histograms, exposed by `GET /metrics` in Prometheus format."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "hub_http_requests_total",
    "HTTP requests served by the hub API.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "hub_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
IMPORTED_ROWS = Counter(
    "hub_import_rows_total",
    "Rows seen by importers, by data kind and outcome (new, duplicate, skipped).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
WORKER_TICKS = Counter(
    "hub_worker_ticks_total", "Worker loop iterations, by task.", ["task"], registry=REGISTRY
)
WORKER_TASK_ERRORS = Counter(
    "hub_worker_task_errors_total", "Worker task runs that failed.", ["task"], registry=REGISTRY
)
SCHEMA_CURRENT = Gauge(
    "hub_schema_current", "1 when the store schema matches this code.", registry=REGISTRY
)


def render() -> bytes:
    return generate_latest(REGISTRY)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Migration chatter is noise for an operator; failures still surface as errors.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
