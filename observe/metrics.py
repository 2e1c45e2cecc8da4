"""Prometheus metrics (prometheus-client), served at `/metrics` when METRICS_TOKEN is set.

With `serve --workers N` each worker writes its values to PROMETHEUS_MULTIPROC_DIR (set by
`ticketgate serve` before the workers start) and any worker's `/metrics` sums them all.
Labels take bounded values only: doors, route templates, status codes, and at most
MAX_OPERATION_NAMES GraphQL operation names per process (later ones count as "other").
"""

from __future__ import annotations

import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
COST_BUCKETS = (0, 1, 10, 100, 1_000, 10_000, 100_000)
MAX_OPERATION_NAMES = 200
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

LATENCY = Histogram(
    "ticketgate_http_request_duration_seconds",
    "Answered requests (_count) and their time from arrival to the end of the answer, by door,"
    " route template, method and status.",
    ["door", "route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
STATEMENTS = Counter(
    "ticketgate_sql_statements",
    "SQL statements sent while answering requests, by door (divide by the requests' count).",
    ["door"],
)
GRAPHQL_COST = Histogram(
    "ticketgate_graphql_operation_cost",
    "GraphQL operations by name (_count) and their cost, the objects they may return (_sum).",
    ["operation"],
    buckets=COST_BUCKETS,
)
RATE_LIMITED = Counter(
    "ticketgate_rate_limit_rejections",
    "Requests refused by a rate limit, by budget (platform_v1, graphql-cost, login).",
    ["budget"],
)
LOGIN_FAILURES = Counter(
    "ticketgate_login_failures", "Password checks that failed (any door, any reason)."
)
WEBHOOK_ATTEMPTS = Counter(
    "ticketgate_webhook_attempts",
    "Webhook delivery attempts by outcome: delivered, retry (failed, will retry), failed.",
    ["outcome"],
)
WEBHOOK_PENDING = Gauge(
    "ticketgate_webhook_deliveries_pending",
    "Webhook deliveries waiting to be sent (read from the database when scraped).",
    multiprocess_mode="mostrecent",
)

_latency: dict[tuple, object] = {}  # label children by labels: one dict lookup when warm
_statements: dict[str, object] = {}
_costs: dict[str, object] = {}
_operation_names: set[str] = set()


def observe_request(
    door: str, route: str, method: str, status: int, seconds: float, statements: int
) -> None:
    """Record one answered request: one histogram observation, one counter increment."""
    key = (door, route, method, status)
    child = _latency.get(key)
    if child is None:
        child = _latency[key] = LATENCY.labels(door, route, method, str(status))
    child.observe(seconds)
    if statements:
        counter = _statements.get(door)
        if counter is None:
            counter = _statements[door] = STATEMENTS.labels(door)
        counter.inc(statements)


def operation_label(name: str | None) -> str:
    """A GraphQL operation name as a label: bounded in shape and in number."""
    if not name:
        return "anonymous"
    if not OPERATION_NAME.fullmatch(name):
        return "other"
    if name not in _operation_names:
        if len(_operation_names) >= MAX_OPERATION_NAMES:
            return "other"
        _operation_names.add(name)
    return name


def observe_graphql(name: str | None, cost: int) -> None:
    label = operation_label(name)
    child = _costs.get(label)
    if child is None:
        child = _costs[label] = GRAPHQL_COST.labels(label)
    child.observe(cost)


def rate_limited(budget: str) -> None:
    RATE_LIMITED.labels(budget).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics text (of every worker in multi-process mode) and its content type."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
