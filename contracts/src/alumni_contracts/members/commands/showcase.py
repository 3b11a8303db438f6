"""Showcase: the public entries alumni write, published within their consent."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, HttpUrl, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import Cohort, Identifier, Timestamp
from alumni_contracts.text import PersonText, ShortText

SET_SHOWCASE = "set_showcase"
PUBLIC_SHOWCASE = "public_showcase"


class ShowcaseField(StrEnum):
    NAME = "name"
    COHORT = "cohort"
    PHOTO = "photo"
    QUOTE = "quote"
    STORY = "story"
    EMPLOYER = "employer"


class ShowcaseChannel(StrEnum):
    WEBSITE = "website"
    BROCHURES = "brochures"
    PARTNERS = "partners"


class ShowcaseScopeIn(Request):
    """What a showcase consent covers. Everything outside it stays unpublished."""

    fields: list[ShowcaseField] = Field(min_length=1, description="Fields that may be shown.",
                                        examples=[["name", "cohort", "quote"]])
    channels: list[ShowcaseChannel] = Field(min_length=1, description="Where they may be shown.",
                                            examples=[["website"]])
    expires_at: Timestamp = Field(description="When the consent ends; the entry is unpublished then.")


class ShowcaseScopeOut(Result):
    fields: list[ShowcaseField]
    channels: list[ShowcaseChannel]
    expires_at: AwareDatetime


class ShowcaseOut(Result):
    quote: str | None = None
    story: str | None = None
    photo_url: str | None = None
    employer: str | None = None
    job_title: str | None = None


class ShowcaseText(Request):
    """The showcase text an alumnus writes; shown only within their showcase consent."""

    quote: Annotated[str, PersonText(max_length=280, multiline=True)] | None = None
    story: Annotated[str, PersonText(max_length=3000, multiline=True)] | None = None
    photo_url: HttpUrl | None = Field(None, description="Defaults to the profile photo.")
    employer: ShortText | None = Field(None, description="Defaults to the current position.")
    job_title: ShortText | None = None

    @model_validator(mode="after")
    def _something(self) -> ShowcaseText:
        if not (self.quote or self.story):
            raise ValueError("a showcase entry needs a quote or a story")
        if self.job_title and not self.employer:
            raise ValueError("a job title goes with an employer")
        return self


class SetShowcase(ShowcaseText):
    member_id: Identifier | None = Field(None, description="Staff only: whose showcase is written.")


class RemoveShowcase(Request):
    member_id: Identifier | None = Field(None, description="Staff only.")


class PublicShowcaseQuery(Request):
    channel: ShowcaseChannel = ShowcaseChannel.WEBSITE


class ShowcaseEntryOut(Result):
    """A public entry: fields outside the alumnus' consent are absent."""

    entry_id: str
    first_name: str | None = None
    last_name: str | None = None
    cohort: Cohort | None = None
    photo_url: str | None = None
    quote: str | None = None
    story: str | None = None
    employer: str | None = None
    job_title: str | None = None


class ShowcasePage(Result):
    items: list[ShowcaseEntryOut]
