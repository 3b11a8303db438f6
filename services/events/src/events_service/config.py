from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    """Environment variables prefixed `EVENTS_`."""

    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore")

    mongo_db: str = "alumni_events"
    http_port: int = 8102
