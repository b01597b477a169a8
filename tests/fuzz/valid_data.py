"""Real objects for the fuzz run, so that valid requests reach the code behind the id lookup.

``seed(app, key)`` creates, through the API itself (as a dealer's server would), one of each
object the document names in a path: a customer with a lead, a card payment method, a
captured intent with a charge and a refund, a setup intent, a product with a price, a draft
invoice, a deal, a webhook endpoint and its events, a credit check, a connected account and
the configuration. It answers ``{path parameter name: id}``; the fuzz test pins those path
parameters to them (``schemathesis.Config`` ``parameters``), so schemathesis fuzzes the query
and the body of an operation on a real object instead of a 404.
"""

from __future__ import annotations

import time
from typing import Any

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


class _Api:
    def __init__(self, app: Any, key: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {key}"}

    def post(self, path: str, body: Any = None, **headers: str) -> dict[str, Any]:
        r = self.client.post(path, json=body or {}, headers={**self.headers, **headers})
        assert r.status_code == 200, f"POST {path}: {r.status_code} {r.get_data(as_text=True)}"
        data: dict[str, Any] = r.get_json()
        return data

    def get(self, path: str) -> dict[str, Any]:
        r = self.client.get(path, headers=self.headers)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.get_data(as_text=True)}"
        data: dict[str, Any] = r.get_json()
        return data


def seed(app: Any, key: str) -> dict[str, str]:
    api = _Api(app, key)
    ids: dict[str, str] = {}

    lead = api.post(
        "/dms/leads",
        {
            "customer": {
                "first_name": "Jane",
                "last_name": "Doe",
                "email": "jane.doe@example.com",
                "phone": "(555) 010-2030",
                "address": {
                    "line1": "1 Main St",
                    "city": "Austin",
                    "state": "TX",
                    "postal_code": "78701",
                    "country": "US",
                },
            },
            "vehicle": {"vin": "1HGCM82633A004352", "year": 2024, "make": "Honda"},
            "source": "fuzz",
        },
        **{"x-service-provider": "dealertrack"},
    )
    customer = lead["customer_id"]
    ids["customer_id"] = customer

    pm = api.post("/payment/payment-methods", {"type": "card", "card": CARD, "customer": customer})
    ids["payment_method_id"] = pm["id"]

    pi = api.post(
        "/payment/payment-intents",
        {
            "amount": 10_000,
            "currency": "usd",
            "customer": customer,
            "payment_method": pm["id"],
            "confirm": True,
        },
    )
    ids["payment_intent_id"] = pi["id"]
    ids["intent_id"] = pi["id"]
    charges = api.get(f"/payment/charges?payment_intent={pi['id']}")["data"]
    if charges:
        ids["charge_id"] = charges[0]["id"]
        refund = api.post("/payment/refunds", {"payment_intent": pi["id"], "amount": 100})
        ids["refund_id"] = refund["id"]
    # A second intent, left open, for confirm/capture/cancel/update to act on.
    open_pi = api.post("/payment/payment-intents", {"amount": 5_000, "currency": "usd"})
    ids["payment_intent_id"] = open_pi["id"]

    seti = api.post("/payment/setup-intents", {"customer": customer})
    ids["setup_intent_id"] = seti["id"]

    product = api.post("/payment/products", {"name": "Floor mats"})
    ids["product_id"] = product["id"]
    price = api.post(
        "/payment/prices", {"product": product["id"], "currency": "usd", "unit_amount": 9_900}
    )
    ids["price_id"] = price["id"]
    invoice = api.post(
        "/payment/invoices",
        {"customer": customer, "lines": [{"price": price["id"], "quantity": 1}]},
    )
    ids["invoice_id"] = invoice["id"]

    deal = api.post(
        "/dms/deals",
        {
            "customer_id": customer,
            "lead_id": lead["id"],
            "vehicle": {"vin": "1HGCM82633A004352", "year": 2024, "price": 3_000_000},
            "finance": {"type": "cash", "taxes": 0},
        },
    )
    ids["deal_id"] = deal["id"]
    ids["record_id"] = deal["id"]

    endpoint = api.post(
        "/webhook-endpoints",
        {"url": "https://93.184.216.34/dealerhub", "enabled_events": ["*"]},
    )
    ids["endpoint_id"] = endpoint["id"]
    events = api.get("/events?limit=1")["data"]
    if events:
        ids["event_id"] = events[0]["id"]

    check = api.post(
        "/credit/check",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth": "1984-07-19",
            "social_security_number": "401-23-4567",
            "addresses": [
                {
                    "line1": "12 Main St",
                    "city": "Springfield",
                    "state": "IL",
                    "postal_code": "62701",
                }
            ],
            "consent": {
                "obtained_at": int(time.time()) - 60,
                "method": "click_through",
                "text_version": "prequal-2026-01",
                "pull_type": "soft",
            },
        },
    )
    ids["check_id"] = check["id"]

    account = api.post("/payment/accounts", {"email": "store@example.com"})
    ids["account_id"] = account["id"]

    api.post("/configuration", {"web": {"allowed_origins": ["https://www.example-motors.com"]}})
    ids["address"] = "1600 Pennsylvania Ave NW, Washington, DC 20500"
    return ids
