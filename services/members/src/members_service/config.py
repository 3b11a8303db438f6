from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    """Environment variables prefixed `MEMBERS_` (e.g. `MEMBERS_MONGO_URI`)."""

    model_config = SettingsConfigDict(env_prefix="MEMBERS_", extra="ignore")

    mongo_db: str = "alumni_members"
    http_port: int = 8101
