"""Markdown (FR/EN offer descriptions) → safe HTML: markdown-it-py renders (raw HTML disabled),
nh3 sanitises (allow-list of tags and attributes, `http`/`https`/`mailto` links only, every
link `rel="nofollow noopener noreferrer"`), so a script or a `javascript:` link never survives."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre", "hr"}
ATTRIBUTES = {"a": {"href", "title"}}


def render(markdown: str) -> str:
    if not markdown.strip():
        return ""
    return nh3.clean(_MD.render(markdown), tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="nofollow noopener noreferrer")
