from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import LoggingConfig, NatsConfig


class GatewaySettings(NatsConfig, LoggingConfig):
    """Environment variables prefixed `GATEWAY_`."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    http_host: str = Field("127.0.0.1", description="Interface the API listens on.")
    http_port: int = Field(8000, description="Port the API listens on.")
    tenants: list[str] = Field(default_factory=lambda: ["demo"], description="Tenants served (JSON list).")
    jwt_issuer: str = Field("urn:alumni:dev-issuer", description="Expected `iss` of bearer tokens.")
    jwt_audience: str = Field("alumni-api", description="Expected `aud` of bearer tokens.")
    jwks_url: str | None = Field(None, description="OIDC JWKS URL of the production issuer.")
    dev_issuer_key_file: Path | None = Field(
        None, description="Development only: PEM key of the local issuer (created if missing).")
    max_body_bytes: int = Field(64 * 1024, description="Largest request body accepted.")
    max_upload_bytes: int = Field(64 * 1024 * 1024, description="Largest CSV file accepted by `POST /api/v1/imports`.")
    rate_limit_per_minute: int = Field(
        6000, ge=0, description="Requests per minute per client on the API (a verified token's tenant and "
                                "subject; else the client address); 0: no limit. Per gateway replica.")
    rate_limit_exempt_subjects: list[str] = Field(
        default_factory=list, description="Token subjects (`sub`) exempt from the API rate limit (JSON list), "
                                          "e.g. a trusted seeding job; only verified tokens count.")
    public_rate_limit_per_minute: int = Field(
        120, ge=0, description="Requests per minute per address on the unauthenticated `/api/v1/public/` routes; "
                               "0: no limit.")
    webhook_rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per minute per address on the payment providers' webhook route "
                               "(`/api/v1/payments/webhooks/`, no token); 0: no limit.")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or networks of reverse proxies whose `X-Forwarded-For` and "
                                          "`X-Forwarded-Proto` are believed (JSON list, e.g. `[\"10.0.0.0/8\"]`); "
                                          "empty: the headers are ignored and the peer address is the client.")
    dev_mailbox_url: str | None = Field(None, description="Development only: SMTP sink's JSON API.")


