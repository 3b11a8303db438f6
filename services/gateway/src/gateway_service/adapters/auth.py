"""Bearer JWT verification (issuer, audience, expiry) and the development issuer.

Production verifies against the OIDC issuer's JWKS; development and tests use a local RSA key
(`GATEWAY_DEV_ISSUER_KEY_FILE`) that `python -m gateway_service token` signs with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from alumni_contracts.rpc import Principal, Role


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


def dev_subject(roles: list[str], member_id: str | None = None) -> str:
    """The subject of a development token when none is given: it follows the role and the
    member (`dev-manager`, `dev-alumnus-<member_id>`), so that two people never share one —
    idempotency keys and audit records are scoped by subject."""
    role = "alumnus" if "alumnus" in roles else (roles[0] if roles else "user")
    return f"dev-{role}-{member_id}" if member_id else f"dev-{role}"


@dataclass
class DevIssuer:
    """Signs development tokens. Never configured in production."""

    key: rsa.RSAPrivateKey
    issuer: str
    audience: str

    def issue(self, tenant: str, subject: str, roles: list[str], member_id: str | None = None,
              ttl_seconds: int = 8 * 3600) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": now,
                                  "exp": now + ttl_seconds, "tenant": tenant, "roles": roles}
        if member_id:
            claims["member_id"] = member_id
        return jwt.encode(claims, self.key, algorithm="RS256")


class TokenVerifier:
    def __init__(self, *, issuer: str, audience: str, tenants: list[str], jwks_url: str | None = None,
                 public_key: Any = None) -> None:
        if (jwks_url is None) == (public_key is None):
            raise ValueError("configure exactly one of a JWKS URL or a development key")
        self._issuer, self._audience, self._tenants = issuer, audience, set(tenants)
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._public_key = public_key

    def verify(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthError(401, "a bearer token is required")
        token = authorization[7:].strip()
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._public_key
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=self._audience,
                                issuer=self._issuer, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            raise AuthError(401, f"invalid token: {exc}") from None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        """Claims of the wrong type (`tenant: ["demo"]`, `roles: 5`, `sub: 1`, `member_id: {}`, `exp: "…"`)
        make the token invalid: a 401, never an exception further down."""
        # NumericDate claims must be numbers: PyJWT accepts a numeric *string* (`exp: "9999999999"`).
        if any(name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], int | float))
               for name in ("exp", "iat", "nbf")):
            raise AuthError(401, "invalid token claims")
        tenant, subject = claims.get("tenant"), claims.get("sub")
        roles, member_id = claims.get("roles", []), claims.get("member_id")
        if not isinstance(tenant, str) or not isinstance(subject, str) \
                or not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) \
                or not (member_id is None or isinstance(member_id, str)):
            raise AuthError(401, "invalid token claims")
        if tenant not in self._tenants:
            raise AuthError(403, "unknown tenant")
        try:
            return Principal(tenant=tenant, subject=subject, member_id=member_id,
                             roles=frozenset(Role(r) for r in roles if r in Role._value2member_map_))
        except ValidationError:
            raise AuthError(401, "invalid token claims") from None
