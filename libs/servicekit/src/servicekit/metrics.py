"""Prometheus metrics shared by every service (exposed on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter("alumni_outbox_published_total", "Outbox records published", ["service"])
MESSAGES_HANDLED = Counter(
    "alumni_messages_handled_total", "Event deliveries handled", ["consumer", "outcome"]
)
HANDLER_SECONDS = Histogram("alumni_handler_seconds", "Event handler duration", ["consumer"])
REQUESTS_SERVED = Counter("alumni_requests_total", "Commands and queries served", ["operation", "outcome"])

# Background loops (servicekit.worker): the relay, the mailer, import jobs, the sweeps.
WORKER_ITERATIONS = Counter("alumni_worker_iterations_total", "Rounds run by a background loop",
                            ["service", "worker"])
WORKER_ITEMS = Counter("alumni_worker_items_total", "Items handled by a background loop", ["service", "worker"])
WORKER_ERRORS = Counter("alumni_worker_errors_total", "Rounds of a background loop that failed",
                        ["service", "worker"])
WORKER_LAST_SUCCESS = Gauge("alumni_worker_last_success_timestamp_seconds",
                            "Unix time of the last round of a background loop that did not fail",
                            ["service", "worker"])
