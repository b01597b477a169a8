"""Real-browser tests of the desk: Playwright driving Debian's Chromium against the app
served on 127.0.0.1. Skipped, with the reason, where /usr/bin/chromium is not installed
(`.ci/run` installs it). Screenshots go to the test's tmp folder (printed on failure)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.billing.conftest import customer, ok
from tests.configuration.conftest import PASSWORD as P12_PASSWORD
from tests.configuration.pki import client_p12
from tests.staff.browsing import BROWSER_TESTS, Shots, log_in
from tests.staff.conftest import email

pytestmark = BROWSER_TESTS


def test_desk_end_to_end(
    app: Any, api: Any, dealer: Any, staff_users: Any, server: str, page: Any, tmp_path: Path
) -> None:
    shot = Shots(page, tmp_path / "screenshots")
    print(f"screenshots: {shot.folder}")
    # Data the desk works on, made through the API.
    cus = customer(api, name="Jane Desk", email="jane.desk@example.com", phone="+15125550199")
    pi = ok(
        api.post(
            "/payment/payment-intents",
            json={
                "amount": 45000,
                "currency": "usd",
                "customer": cus["id"],
                "payment_method": "pm_card_visa",
                "confirm": True,
                "description": "Deposit",
            },
        )
    )
    inv = ok(
        api.post(
            "/payment/invoices",
            json={
                "customer": cus["id"],
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "lines": [{"amount": 29900, "currency": "usd", "description": "Window tint"}],
            },
        )
    )

    # Wrong password first: the message is shown.
    page.goto(f"{server}/staff/login")
    page.get_by_label("E-mail").fill(email(dealer, "manager"))
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert "Wrong e-mail or password." in page.inner_text("#login-error")
    shot("01-login-error")

    log_in(page, server, dealer, "manager")
    assert "TEST MODE" in page.inner_text(".mode-banner")
    shot("02-home")

    # A sandbox credit check with consent.
    page.goto(f"{server}/staff/credit/new?customer={cus['id']}")
    page.get_by_label("Date of birth").fill("1985-04-12")
    page.get_by_label("Social Security number").fill("401-23-4567")
    page.get_by_label("Street address").fill("1 Main St")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("State (2 letters)").fill("TX")
    page.get_by_label("ZIP code").fill("78701")
    page.get_by_label("How the applicant agreed").select_option("written")
    shot("03-credit-form")
    page.get_by_role("button", name="Run credit check").click()
    assert "The applicant's consent is required" in page.content()  # box not ticked yet
    page.get_by_label("Social Security number").fill("401-23-4567")
    page.get_by_label("The applicant has read the consent text").check()
    page.get_by_role("button", name="Run credit check").click()
    page.wait_for_url(re.compile(r".*/staff/credit/cc_.*"))
    assert re.search(r"\d{3}", page.inner_text("#score"))
    assert "***-**-4567" in page.content() and "401-23-4567" not in page.content()
    shot("04-credit-result")
    page.get_by_role("link", name="Adverse-action notice (printable)").click()
    assert "Key factors that adversely affected your score" in page.content()
    shot("05-adverse-action")

    # Desk a deal with a trade-in valued through the drill-down.
    page.goto(f"{server}/staff/deals/new?customer={cus['id']}")
    page.get_by_label("Make", exact=True).first.select_option(label="Toyota")
    page.get_by_role("button", name="Next").click()
    page.locator("#tmodel").select_option(index=1)
    page.get_by_role("button", name="Next").click()
    page.locator("#tyear").select_option(index=1)
    page.get_by_role("button", name="Next").click()
    page.locator("#tmileage").fill("42000")
    page.locator("#tzip").fill("78701")
    page.locator("#tcondition").select_option("clean")
    page.get_by_role("button", name="Value trade-in").click()
    assert page.locator("#valuation").is_visible()
    deal = page.locator("#deal-form")
    deal.get_by_label("Cash price (USD)").fill("30000")
    deal.get_by_label("Taxes (USD)").fill("1800")
    deal.get_by_label("Payoff owed (USD)").fill("4000")
    deal.get_by_label("Down payment (USD)").fill("2000")
    deal.get_by_label("APR (%)").fill("6.9")
    deal.get_by_label("Term (months)").fill("60")
    # The payment appears as the fields change (the desk's script asks the server).
    page.wait_for_selector("#monthly-payment")
    shot("06-deal-desk")
    page.get_by_role("button", name="Save deal and push to DMS").click()
    page.wait_for_url(re.compile(r".*/staff/deals/deal_.*"))
    assert "USD" in page.inner_text("main") and page.locator("#sync-status").is_visible()
    shot("07-deal")

    # Send an invoice.
    page.goto(f"{server}/staff/invoices/{inv['id']}")
    page.get_by_role("button", name="Send to customer").click()
    assert "sent to jane.desk@example.com" in page.inner_text(".flash")
    shot("08-invoice-sent")

    # Refund a payment, with a reason.
    page.goto(f"{server}/staff/payments/{pi['id']}")
    page.get_by_label("Amount (USD)").fill("50.00")
    page.get_by_role("button", name="Refund").click()
    assert page.get_by_label("Reason").evaluate("e => !e.checkValidity()")  # browser insists
    page.get_by_label("Reason").select_option("requested_by_customer")
    page.get_by_role("button", name="Refund").click()
    assert "50.00 USD" in page.inner_text(".flash")
    shot("09-refund")

    # Upload a certificate.
    page.goto(f"{server}/staff/configuration")
    p12 = tmp_path / "transunion.p12"
    p12.write_bytes(client_p12(P12_PASSWORD))
    page.get_by_label("Certificate file (.p12)").set_input_files(str(p12))
    page.get_by_label("Certificate password").fill(P12_PASSWORD)
    page.get_by_role("button", name="Upload certificate").click()
    assert "Certificate uploaded." in page.inner_text(".flash")
    assert "certificate expires" in page.content()
    shot("10-configuration")

    page.goto(f"{server}/staff/audit")
    text = page.inner_text("main")
    for action in ("credit_check.pull", "deal.created", "invoice.sent", "refund.created"):
        assert action in text
    shot("11-audit")

    page.get_by_role("button", name="Log out").click()
    assert "You are logged out." in page.content()


def test_cashier_sees_no_credit_and_gets_a_403_page(
    dealer: Any, staff_users: Any, server: str, page: Any, tmp_path: Path
) -> None:
    log_in(page, server, dealer, "cashier")
    nav = page.inner_text("nav")
    assert "Credit" not in nav and "Configuration" not in nav
    page.goto(f"{server}/staff/credit/new")
    assert "Not allowed" in page.content()
    Shots(page, tmp_path / "screenshots")("12-forbidden")
