"""PDF documents (fpdf2) that print any name: what the members' certificate and the
fundraising tax receipts share.

The text is set in an embedded Unicode TrueType font (subset by fpdf2) — Roboto from the
pinned PyPI package `font-roboto` (Latin, Latin Extended, Vietnamese, Greek, Cyrillic), else
Debian's DejaVu Sans (`fonts-dejavu-core`) when installed. With neither, documents still render
with the PDF core fonts (Latin-1 only: other characters become `?`) and a warning is logged
once. Needs the `pdf` extra (`fpdf2`, `font-roboto`).
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpdf import FPDF

from servicekit.logging import get_logger

log = get_logger(__name__)
# fontTools logs ~90 INFO lines per subset font ("glyf pruned"…): a document is one line's worth.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY = "DocumentSans"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
Styles = dict[str, Path]  # fpdf2 style ("", "B", "I") → TrueType file
CORE_FONTS: Styles = {}  # "no Unicode font": the PDF core fonts


def cp1252(text: str) -> str:
    """What the core fonts print of `text` with the Windows-1252 encoding (€, œ, ’, « » included)."""
    return text.replace("\u202f", " ").encode("cp1252", "replace").decode("cp1252")


def fits_core_fonts(texts: Iterable[str]) -> bool:
    """Whether every text prints with the PDF core fonts (Windows-1252): then nothing needs
    embedding, ~15× faster than parsing and subsetting TrueType files (bench/receipts_yearly.py)."""
    try:
        for text in texts:
            text.replace("\u202f", " ").encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def latin1(text: str) -> str:
    """What the core fonts can print of `text`."""
    text = text.replace("\u202f", " ").replace("\u00a0", " ").replace("“", '"').replace("”", '"')
    text = text.replace("«", '"').replace("»", '"').replace("’", "'").replace("€", "EUR")
    return text.encode("latin-1", "replace").decode("latin-1")


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
    """The TrueType files documents embed, or None (core fonts, logged once)."""
    found = _roboto() or _dejavu()
    if found is None:
        log.warning("no Unicode TrueType font found (install font-roboto or fonts-dejavu-core): PDF documents "
                    "fall back to the PDF core fonts, names outside Latin-1 print as '?'")
    return found


@dataclass
class PdfDocument:
    """An A4 fpdf2 document with its font family and the text filter that font needs."""

    pdf: FPDF
    family: str
    text: Callable[[str], str]

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def new_document(title: str, fonts: Styles | None = None, styles: str = "BI",
                 texts: Iterable[str] | None = None) -> PdfDocument:
    """`fonts`: None for the installed Unicode font (`unicode_font()`), `CORE_FONTS`, or explicit files.
    `styles`: the styles used besides regular — each embedded font costs parsing and subsetting
    (~0.1 s each on this machine: bench/receipts_yearly.py). `texts`: everything the document
    will print — when all of it fits the core fonts (and no font was named), none is embedded."""
    wanted = styles
    core = fonts is None and texts is not None and fits_core_fonts([title, *texts])
    styles_found = CORE_FONTS if core else unicode_font() if fonts is None else fonts
    pdf = FPDF(format="A4")
    pdf.set_creator("alumni platform")
    text: Callable[[str], str] = latin1
    if core:
        pdf.core_fonts_encoding = "windows-1252"
        text = cp1252
    family = "Helvetica"
    if styles_found:
        for style, path in styles_found.items():
            if style == "" or style in wanted:
                pdf.add_font(FAMILY, style, str(path))
        family, text = FAMILY, str
    pdf.set_title(text(title))
    return PdfDocument(pdf, family, text)
