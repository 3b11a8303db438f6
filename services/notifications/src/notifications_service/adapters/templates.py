"""Jinja2 email templates: per kind and language a plain-text file (first line: the subject)
and an HTML file, rendered with autoescape in the tenant's branded layout; the HTML's CSS is
then inlined with `css-inline` (mail clients drop `<style>` blocks or parts of them)."""

from __future__ import annotations

from typing import Any

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape
from markupsafe import Markup, escape

from notifications_service.domain.branding import Brand
from notifications_service.domain.rendered import RenderedEmail

SUPPORTED_LOCALES = ("fr", "en")
FALLBACK_LOCALE = "fr"


def paragraphs(text: str) -> Markup:
    """Plain text → escaped HTML paragraphs (blank line: new paragraph, newline: <br>)."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("\n").join(Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in b.split("\n")))
                             for b in blocks)


class JinjaRenderer:
    def __init__(self) -> None:
        loader = PackageLoader("notifications_service", "templates")
        # Plain text is never HTML-escaped (an apostrophe stays one); HTML always is.
        self._text = Environment(loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self._html = Environment(loader=loader, undefined=StrictUndefined,
                                 autoescape=select_autoescape(enabled_extensions=("html", "html.j2"),
                                                              default_for_string=True, default=True))
        self._html.filters["paragraphs"] = paragraphs
        self._inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)

    def render(self, template: str, locale: str, values: dict[str, Any]) -> tuple[str, str]:
        lang = locale if locale in SUPPORTED_LOCALES else FALLBACK_LOCALE
        text = self._text.get_template(f"{template}.{lang}.txt.j2").render(**values)
        subject, _, body = text.partition("\n")
        return subject.strip(), body.lstrip("\n")

    def render_email(self, template: str, locale: str, values: dict[str, Any], brand: Brand) -> RenderedEmail:
        """Subject, plain text and inlined HTML of one message in `locale` (French if unknown)."""
        lang = locale if locale in SUPPORTED_LOCALES else FALLBACK_LOCALE
        subject, text = self.render(template, lang, values)
        try:
            page = self._html.get_template(f"{template}.{lang}.html.j2")
        except TemplateNotFound:
            page = self._html.get_template("_plain.html.j2")  # a kind with no HTML of its own: its text, branded
        html = page.render(**values, subject=subject, text_body=text, brand=brand, lang=lang)
        return RenderedEmail(subject, text, self._inliner.inline(html))
