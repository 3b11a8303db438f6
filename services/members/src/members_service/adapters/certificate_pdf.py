"""Membership certificate (*attestation d'adhésion*) as a PDF, with fpdf2, in French or English.

Any name prints: the text is set in an embedded Unicode TrueType font (subset by fpdf2) —
Roboto from the pinned PyPI package `font-roboto` (Latin, Latin Extended, Vietnamese, Greek,
Cyrillic), else Debian's DejaVu Sans (`fonts-dejavu-core`) when installed. With neither, the
document still renders with the PDF core fonts (Latin-1 only: other characters become `?`)
and a warning is logged once.
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from members_service.domain.membership import Membership, MembershipConflict, MembershipStatus, PlanKind
from servicekit.logging import get_logger

log = get_logger(__name__)
# fontTools logs ~90 INFO lines per subset font ("glyf pruned"…): a certificate is one line's worth.
logging.getLogger("fontTools").setLevel(logging.WARNING)

PARIS = ZoneInfo("Europe/Paris")

TEXT = {
    "fr": {
        "title": "Attestation d'adhésion",
        "body": "{entity} atteste que {name} est membre de l'association au titre de la formule « {plan} ».",
        "period": "Période d'adhésion : du {start} au {end}.",
        "lifetime": "Adhésion à vie depuis le {start}.",
        "status": "Statut au {today} : {status}.",
        "paid": "Montant acquitté : {amount}.",
        "deductible": "Dont {amount} ouvrant droit à réduction d'impôt.",
        "issued": "Fait le {today}. Document n° {ref}.",
        "statuses": {"active": "à jour de cotisation", "in_grace": "renouvellement en attente (période de grâce)",
                     "lifetime": "membre à vie"},
    },
    "en": {
        "title": "Membership certificate",
        "body": "{entity} certifies that {name} is a member of the association on the “{plan}” plan.",
        "period": "Membership period: from {start} to {end}.",
        "lifetime": "Lifetime member since {start}.",
        "status": "Status on {today}: {status}.",
        "paid": "Amount paid: {amount}.",
        "deductible": "Of which {amount} is tax-deductible.",
        "issued": "Issued on {today}. Reference {ref}.",
        "statuses": {"active": "dues paid", "in_grace": "renewal pending (grace period)", "lifetime": "lifetime member"},
    },
}


class NoCertificate(MembershipConflict):
    """Only a member with a paid (or free) period, currently covered, gets a certificate."""

    code = "no-membership-certificate"
    title = "No membership to certify"


@dataclass(frozen=True)
class CertificateInput:
    member_name: str
    membership: Membership
    language: str
    now: datetime


def _day(at: datetime, language: str) -> str:
    local = at.astimezone(PARIS)
    return local.strftime("%d/%m/%Y") if language == "fr" else local.strftime("%Y-%m-%d")


def _money(minor: int, currency: str, language: str) -> str:
    units, cents = divmod(minor, 100)
    if language == "fr":
        return f"{units:,}".replace(",", "\u202f") + f",{cents:02d} {currency}"
    return f"{currency} {units:,}.{cents:02d}"


def _latin1(text: str) -> str:
    text = text.replace("\u202f", " ").replace("“", '"').replace("”", '"')
    return text.encode("latin-1", "replace").decode("latin-1")


FAMILY = "CertificateSans"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
Styles = dict[str, Path]  # fpdf2 style ("", "B", "I") → TrueType file


def _roboto() -> Styles | None:
    try:
        files = importlib.resources.files("font_roboto") / "files"
    except ModuleNotFoundError:
        return None
    styles = {"": files / "Roboto-Regular.ttf", "B": files / "Roboto-Bold.ttf", "I": files / "Roboto-Italic.ttf"}
    if not all(f.is_file() for f in styles.values()):
        return None
    return {style: Path(str(f)) for style, f in styles.items()}


def _dejavu(directory: Path = DEJAVU) -> Styles | None:
    styles = {"": directory / "DejaVuSans.ttf", "B": directory / "DejaVuSans-Bold.ttf",
              "I": directory / "DejaVuSans-Oblique.ttf"}
    return styles if all(f.is_file() for f in styles.values()) else None


@cache
def unicode_font() -> Styles | None:
    """The TrueType files the certificate embeds, or None (core fonts, logged once)."""
    found = _roboto() or _dejavu()
    if found is None:
        log.warning("no Unicode TrueType font found (install font-roboto or fonts-dejavu-core): membership "
                    "certificates fall back to the PDF core fonts, names outside Latin-1 print as '?'")
    return found


CORE_FONTS: Styles = {}  # what `render_certificate` does when no Unicode font is installed


def render_certificate(data: CertificateInput, fonts: Styles | None = None) -> bytes:
    """`fonts`: None for the installed Unicode font (`unicode_font()`), `CORE_FONTS`, or explicit files."""
    styles = unicode_font() if fonts is None else fonts
    m, lang = data.membership, data.language if data.language in TEXT else "fr"
    t = TEXT[lang]
    if m.status not in (MembershipStatus.ACTIVE, MembershipStatus.IN_GRACE, MembershipStatus.LIFETIME):
        raise NoCertificate(f"membership is {m.status.value}")
    period = m.current_period
    if period is None:
        raise NoCertificate("no membership period")
    statuses: dict[str, str] = t["statuses"]  # type: ignore[assignment]
    entity = m.terms.legal_entity or ("L'association" if lang == "fr" else "The association")
    paid = sum(p.amount_minor - p.refunded_minor for p in m.payments if p.applied)
    lines = [str(t["body"]).format(entity=entity, name=data.member_name, plan=m.terms.name)]
    if m.status is MembershipStatus.LIFETIME or period.end is None:
        first = next((p.start for p in m.live_periods), period.start)
        lines.append(str(t["lifetime"]).format(start=_day(first, lang)))
    else:
        lines.append(str(t["period"]).format(start=_day(period.start, lang), end=_day(period.end, lang)))
    lines.append(str(t["status"]).format(today=_day(data.now, lang), status=statuses[m.status.value]))
    if paid:
        lines.append(str(t["paid"]).format(amount=_money(paid, m.terms.currency, lang)))
    if m.terms.tax_deductible_minor and m.terms.kind is PlanKind.ANNUAL and paid:
        lines.append(str(t["deductible"]).format(amount=_money(m.terms.tax_deductible_minor, m.terms.currency, lang)))
    ref = f"{m.id[-12:]}-{m.version}"

    pdf = FPDF(format="A4")
    pdf.set_creator("alumni platform")
    text: Callable[[str], str] = _latin1
    family = "Helvetica"
    if styles:
        for style, path in styles.items():
            pdf.add_font(FAMILY, style, str(path))
        family, text = FAMILY, str
    pdf.set_title(text(str(t["title"])))
    pdf.add_page()
    pdf.set_font(family, "B", 20)
    pdf.cell(0, 20, text(str(t["title"])), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(8)
    pdf.set_font(family, "", 12)
    for line in lines:
        pdf.multi_cell(0, 8, text(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(10)
    pdf.set_font(family, "I", 10)
    pdf.multi_cell(0, 6, text(str(t["issued"]).format(today=_day(data.now, lang), ref=ref)),
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
