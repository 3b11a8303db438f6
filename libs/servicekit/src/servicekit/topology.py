"""The NATS topology, declared from `alumni_contracts.naming` and `.subscriptions`.

Streams `EVT_<SERVICE>` (limits retention, file storage, explicit duplicate window, bounded
max_age), the `DLQ` stream (max-deliveries and terminated advisories plus our dead letters
with payload and reason), and one durable pull consumer per declared subscription. Applied by
the ops CLI, the local runner and the test fixtures; services only attach.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    ObjectStoreConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from alumni_contracts import naming
from alumni_contracts.subscriptions import SUBSCRIPTIONS
from servicekit.nats_auth import PARTNER_STREAM, partner_stream_config

DAY = 86400.0
MONGO_TRANSACTION_LIFETIME_SECONDS = 60.0


class TopologySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOPOLOGY_", extra="ignore")

    stream_max_age_days: float = Field(30, gt=0, description="Days events stay in the EVT_* streams (they hold personal data).")
    dlq_max_age_days: float = Field(30, gt=0, description="Days dead letters are kept.")
    duplicate_window_seconds: float = Field(600, gt=0, description="JetStream deduplication window on Nats-Msg-Id.")
    replicas: int = Field(1, ge=1, le=5, description="Stream replicas (3 in a production cluster).")
    max_deliver: int = Field(6, ge=2, description="Deliveries before a message is dead-lettered.")
    backoff_seconds: list[float] = Field(
        default_factory=lambda: [2.0, 10.0, 30.0, 120.0, 600.0],
        description="Redelivery delays; must be shorter than max_deliver.")
    max_ack_pending: int = Field(1000, ge=1, description="Unacknowledged messages per consumer.")
    import_files_max_age_days: float = Field(
        7, gt=0, description="Days an uploaded import file may stay in the object store (it holds personal "
                             "data; completed or abandoned imports delete theirs at once).")


    def retry_window_seconds(self) -> float:
        """How long a message keeps being retried before it is dead-lettered."""
        return sum(self.backoff_seconds[: self.max_deliver - 1])

    def covers_transaction_lifetime(self) -> bool:
        """A consumer killed mid-transaction leaves it open until MongoDB reaps it (60 s by
        default); redeliveries of that message conflict until then, so the retry window must
        be longer or the message is dead-lettered although nothing is wrong with it."""
        return self.retry_window_seconds() > MONGO_TRANSACTION_LIFETIME_SECONDS


@dataclass(frozen=True)
class Topology:
    streams: list[StreamConfig]
    consumers: list[tuple[str, ConsumerConfig]]


def declare(settings: TopologySettings) -> Topology:
    streams = [
        StreamConfig(
            name=naming.stream_name(service),
            subjects=naming.stream_subjects(service),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=settings.duplicate_window_seconds,
            max_age=settings.stream_max_age_days * DAY,
            num_replicas=settings.replicas,
        )
        for service in naming.SERVICES
    ]
    streams.append(StreamConfig(
        name=naming.DLQ_STREAM,
        subjects=naming.dlq_subjects(),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        duplicate_window=settings.duplicate_window_seconds,
        max_age=settings.dlq_max_age_days * DAY,
        num_replicas=settings.replicas,
    ))
    backoff = settings.backoff_seconds[: settings.max_deliver - 1]
    consumers = [
        (s.stream, ConsumerConfig(
            durable_name=s.durable,
            filter_subject=s.filter_subject,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=backoff[0] if backoff else 30.0,
            max_deliver=settings.max_deliver,
            backoff=backoff or None,
            max_ack_pending=settings.max_ack_pending,
            description=f"{s.consumer} consumes {s.event.key()}",
        ))
        for s in SUBSCRIPTIONS
    ]
    return Topology(streams, consumers)


async def apply(js: JetStreamContext, settings: TopologySettings) -> list[str]:
    """Create or update every stream and consumer; returns what changed."""
    topology = declare(settings)
    changes: list[str] = []
    for config in topology.streams:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
            changes.append(f"created stream {config.name}")
        else:
            await js.update_stream(config)
            changes.append(f"updated stream {config.name}")
    for stream, consumer in topology.consumers:
        await js.add_consumer(stream, consumer)  # creates, or updates the editable fields
        changes.append(f"declared consumer {stream}/{consumer.durable_name}")
    try:
        await js.object_store(naming.IMPORTS_BUCKET)
    except NotFoundError:
        await js.create_object_store(naming.IMPORTS_BUCKET, ObjectStoreConfig(
            ttl=settings.import_files_max_age_days * DAY, storage=StorageType.FILE, replicas=settings.replicas,
            description="Uploaded import files (personal data): deleted when their import ends"))
        changes.append(f"created object store {naming.IMPORTS_BUCKET}")
    return changes


async def apply_partner_stream(js: JetStreamContext, tenant: str, settings: TopologySettings) -> str:
    """Create or update a partner account's stream (run with that account's admin user)."""
    config = partner_stream_config(tenant, settings.stream_max_age_days * DAY, settings.replicas)
    try:
        await js.stream_info(PARTNER_STREAM)
    except NotFoundError:
        await js.add_stream(config)
        return f"created partner stream {PARTNER_STREAM} for tenant {tenant}"
    await js.update_stream(config)
    return f"updated partner stream {PARTNER_STREAM} for tenant {tenant}"


async def reset(js: JetStreamContext) -> None:
    """Delete every declared stream and the import files (tests only)."""
    try:
        await js.delete_object_store(naming.IMPORTS_BUCKET)
    except NotFoundError:
        pass
    for config in declare(TopologySettings()).streams:
        assert config.name is not None
        try:
            await js.delete_stream(config.name)
        except NotFoundError:
            pass
