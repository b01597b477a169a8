from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select


@pytest.fixture
def events(app, dealer):
    """``events(type)`` -> the event payloads of the current dealer, oldest first."""
    from dealerhub.events.models import Event

    def fetch(type_: str | None = None) -> list[dict[str, Any]]:
        with app.extensions["db"].transaction() as s:
            stmt = select(Event).where(Event.dealer_id == dealer.id)
            if type_:
                stmt = stmt.where(Event.type == type_)
            rows = s.scalars(stmt.order_by(Event.created, Event.id)).all()
            return [{"type": r.type, **r.data} for r in rows]

    return fetch


def card(number: str = "4242424242424242", **kw: Any) -> dict[str, Any]:
    return {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"},
        **kw,
    }


def intent(api, **kw: Any) -> Any:
    body = {"amount": 2000, "currency": "usd", **kw}
    return api.post("/payment/payment-intents", json=body)
