"""Envelope encryption of partner webhook signing secrets at rest.

Each secret gets its own data key (AES-256-GCM, 96-bit random nonce); the data key is wrapped
by a key-encryption key (KEK) from the deployment's configuration (`NOTIFICATIONS_WEBHOOK_SECRET_KEYS`,
a Kubernetes Secret in the manifests, a file generated into the data directory by `make run`).
The stored form names the KEK's id beside the wrapped data key, so keys rotate: add a new key,
make it current, and every secret written from then on (or re-wrapped by
`python -m notifications_service.rekey`) uses it; the old key stays configured until nothing
names it. The associated data binds a ciphertext to its row (tenant, subscription, secret id):
a ciphertext copied onto another subscription does not decrypt.

Rows written before encryption (`{"value": "whsec_…"}` in clear) are still read, and are
re-encrypted on their subscription's next write or by the re-key command.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# A key anyone can read in this file: development and tests only (start-up warns when it is used).
DEV_KEY_ID = "dev"
DEV_KEY = base64.b64encode(b"alumni-dev-webhook-secrets-key!!").decode()
NONCE_BYTES = 12


class SecretBoxError(ValueError):
    """A key is malformed, unknown, or a ciphertext does not decrypt (tampered, wrong row)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise SecretBoxError("not base64") from None


def parse_keys(raw: str) -> dict[str, bytes]:
    """`{"<key id>": "<base64 of 32 bytes>", …}` → key id → key."""
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError:
        raise SecretBoxError("the webhook secret keys are not a JSON object") from None
    if not isinstance(data, dict):
        raise SecretBoxError("the webhook secret keys are a JSON object of key id → base64 key")
    keys: dict[str, bytes] = {}
    for kid, value in data.items():
        if not KEY_ID.match(str(kid)):
            raise SecretBoxError(f"key id {kid!r}: letters, digits, - and _ only, 32 at most")
        key = _unb64(str(value))
        if len(key) != 32:
            raise SecretBoxError(f"key {kid!r} must be 32 bytes (base64 of 32 random bytes)")
        keys[str(kid)] = key
    return keys


def generate_key() -> str:
    """A new key-encryption key, base64 (what goes into the secret store)."""
    return _b64(AESGCM.generate_key(bit_length=256))


class SecretBox:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise SecretBoxError(f"the current key id {current!r} is not among the configured keys")
        self._keys, self.current = dict(keys), current

    @classmethod
    def from_config(cls, raw_keys: str, current: str | None) -> SecretBox:
        keys = parse_keys(raw_keys) if raw_keys.strip() else {DEV_KEY_ID: _unb64(DEV_KEY)}
        return cls(keys, current or (DEV_KEY_ID if DEV_KEY_ID in keys and len(keys) == 1 else sorted(keys)[-1]))

    @property
    def uses_dev_key(self) -> bool:
        return self._keys.get(self.current) == _unb64(DEV_KEY)

    def seal(self, plaintext: str, context: str) -> dict[str, str]:
        """Encrypt `plaintext` for the row named by `context` under the current key."""
        aad = context.encode()
        data_key = AESGCM.generate_key(bit_length=256)
        nonce, key_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode(), aad)
        wrapped = AESGCM(self._keys[self.current]).encrypt(key_nonce, data_key, aad)
        return {"kid": self.current, "dek": _b64(key_nonce + wrapped), "ct": _b64(nonce + ciphertext)}

    def open(self, sealed: dict[str, Any], context: str) -> str:
        """The plaintext of a sealed value (or of a legacy clear `value`)."""
        if "value" in sealed and "ct" not in sealed:
            return str(sealed["value"])  # written before encryption at rest: re-sealed on the next write
        kid = str(sealed.get("kid"))
        kek = self._keys.get(kid)
        if kek is None:
            raise SecretBoxError(f"no key {kid!r} configured to decrypt a webhook secret (keep old keys until "
                                 "the re-key command has run)")
        aad = context.encode()
        try:
            dek_blob, ct_blob = _unb64(str(sealed["dek"])), _unb64(str(sealed["ct"]))
            data_key = AESGCM(kek).decrypt(dek_blob[:NONCE_BYTES], dek_blob[NONCE_BYTES:], aad)
            return AESGCM(data_key).decrypt(ct_blob[:NONCE_BYTES], ct_blob[NONCE_BYTES:], aad).decode()
        except (InvalidTag, KeyError, ValueError):
            raise SecretBoxError("a webhook secret does not decrypt (wrong key or row)") from None

    def needs_rewrap(self, sealed: dict[str, Any]) -> bool:
        """Stored in clear or under a key that is no longer the current one."""
        return "ct" not in sealed or sealed.get("kid") != self.current
