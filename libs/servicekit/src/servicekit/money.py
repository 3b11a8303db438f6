"""The currencies the platform takes money in (one list, in the contracts: the request models
refuse other codes at the edge, the domain rules here)."""

from __future__ import annotations

from alumni_contracts.common import TWO_DECIMAL_CURRENCIES

__all__ = ["TWO_DECIMAL_CURRENCIES", "unsupported_currency"]


def unsupported_currency(code: str) -> str | None:
    """Why `code` cannot be used, for people; None when it can."""
    if code in TWO_DECIMAL_CURRENCIES:
        return None
    return (f"currency {code!r} is not taken here: use a two-decimal ISO 4217 code such as EUR, CHF, GBP, "
            f"USD or CAD")
