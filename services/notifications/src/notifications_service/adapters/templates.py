"""Jinja2 email templates, one file per template and language: first line is the subject."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

SUPPORTED_LOCALES = ("fr", "en")
FALLBACK_LOCALE = "fr"


class JinjaRenderer:
    def __init__(self) -> None:
        self._env = Environment(loader=PackageLoader("notifications_service", "templates"),
                                undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)

    def render(self, template: str, locale: str, values: dict[str, Any]) -> tuple[str, str]:
        lang = locale if locale in SUPPORTED_LOCALES else FALLBACK_LOCALE
        text = self._env.get_template(f"{template}.{lang}.txt.j2").render(**values)
        subject, _, body = text.partition("\n")
        return subject.strip(), body.lstrip("\n")
