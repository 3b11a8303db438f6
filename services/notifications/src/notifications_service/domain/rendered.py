from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedEmail:
    """One message rendered: subject, plain text and (CSS-inlined) HTML."""

    subject: str
    text: str
    html: str
