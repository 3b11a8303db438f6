from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    """Environment variables prefixed `EVENTS_`."""

    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore")

    mongo_db: str = Field("alumni_events", description="Database owned by this service.")
    http_port: int = Field(8102, description="Port of /health and /metrics (0: none).")
    hold_sweep_seconds: float = Field(15.0, description="How often lapsed seat offers and unpaid holds are released.")
    claim_sweep_seconds: float = Field(2.0, description="How often registration seat claims are settled "
                                       "(a crashed attempt's seat is released).")
    claim_grace_seconds: float = Field(2.0, description="A seat claim younger than this is left to its "
                                       "registration attempt.")
    invitation_sweep_seconds: float = Field(2.0, description="How often the batches of a large invitation after "
                                            "its first are sent (one transaction each; resumed after a crash).")
    invitation_grace_seconds: float = Field(0.0, description="A batch younger than this waits for the next sweep "
                                            "(0: at once; the command itself sends only the first batch).")
    ticket_seal_secrets: SecretStr = Field(SecretStr(""), description=(
        "Comma-separated secrets (newest first, 32+ characters each) sealing a confirmed registration's "
        "ticket code for notifications, which puts its QR code in the confirmation email; the same value "
        "as NOTIFICATIONS_TICKET_SEAL_SECRETS. Empty: the code is left out (the email links to the ticket)."))
