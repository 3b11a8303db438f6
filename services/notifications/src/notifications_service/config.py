from __future__ import annotations

import json

from pydantic import Field, SecretStr
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
    delivery_batch_size: int = Field(100, ge=1, le=1000, description="Emails claimed per delivery round.")
    delivery_settle_every: int = Field(25, ge=1, description=(
        "Sent marketing emails recorded per transaction (one write and one outbox insert); a crash re-sends "
        "at most two such chunks, with the same Message-IDs. Transactional emails are recorded one by one."))
    smtp_pool_size: int = Field(4, ge=1, le=32, description=(
        "Persistent SMTP sessions per tenant (emails sent concurrently per tenant)."))
    smtp_max_messages_per_connection: int = Field(500, ge=1, description=(
        "Messages sent over one SMTP session before it is closed and a fresh one opened."))
    smtp_idle_seconds: float = Field(30.0, gt=0, description="An SMTP session idle this long is closed.")
    delivery_poll_seconds: float = Field(1.0, gt=0, description="Fallback polling period of the mailer.")
    delivery_lease_seconds: float = Field(60.0, gt=0, description="How long a claimed email is reserved.")
    delivery_max_attempts: int = Field(8, ge=1, description="SMTP attempts before an email is marked failed.")
    reminder_sweep_seconds: float = Field(300.0, gt=0, description=(
        "Period of the dues reminder sweep (leased: one replica at a time; a run catches up whatever came due)."))
    reminder_notice_days: int = Field(30, ge=1, le=180, description=(
        "Days before the end of a paid period (or an instalment's cover) when the renewal notice is sent."))
    reminder_grace_fraction: float = Field(0.5, ge=0, lt=1, description=(
        "Share of the grace period after which the grace reminder is sent (0.5: halfway)."))
    public_url: str = Field("http://127.0.0.1:8000", description=(
        "The gateway's public base URL: one-click unsubscribe links and the preferences page point there."))
    unsubscribe_secret: SecretStr = Field(SecretStr("dev-unsubscribe-secret-change-me"), description=(
        "Key signing one-click unsubscribe tokens (HMAC-SHA256, 16+ characters; set it in production)."))
    unsubscribe_ttl_days: int = Field(60, ge=1, le=365, description="How long an unsubscribe link works.")
    ticket_seal_secrets: SecretStr = Field(SecretStr(""), description=(
        "Comma-separated secrets (newest first, 32+ characters each) opening the ticket codes the events "
        "service seals in registration_confirmed (EVENTS_TICKET_SEAL_SECRETS, same value): the confirmation "
        "email shows the ticket's QR code. Empty: the email links to the ticket in the member's space."))
    bounce_webhook_secret: SecretStr = Field(SecretStr(""), description=(
        "Key of the email provider's bounce/complaint webhook signatures (empty: the webhook refuses all)."))
    soft_bounce_limit: int = Field(3, ge=1, description="Soft bounces within 30 days that invalidate an address.")
    send_rate_per_tenant: float = Field(20.0, ge=0, description="Emails per second per tenant (0: unlimited).")
    tenant_branding: str = Field("{}", description=(
        'Per tenant JSON: {"demo": {"name": "…", "logo_url": "https://…", "primary_colour": "#1f3a93", '
        '"accent_colour": "#f4f6fb"}}; a tenant not listed gets the default look.'))
    newsletter_batch_size: int = Field(200, ge=1, le=5000, description="Newsletter fan-out: recipients queued per "
                                       "transaction (a crash repeats at most one batch, which queues nothing twice).")
    newsletter_max_pending: int = Field(1000, ge=1, description=(
        "Newsletter fan-out: messages of one newsletter queued and not yet sent before the fan-out waits for "
        "the mailer (keeps the delivery queue short: claims stay cheap, other mail is not stuck behind it)."))
    newsletter_sweep_seconds: float = Field(10.0, gt=0, description="How often scheduled newsletters are looked for "
                                            "(a send-now starts at once).")

    def brands(self) -> dict[str, dict[str, str]]:
        data = json.loads(self.tenant_branding or "{}")
        if not isinstance(data, dict):
            raise ValueError("NOTIFICATIONS_TENANT_BRANDING is a JSON object of tenants")
        return data
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
    webhook_secret_keys: SecretStr = Field(SecretStr(""), description=(
        'Keys encrypting partner webhook signing secrets at rest, JSON {"<key id>": "<base64 of 32 random bytes>"} '
        "(a Kubernetes Secret; `make run` generates one into its data directory). Several keys during a "
        "rotation; empty: a development key that is in the source (start-up warns; set it in production)."))
    webhook_secret_key_id: str | None = Field(None, description=(
        "The key id new secrets are encrypted with (default: the only key, else the last id in sort order)."))
    # Who is told when a partner webhook is disabled automatically (notifications does not know staff accounts).
    tenant_managers: str = Field("{}", description=(
        'Per tenant JSON: {"demo": [{"email": "office@example.org", "locale": "fr"}]}: the managers emailed '
        "when a partner webhook is auto-disabled (every staff member also sees it in the console's staff alerts)."))

    def managers(self) -> dict[str, list[dict[str, str]]]:
        data = json.loads(self.tenant_managers or "{}")
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise ValueError("NOTIFICATIONS_TENANT_MANAGERS is a JSON object of tenant → list of managers")
        return data
