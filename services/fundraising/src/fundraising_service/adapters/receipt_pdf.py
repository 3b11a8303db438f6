"""A tax receipt as a PDF (fpdf2, fonts from `servicekit.pdf`): the official French receipt
with the mentions of Cerfa n° 11580 (individuals) or n° 16216 (companies), or an English
courtesy copy that says it is one."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from fundraising_service.domain.receipts import (
    DonorKind,
    GiftNature,
    Receipt,
    ReceiptSource,
    ReceiptStatus,
    amount_in_words,
)
from servicekit import pdf as pdf_kit

PARIS = ZoneInfo("Europe/Paris")

METHODS = {
    "fr": {"card": "carte bancaire", "sepa_debit": "prélèvement SEPA", "cheque": "chèque", "transfer": "virement",
           "cash": "espèces", "mixed": "plusieurs modes", "unspecified": "non précisé"},
    "en": {"card": "card", "sepa_debit": "SEPA direct debit", "cheque": "cheque", "transfer": "bank transfer",
           "cash": "cash", "mixed": "several methods", "unspecified": "unspecified"},
}
NATURES = {
    "fr": {GiftNature.CASH: "Numéraire", GiftNature.IN_KIND: "Don en nature",
           GiftNature.EXPENSE_WAIVER: "Abandon de frais"},
    "en": {GiftNature.CASH: "Cash", GiftNature.IN_KIND: "In kind", GiftNature.EXPENSE_WAIVER: "Waived expenses"},
}
TEXT = {
    "fr": {
        "title": "Reçu au titre des dons à certains organismes d'intérêt général",
        "form": "Cerfa n° {cerfa} — articles {article} du code général des impôts",
        "number": "Reçu n° {number}",
        "beneficiary": "Bénéficiaire des versements",
        "object": "Objet : {object}",
        "status": "Qualité : {status}",
        "donor": "Donateur",
        "company": "Entreprise donatrice",
        "siren": "SIREN : {siren}",
        "no_address": "(adresse non communiquée)",
        "certify": ("Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit à "
                    "réduction d'impôt la somme de :"),
        "words": "Somme en toutes lettres : {words}",
        "dates": "Date(s) du versement : {dates}",
        "summary": "Reçu annuel récapitulatif de {count} versements",
        "dues": "Part de la cotisation ouvrant droit à réduction d'impôt",
        "nature": "Nature du don : {nature}",
        "method": "Mode de versement : {method}",
        "article": ("Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit ouvrent droit "
                    "à la réduction d'impôt prévue à l'article {article} du CGI."),
        "signed": "Fait le {date}. {name}, {title}",
        "replaces": "Ce reçu annule et remplace le reçu n° {number}.",
        "void": "ANNULÉ — {reason}",
    },
    "en": {
        "title": "Tax receipt for gifts to public-interest organisations (courtesy translation)",
        "form": "French form Cerfa no. {cerfa} — French tax code (CGI) article {article}",
        "number": "Receipt no. {number}",
        "beneficiary": "Recipient",
        "object": "Object: {object}",
        "status": "Status: {status}",
        "donor": "Donor",
        "company": "Donor company",
        "siren": "SIREN: {siren}",
        "no_address": "(address not provided)",
        "certify": "The recipient acknowledges receiving, as tax-deductible gifts, the sum of:",
        "words": "Amount in words: {words}",
        "dates": "Date(s) of payment: {dates}",
        "summary": "Yearly summary receipt of {count} payments",
        "dues": "Tax-deductible share of membership dues",
        "nature": "Nature of the gift: {nature}",
        "method": "Method of payment: {method}",
        "article": ("The recipient certifies that the gifts it receives qualify for the tax reduction of article "
                    "{article} of the French tax code. Only the French receipt is valid for the tax authorities."),
        "signed": "Issued on {date}. {name}, {title}",
        "replaces": "This receipt voids and replaces receipt no. {number}.",
        "void": "VOID — {reason}",
    },
}


def money(minor: int, currency: str, language: str) -> str:
    units, cents = divmod(minor, 100)
    if language == "fr":
        return f"{units:,}".replace(",", "\u202f") + f",{cents:02d} €" if currency == "EUR" else \
            f"{units:,}".replace(",", "\u202f") + f",{cents:02d} {currency}"
    return f"€{units:,}.{cents:02d}" if currency == "EUR" else f"{currency} {units:,}.{cents:02d}"


def wrap(text: str, width_of: Callable[[str], float], width: float) -> list[str] | None:
    """Greedy word wrap of `text` (its own line breaks kept) to `width`; None when a single word
    is wider than that (the caller lets fpdf2 break inside it)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if width_of(candidate) <= width:
                current = candidate
                continue
            if not current or width_of(word) > width:
                return None
            out.append(current)
            current = word
        out.append(current)
    return out


def filename(receipt: Receipt, language: str) -> str:
    suffix = "" if language == "fr" else "-en"
    return f"recu-fiscal-{receipt.legal_entity_id}-{receipt.number}{suffix}.pdf"


def render_receipt(receipt: Receipt, language: str = "fr", fonts: pdf_kit.Styles | None = None,
                   replaces_number: str | None = None) -> bytes:
    lang = language if language in TEXT else "fr"
    t, entity, donor = TEXT[lang], receipt.entity, receipt.donor
    assert entity is not None and receipt.issued_at is not None
    form = receipt.form
    lines: list[tuple[str, int, str, float]] = []  # text, size, style, line height ("!": void, red)

    def line(value: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        lines.append((value, size, style, height))

    def gap(mm: float) -> None:
        lines.append(("", 0, "gap", mm))

    line(t["form"].format(cerfa=form.number, article=form.cgi_article), 8)
    line(t["title"], 14, "B", 8)
    line(t["number"].format(number=receipt.number), 12, "B", 7)
    if receipt.status is ReceiptStatus.VOIDED:
        line(t["void"].format(reason=receipt.void_reason or ""), 12, "B!", 7)
    gap(3)
    line(t["beneficiary"], 11, "B", 6)
    line(entity.name)
    line(entity.address)
    line(t["object"].format(object=entity.object))
    line(t["status"].format(status=entity.status))
    gap(3)
    line(t["company"] if donor.kind is DonorKind.COMPANY else t["donor"], 11, "B", 6)
    line(donor.name)
    if donor.company_id:
        line(t["siren"].format(siren=donor.company_id))
    line(donor.address or t["no_address"])
    gap(3)
    line(t["certify"])
    line(money(receipt.amount_minor, receipt.currency, lang), 13, "B", 7)
    line(t["words"].format(words=amount_in_words(receipt.amount_minor, lang)))
    if receipt.source is ReceiptSource.YEARLY_SUMMARY:
        line(t["summary"].format(count=len(receipt.lines)))
    if receipt.source is ReceiptSource.DUES:
        line(t["dues"])
    dates = sorted({ln.received_on for ln in receipt.lines})
    shown = ", ".join(d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat() for d in dates[:24])
    line(t["dates"].format(dates=shown + (" …" if len(dates) > 24 else "")))
    line(t["nature"].format(nature=NATURES[lang][receipt.nature]))
    line(t["method"].format(method=METHODS[lang].get(receipt.method, receipt.method)))
    gap(3)
    line(t["article"].format(article=form.cgi_article), 9, "", 5)
    if replaces_number:
        line(t["replaces"].format(number=replaces_number), 9, "B", 5)
    gap(6)
    issued = receipt.issued_at.astimezone(PARIS)
    line(t["signed"].format(date=issued.strftime("%d/%m/%Y") if lang == "fr" else issued.date().isoformat(),
                            name=entity.signatory_name, title=entity.signatory_title))

    # No italics (one font less to embed); no font at all when every character fits the core fonts.
    doc = pdf_kit.new_document(t["title"], fonts, styles="B", texts=[value for value, *_ in lines])
    pdf, family, text = doc.pdf, doc.family, doc.text
    pdf.add_page()
    for value, size, style, height in lines:
        if style == "gap":
            pdf.ln(height)
            continue
        pdf.set_font(family, style.rstrip("!"), size)
        if style.endswith("!"):
            pdf.set_text_color(180, 0, 0)
        shown = text(value)
        # fpdf2's `multi_cell` measures the growing line again for every character it adds
        # (quadratic: ~85% of a receipt's rendering time): lines are broken here, word by word,
        # and written with `cell`; a word wider than the page still goes through `multi_cell`.
        wrapped = wrap(shown, pdf.get_string_width, pdf.epw)
        if wrapped is None:
            pdf.multi_cell(0, height, shown, new_x="LMARGIN", new_y="NEXT")
        else:
            for part in wrapped:
                pdf.cell(0, height, part, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    return doc.output()
