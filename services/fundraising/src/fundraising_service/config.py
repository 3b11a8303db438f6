from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class FundraisingSettings(ServiceSettings):
    """Environment variables prefixed `FUNDRAISING_`."""

    model_config = SettingsConfigDict(env_prefix="FUNDRAISING_", extra="ignore")

    mongo_db: str = Field("alumni_fundraising", description="Database owned by this service.")
    http_port: int = Field(8103, description="Port of /health and /metrics (0: none).")
