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


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def product(api: Any, **kw: Any) -> dict[str, Any]:
    return ok(api.post("/payment/products", json={"name": "Doc fee", **kw}))


def price(api: Any, product_id: str, **kw: Any) -> dict[str, Any]:
    body = {"product": product_id, "currency": "usd", "unit_amount": 49900, **kw}
    return ok(api.post("/payment/prices", json=body))


def customer(api: Any, **kw: Any) -> dict[str, Any]:
    body = {"name": "Ann Buyer", "email": "ann@example.com", **kw}
    return ok(api.post("/payment/customers", json=body))


def draft(
    api: Any, customer_id: str, lines: list[dict[str, Any]] | None = None, **kw: Any
) -> dict[str, Any]:
    body = {
        "customer": customer_id,
        "lines": lines
        if lines is not None
        else [{"amount": 49900, "description": "Documentation fee", "quantity": 1}],
        **kw,
    }
    return ok(api.post("/payment/invoices", json=body))
