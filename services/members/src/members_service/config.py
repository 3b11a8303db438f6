from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    """Environment variables prefixed `MEMBERS_` (e.g. `MEMBERS_MONGO_URI`)."""

    model_config = SettingsConfigDict(env_prefix="MEMBERS_", extra="ignore")

    mongo_db: str = Field("alumni_members", description="Database owned by this service.")
    directory_sketch_seconds: float = Field(
        900.0, gt=0, description="Age after which the directory's name-order sketch is rebuilt (seconds); "
                                 "it is also rebuilt as soon as a search finds it stale.")
    showcase_sweep_seconds: float = Field(
        30.0, gt=0, description="How often expired showcase consents are looked for, to emit "
                                "`showcase_unpublished` (the public endpoint hides them at once).")
    import_lease_seconds: float = Field(
        120.0, gt=0, description="Lease of the import worker on a job; another replica takes a job over "
                                 "when its worker stopped renewing it for this long.")
    import_report_retention_days: float = Field(
        7.0, gt=0, description="How long an import job, its report and its rejected rows (personal data copied "
                               "from the file) are kept: from the upload while nobody commits it, from the end of "
                               "the commit afterwards. Then they are deleted.")
    membership_sweep_seconds: float = Field(
        60.0, gt=0, description="How often the membership scheduler runs the time rules (end of period → grace, "
                                "end of grace → lapsed); leased: one replica at a time, catching up after downtime.")
    http_port: int = Field(8101, description="Port of /health and /metrics (0: none).")
