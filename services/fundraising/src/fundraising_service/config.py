from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class FundraisingSettings(ServiceSettings):
    """Environment variables prefixed `FUNDRAISING_`."""

    model_config = SettingsConfigDict(env_prefix="FUNDRAISING_", extra="ignore")

    mongo_db: str = "alumni_fundraising"
    http_port: int = 8103
