"""dealerhub.js in a real browser (Debian's Chromium driven by Playwright): a vehicle deposit
paid from the hub's example page and from a dealer website on another origin (CORS), a
decline, 3-D Secure, and live mode loading the routed gateway's tokenizer."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.livehub import LiveHub, live_hub

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


@pytest.fixture(scope="module")
def hub(base_settings: Any, app: Any) -> Iterator[LiveHub]:
    with live_hub(base_settings, app, "Browser Motors") as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 800, "height": 700})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.shots = tmp_path  # screenshots go to the test's own tmp folder
    yield pg
    context.close()
    assert not errors, errors


def _deposit(hub: LiveHub, amount: int = 50000) -> dict[str, Any]:
    r = hub.api.post(
        "/payment/payment-intents",
        json={"amount": amount, "currency": "usd", "description": "Deposit, stock #A1234"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    pi: dict[str, Any] = r.get_json()
    return pi


def _pay(page: Any, number: str, name: str = "Jane Doe") -> None:
    page.wait_for_selector("[data-dealerhub=number]")
    page.fill("#name", name)
    page.fill("[data-dealerhub=number]", number)
    page.fill("[data-dealerhub=expiry]", "12 / 34")
    page.fill("[data-dealerhub=cvc]", "123")
    page.click("#pay")


def test_example_page_pays_a_deposit(hub: LiveHub, page: Any) -> None:
    pi = _deposit(hub)
    page.goto(
        f"{hub.url}/examples/deposit?key={hub.dealer.publishable_key}"
        f"&client_secret={pi['client_secret']}"
    )
    page.wait_for_selector("text=Refundable deposit: $500.00")
    page.screenshot(path=str(page.shots / "deposit-form.png"))
    _pay(page, "4242 4242 4242 4242")
    page.wait_for_selector("#message.ok >> text=Deposit received: $500.00")
    page.screenshot(path=str(page.shots / "deposit-paid.png"))
    after = hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert after["status"] == "succeeded"
    assert after["amount_received"] == 50000
    pm = hub.api.get(f"/payment/payment-methods/{after['payment_method']}").get_json()
    assert pm["card"]["last4"] == "4242"
    assert pm["billing_details"]["name"] == "Jane Doe"
    events = hub.api.get("/events", query_string={"type": "payment_intent.succeeded"}).get_json()
    assert pi["id"] in [e["data"]["object"]["id"] for e in events["data"]]


def test_a_decline_is_shown_and_the_deposit_can_be_retried(hub: LiveHub, page: Any) -> None:
    pi = _deposit(hub)
    page.goto(
        f"{hub.url}/examples/deposit?key={hub.dealer.publishable_key}"
        f"&client_secret={pi['client_secret']}"
    )
    _pay(page, "4000 0000 0000 0002")
    page.wait_for_selector("#message.bad >> text=declined")
    page.screenshot(path=str(page.shots / "deposit-declined.png"))
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == (
        "requires_payment_method"
    )
    page.fill("[data-dealerhub=number]", "4242424242424242")
    page.click("#pay")
    page.wait_for_selector("#message.ok >> text=Deposit received")
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "succeeded"


def test_three_d_secure_opens_over_the_page_and_completes(hub: LiveHub, page: Any) -> None:
    pi = _deposit(hub)
    page.goto(
        f"{hub.url}/examples/deposit?key={hub.dealer.publishable_key}"
        f"&client_secret={pi['client_secret']}"
    )
    _pay(page, "4000 0027 6000 3184")
    frame = page.frame_locator('[data-dealerhub="3ds"]')
    frame.locator("text=Complete authentication").wait_for()
    page.screenshot(path=str(page.shots / "deposit-3ds.png"))
    frame.locator("text=Complete authentication").click()
    page.wait_for_selector("#message.ok >> text=Deposit received")
    assert page.locator('[data-dealerhub="3ds"]').count() == 0
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "succeeded"


class _SiteHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def dealer_site(hub: LiveHub) -> Iterator[tuple[str, type[_SiteHandler]]]:
    """A dealer's own website on another origin (localhost vs the hub's 127.0.0.1)."""
    handler = type("Site", (_SiteHandler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def test_dealer_website_on_another_origin_pays_through_cors(
    hub: LiveHub, page: Any, dealer_site: tuple[str, type[_SiteHandler]]
) -> None:
    site, handler = dealer_site
    pi = _deposit(hub, 25000)
    # The dealer's server renders the same page (its script and API calls go to the hub).
    html = hub.app.test_client().get(
        "/examples/deposit",
        query_string={"key": hub.dealer.publishable_key, "client_secret": pi["client_secret"]},
        base_url=hub.url,
    )
    handler.body = html.data
    page.goto(site + "/reserve")
    page.wait_for_selector("#message.bad")  # not listed yet: the browser is refused
    assert "web.allowed_origins" in page.inner_text("#message")
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == (
        "requires_payment_method"
    )

    r = hub.api.post("/configuration", json={"web": {"allowed_origins": [site]}})
    assert r.status_code == 200, r.get_data(as_text=True)
    page.goto(site + "/reserve")
    page.wait_for_selector("text=Refundable deposit: $250.00")
    _pay(page, "4242424242424242")
    page.wait_for_selector("#message.ok >> text=Deposit received: $250.00")
    page.screenshot(path=str(page.shots / "dealer-site-paid.png"))
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "succeeded"


# A stand-in for accept.blue's Hosted Tokenization script, served at the real script URL by
# the browser's request routing (tests never reach the internet): an iframe-less form with
# the library's shape (create → mount → getNonceToken) that records what it was given.
FAKE_HOSTED_TOKENIZATION = """
window.HostedTokenization = function (key) {
  window.__tokenizerKey = key;
  this.create = function (kind) {
    return {
      mount: function (target) {
        var input = document.createElement('input');
        input.setAttribute('data-gateway', 'card');
        target.appendChild(input);
      },
      getNonceToken: function () {
        return Promise.resolve({nonce: 'nonce-' + 'Ab12Cd34Ef56Gh78Ij90Kl12',
                                expiryMonth: 12, expiryYear: 34});
      }
    };
  };
};
"""


def test_live_mode_loads_the_routed_gateways_tokenizer(hub: LiveHub, page: Any) -> None:
    live = Api(hub.app.test_client(), hub.dealer.live_secret_key)
    r = live.post(
        "/configuration",
        json={
            "payment_gateways": {
                "acceptblue": {
                    "environment": "production",
                    "source_key": "source-key-123",
                    "pin": "1234",
                    "public_key": "pk-ab-public",
                }
            }
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    info = Api(hub.app.test_client(), hub.dealer.live_publishable_key).get(
        "/payment/payment-methods/tokenizer"
    )
    assert info.status_code == 200, info.get_data(as_text=True)
    script_url = info.get_json()["script_url"]
    sent: list[dict[str, Any]] = []
    page.route(
        script_url,
        lambda route: route.fulfill(body=FAKE_HOSTED_TOKENIZATION, content_type="text/javascript"),
    )

    def capture(route: Any) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=402, json={"error": {"message": "stopped by the test"}})

    page.route(f"{hub.url}/payment/payment-methods", capture)
    page.goto(f"{hub.url}/examples/deposit")  # loads dealerhub.js; the test drives it
    page.evaluate(
        """async (key) => {
            const hub = DealerHub(key);
            const card = await hub.mountCard('#message');
            window.__result = await hub.createPaymentMethod({card});
        }""",
        hub.dealer.live_publishable_key,
    )
    assert page.evaluate("window.__tokenizerKey") == "pk-ab-public"
    assert page.locator("[data-gateway=card]").count() == 1
    # Only the gateway's token (and expiry) goes to the hub: no card number.
    assert sent == [
        {
            "type": "card",
            "card": {"token": "nonce-Ab12Cd34Ef56Gh78Ij90Kl12", "exp_month": 12, "exp_year": 2034},
            "processor": "acceptblue",
        }
    ]


def test_three_d_secure_failure_is_reported_and_nothing_is_charged(hub: LiveHub, page: Any) -> None:
    pi = _deposit(hub)
    page.goto(
        f"{hub.url}/examples/deposit?key={hub.dealer.publishable_key}"
        f"&client_secret={pi['client_secret']}"
    )
    _pay(page, "4000002760003184")
    frame = page.frame_locator('[data-dealerhub="3ds"]')
    frame.locator("text=Fail authentication").click()
    page.wait_for_selector("#message.bad")
    page.screenshot(path=str(page.shots / "deposit-3ds-failed.png"))
    after = hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert after["status"] == "requires_payment_method"
    assert after["amount_received"] == 0
    assert after["last_payment_error"]["message"] in page.inner_text("#message")


def test_confirm_card_setup_saves_a_card_for_the_customer(hub: LiveHub, page: Any) -> None:
    customer = hub.api.post("/payment/customers", json={"name": "Sam Saver"}).get_json()
    si = hub.api.post("/payment/setup-intents", json={"customer": customer["id"]}).get_json()
    page.goto(f"{hub.url}/examples/deposit")  # loads dealerhub.js; the test drives it
    page.evaluate(
        """async ([key, secret]) => {
            const hub = DealerHub(key);
            const card = await hub.mountCard('#message');
            document.querySelector('[data-dealerhub=number]').value = '4242424242424242';
            document.querySelector('[data-dealerhub=expiry]').value = '12/2034';
            window.__setup = await hub.confirmCardSetup(secret, {card});
        }""",
        [hub.dealer.publishable_key, si["client_secret"]],
    )
    result = page.evaluate("window.__setup")
    assert "error" not in result, result
    assert result["setupIntent"]["status"] == "succeeded"
    saved = hub.api.get(f"/payment/payment-methods/all/{customer['id']}").get_json()["data"]
    assert [pm["card"]["last4"] for pm in saved] == ["4242"]


def test_three_d_secure_redirect_mode_comes_back_to_the_page(hub: LiveHub, page: Any) -> None:
    pi = _deposit(hub)
    page.goto(
        f"{hub.url}/examples/deposit?key={hub.dealer.publishable_key}"
        f"&client_secret={pi['client_secret']}&redirect=1"
    )
    _pay(page, "4000002760003184")
    page.wait_for_url("**/payment/sandbox/3ds/**")
    assert "return_url=" in page.url
    page.click("text=Complete authentication")
    page.wait_for_url("**/examples/deposit?**payment_intent=**")
    page.wait_for_selector("#message.ok >> text=Deposit received: $500.00")
    page.screenshot(path=str(page.shots / "deposit-3ds-redirect.png"))
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "succeeded"


def test_three_d_secure_page_refuses_a_foreign_return_url(hub: LiveHub) -> None:
    pi = hub.api.post(
        "/payment/payment-intents",
        json={
            "amount": 50000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_authenticationRequired",
        },
    ).get_json()
    assert pi["status"] == "requires_action"
    r = hub.app.test_client().post(
        f"/payment/sandbox/3ds/{pi['id']}",
        data={
            "client_secret": pi["client_secret"],
            "outcome": "complete",
            "return_url": "https://evil.example/steal",
        },
    )
    assert r.status_code == 400
    assert r.get_json()["error"]["param"] == "return_url"
    # Nothing happened: the intent still waits for authentication.
    assert hub.api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == (
        "requires_action"
    )
