"""Membership certificate (*attestation d'adhésion*) as a PDF, with fpdf2, in French or English.

Any name prints: the fonts and the document set-up are `servicekit.pdf`'s (shared with the
fundraising tax receipts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from members_service.domain.membership import Membership, MembershipConflict, MembershipStatus, PlanKind
from servicekit import pdf as pdf_kit

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


CORE_FONTS = pdf_kit.CORE_FONTS  # what `render_certificate` does when no Unicode font is installed
Styles = pdf_kit.Styles
unicode_font = pdf_kit.unicode_font


def render_certificate(data: CertificateInput, fonts: Styles | None = None) -> bytes:
    """`fonts`: None for the installed Unicode font (`unicode_font()`), `CORE_FONTS`, or explicit files."""
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

    doc = pdf_kit.new_document(str(t["title"]), fonts)
    pdf, family, text = doc.pdf, doc.family, doc.text
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
