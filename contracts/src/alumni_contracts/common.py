"""Value types shared by several contracts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from alumni_contracts._requests import Request
from alumni_contracts.text import ShortText

Tenant = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,32}$")]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# The currencies the platform takes money in: ISO 4217 codes with two decimals. Amounts are
# integer minor units everywhere and every screen, certificate and receipt shows two decimals,
# so a code outside ISO 4217, or a zero- or three-decimal one (JPY, XOF, TND…), would be shown
# (or charged) a hundred times off.
TWO_DECIMAL_CURRENCIES = frozenset({
    "AED", "AUD", "BGN", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EGP", "EUR", "GBP", "HKD", "HUF", "ILS",
    "INR", "MAD", "MXN", "NOK", "NZD", "PLN", "QAR", "RON", "SAR", "SEK", "SGD", "TRY", "USD", "ZAR",
})


def _not_a_number(value: object) -> object:
    if isinstance(value, int | float):  # bool too
        raise ValueError("expected an ISO 8601 date-time string, not a number")
    return value


# A date-time in a request: an ISO 8601 string with its offset, as the JSON Schema says.
# Plain `AwareDatetime` also takes a number (Unix seconds) in lax mode, which a client's bug
# then stores as 1970-01-01 without a word.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]


class Locale(StrEnum):
    FR = "fr"
    EN = "en"


class Purpose(StrEnum):
    """Purposes a member consents to, each separately."""

    DIRECTORY = "directory"
    SHOWCASE = "showcase"
    NEWSLETTER = "newsletter"
    PARTNERS = "partners"
    SURVEYS = "surveys"
    FUNDRAISING = "fundraising"


class ConsentChannel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    CONSOLE = "console"
    IMPORT = "import"
    EMAIL = "email"  # the one-click unsubscribe link of an email (or a spam complaint)


class Cohort(BaseModel):
    """A graduating class (*promotion*): a program and a graduation year."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    program: str = Field(description="Program (degree course) name.", examples=["MSc Finance"],
                         min_length=1, max_length=120)
    graduation_year: int = Field(description="Year of graduation.", examples=[2012], ge=1900, le=2100)


class CohortIn(Cohort, Request):
    """A cohort in a request: strict (unknown fields refused) and its program a person-facing text.
    Events carry `Cohort`, a tolerant reader; this is a `Cohort` too, so handlers need not care."""

    program: ShortText = Field(description="Program (degree course) name.", examples=["MSc Finance"])


class Money(BaseModel):
    """An amount in integer minor units (cents) of an ISO 4217 currency; never a float."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    minor_units: int = Field(description="Amount in minor units (e.g. cents).", examples=[5000], gt=0)
    currency: CurrencyCode = Field(description="ISO 4217 currency code.", examples=["EUR"])


class MoneyIn(Money, Request):
    """An amount in a request: strict (unknown fields refused)."""
