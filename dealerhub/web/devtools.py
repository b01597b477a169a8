"""Developer tools over the hub's own HTTP API, like Stripe's CLI: ``listen`` streams a
dealer's test-mode events to a local URL, signed as real deliveries are; ``trigger`` creates
the test-mode objects whose changes emit an event type.

Both talk to a running hub with a *test* secret key, exactly as the dealer's server would, so
what they show is what a real integration sees. They never read the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from dealerhub.events import catalogue, patterns
from dealerhub.webhooks import HEADER, sign_header


class DevToolError(Exception):
    """A readable failure (bad key, hub unreachable, an API error): one line for the CLI."""


def require_test_key(api_key: str) -> None:
    if not api_key.startswith("sk_test_"):
        raise DevToolError(
            "listen and trigger take a test secret key (sk_test_…): they only ever touch "
            "test-mode data."
        )


def listen_secret(api_key: str) -> str:
    """The signing secret of ``listen``'s deliveries: stable for a key (the receiver keeps
    its configuration between runs) and underivable without it."""
    digest = hmac.new(api_key.encode(), b"dealerhub listen v1", hashlib.sha256).hexdigest()
    return "whsec_" + digest[:40]


def check_event_filter(events: list[str]) -> None:
    for value in events:
        if not catalogue.known(value):
            raise DevToolError(
                f"'{value}' is not an event type the hub emits ('dealerhub trigger --list' "
                "and GET /event-types list them)."
            )


@dataclass
class Hub:
    """The hub's API with one key."""

    base_url: str
    api_key: str
    http: requests.Session

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}", **(headers or {})}
        if method == "POST":
            # Every POST carries a key, as the quickstart asks of every integration.
            headers["Idempotency-Key"] = f"cli-{uuid.uuid4().hex}"
        try:
            response = self.http.request(
                method, self.base_url.rstrip("/") + path, json=body, headers=headers
            )
        except requests.RequestException as exc:
            raise DevToolError(f"Cannot reach the hub at {self.base_url}: {exc}") from exc
        try:
            data = response.json()
        except ValueError as exc:
            raise DevToolError(f"{method} {path}: HTTP {response.status_code}, not JSON") from exc
        if response.status_code >= 400:
            return ApiError(response.status_code, data.get("error") or {})
        return data


@dataclass
class ApiError:
    status: int
    error: dict[str, Any]


def _ok(result: Any, what: str) -> dict[str, Any]:
    if isinstance(result, ApiError):
        raise DevToolError(f"{what}: {result.status} {result.error.get('message', '')}")
    data: dict[str, Any] = result
    return data


# --- listen -----------------------------------------------------------------------------


def new_events(hub: Hub, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    """Events newer than ``cursor`` (oldest first) and the new cursor. ``None`` starts now
    (nothing is returned, as Stripe's CLI does); ``""`` means no event existed then."""
    if cursor is None:
        page = _ok(hub.call("GET", "/events?limit=1"), "GET /events")
        return [], page["data"][0]["id"] if page["data"] else ""
    found: list[dict[str, Any]] = []
    while True:
        # ending_before: the events just newer than the cursor, newest first; has_more says
        # whether newer ones remain.
        query = "/events?limit=100" + (f"&ending_before={cursor}" if cursor else "")
        page = _ok(hub.call("GET", query), "GET /events")
        data = page["data"]
        found.extend(reversed(data))
        if data:
            cursor = data[0]["id"]
        if not data or not page["has_more"]:
            return found, cursor


def forward(
    event: dict[str, Any], url: str, secret: str, http: requests.Session
) -> tuple[int | None, str]:
    """POST ``event`` to ``url`` as a delivery: JSON body, ``Dealerhub-Signature``."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        HEADER: sign_header(body, [secret]),
        "User-Agent": "dealerhub-listen/1",
    }
    try:
        response = http.post(url, data=body, headers=headers)
    except requests.RequestException as exc:
        return None, str(exc)
    return response.status_code, ""


def start_cursor(hub: Hub) -> str:
    """Where listening starts: after the newest event now (``""`` when there is none).
    Taken before the CLI says it is ready, so no event made after that is missed."""
    return new_events(hub, None)[1]


def listen(
    hub: Hub,
    *,
    cursor: str,
    forward_to: str,
    events: list[str],
    secret: str,
    poll_interval: float = 1.0,
    max_events: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[dict[str, Any], int | None, str]]:
    """Forward every matching event newer than ``cursor``; yields ``(event, status,
    error)`` per delivery."""
    sent = 0
    while True:
        batch, cursor = new_events(hub, cursor)
        for event in batch:
            if events and not patterns.matches_any(events, event["type"]):
                continue
            status, error = forward(event, forward_to, secret, hub.http)
            sent += 1
            yield event, status, error
            if max_events is not None and sent >= max_events:
                return
        if not batch:
            sleep(poll_interval)


# --- trigger ----------------------------------------------------------------------------

Step = Callable[[Hub, dict[str, Any]], None]

CARD = "pm_card_visa"


def _customer(hub: Hub, s: dict[str, Any]) -> None:
    s["customer"] = _ok(
        hub.call(
            "POST", "/payment/customers", {"name": "Trigger Customer", "email": "t@example.com"}
        ),
        "create customer",
    )


def _update_customer(hub: Hub, s: dict[str, Any]) -> None:
    path = f"/payment/customers/{s['customer']['id']}"
    _ok(hub.call("PATCH", path, {"metadata": {"triggered": "yes"}}), "update customer")


def _delete_customer(hub: Hub, s: dict[str, Any]) -> None:
    _ok(hub.call("DELETE", f"/payment/customers/{s['customer']['id']}"), "delete customer")


def _intent(**extra: Any) -> Step:
    def step(hub: Hub, s: dict[str, Any]) -> None:
        body = {"amount": 50000, "currency": "usd", "description": "dealerhub trigger", **extra}
        result = hub.call("POST", "/payment/payment-intents", body)
        if isinstance(result, ApiError) and result.error.get("type") == "card_error":
            return  # a decline is the point of the trigger (its events are recorded)
        s["intent"] = _ok(result, "create payment intent")

    step.__name__ = "_payment_intent" + "".join(f" {k}={v}" for k, v in extra.items())
    return step


def _cancel_intent(hub: Hub, s: dict[str, Any]) -> None:
    path = f"/payment/payment-intents/{s['intent']['id']}/cancel"
    _ok(hub.call("DELETE", path), "cancel payment intent")


def _capture(hub: Hub, s: dict[str, Any]) -> None:
    path = f"/payment/payment-intents/{s['intent']['id']}/capture"
    _ok(hub.call("POST", path, {}), "capture payment intent")


def _refund(hub: Hub, s: dict[str, Any]) -> None:
    _ok(
        hub.call("POST", "/payment/refunds", {"payment_intent": s["intent"]["id"]}),
        "create refund",
    )


def _update_intent(hub: Hub, s: dict[str, Any]) -> None:
    path = f"/payment/payment-intents/{s['intent']['id']}"
    _ok(hub.call("PATCH", path, {"description": "dealerhub trigger (updated)"}), "update intent")


def _setup(**extra: Any) -> Step:
    def step(hub: Hub, s: dict[str, Any]) -> None:
        _ok(hub.call("POST", "/payment/setup-intents", {**extra}), "create setup intent")

    step.__name__ = "_setup_intent" + "".join(f" {k}={v}" for k, v in extra.items())
    return step


def _attach_card(hub: Hub, s: dict[str, Any]) -> None:
    pm = _ok(
        hub.call(
            "POST",
            "/payment/payment-methods",
            {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034},
            },
        ),
        "create payment method",
    )
    path = f"/payment/payment-methods/{s['customer']['id']}/{pm['id']}"
    _ok(hub.call("PATCH", path, {}), "attach payment method")
    s["payment_method"] = pm


def _product(hub: Hub, s: dict[str, Any]) -> None:
    s["product"] = _ok(
        hub.call("POST", "/payment/products", {"name": "Paint protection (trigger)"}),
        "create product",
    )


def _price(hub: Hub, s: dict[str, Any]) -> None:
    body = {"product": s["product"]["id"], "unit_amount": 49900, "currency": "usd"}
    _ok(hub.call("POST", "/payment/prices", body), "create price")


def _lead(hub: Hub, s: dict[str, Any]) -> None:
    body = {
        "customer": {
            "first_name": "Trigger",
            "last_name": f"Shopper{uuid.uuid4().hex[:6]}",
            "email": f"trigger-{uuid.uuid4().hex[:8]}@example.com",
        },
        "vehicle": {"year": 2025, "make": "Toyota", "model": "Camry"},
        "source": "dealerhub trigger",
    }
    provider = {"x-service-provider": "dealertrack"}
    _ok(hub.call("POST", "/dms/leads", body, headers=provider), "create lead")


_CONFIRMED = {"confirm": True, "payment_method": CARD}

# What to do for each event type: the API calls a dealer's server would make.
TRIGGERS: dict[str, list[Step]] = {
    "customer.created": [_customer],
    "customer.updated": [_customer, _update_customer],
    "customer.deleted": [_customer, _delete_customer],
    "payment_intent.created": [_intent()],
    "payment_intent.updated": [_intent(), _update_intent],
    "payment_intent.succeeded": [_intent(**_CONFIRMED)],
    "charge.succeeded": [_intent(**_CONFIRMED)],
    "payment_intent.payment_failed": [
        _intent(confirm=True, payment_method="pm_card_chargeDeclined")
    ],
    "charge.failed": [_intent(confirm=True, payment_method="pm_card_chargeDeclined")],
    "payment_intent.requires_action": [
        _intent(confirm=True, payment_method="pm_card_authenticationRequired")
    ],
    "payment_intent.amount_capturable_updated": [_intent(capture_method="manual", **_CONFIRMED)],
    "charge.captured": [_intent(capture_method="manual", **_CONFIRMED), _capture],
    "payment_intent.canceled": [_intent(), _cancel_intent],
    "refund.created": [_intent(**_CONFIRMED), _refund],
    "charge.refunded": [_intent(**_CONFIRMED), _refund],
    "setup_intent.created": [_setup()],
    "setup_intent.succeeded": [_setup(confirm=True, payment_method=CARD)],
    "payment_method.attached": [_customer, _attach_card],
    "product.created": [_product],
    "price.created": [_product, _price],
    "lead.created": [_lead],
}


def trigger(hub: Hub, event_type: str) -> list[str]:
    """Run the calls behind ``event_type``; returns what was done, one line each."""
    steps = TRIGGERS.get(event_type)
    if steps is None:
        known = "unknown event type" if event_type not in catalogue.EVENT_TYPES else "no trigger"
        raise DevToolError(
            f"{event_type}: {known}; triggers exist for " + ", ".join(sorted(TRIGGERS)) + "."
        )
    state: dict[str, Any] = {}
    done = []
    for step in steps:
        step(hub, state)
        name, _, args = step.__name__.strip("_").partition(" ")
        done.append(" ".join([name.replace("_", " "), args]).strip())
    return done
