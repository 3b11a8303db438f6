from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Environment variables prefixed `NOTIFICATIONS_`."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    mongo_db: str = Field("alumni_notifications", description="Database owned by this service.")
    http_port: int = Field(8104, description="Port of /health and /metrics (0: none).")
    smtp_host: str = Field("127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(1025, description="SMTP server port.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server requires one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    smtp_timeout: float = Field(10.0, description="Seconds per SMTP operation.")
    mail_from: str = Field("Alumni <alumni@localhost>", description="From header of outgoing email.")
    message_id_domain: str = Field("alumni.local", description="Right-hand side of Message-ID headers.")
    delivery_batch_size: int = Field(20, ge=1, description="Emails claimed per delivery round.")
    delivery_poll_seconds: float = Field(1.0, gt=0, description="Fallback polling period of the mailer.")
    delivery_lease_seconds: float = Field(60.0, gt=0, description="How long a claimed email is reserved.")
    delivery_max_attempts: int = Field(8, ge=1, description="SMTP attempts before an email is marked failed.")
    reminder_sweep_seconds: float = Field(300.0, gt=0, description=(
        "Period of the dues reminder sweep (leased: one replica at a time; a run catches up whatever came due)."))
    reminder_notice_days: int = Field(30, ge=1, le=180, description=(
        "Days before the end of a paid period (or an instalment's cover) when the renewal notice is sent."))
    reminder_grace_fraction: float = Field(0.5, ge=0, lt=1, description=(
        "Share of the grace period after which the grace reminder is sent (0.5: halfway)."))
    # Partner webhooks (see the README's partner webhooks section).
    partner_webhooks_allow_loopback: bool = Field(False, description=(
        "Tests and local demos only: accept loopback targets (127.0.0.1, ::1, localhost) and plain http:// "
        "for them. Private and link-local addresses stay refused. Off by default."))
    partner_webhook_max_attempts: int = Field(8, ge=1, le=50, description=(
        "Delivery attempts of one event before it is dead-lettered and the endpoint disabled."))
    partner_webhook_backoff_seconds: float = Field(5.0, gt=0, description=(
        "First retry delay; doubles at each attempt (5 s, 10 s, 20 s… with jitter)."))
    partner_webhook_backoff_cap_seconds: float = Field(600.0, gt=0, description="Longest retry delay.")
    partner_webhook_timeout_seconds: float = Field(10.0, gt=0, description="Seconds per HTTP attempt.")
    partner_webhook_concurrency: int = Field(4, ge=1, le=64, description=(
        "Deliveries in flight per subscription (each subscription has its own consumer and task)."))
    partner_webhook_max_redirects: int = Field(3, ge=0, le=10, description="Redirects followed (each one checked).")
    partner_webhook_ack_wait_seconds: float = Field(60.0, gt=0, description=(
        "JetStream ack wait of the webhook consumers (renewed while a retry waits)."))
    partner_webhook_fetch_wait_seconds: float = Field(2.0, gt=0, description="Long-poll of a webhook consumer.")
    partner_webhook_sync_seconds: float = Field(10.0, gt=0, description=(
        "Period at which the subscriptions are re-read (changes through this replica apply at once)."))
