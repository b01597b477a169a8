"""Webhook endpoints at the desk (/staff/configuration/webhooks, manager only): add (secret
shown once), disable, enable and delete through the events area's endpoint service."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select

from dealerhub.events.models import WebhookEndpoint
from tests.conftest import Api, make_dealer
from tests.staff.conftest import Desk, audit_actions

HOOK = {
    "url": "http://127.0.0.1:9/hook",
    "enabled_events": "payment_intent.succeeded, charge.*",
    "description": "Website",
}


def _endpoints(app: Any, dealer_id: str) -> list[WebhookEndpoint]:
    with app.extensions["db"].transaction(write=False) as session:
        stmt = select(WebhookEndpoint).where(WebhookEndpoint.dealer_id == dealer_id)
        return list(session.scalars(stmt))


def test_manager_adds_an_endpoint_and_sees_its_secret_once(app: Any, api: Any, desk: Desk) -> None:
    desk.login("manager")
    response = desk.post("/staff/configuration/webhooks/endpoints", HOOK)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    [endpoint] = _endpoints(app, desk.dealer.id)
    assert endpoint.url == HOOK["url"] and endpoint.description == "Website"
    assert endpoint.enabled_events == ["payment_intent.succeeded", "charge.*"]
    shown = re.search(r'id="signing-secret">(whsec_[^<]+)<', html)
    assert shown and shown.group(1) == endpoint.secret
    assert "it is not shown again" in html
    # Not in the session cookie, and not on the page again.
    assert endpoint.secret not in (response.headers.get("Set-Cookie") or "")
    page = desk.get("/staff/configuration/webhooks").get_data(as_text=True)
    assert endpoint.secret not in page and endpoint.url in page
    assert api.get(f"/webhook-endpoints/{endpoint.id}").get_json()["status"] == "enabled"
    manager = f"staff:{desk.users['manager']}"
    assert ("webhook_endpoint.created", manager) in audit_actions(app, desk.dealer.id)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"enabled_events": "payment_intnet.succeeded"}, "enabled_events", "GET /event-types"),
        ({"enabled_events": ""}, "enabled_events", ""),
        ({"url": "ftp://127.0.0.1/hook"}, "url", ""),
        ({"url": ""}, "url", ""),
    ],
)
def test_the_services_errors_are_on_the_form_and_nothing_is_added(
    app: Any, desk: Desk, change: dict[str, str], field: str, message: str
) -> None:
    desk.login("manager")
    response = desk.post("/staff/configuration/webhooks/endpoints", {**HOOK, **change})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert _endpoints(app, desk.dealer.id) == []


def test_disable_enable_and_delete(app: Any, api: Any, desk: Desk) -> None:
    desk.login("manager")
    desk.post("/staff/configuration/webhooks/endpoints", HOOK)
    [endpoint] = _endpoints(app, desk.dealer.id)
    path = f"/staff/configuration/webhooks/endpoints/{endpoint.id}"
    assert desk.post(path, {"action": "disable"}).status_code == 302
    assert api.get(f"/webhook-endpoints/{endpoint.id}").get_json()["status"] == "disabled"
    assert desk.post(path, {"action": "enable"}).status_code == 302
    assert api.get(f"/webhook-endpoints/{endpoint.id}").get_json()["status"] == "enabled"
    response = desk.post(path, {"action": "delete"})
    assert response.status_code == 302
    assert "deleted" in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert api.get(f"/webhook-endpoints/{endpoint.id}").status_code == 404
    assert desk.post(path, {"action": "enable"}).status_code == 404  # gone
    actions = [a for a, _ in audit_actions(app, desk.dealer.id, desk.users["manager"])]
    for action in ("disabled", "enabled", "deleted"):
        assert f"webhook_endpoint.{action}" in actions
    assert desk.post(path, {"action": "explode"}).status_code == 400


def test_another_dealers_endpoint_is_a_404(app: Any, client: Any, desk: Desk) -> None:
    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    theirs = other.post(
        "/webhook-endpoints", json={"url": HOOK["url"], "enabled_events": ["*"]}
    ).get_json()
    desk.login("manager")
    path = f"/staff/configuration/webhooks/endpoints/{theirs['id']}"
    for action in ("disable", "delete"):
        assert desk.post(path, {"action": action}).status_code == 404
    assert other.get(f"/webhook-endpoints/{theirs['id']}").get_json()["status"] == "enabled"


@pytest.mark.parametrize("role", ["finance", "cashier", "viewer"])
def test_endpoints_are_manager_only(app: Any, api: Any, desk: Desk, role: str) -> None:
    mine = api.post("/webhook-endpoints", json={"url": HOOK["url"], "enabled_events": ["*"]})
    endpoint_id = mine.get_json()["id"]
    desk.login(role)
    response = desk.post("/staff/configuration/webhooks/endpoints", HOOK)
    assert response.status_code == 403 and "Not allowed" in response.get_data(as_text=True)
    path = f"/staff/configuration/webhooks/endpoints/{endpoint_id}"
    assert desk.post(path, {"action": "delete"}).status_code == 403
    assert [e.id for e in _endpoints(app, desk.dealer.id)] == [endpoint_id]
    assert api.get(f"/webhook-endpoints/{endpoint_id}").get_json()["status"] == "enabled"


def test_csrf_is_required(app: Any, desk: Desk) -> None:
    desk.login("manager")
    response = desk.client.post("/staff/configuration/webhooks/endpoints", data=HOOK)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert _endpoints(app, desk.dealer.id) == []
