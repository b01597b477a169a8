"""Real-browser test of the manager's configuration screens: a payment gateway (secret
write-only), the payment routing, and webhook endpoints (add, disable, delete). Playwright
drives Debian's Chromium; skipped with the reason without it. Screenshots go to the test's
tmp folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.staff.browsing import BROWSER_TESTS, Shots, log_in

pytestmark = BROWSER_TESTS


def test_gateways_routing_and_webhook_endpoints(
    dealer: Any, staff_users: Any, server: str, page: Any, tmp_path: Path
) -> None:
    shot = Shots(page, tmp_path / "screenshots")
    print(f"screenshots: {shot.folder}")
    log_in(page, server, dealer, "manager")
    page.goto(f"{server}/staff/configuration")
    page.get_by_role("link", name="Payment gateways and routing").click()
    page.wait_for_url(f"{server}/staff/configuration/gateways")

    bluedog = page.locator("#gw-bluedog")
    bluedog.get_by_label("API key (required)").fill("bd_live_secret_123")
    bluedog.get_by_label("Processor ID").fill("proc_42")
    bluedog.get_by_label("Environment").select_option("production")  # not in test mode
    bluedog.get_by_role("button", name="Save bluedog").click()
    error = page.inner_text("#payment_gateways-bluedog-environment-error")
    assert "may only use the sandbox environment of bluedog" in error
    assert page.locator("#gw-bluedog").get_by_label("API key (required)").input_value() == ""
    shot("16-gateway-error")

    bluedog = page.locator("#gw-bluedog")
    bluedog.get_by_label("API key (required)").fill("bd_live_secret_123")
    bluedog.get_by_label("Environment").select_option("")
    bluedog.get_by_role("button", name="Save bluedog").click()
    assert "Gateway bluedog saved." in page.inner_text(".flash")
    assert "bd_live_secret_123" not in page.content()
    bluedog = page.locator("#gw-bluedog")
    assert bluedog.get_by_label("Processor ID").input_value() == "proc_42"
    assert "Stored (hidden)" in bluedog.inner_text()
    assert bluedog.locator(".badge").inner_text() == "configured"

    routing = page.locator("#routing")
    routing.get_by_label("Default gateway").select_option("bluedog")
    routing.get_by_label("Payment method of rule 1").select_option("us_bank_account")
    routing.get_by_label("Gateways of rule 1").fill("forward, bluedog")
    routing.get_by_role("button", name="Save routing").click()
    assert "Gateway 'forward' is not configured" in page.inner_text(
        "#payment_routing-rules-0-gateways-error"
    )
    page.locator("#routing").get_by_label("Gateways of rule 1").fill("bluedog")
    page.locator("#routing").get_by_label("Payment method of rule 1").select_option("card")
    page.locator("#routing").get_by_role("button", name="Save routing").click()
    assert "Payment routing saved." in page.inner_text(".flash")
    assert page.locator("#routing").get_by_label("Gateways of rule 1").input_value() == "bluedog"
    shot("17-gateways-routing")

    page.goto(f"{server}/staff/configuration/webhooks")
    page.get_by_label("URL").fill("http://127.0.0.1:9/hook")
    page.get_by_label("Events").fill("payment_intent.succeeded, deal.creatd")
    page.get_by_role("button", name="Add endpoint").click()
    assert "deal.creatd" in page.inner_text("#enabled_events-error")
    page.get_by_label("Events").fill("payment_intent.succeeded, deal.*")
    page.get_by_label("Description (optional)").fill("Dealer website")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.inner_text("#signing-secret")
    assert re.fullmatch(r"whsec_\S+", secret)
    shot("18-webhook-endpoint-added")

    page.goto(f"{server}/staff/configuration/webhooks")
    assert secret not in page.content()
    page.get_by_role("button", name="Disable http://127.0.0.1:9/hook").click()
    assert "disabled" in page.inner_text(".flash")
    assert page.locator("#endpoints .badge").inner_text() == "disabled"
    shot("19-webhook-endpoint-disabled")
    questions: list[str] = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Delete http://127.0.0.1:9/hook").click()
    assert questions and "http://127.0.0.1:9/hook" in questions[0]  # asked, and told no
    assert page.locator("#endpoints .badge").inner_text() == "disabled"
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete http://127.0.0.1:9/hook").click()
    assert "deleted" in page.inner_text(".flash")
    assert "No webhook endpoints yet." in page.inner_text("#endpoints")


def test_finance_gets_the_403_page(
    dealer: Any, staff_users: Any, server: str, page: Any, tmp_path: Path
) -> None:
    log_in(page, server, dealer, "finance")
    page.goto(f"{server}/staff/configuration/gateways")
    assert "Not allowed" in page.content()
    Shots(page, tmp_path / "screenshots")("20-gateways-forbidden")
