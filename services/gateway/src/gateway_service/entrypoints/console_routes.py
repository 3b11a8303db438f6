"""The staff console: one HTML page, its script and its style sheet, served under a
Content-Security-Policy that allows no inline script or style, no plug-ins, no framing and no
third-party origin. With every value rendered as text by `console.js`, a hostile name stored
in the database stays a string; the policy is the second line should a bug reintroduce markup."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

# `require-trusted-types-for 'script'` with no policy allowed: the browser refuses any string
# assigned to a markup or script sink (the markup-parsing properties, `on…` attributes, script
# text), so such a regression fails loudly.
CONSOLE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
               "form-action 'self'; "
               "require-trusted-types-for 'script'; trusted-types 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Staff data: never kept by a shared proxy; revalidated so a new release is picked up.
    "Cache-Control": "no-cache, private",
}
ASSETS = {
    "console.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "events.html": "text/html; charset=utf-8",
    "events.js": "text/javascript; charset=utf-8",
    "events.css": "text/css; charset=utf-8",
    "outcomes.js": "text/javascript; charset=utf-8",
    "survey.html": "text/html; charset=utf-8",
    "survey.js": "text/javascript; charset=utf-8",
}

router = APIRouter(include_in_schema=False)
_static = files("gateway_service").joinpath("static")
_bodies = {name: _static.joinpath(name).read_bytes() for name in ASSETS}


def _asset(name: str) -> Response:
    return Response(_bodies[name], media_type=ASSETS[name], headers=SECURITY_HEADERS)


@router.get("/")
@router.get("/console")
async def console() -> Response:
    return _asset("console.html")


@router.get("/console.js")
async def console_script() -> Response:
    return _asset("console.js")


@router.get("/console.css")
async def console_style() -> Response:
    return _asset("console.css")


@router.get("/console/events")
async def events_page() -> Response:
    """The events page: events, ticket types, invitations, registrations, the check-in desk
    (usable on a tablet), figures and the cohort-reach heat map; an alumnus's tickets."""
    return _asset("events.html")


@router.get("/events.js")
async def events_script() -> Response:
    return _asset("events.js")


@router.get("/events.css")
async def events_style() -> Response:
    return _asset("events.css")


@router.get("/outcomes.js")
async def outcomes_script() -> Response:
    return _asset("outcomes.js")


@router.get("/survey")
async def survey_page() -> Response:
    """An alumnus's outcomes-survey answering page (no login: the signed token in the fragment)."""
    return _asset("survey.html")


@router.get("/survey.js")
async def survey_script() -> Response:
    return _asset("survey.js")
