"""`python -m gateway_service` serves the API; `python -m gateway_service token ...` issues a
development token signed by the local issuer (never configured in production)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import uvicorn

from gateway_service.adapters.auth import DevIssuer, TokenVerifier, dev_subject, load_or_create_key
from gateway_service.adapters.bus import NatsBus
from gateway_service.config import GatewaySettings
from gateway_service.entrypoints.app import create_app
from servicekit.logging import configure_logging
from servicekit.runtime import connect_nats


def build_verifier(settings: GatewaySettings) -> TokenVerifier:
    if settings.jwks_url:  # empty means unset (compose passes an empty default)
        return TokenVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience, tenants=settings.tenants,
                             jwks_url=settings.jwks_url)
    if settings.dev_issuer_key_file is None:
        raise SystemExit("configure GATEWAY_JWKS_URL (production) or GATEWAY_DEV_ISSUER_KEY_FILE (development)")
    key = load_or_create_key(settings.dev_issuer_key_file)
    return TokenVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience, tenants=settings.tenants,
                         public_key=key.public_key())


def serve(settings: GatewaySettings) -> None:
    configure_logging(settings.log_level, settings.log_format, service="gateway")
    holder: dict[str, object] = {}

    async def bus_factory() -> NatsBus:
        nc = await connect_nats(settings.nats_url, "gateway", **settings.nats_options())
        holder["nc"] = nc
        return NatsBus(nc, settings.nats_request_timeout)

    async def shutdown() -> None:
        nc = holder.get("nc")
        if nc is not None:
            await nc.drain()  # type: ignore[attr-defined]

    app = create_app(bus_factory, build_verifier(settings), max_body_bytes=settings.max_body_bytes,
                     max_upload_bytes=settings.max_upload_bytes, rate_limit_per_minute=settings.rate_limit_per_minute,
                     public_rate_limit_per_minute=settings.public_rate_limit_per_minute,
                     rate_limit_exempt_subjects=settings.rate_limit_exempt_subjects,
                     webhook_rate_limit_per_minute=settings.webhook_rate_limit_per_minute, tenants=settings.tenants,
                     dev_mailbox_url=settings.dev_mailbox_url, on_shutdown=shutdown)
    uvicorn.run(app, **uvicorn_options(settings))


def uvicorn_options(settings: GatewaySettings) -> dict[str, Any]:
    """No `server` banner; forwarded headers believed only from the configured proxies (uvicorn
    otherwise trusts 127.0.0.1, or `$FORWARDED_ALLOW_IPS`, by default)."""
    return {"host": settings.http_host, "port": settings.http_port, "log_level": "warning", "server_header": False,
            # log_config=None: uvicorn's records go through the root handler configure_logging set up (JSON).
            "log_config": None,
            "proxy_headers": bool(settings.trusted_proxies),
            "forwarded_allow_ips": list(settings.trusted_proxies),
            # An open Server-Sent Events stream (the live leaderboard) never ends by itself: without
            # a bound, uvicorn waits for it forever on SIGTERM (measured: still up after 20 s).
            "timeout_graceful_shutdown": 5}


def issue_token(settings: GatewaySettings, argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway_service token")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--subject", help="default: dev-<role>, dev-alumnus-<member id> for an alumnus")
    parser.add_argument("--roles", default="manager", help="comma-separated: alumnus,manager,admin,partner")
    parser.add_argument("--member-id")
    parser.add_argument("--ttl", type=int, default=8 * 3600)
    args = parser.parse_args(argv)
    if settings.dev_issuer_key_file is None:
        raise SystemExit("GATEWAY_DEV_ISSUER_KEY_FILE is not set: there is no development issuer")
    issuer = DevIssuer(load_or_create_key(settings.dev_issuer_key_file), settings.jwt_issuer, settings.jwt_audience)
    roles = args.roles.split(",")
    print(issuer.issue(args.tenant, args.subject or dev_subject(roles, args.member_id), roles, args.member_id,
                       args.ttl))


def main() -> None:
    settings = GatewaySettings()
    if len(sys.argv) > 1 and sys.argv[1] == "token":
        issue_token(settings, sys.argv[2:])
    else:
        serve(settings)


if __name__ == "__main__":
    main()
