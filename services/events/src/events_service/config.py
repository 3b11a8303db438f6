from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    """Environment variables prefixed `EVENTS_`."""

    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore")

    mongo_db: str = Field("alumni_events", description="Database owned by this service.")
    http_port: int = Field(8102, description="Port of /health and /metrics (0: none).")
