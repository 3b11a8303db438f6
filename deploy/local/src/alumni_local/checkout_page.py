"""The local development payment provider's hosted-checkout page (`make run`).

The fundraising service (with `FUNDRAISING_LOCAL_CHECKOUT_URL`) sends payers here instead of
Stripe. The page shows the amount and description (FR/EN, plain HTML, no external assets,
every value escaped) and two buttons: "Payer / Pay" and "Échec / Fail". A click posts a
Stripe-shaped webhook, signed exactly like Stripe's (`Stripe-Signature: t=…,v1=…` with the
shared secret), to the gateway's `POST /api/v1/payments/webhooks/local` — so the whole flow
runs without the internet, through the same verification code as Stripe's webhooks.
No card data is asked for: there is none to give.

The URL's fields are signed by the fundraising service (`local_page_signature`, the shared
secret): an edited amount or expiry is refused. A checkout expires like Stripe's, after
`checkout_ttl_minutes`: the page shows until when it is valid, and past that answers 410 with
the expiry in FR/EN, to the page and to the buttons alike (no webhook is sent).
"""

from __future__ import annotations

import argparse
import hmac
import html
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from alumni_local.http_retry import AsyncRetryTransport
from fundraising_service.adapters.stripe_checkout import local_event, local_page_signature, sign_webhook

SESSION_ID = re.compile(r"^cs_local_[0-9a-f]{8,64}$")
PARIS = ZoneInfo("Europe/Paris")
SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TENANT = re.compile(r"^[a-z0-9-]{2,32}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
METHODS = {"card", "sepa_debit"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}

STYLE = """body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2433}
.card{border:1px solid #d0d5dd;border-radius:.75rem;padding:1.5rem}.amount{font-size:2rem;font-weight:700}
.dev{background:#fff4e5;border-radius:.5rem;padding:.5rem .75rem;font-size:.9rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:.5rem;border:0;margin-right:.5rem;cursor:pointer}
.pay{background:#1a7f37;color:#fff}.fail{background:#b42318;color:#fff}small{color:#667085}"""


class Checkout:
    """The checkout named by the page's URL (the fundraising service wrote it there)."""

    def __init__(self, session_id: str, params: dict[str, str], secret: str) -> None:
        signature = params.get("sig", "")
        if not (SESSION_ID.match(session_id) and SIGNATURE.match(signature) and hmac.compare_digest(
                signature, local_page_signature(secret, session_id, params))):
            raise ValueError("not a checkout of the local provider (signature)")
        self.session_id, self.signature = session_id, signature
        self.tenant = params.get("tenant", "")
        self.checkout_id = params.get("checkout_id", "")
        self.amount_minor = int(params.get("amount_minor", "0"))
        self.currency = params.get("currency", "")
        self.description = params.get("description", "")  # signed as sent; shortened for display only
        self.methods = [m for m in params.get("methods", "card").split(",") if m in METHODS] or ["card"]
        self.expires_at = int(params.get("expires_at", "0"))
        self.return_url = params.get("return_url", "")
        self.save = params.get("save", "") == "1"  # a recurring gift: the card is kept for the next periods
        if not (SESSION_ID.match(session_id) and TENANT.match(self.tenant) and TOKEN.match(self.checkout_id)
                and CURRENCY.match(self.currency) and 0 < self.amount_minor <= 100_000_000):
            raise ValueError("not a checkout of the local provider")
        if self.return_url and urlsplit(self.return_url).scheme not in ("http", "https"):
            self.return_url = ""

    @classmethod
    def of(cls, request: Request, secret: str, form: dict[str, str] | None = None) -> Checkout:
        return cls(request.path_params["session_id"], form if form is not None else dict(request.query_params), secret)

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def expiry(self, language: str) -> str:
        at = datetime.fromtimestamp(self.expires_at, UTC).astimezone(PARIS)
        return at.strftime("%d/%m/%Y à %H:%M") if language == "fr" else at.strftime("%Y-%m-%d at %H:%M")

    def query(self) -> str:
        return urlencode({"tenant": self.tenant, "checkout_id": self.checkout_id, "amount_minor": self.amount_minor,
                          "currency": self.currency, "description": self.description,
                          "methods": ",".join(self.methods), "expires_at": self.expires_at,
                          "return_url": self.return_url, "save": "1" if self.save else "", "sig": self.signature})

    @property
    def amount(self) -> str:
        return f"{self.amount_minor // 100},{self.amount_minor % 100:02d} {self.currency}"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    ok = parts.scheme in ("http", "https") and re.fullmatch(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?", parts.netloc)
    return f"{parts.scheme}://{parts.netloc}" if ok else None


def _page(title: str, body: str, status: int = 200, return_url: str = "") -> HTMLResponse:
    """`return_url`: where a click on the page's form is redirected after it posts — a browser
    enforces `form-action` on that redirect too, so its origin is allowed alongside 'self'."""
    headers = dict(SECURITY_HEADERS)
    origin = _origin(return_url)
    if origin is not None:
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    document = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
                f"<body>{body}</body></html>")
    return HTMLResponse(document, status_code=status, headers=headers)


def checkout_html(c: Checkout) -> str:
    e = html.escape
    methods = " · ".join({"card": "Carte / Card", "sepa_debit": "Prélèvement SEPA / SEPA Direct Debit"}[m]
                         for m in c.methods)
    hidden = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">'
                     for k, v in (("tenant", c.tenant), ("checkout_id", c.checkout_id),
                                  ("amount_minor", str(c.amount_minor)), ("currency", c.currency),
                                  ("description", c.description), ("methods", ",".join(c.methods)),
                                  ("expires_at", str(c.expires_at)), ("return_url", c.return_url),
                                  ("save", "1" if c.save else ""), ("sig", c.signature)))
    # A recurring gift saves the card for the next periods; the local "test cards" say how those
    # later off-session charges will go (like Stripe's test cards).
    pay = ('<button class="pay" name="outcome" value="pay">Payer / Pay</button>' if not c.save else
           '<p><small>Carte enregistrée pour les prochaines échéances / Card saved for the next periods</small></p>'
           '<button class="pay" name="outcome" value="pay">Payer et enregistrer / Pay and save</button>'
           '<button class="pay" name="outcome" value="pay_flaky">Payer — échéances refusées une fois / '
           'Pay — each period declined once</button>'
           '<button class="pay" name="outcome" value="pay_declined">Payer — échéances refusées / '
           'Pay — later periods declined</button>')
    return (f'<p class="dev">Fournisseur de paiement local (développement) — aucun argent réel. '
            f'<br>Local payment provider (development) — no real money.</p>'
            f'<div class="card"><h1>Paiement / Payment</h1><p>{e(c.description[:200])}</p>'
            f'<p class="amount">{e(c.amount)}</p><p><small>{e(methods)}</small></p>'
            f'<p class="expiry"><small>Valable jusqu\'au {e(c.expiry("fr"))} (heure de Paris) / '
            f'Valid until {e(c.expiry("en"))} (Paris time)</small></p>'
            f'<form method="post" action="/checkout/{e(c.session_id)}">{hidden}'
            f'{pay}'
            f'<button class="fail" name="outcome" value="fail">Échec / Fail</button></form>'
            f"<p><small>Référence / Reference: {e(c.checkout_id)}</small></p></div>")

AGAIN_FR = "Relancez l'adhésion depuis votre espace adhérent pour obtenir un nouveau lien de paiement."
AGAIN_EN = "Start again from your member area to get a new payment link."


def _webhook_outcome(detail: str) -> str:
    try:
        answer = json.loads(detail)
    except ValueError:
        return ""
    return str(answer.get("outcome", "")) if isinstance(answer, dict) else ""


def outcome_page(c: Checkout, paid: bool, status: int, detail: str) -> Response:
    """What the payer is told after a click, from the gateway's answer to the webhook: never
    "accepted" unless the platform took this payment now. A checkout already settled (paid, or
    failed — a failed checkout cannot be paid afterwards, as at Stripe) answers `duplicate`; a
    gateway timeout means the payment may still be recorded."""
    e = html.escape
    what = f"<p><small>{e(c.description[:200])} — {e(c.amount)}</small></p>"
    back = (f'<p><a href="{e(c.return_url)}">Retour à mon espace adhérent / Back to my member area</a></p>'
            if c.return_url else "")
    if 200 <= status < 300 and _webhook_outcome(detail) == "duplicate":
        title = "Paiement déjà traité / Payment already handled"
        return _page(title, f'<div class="card"><h1>{e(title)}</h1>'
                            f"<p>Ce lien de paiement a déjà servi (payé ou refusé) : rien de plus n'a été payé. "
                            f"Si votre adhésion attend encore un paiement : {e(AGAIN_FR)}</p>"
                            f"<p>This payment link was already used (paid or failed): nothing more was paid. "
                            f"If your membership still awaits a payment: {e(AGAIN_EN)}</p>"
                            f"{what}{back}</div>", 409)
    if 200 <= status < 300 and c.return_url:
        target = c.return_url + ("&" if "?" in c.return_url else "?") + urlencode(
            {"checkout": c.checkout_id, "status": "success" if paid else "failed"})
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    if 200 <= status < 300 and paid:
        title = "Paiement accepté / Payment accepted"
        return _page(title, f'<div class="card"><h1>{e(title)}</h1>{what}</div>')
    if 200 <= status < 300:
        title = "Paiement refusé / Payment failed"
        return _page(title, f'<div class="card"><h1>{e(title)}</h1><p>Aucun montant n\'a été débité. {e(AGAIN_FR)}'
                            f"</p><p>Nothing was charged. {e(AGAIN_EN)}</p>{what}</div>")
    if status == 504:  # the gateway stopped waiting; fundraising may still record it
        title = "Paiement en cours de vérification / Payment being confirmed"
        return _page(title, f'<div class="card"><h1>{e(title)}</h1>'
                            f"<p>La plateforme a répondu trop tard : le paiement est peut-être enregistré. "
                            f"Vérifiez votre adhésion dans quelques instants avant de payer à nouveau.</p>"
                            f"<p>The platform answered too late: the payment may well be recorded. Check your "
                            f"membership in a moment before paying again.</p>{what}{back}</div>", 202)
    return _page("Webhook refusé / Webhook refused",
                 f'<div class="card"><h1>Webhook refusé / Webhook refused</h1><p>HTTP {status}</p>'
                 f"<pre>{e(detail)}</pre></div>", 502)


def expired_html(c: Checkout) -> str:
    e = html.escape
    back = (f'<p><a href="{e(c.return_url)}">Retour à mon espace adhérent / Back to my member area</a></p>'
            if c.return_url else "")
    return (f'<div class="card"><h1>Paiement expiré / Payment expired</h1>'
            f"<p>Ce lien de paiement a expiré le {e(c.expiry('fr'))} (heure de Paris) : aucun paiement n'a été "
            f"fait. Relancez l'adhésion depuis votre espace adhérent pour obtenir un nouveau lien.</p>"
            f"<p>This payment link expired on {e(c.expiry('en'))} (Paris time): nothing was paid. Start again "
            f"from your member area to get a new link.</p>"
            f"<p><small>{e(c.description[:200])} — {e(c.amount)}</small></p>{back}</div>")


def checkout_app(gateway_url: str, secret: str, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> Starlette:
    def not_found() -> Response:
        return _page("Paiement introuvable / Payment not found", "<h1>Paiement introuvable / Payment not found</h1>",
                     404)

    def expired(checkout: Checkout) -> Response:
        return _page("Paiement expiré / Payment expired", expired_html(checkout), 410)

    async def show(request: Request) -> Response:
        try:
            checkout = Checkout.of(request, secret)
        except ValueError:
            return not_found()
        if checkout.expired(clock()):
            return expired(checkout)
        return _page(f"Paiement / Payment — {checkout.amount}", checkout_html(checkout),
                     return_url=checkout.return_url)

    async def submit(request: Request) -> Response:
        # A urlencoded form (the page's own): parsed here, no multipart library needed.
        form = dict(parse_qsl((await request.body())[:8192].decode("utf-8", "replace")))
        try:
            checkout = Checkout.of(request, secret, form)
        except ValueError:
            return not_found()
        if checkout.expired(clock()):  # the page was left open past the expiry: nothing is sent
            return expired(checkout)
        outcome = form.get("outcome", "")
        paid = outcome.startswith("pay")
        mandate = {"pay": "ok", "pay_flaky": "flaky", "pay_declined": "declined"}.get(outcome) if checkout.save else None
        now = int(clock())
        body = local_event(session_id=checkout.session_id, checkout_id=checkout.checkout_id, tenant=checkout.tenant,
                           amount_minor=checkout.amount_minor, currency=checkout.currency, methods=checkout.methods,
                           paid=paid, created=now, reason=None if paid else "card_declined", mandate=mandate)
        # The project's retry policy, like every client it ships: a 429 of the webhook route's
        # rate limit is retried after its Retry-After (the event id makes a replay harmless).
        async with httpx.AsyncClient(timeout=10, transport=AsyncRetryTransport(transport)) as client:
            try:
                r = await client.post(f"{gateway_url}/api/v1/payments/webhooks/local",
                                      params={"tenant": checkout.tenant}, content=body.encode(),
                                      headers={"Stripe-Signature": sign_webhook(body, secret, now),
                                               "Content-Type": "application/json"})
                status, detail = r.status_code, r.text[:500]
            except httpx.HTTPError as exc:
                status, detail = 0, type(exc).__name__
        return outcome_page(checkout, paid, status, detail)

    async def health(_: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[Route("/checkout/{session_id}", show, methods=["GET"]),
                             Route("/checkout/{session_id}", submit, methods=["POST"]),
                             Route("/health", health)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8030)
    parser.add_argument("--gateway-url", required=True)
    parser.add_argument("--secret-file", type=Path, required=True,
                        help="the shared webhook secret (the runner writes it under .data/)")
    args = parser.parse_args()
    secret = args.secret_file.read_text().strip()
    uvicorn.run(checkout_app(args.gateway_url.rstrip("/"), secret), host=args.host, port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
