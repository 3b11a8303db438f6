"""Consents: the ledger of what each member agreed to."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from alumni_contracts._requests import Request, Result
from alumni_contracts.common import ConsentChannel, Identifier, Locale, Purpose
from alumni_contracts.members.commands.showcase import ShowcaseScopeIn, ShowcaseScopeOut

SET_CONSENT = "set_consent"
GET_CONSENTS = "get_consents"


class ConsentStateOut(Result):
    purpose: Purpose
    granted: bool
    text_version: str
    language: Locale
    channel: ConsentChannel
    at: AwareDatetime
    scope: ShowcaseScopeOut | None = None


class ConsentChoice(Request):
    """Body of a consent call (`PUT .../consents/{purpose}`): the choice and the exact text the
    member saw. The one definition: the gateway's body and the command below share it."""

    granted: bool
    text_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,40}$")] = Field(
        description="Version of the consent text the member saw.", examples=["directory-2026-09"])
    language: Locale = Field(description="Language the text was shown in.")
    channel: ConsentChannel = ConsentChannel.WEB
    scope: ShowcaseScopeIn | None = Field(None, description="Showcase only, required to grant it.")

    @field_validator("channel")
    @classmethod
    def _not_email(cls, channel: ConsentChannel) -> ConsentChannel:
        if channel is ConsentChannel.EMAIL:  # recorded only from an email's one-click unsubscribe link
            raise ValueError("the email channel is recorded by the unsubscribe link, not through the API")
        return channel


class SetConsent(ConsentChoice):
    purpose: Purpose
    member_id: Identifier | None = Field(None, description="Staff only: whose consent is recorded (paper form).")

    @model_validator(mode="after")
    def _scope_only_for_showcase(self) -> SetConsent:
        if self.scope is not None and self.purpose is not Purpose.SHOWCASE:
            raise ValueError("only the showcase consent has a scope")
        if self.purpose is Purpose.SHOWCASE and self.granted and self.scope is None:
            raise ValueError("granting the showcase consent requires a scope (fields, channels, expires_at)")
        return self


class GetConsents(Request):
    member_id: Identifier | None = Field(None, description="Staff only; alumni read their own.")


class ConsentRecordOut(Result):
    purpose: Purpose
    granted: bool
    text_version: str
    language: Locale
    channel: ConsentChannel
    actor_role: str
    at: AwareDatetime
    scope: ShowcaseScopeOut | None = None


class ConsentLedger(Result):
    member_id: Identifier
    current: list[ConsentStateOut]
    history: list[ConsentRecordOut] = Field(description="Every grant and withdrawal, oldest first.")
