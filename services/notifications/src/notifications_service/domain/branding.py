"""A tenant's look in its emails: name, logo and colours (configuration, validated)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Brand:
    name: str = "Alumni"
    logo_url: str = ""  # https only; empty: the name alone
    primary_colour: str = "#1f3a93"
    accent_colour: str = "#f4f6fb"

    def __post_init__(self) -> None:
        for colour in (self.primary_colour, self.accent_colour):
            if not _COLOUR.match(colour):
                raise ValueError(f"a brand colour is #rrggbb, not {colour!r}")
        if self.logo_url and not self.logo_url.startswith("https://"):
            raise ValueError("a brand logo is an https URL")
