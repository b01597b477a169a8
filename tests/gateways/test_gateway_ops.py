"""What a dealer's operator sees of the gateways: configuration health, the check command,
the mode/environment rule, and a gateway's notice reaching the charge it concerns."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from dealerhub.cli import main
from dealerhub.clikit import Context
from tests.conftest import assert_error
from tests.gateways.test_live_payments import _pm
from tests.gateways.test_retries import _sale


def _gateway_health(api: Any, name: str) -> dict[str, Any]:
    items = api.get("/configuration/health").get_json()["integrations"]
    found: dict[str, Any] = next(i for i in items if i["name"] == name)
    return found


def test_health_shows_each_gateway_and_its_latest_call(gateway_of, live_api):
    sim = gateway_of("bluedog")
    assert _gateway_health(live_api, "hubcash")["status"] == "not_configured"
    bluedog = _gateway_health(live_api, "bluedog")
    assert bluedog["status"] == "configured" and bluedog["environment"] == "production"
    assert bluedog["last_success"] is None and bluedog["missing_fields"] == []
    assert _sale(live_api, _pm(live_api, sim, "4111111111111111")).status_code == 200
    sim.control("faults", {"faults": [{"status": 503}, {"status": 503}]})
    assert _sale(live_api, _pm(live_api, sim, "4111111111111111")).status_code == 502
    bluedog = _gateway_health(live_api, "bluedog")
    assert bluedog["last_success"] is not None
    assert bluedog["last_error_code"] == "processing_error"


def test_gateways_check_makes_one_authenticated_call_each(gateway_of, app, dealer):
    gateway_of("bluedog")
    result = CliRunner().invoke(
        main, ["gateways", "check", "--dealer", dealer.id], obj=Context(app=app)
    )
    assert result.exit_code == 0, result.output
    assert "bluedog  production   ok" in result.output


def test_gateways_check_reports_refused_credentials(gateway_of, app, dealer, live_api):
    gateway_of("bluedog")
    # A public key where the secret key belongs: the connector refuses to use it.
    r = live_api.patch(
        "/configuration", json={"payment_gateways": {"bluedog": {"api_key": "pub_wrong"}}}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    result = CliRunner().invoke(
        main, ["gateways", "check", "--dealer", dealer.id], obj=Context(app=app)
    )
    assert result.exit_code == 1 and "bluedog  production   error" in result.output
    assert "pub_wrong" not in result.output  # credentials never printed


def test_a_mode_may_only_use_its_own_environment(api, live_api):
    block = {"api_key": "k", "environment": "production"}
    r = api.post("/configuration", json={"payment_gateways": {"bluedog": block}})
    body = assert_error(r, 400, "invalid_request_error")
    assert body["param"] == "payment_gateways.bluedog.environment"
    r = live_api.post(
        "/configuration",
        json={"payment_gateways": {"bluedog": {**block, "environment": "sandbox"}}},
    )
    assert assert_error(r, 400, "invalid_request_error")["param"] == (
        "payment_gateways.bluedog.environment"
    )
    r = live_api.post(
        "/configuration",
        json={"payment_gateways": {"bluedog": block}, "payment_routing": {"default": "forward"}},
    )
    assert assert_error(r, 400, "invalid_request_error")["param"] == "payment_routing.default"


def test_test_mode_can_rehearse_on_a_gateways_sandbox(simulators, api):
    url = simulators["bluedog"]
    block = {"environment": "sandbox", "api_url": url, "api_key": "sim_api_key"}
    r = api.post(
        "/configuration",
        json={"payment_gateways": {"bluedog": block}, "payment_routing": {"test_mode": "bluedog"}},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    tokenizer = api.get("/payment/payment-methods/tokenizer").get_json()
    assert tokenizer["processor"] == "bluedog" and tokenizer["livemode"] is False
