from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class CommunitySettings(ServiceSettings):
    """Environment variables prefixed `COMMUNITY_`."""

    model_config = SettingsConfigDict(env_prefix="COMMUNITY_", extra="ignore")

    mongo_db: str = Field("alumni_community", description="Database owned by this service.")
    http_port: int = Field(8105, description="Port of /health and /metrics (0: none).")
    help_helpers_per_round: int = Field(2, ge=1, le=10, description="Helpers a help request is offered to at once.")
    help_nudge_days: float = Field(7.0, gt=0, description="Days without an answer before the helper is nudged.")
    help_reroute_days: float = Field(3.0, ge=0, description="Days after the nudge, still without an answer, before "
                                                          "the request is re-routed to the next helpers.")
    help_max_rounds: int = Field(3, ge=1, le=10, description="Routing rounds before a request expires.")
    help_expire_days: float = Field(30.0, gt=0, description="Days after which an unaccepted request expires.")
    help_max_requests_per_week: int = Field(3, ge=1, description="Help requests one alumnus may open per 7 days.")
    help_max_open_requests: int = Field(2, ge=1, description="Requests one alumnus may have waiting at once.")
    help_sweep_seconds: float = Field(300.0, gt=0, description="Period of the help-request scheduler (leased).")
    job_sweep_seconds: float = Field(600.0, gt=0, description="Period of the job-offer expiry sweep (leased).")
    outcome_link_secret: SecretStr = Field(SecretStr("dev-outcome-link-secret-change-me"), description=(
        "Signs the outcomes-survey answer links (no login; at least 16 characters). Set your own in production."))
    outcome_link_days: float = Field(90.0, gt=0, description="Days an outcomes-survey answer link stays valid.")
    outcome_home_country: str = Field("FR", pattern=r"^[A-Z]{2}$",
                                      description="Country that is not 'abroad' in the outcome figures.")
