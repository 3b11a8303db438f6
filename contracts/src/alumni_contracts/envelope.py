"""The CloudEvents 1.0 envelope (structured JSON mode) every domain event travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from uuid6 import uuid7

from alumni_contracts import naming


def new_event_id() -> str:
    """UUIDv7: time-ordered, so ids sort by creation and index well."""
    return str(uuid7())


class EventData(BaseModel):
    """Base of every event payload: frozen, tolerant reader (unknown fields are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    service: ClassVar[str]
    event_name: ClassVar[str]
    version: ClassVar[int]

    @classmethod
    def type_name(cls) -> str:
        return naming.event_type(cls.service, cls.event_name, cls.version)

    @classmethod
    def key(cls) -> str:
        """`<service>.<event_name>.v<major>`, the short name used in docs and topology."""
        return f"{cls.service}.{cls.event_name}.v{cls.version}"


DataT = TypeVar("DataT", bound=EventData)


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 document with the platform's extension attributes."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = Field("1.0", description="CloudEvents specification version.")
    id: str = Field(description="UUIDv7 of this event; also the Nats-Msg-Id, outbox and inbox key.",
                    examples=["01938f6e-7f6a-7c3e-9d2b-2a7f1c0e4b11"], min_length=1, max_length=64)
    source: str = Field(description="Producing service, `/alumni/<service>`.", examples=["/alumni/members"])
    type: str = Field(description="`org.alumni.<service>.<event_name>.v<major>`.",
                      examples=["org.alumni.members.member_registered.v1"])
    time: AwareDatetime = Field(description="When the change happened (UTC).")
    subject: str = Field(description="Id of the aggregate the event is about.", min_length=1)
    datacontenttype: Literal["application/json"] = Field(
        "application/json", description="Always JSON."
    )
    dataschema: str = Field(description="Id of the JSON Schema of `data`.",
                            examples=["urn:alumni:schema:members:member_registered:v1"])
    data: DataT = Field(description="The versioned event payload.")
    tenant: str = Field(description="Organisation (tenant) slug the event belongs to.",
                        pattern=r"^[a-z0-9-]{2,32}$", examples=["demo"])
    correlationid: str = Field(description="Id shared by every message of one business flow.",
                               min_length=1)
    causationid: str | None = Field(None, description="Id of the message that caused this one.")
    aggregateversion: int = Field(description="Version of the aggregate after the change.", ge=0)

    @classmethod
    def wrap(
        cls,
        data: DataT,
        *,
        tenant: str,
        subject: str,
        aggregate_version: int,
        correlation_id: str,
        causation_id: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> CloudEvent[DataT]:
        model = type(data)
        return CloudEvent[model](  # type: ignore[valid-type]
            id=event_id or new_event_id(),
            source=naming.event_source(model.service),
            type=model.type_name(),
            time=time or datetime.now(UTC),
            subject=subject,
            dataschema=naming.dataschema(model.service, model.event_name, model.version),
            data=data,
            tenant=naming.validate_tenant(tenant),
            correlationid=correlation_id,
            causationid=causation_id,
            aggregateversion=aggregate_version,
        )

    def nats_subject(self) -> str:
        model = type(self.data)
        return naming.event_subject(self.tenant, model.service, model.event_name, model.version)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
