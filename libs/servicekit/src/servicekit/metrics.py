"""Prometheus metrics shared by every service (exposed on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

OUTBOX_PUBLISHED = Counter("alumni_outbox_published_total", "Outbox records published", ["service"])
MESSAGES_HANDLED = Counter(
    "alumni_messages_handled_total", "Event deliveries handled", ["consumer", "outcome"]
)
HANDLER_SECONDS = Histogram("alumni_handler_seconds", "Event handler duration", ["consumer"])
REQUESTS_SERVED = Counter("alumni_requests_total", "Commands and queries served", ["operation", "outcome"])
