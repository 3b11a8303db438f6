from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class FundraisingSettings(ServiceSettings):
    """Environment variables prefixed `FUNDRAISING_`."""

    model_config = SettingsConfigDict(env_prefix="FUNDRAISING_", extra="ignore")

    mongo_db: str = Field("alumni_fundraising", description="Database owned by this service.")
    http_port: int = Field(8103, description="Port of /health and /metrics (0: none).")
    payment_provider: Literal["stripe", "local"] | None = Field(
        None, description="Provider of new online checkouts; default: Stripe when configured, else the local "
                          "development provider when configured (none: online payment answers 502).")
    stripe_api_key: SecretStr | None = Field(None, description="Stripe secret API key (a secret; never logged).")
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Signing secret of the Stripe webhook endpoint (`whsec_…`; a secret).")
    stripe_api_base: str | None = Field(None, description="Another Stripe API address (tests: a local stub).")
    payment_return_url: str = Field("http://127.0.0.1:8000/console/",
                                    description="Where the payer returns after the hosted checkout, when the "
                                                "request names no `return_url`.")
    local_checkout_url: str | None = Field(
        None, description="Development only: base URL of the local provider's hosted-checkout page (the runner's).")
    local_webhook_secret: SecretStr | None = Field(
        None, description="Development only: secret the local provider signs its webhooks with (a secret).")
    webhook_tolerance_seconds: int = Field(300, ge=1, le=300,
                                           description="Largest age of a webhook's signed timestamp.")
    checkout_ttl_minutes: int = Field(60, ge=30, le=1440, description="Lifetime of a hosted checkout.")
    recurring_charge_sweep_seconds: float = Field(
        3600, ge=1, description="How often the scheduler charges the recurring gifts due (one replica at a time).")
    test_clock: bool = Field(
        False, description="Development and tests only: `POST /api/v1/recurring-gifts/charge-due` may name a day "
                           "in the future (`as_of`), advancing the time of the charges.")
    receipt_job_lease_seconds: float = Field(
        30.0, ge=2, le=600, description="Lease of a yearly-receipt job on its worker, renewed between batches "
                                        "(so longer than one batch of 100 donors): how soon another worker "
                                        "resumes a crashed one's job.")
