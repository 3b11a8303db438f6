"""The currencies the platform takes money in.

Amounts are integer minor units everywhere, and every screen, certificate and receipt shows
them with two decimals: only ISO 4217 currencies with two decimals are accepted, so that
"9000" can never mean 9,000 yen on the provider's side and 90.00 on ours. Zero- and
three-decimal currencies (JPY, XOF, TND…) would need their exponent carried along first.
"""

from __future__ import annotations

TWO_DECIMAL_CURRENCIES = frozenset({
    "AED", "AUD", "BGN", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "ILS", "INR", "MAD",
    "MXN", "NOK", "NZD", "PLN", "RON", "SEK", "SGD", "TRY", "USD", "ZAR",
})


def unsupported_currency(code: str) -> str | None:
    """Why `code` cannot be used, for people; None when it can."""
    if code in TWO_DECIMAL_CURRENCIES:
        return None
    return (f"currency {code!r} is not taken here: use a two-decimal ISO 4217 code such as EUR, CHF, GBP, "
            f"USD or CAD")
