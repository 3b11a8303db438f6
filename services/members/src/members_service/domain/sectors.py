"""The tenant's list of business sectors used in career histories.

Each tenant edits its own list (a business school and an engineering school do not sort
careers the same way); until it does, the default list below applies. A career position may
only name a code of the list in force when it is saved; removing a code later leaves the
positions that use it as they are (history is not rewritten).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from servicekit.domain import DomainError

CODE = re.compile(r"^[a-z0-9-]{2,40}$")


class InvalidSectorList(DomainError):
    code = "invalid-sector-list"
    title = "Invalid sector list"


class UnknownSector(DomainError):
    code = "unknown-sector"
    title = "Unknown sector"


@dataclass(frozen=True)
class Sector:
    code: str
    label_fr: str
    label_en: str


@dataclass(frozen=True)
class SectorList:
    sectors: tuple[Sector, ...]
    version: int = 0  # 0: the default list, never saved by the tenant

    def __post_init__(self) -> None:
        codes = [s.code for s in self.sectors]
        if not codes:
            raise InvalidSectorList("the list needs at least one sector")
        bad = [c for c in codes if not CODE.match(c)]
        if bad:
            raise InvalidSectorList(f"invalid codes (lower-case letters, digits, dashes): {', '.join(bad)}")
        if len(set(codes)) != len(codes):
            raise InvalidSectorList("a code is listed twice")
        if any(not s.label_fr.strip() or not s.label_en.strip() for s in self.sectors):
            raise InvalidSectorList("every sector needs a French and an English label")

    def check(self, codes: set[str]) -> None:
        unknown = sorted(codes - {s.code for s in self.sectors})
        if unknown:
            raise UnknownSector(f"not in the tenant's sector list: {', '.join(unknown)}")


DEFAULT_SECTORS = SectorList(tuple(Sector(code, fr, en) for code, fr, en in (
    ("aerospace", "Aéronautique et spatial", "Aerospace"),
    ("agrifood", "Agroalimentaire", "Agriculture and food"),
    ("banking", "Banque et finance", "Banking and finance"),
    ("consulting", "Audit et conseil", "Audit and consulting"),
    ("consumer-goods", "Biens de consommation", "Consumer goods"),
    ("construction", "BTP et immobilier", "Construction and real estate"),
    ("culture-media", "Culture et médias", "Culture and media"),
    ("education-research", "Enseignement et recherche", "Education and research"),
    ("energy", "Énergie", "Energy"),
    ("health", "Santé", "Health"),
    ("industry", "Industrie", "Manufacturing"),
    ("insurance", "Assurance", "Insurance"),
    ("law", "Droit", "Law"),
    ("luxury-retail", "Luxe et distribution", "Luxury and retail"),
    ("nonprofit", "Associations et ONG", "Non-profit"),
    ("public-sector", "Fonction publique", "Public sector"),
    ("technology", "Informatique et numérique", "Technology and digital"),
    ("telecom", "Télécommunications", "Telecommunications"),
    ("transport-logistics", "Transport et logistique", "Transport and logistics"),
    ("tourism-hospitality", "Tourisme et hôtellerie", "Tourism and hospitality"),
    ("other", "Autre", "Other"),
)))
