"""Ticket codes: 100 random bits as 20 Crockford base-32 characters in groups of four
(`7K2M-Q9XD-4HTR-W1NB-C8PA`). Unguessable, readable aloud, typed without ambiguity, encoded in
QR alphanumeric mode (upper case, digits, `-`: a small code on a phone screen). No imports from
the rest of the domain, so the registration can use it (`checkin` reads codes back)."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
CODE_LENGTH = 20


def new_ticket_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))
