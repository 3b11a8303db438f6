"""Base of request payloads: strict, so unknown fields (mass assignment) are refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
