"""A value sealed for one consumer: AES-256-GCM under a key only the producer and that consumer
hold, bound to a context (tenant, aggregate id), so a field can ride a partner-visible event
without partners (or anyone reading the stream) learning it.

    sealer = Sealer(["<secret>", "<previous secret>"])   # the first seals; every one opens
    token = sealer.seal("K7QM-…", context="demo|0193…")  # 'v1.<key id>.<base64url(nonce ‖ ciphertext)>'
    sealer.open(token, context="demo|0193…")              # → 'K7QM-…'; SealError otherwise

The key is derived from the configured secret with HKDF-SHA256 (any long random string
works as configuration); the key id (8 characters of the derived key's hash) lets a rotation
keep the previous secret for opening until the stream's retention has passed.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
MIN_SECRET_LENGTH = 32


class SealError(ValueError):
    """Not a token sealed by one of our keys for this context (or it was tampered with)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealer:
    def __init__(self, secrets: Sequence[str], purpose: str = "alumni sealed field") -> None:
        if not secrets:
            raise ValueError("at least one secret is needed to seal")
        self._keys: dict[str, AESGCM] = {}
        self._current = ""
        for secret in secrets:
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(f"a sealing secret needs at least {MIN_SECRET_LENGTH} characters")
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret.encode())
            key_id = _b64(hashlib.sha256(key).digest())[:8]
            self._keys.setdefault(key_id, AESGCM(key))
            self._current = self._current or key_id

    @classmethod
    def from_setting(cls, value: str, purpose: str = "alumni sealed field") -> Sealer | None:
        """`value`: comma-separated secrets (newest first); empty: no sealing configured."""
        secrets = [s.strip() for s in value.split(",") if s.strip()]
        return cls(secrets, purpose) if secrets else None

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}.{self._current}.{_b64(nonce + sealed)}"

    def open(self, token: str, context: str) -> str:
        try:
            version, key_id, body = token.split(".")
            if version != VERSION or key_id not in self._keys:
                raise SealError("sealed with an unknown key")
            raw = _unb64(body)
            return self._keys[key_id].decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (ValueError, InvalidTag, UnicodeDecodeError) as exc:
            if isinstance(exc, SealError):
                raise
            raise SealError("not a sealed value of this context") from exc
