"""The membership certificate prints any name: an embedded Unicode TrueType font (Roboto from
the pinned `font-roboto` package), read back with pypdf; without one, core fonts and a warning."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from structlog.testing import capture_logs

from members_service.adapters.certificate_pdf import (
    CORE_FONTS,
    CertificateInput,
    NoCertificate,
    render_certificate,
    unicode_font,
)
from members_service.domain.membership import Membership, Payment, PlanKind, PlanRef, PlanTerms
from servicekit import pdf as pdf_kit

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PLAN = PlanRef("standard", 1, PlanTerms("Standard", PlanKind.ANNUAL, 6000, "EUR",
                                        legal_entity="Association des diplômés", tax_deductible_minor=4500))
NAMES = ["Łukasz Żółć", "Nguyễn Thị Ánh", "Ægir Þórsson"]


def paid() -> Membership:
    m = Membership.join("demo", "m1", PLAN, NOW)
    m.apply_payment(Payment("p1", "standard", 6000, "EUR", NOW), NOW)
    return m


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts_of(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    found: set[str] = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]
            obj = font.get_object()
            descendants = obj.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else obj).get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found.add(f"{obj['/BaseFont']}{' (embedded)' if embedded else ''}")
    return found


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_any_name_prints_with_the_embedded_unicode_font(name: str, language: str) -> None:
    assert unicode_font() is not None, "font-roboto (constraints.txt) should be installed"
    pdf = render_certificate(CertificateInput(name, paid(), language, NOW))
    text = text_of(pdf)
    assert name in text and "?" not in text
    assert "Standard" in text and "Association des diplômés" in text
    assert ("Attestation d'adhésion" if language == "fr" else "Membership certificate") in text
    fonts = fonts_of(pdf)
    assert fonts and all("Roboto" in f and f.endswith("(embedded)") for f in fonts), fonts


def test_debians_dejavu_is_the_second_choice() -> None:
    dejavu = pdf_kit._dejavu()
    if dejavu is None:
        pytest.skip("fonts-dejavu-core is not installed here")
    pdf = render_certificate(CertificateInput(NAMES[1], paid(), "fr", NOW), fonts=dejavu)
    assert NAMES[1] in text_of(pdf) and all("DejaVu" in f for f in fonts_of(pdf))
    assert pdf_kit._dejavu(Path("/nonexistent")) is None


def test_without_a_unicode_font_the_certificate_still_renders_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = render_certificate(CertificateInput(NAMES[0], paid(), "fr", NOW), fonts=CORE_FONTS)
    text = text_of(pdf)
    assert "?ukasz" in text and "Standard" in text  # Latin-1 only: Ł is lost, the document is not
    assert all("Helvetica" in f for f in fonts_of(pdf))

    monkeypatch.setattr(pdf_kit, "_roboto", lambda: None)
    monkeypatch.setattr(pdf_kit, "_dejavu", lambda: None)
    unicode_font.cache_clear()
    try:
        with capture_logs() as logs:
            assert unicode_font() is None
            assert unicode_font() is None  # logged once
            render_certificate(CertificateInput(NAMES[2], paid(), "en", NOW))
        assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
            "no Unicode TrueType font found (install font-roboto or fonts-dejavu-core): PDF documents "
            "fall back to the PDF core fonts, names outside Latin-1 print as '?'"]
    finally:
        unicode_font.cache_clear()


def test_no_certificate_without_cover() -> None:
    with pytest.raises(NoCertificate):
        render_certificate(CertificateInput(NAMES[0], Membership.join("demo", "m1", PLAN, NOW), "fr", NOW))
