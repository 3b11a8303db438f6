"""The person-text rule of the request contracts (`alumni_contracts.text`), for domain code.

Domains do not import contracts; text that reaches a service another way than through a request
contract (the cells of an imported spreadsheet) must still obey the very same rule, so it is
offered here as a plain function rather than copied.
"""

from __future__ import annotations

from alumni_contracts.text import clean_person_text


def person_text(value: str, *, multiline: bool = False) -> tuple[str, str | None]:
    """(the text to keep, None), or (the value, why it is refused): NFC, stripped; no control
    characters, bidirectional overrides or isolates, nor text with nothing visible in it."""
    try:
        return clean_person_text(value, multiline=multiline), None
    except ValueError as exc:
        return value, str(exc)
