"""The ticket: a QR code (segno) of the ticket code, as an SVG ticket to download and as a PNG
data URI for the confirmation email. The QR carries only the code (alphanumeric mode, error
correction M — readable off a cracked phone screen), never a URL or personal data: the desk
looks the code up, so a photographed ticket tells a stranger nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno

_LABELS = {"fr": ("Billet", "Présentez ce code à l'accueil"), "en": ("Ticket", "Show this code at the desk")}


def qr(code: str) -> segno.QRCode:
    return segno.make_qr(code, error="m", boost_error=False)


def qr_png_data_uri(code: str, scale: int = 6) -> str:
    return qr(code).png_data_uri(scale=scale, border=2)


def qr_svg(code: str, scale: int = 6) -> str:
    out = io.BytesIO()
    qr(code).save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, omitsize=False)
    return out.getvalue().decode()


@dataclass(frozen=True)
class TicketInput:
    code: str
    title: str
    attendee: str
    starts_at: datetime
    timezone: str
    venue: str
    guests: int
    language: str = "fr"


def ticket_svg(t: TicketInput) -> str:
    """A 400×560 SVG ticket; every text goes through XML escaping (hostile names stay text)."""
    heading, hint = _LABELS.get(t.language, _LABELS["en"])
    local = t.starts_at.astimezone(ZoneInfo(t.timezone))
    when = local.strftime("%d/%m/%Y %H:%M") if t.language == "fr" else local.strftime("%Y-%m-%d %H:%M")
    guests = f" (+{t.guests})" if t.guests else ""
    code_svg = qr_svg(t.code, scale=8)
    lines = [(heading, 28, "bold"), (t.title[:60], 40 + 28, "bold"), (f"{t.attendee[:60]}{guests}", 96 + 28, "normal"),
             (f"{when} ({t.timezone})", 124 + 28, "normal"), (t.venue[:70], 152 + 28, "normal")]
    texts = "".join(f'<text x="24" y="{y}" font-family="sans-serif" font-size="16" font-weight="{w}">'
                    f"{escape(s)}</text>" for s, y, w in lines)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="560" viewBox="0 0 400 560">'
            '<rect width="400" height="560" fill="#fff" stroke="#222"/>'
            f"{texts}"
            f'<g transform="translate(64,200)">{code_svg}</g>'
            f'<text x="200" y="500" text-anchor="middle" font-family="monospace" font-size="18">{escape(t.code)}</text>'
            f'<text x="200" y="530" text-anchor="middle" font-family="sans-serif" font-size="12">{escape(hint)}</text>'
            "</svg>")
