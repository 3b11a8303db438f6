"""Markdown → safe HTML for newsletters: markdown-it-py (CommonMark, raw HTML disabled, so a
`<script>` in the text is shown as text) then nh3 (the ammonia sanitiser) with an allow-list of
tags and attributes and only http(s)/mailto links; the plain-text part is the Markdown itself
(readable as is)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
        "a", "table", "thead", "tbody", "tr", "th", "td", "del", "img"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "th": {"align"},
              "td": {"align"}}
SCHEMES = {"http", "https", "mailto"}


class MarkdownRenderer:
    def __init__(self) -> None:
        self._md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

    def html(self, markdown: str) -> str:
        raw = self._md.render(markdown)
        return nh3.clean(raw, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel="noopener noreferrer")

    def text(self, markdown: str) -> str:
        return markdown.replace("\r\n", "\n").strip() + "\n"
