"""Amounts for people: minor units shown in the currency's major unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# ISO 4217 currencies without minor units among those we take.
ZERO_DECIMAL = frozenset({"jpy"})


def fmt(amount: int, currency: str) -> str:
    """``12345, "usd"`` → ``"123.45 USD"`` (``"1,234 JPY"`` for a zero-decimal currency)."""
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{Decimal(amount) / 100:,.2f} {currency.upper()}"


def day(ts: int | None) -> str:
    return "-" if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")
