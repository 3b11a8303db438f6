"""Composed settings: each concern is a small class; a service's settings inherit them all
and set its own environment prefix (`MEMBERS_`, `EVENTS_`, …)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.nats_auth import inbox_prefix


class NatsConfig(BaseSettings):
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL(s), comma-separated.")
    nats_request_timeout: float = Field(5.0, description="Seconds a command/query request waits for its reply.")
    nats_user: str | None = Field(
        None, description="NATS user of this process (one per service; its permissions are generated from the "
                          "topology by `servicekit.nats_auth`). Unset: connect without credentials.")
    nats_password: SecretStr | None = Field(None, description="Password of `NATS_USER` (a secret; never logged).")

    def nats_options(self) -> dict[str, Any]:
        """Credentials and the user's own inbox prefix (its permissions allow no other inbox)."""
        if not self.nats_user:
            return {}
        password = self.nats_password.get_secret_value() if self.nats_password else None
        return {"user": self.nats_user, "password": password, "inbox_prefix": inbox_prefix(self.nats_user)}


class MongoConfig(BaseSettings):
    mongo_uri: str = Field(
        "mongodb://127.0.0.1:27017/?replicaSet=rs0",
        description="MongoDB URI; must reach a replica set (transactions).",
    )
    mongo_db: str = Field("alumni", description="Database owned by this service.")


class HttpConfig(BaseSettings):
    http_host: str = Field("127.0.0.1", description="Interface of the /health and /metrics endpoint.")
    http_port: int = Field(8080, description="Port of the /health and /metrics endpoint (0: none).")


class LoggingConfig(BaseSettings):
    log_level: str = Field("INFO", description="Log level.")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="`auto`: console on a terminal, JSON otherwise."
    )


class RelayConfig(BaseSettings):
    relay_batch_size: int = Field(100, ge=1, le=1000, description="Outbox records claimed per round.")
    relay_poll_seconds: float = Field(0.5, gt=0, description="Fallback polling period of the outbox relay.")
    relay_lease_seconds: float = Field(30.0, gt=0, description="How long a claimed outbox batch is reserved.")
    relay_backoff_base_seconds: float = Field(0.5, gt=0, description="First retry delay of a failed publish.")
    relay_backoff_max_seconds: float = Field(60.0, gt=0, description="Cap of the publish retry delay.")
    outbox_retention_days: int = Field(7, ge=1, description="Days sent outbox records are kept (TTL).")


class ConsumerConfig(BaseSettings):
    consumer_batch_size: int = Field(16, ge=1, le=256, description="Messages fetched per pull.")
    consumer_fetch_timeout: float = Field(1.0, gt=0, description="Seconds a pull waits for messages.")
    consumer_batch: bool = Field(
        False, description="Hand each fetched batch of events to one call (FastStream's batch pull), still settled "
                           "message by message, events of one aggregate in stream order; false: one call per "
                           "message. Batch is faster but not the default yet: see bench/RESULTS.md.")
    request_concurrency: int = Field(
        4, ge=1, le=256, description="Commands and queries of one kind served at once by this process (each "
                                      "request subject's subscriber otherwise answers one request at a time).")


class ServiceSettings(NatsConfig, MongoConfig, HttpConfig, LoggingConfig, RelayConfig, ConsumerConfig):
    """Everything a worker service needs; subclasses set `env_prefix` and `mongo_db`."""

    model_config = SettingsConfigDict(env_prefix="ALUMNI_", extra="ignore")

    dependency_wait_seconds: float = Field(
        300, ge=0, description="At start-up, how long to wait for MongoDB, NATS and the topology before exiting "
                               "with an error (0: wait forever).")
