"""Sectors: the tenant's list of career sectors."""

from __future__ import annotations

from pydantic import Field

from alumni_contracts._requests import Request, Result
from alumni_contracts.members.commands.common import SectorCode
from alumni_contracts.text import ShortText

GET_SECTORS = "get_sectors"
SET_SECTORS = "set_sectors"


class SectorIn(Request):
    code: SectorCode = Field(examples=["aerospace"])
    label_fr: ShortText = Field(examples=["Aéronautique et spatial"])
    label_en: ShortText = Field(examples=["Aerospace"])


class SectorOut(Result):
    code: str
    label_fr: str
    label_en: str


class GetSectors(Request):
    pass


class SetSectors(Request):
    version: int = Field(ge=0, description="The version you read (0: the default list).")
    sectors: list[SectorIn] = Field(min_length=1, max_length=200)


class SectorListOut(Result):
    version: int = Field(description="0 while the tenant uses the default list.")
    sectors: list[SectorOut]
