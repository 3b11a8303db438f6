"""Person-facing text in requests: what is refused, and the form in which the rest is kept.

Every free-text field of a request contract (names, programs, employers, cities, titles, group
descriptions, showcase stories…) is declared with `PersonText`, so that one rule decides what
may be stored and published:

- refused: control characters (Unicode category Cc: NUL, escape, DEL…), except line feed and
  tab in multi-line texts (a CR LF or a lone CR there becomes a line feed); line and paragraph
  separators in single-line texts; the bidirectional overrides, embeddings and isolates
  (U+202A–U+202E, U+2066–U+2069: they make `txt.exe` display as `exe.txt`); unpaired surrogates
  (not characters, cannot be stored as UTF-8); and text with nothing visible in it (only spaces,
  zero-width or other format characters, invisible fillers);
- kept: NFC-normalised (a decomposed `é` is stored as the single character) and stripped of
  spaces and format characters (a BOM, a zero-width space) at both ends. Format characters inside
  a text (zero-width joiners in Persian or Indic names, emoji sequences) and the left-to-right /
  right-to-left *marks* stay: they are legitimate and cannot reorder what follows.

Use it as metadata: `Annotated[str, PersonText(max_length=100)]`. Lengths are checked on the
text stripped of surrounding whitespace, before normalisation. The same rule is available as a
function, `clean_person_text`, for text that does not arrive through a contract (CSV cells).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

# Explicit directional formatting characters: embeddings, overrides (U+202A–U+202E) and
# isolates (U+2066–U+2069). Not the marks U+200E/U+200F/U+061C, which reorder nothing.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that render as nothing (Hangul fillers, Khmer inherent vowels, the blank
# Braille pattern): a name made of them is as empty as one made of zero-width spaces.
INVISIBLE = frozenset("\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
MULTILINE_ALLOWED = frozenset("\n\t")
VISIBLE_CATEGORIES = frozenset("LNPS")  # letters, numbers, punctuation, symbols (first letter)


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _refuse_character(ch: str, multiline: bool) -> None:
    category = unicodedata.category(ch)
    if ch in BIDI_CONTROLS:
        raise PydanticCustomError(
            "text_bidi_control",
            "Text must not contain bidirectional override, embedding or isolate characters (found {char})",
            {"char": _codepoint(ch)})
    if category == "Cs":
        raise PydanticCustomError("text_invalid_character", "Text must not contain unpaired surrogates (found {char})",
                                  {"char": _codepoint(ch)})
    if not multiline and (ch in MULTILINE_ALLOWED or ch == "\r" or category in ("Zl", "Zp")):
        raise PydanticCustomError("text_line_break",
                                  "A single-line text must not contain line breaks or tabs (found {char})",
                                  {"char": _codepoint(ch)})
    if category == "Cc" and not (multiline and ch in MULTILINE_ALLOWED):
        raise PydanticCustomError("text_control_character", "Text must not contain control characters (found {char})",
                                  {"char": _codepoint(ch)})


def _is_blank(ch: str) -> bool:
    """Whitespace or an invisible format character: what is stripped from both ends."""
    return ch.isspace() or unicodedata.category(ch) == "Cf" or ch in INVISIBLE


def clean_person_text(value: str, *, multiline: bool = False) -> str:
    """The text to keep, NFC-normalised and stripped; raises `PydanticCustomError` (a
    `ValueError`) when it must be refused. The empty string stays empty (whether a field may be
    empty is its length's business); text that only *looks* empty is refused."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    for ch in value:
        if not (ch.isalnum() or ch == " "):  # the common case stays cheap
            _refuse_character(ch, multiline)
    text = unicodedata.normalize("NFC", value)
    start, end = 0, len(text)
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    text = text[start:end]
    if value and not any(unicodedata.category(c)[0] in VISIBLE_CATEGORIES and c not in INVISIBLE for c in text):
        raise PydanticCustomError(
            "text_invisible",
            "Text must contain visible characters, not only spaces or invisible (zero-width, format) characters")
    return text


@dataclass(frozen=True)
class PersonText:
    """Pydantic metadata for a person-facing text field (see the module's docstring).

    `Annotated[str, PersonText(max_length=100)]`: one line, 1 to 100 characters;
    `Annotated[str, PersonText(max_length=3000, multiline=True)]`: free text with line breaks;
    `min_length=0` lets a field be empty (an absent description)."""

    max_length: int = 200
    min_length: int = 1
    multiline: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        # Lengths live in the string schema itself (not as constraints added around the
        # validator), so a too-long value gets pydantic's usual message in characters.
        return core_schema.no_info_after_validator_function(
            partial(clean_person_text, multiline=self.multiline),
            core_schema.str_schema(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length))


# The usual shapes. A field needing other lengths declares its own `PersonText(...)`.
Name = Annotated[str, PersonText(max_length=100)]
ShortText = Annotated[str, PersonText(max_length=120)]
