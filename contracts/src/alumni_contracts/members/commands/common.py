"""Field types shared by several slices of the members contracts."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{6,20}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
Year = Annotated[int, Field(ge=1900, le=2100)]
SectorCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,40}$")]
