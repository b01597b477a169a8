"""Payment gateways and routing at the desk (/staff/configuration/gateways, manager only):
the configuration service behind PATCH /configuration, secrets write-only, errors on the
form and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from dealerhub.configuration import service as configuration
from dealerhub.tenancy import Tenant
from tests.staff.conftest import Desk, audit_actions

BD = "payment_gateways.bluedog."
RULE = "payment_routing.rules."


def _tree(app: Any, dealer_id: str) -> dict[str, Any]:
    with app.extensions["db"].transaction(write=False) as session:
        tree: dict[str, Any] = configuration.resolved_config(session, Tenant(dealer_id, False))
        return tree


def _bluedog(**over: str) -> dict[str, str]:
    return {
        f"{BD}enabled": "on",
        f"{BD}environment": "",
        f"{BD}api_url": "",
        f"{BD}api_key": "bd_secret_key_1",
        f"{BD}processor_id": "proc_1",
        f"{BD}public_key": "",
        **over,
    }


def test_manager_saves_a_gateway_and_its_secret_is_write_only(
    app: Any, api: Any, desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    desk.login("manager")
    page = desk.get("/staff/configuration/gateways").get_data(as_text=True)
    for name in ("bluedog", "hubcash", "forward", "acceptblue"):
        assert f'id="gw-{name}"' in page
    response = desk.post("/staff/configuration/gateways/bluedog", _bluedog())
    assert response.status_code == 302, response.get_data(as_text=True)
    tree = _tree(app, desk.dealer.id)
    assert tree["payment_gateways"]["bluedog"] == {
        "enabled": True,
        "api_key": "bd_secret_key_1",
        "processor_id": "proc_1",
    }
    # The API shows it masked; the desk never shows it at all.
    assert api.get("/configuration").get_json()["payment_gateways"]["bluedog"]["api_key"] == (
        "********"
    )
    page = desk.get("/staff/configuration/gateways").get_data(as_text=True)
    assert "bd_secret_key_1" not in page and 'value="********"' not in page
    assert "Stored (hidden); leave empty to keep it" in page
    assert "bd_secret_key_1" not in caplog.text
    manager = f"staff:{desk.users['manager']}"
    assert ("configuration.created", manager) in audit_actions(app, desk.dealer.id)

    # An empty secret keeps the stored one; an emptied setting is removed.
    again = desk.post(
        "/staff/configuration/gateways/bluedog",
        _bluedog(**{f"{BD}api_key": "", f"{BD}processor_id": "", f"{BD}public_key": "pk_1"}),
    )
    assert again.status_code == 302
    block = _tree(app, desk.dealer.id)["payment_gateways"]["bluedog"]
    assert block == {"enabled": True, "api_key": "bd_secret_key_1", "public_key": "pk_1"}
    assert ("configuration.updated", manager) in audit_actions(app, desk.dealer.id)
    events = api.get("/events?type=configuration.updated").get_json()["data"]
    assert "payment_gateways.bluedog.processor_id" in events[0]["data"]["object"]["changed_paths"]


def test_gateway_errors_are_shown_and_nothing_is_stored(app: Any, desk: Desk) -> None:
    desk.login("manager")
    assert desk.post("/staff/configuration/gateways/bluedog", _bluedog()).status_code == 302
    before = _tree(app, desk.dealer.id)
    # The service's check: test mode may only use a gateway's sandbox.
    wrong_env = desk.post(
        "/staff/configuration/gateways/bluedog",
        _bluedog(**{f"{BD}environment": "production", f"{BD}api_key": "new_key_2"}),
    )
    assert wrong_env.status_code == 400
    html = wrong_env.get_data(as_text=True)
    assert 'id="payment_gateways-bluedog-environment-error"' in html
    assert "may only use the sandbox environment of bluedog" in html
    assert "new_key_2" not in html  # a typed secret is not sent back either
    # The schema's check: https only (http only to this machine).
    bad_url = desk.post(
        "/staff/configuration/gateways/bluedog",
        _bluedog(**{f"{BD}api_url": "http://gateway.example.com"}),
    )
    assert bad_url.status_code == 400
    assert 'id="payment_gateways-bluedog-api_url-error"' in bad_url.get_data(as_text=True)
    assert _tree(app, desk.dealer.id) == before


def test_routing_is_saved_and_checked_like_the_api(app: Any, api: Any, desk: Desk) -> None:
    desk.login("manager")
    desk.post("/staff/configuration/gateways/bluedog", _bluedog())
    # The second row names a gateway that is not configured: the error is on that row.
    refused = desk.post(
        "/staff/configuration/routing",
        {
            "payment_routing.default": "bluedog",
            f"{RULE}1.payment_method_type": "us_bank_account",
            f"{RULE}1.gateways": "forward, bluedog",
        },
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="payment_routing-rules-1-gateways-error"' in html
    assert "Gateway &#39;forward&#39; is not configured" in html
    assert "payment_routing" not in _tree(app, desk.dealer.id)

    saved = desk.post(
        "/staff/configuration/routing",
        {
            "payment_routing.default": "bluedog",
            "payment_routing.test_mode": "bluedog",
            f"{RULE}1.payment_method_type": "card",
            f"{RULE}1.currency": "usd",
            f"{RULE}1.gateways": "bluedog",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert api.get("/configuration").get_json()["payment_routing"] == {
        "default": "bluedog",
        "test_mode": "bluedog",
        "rules": [{"payment_method_type": "card", "currency": "usd", "gateways": ["bluedog"]}],
    }
    page = desk.get("/staff/configuration/gateways").get_data(as_text=True)
    assert (
        'name="payment_routing.rules.0.gateways" aria-label="Gateways of rule 1" value="bluedog"'
        in (page)
    )

    # A gateway the routing uses cannot be removed; once the routing is cleared, it can.
    in_use = desk.post("/staff/configuration/gateways/bluedog", {"action": "remove"})
    assert in_use.status_code == 400
    assert 'id="payment_routing-default-error"' in in_use.get_data(as_text=True)
    assert "bluedog" in _tree(app, desk.dealer.id)["payment_gateways"]
    cleared = desk.post("/staff/configuration/routing", {"payment_routing.default": ""})
    assert cleared.status_code == 302
    assert "payment_routing" not in _tree(app, desk.dealer.id)
    removed = desk.post("/staff/configuration/gateways/bluedog", {"action": "remove"})
    assert removed.status_code == 302
    assert "payment_gateways" not in _tree(app, desk.dealer.id)


@pytest.mark.parametrize("role", ["finance", "cashier", "viewer"])
def test_gateways_and_routing_are_manager_only(app: Any, desk: Desk, role: str) -> None:
    desk.login(role)
    assert desk.get("/staff/configuration/gateways").status_code == 403
    response = desk.post("/staff/configuration/gateways/bluedog", _bluedog())
    assert response.status_code == 403 and "Not allowed" in response.get_data(as_text=True)
    routing = desk.post("/staff/configuration/routing", {"payment_routing.default": "bluedog"})
    assert routing.status_code == 403
    assert _tree(app, desk.dealer.id) == {}


def test_csrf_and_unknown_gateways(app: Any, desk: Desk) -> None:
    desk.login("manager")
    no_token = desk.client.post("/staff/configuration/gateways/bluedog", data=_bluedog())
    assert no_token.status_code == 400 and "CSRF" in no_token.get_data(as_text=True)
    assert _tree(app, desk.dealer.id) == {}
    assert desk.post("/staff/configuration/gateways/stripe", _bluedog()).status_code == 404
