"""Real-browser test of editing a saved deal at the desk (Playwright driving Debian's
Chromium; skipped with the reason without it). Screenshots go to the test's tmp folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.dms.conftest import post_lead
from tests.dms.test_dms_deals import deal_body
from tests.staff.browsing import BROWSER_TESTS, Shots, log_in

pytestmark = BROWSER_TESTS


def test_edit_a_deal_with_the_live_payment(
    api: Any, dealer: Any, staff_users: Any, server: str, page: Any, tmp_path: Path
) -> None:
    shot = Shots(page, tmp_path / "screenshots")
    print(f"screenshots: {shot.folder}")
    lead = post_lead(api).get_json()
    deal = api.post("/dms/deals", json=deal_body(lead)).get_json()
    log_in(page, server, dealer, "finance")

    page.goto(f"{server}/staff/deals/{deal['id']}")
    page.get_by_role("link", name="Edit deal").click()
    page.wait_for_url(f"{server}/staff/deals/{deal['id']}/edit")
    form = page.locator("#deal-form")
    assert form.get_by_label("Cash price (USD)").input_value() == "30000.00"
    assert form.get_by_label("Customer id").get_attribute("readonly") is not None
    assert "doc fee 200.00 USD" in page.inner_text("#kept")
    # The saved payment first; then it follows the fields as they change.
    page.get_by_role("button", name="Work out payment").click()
    assert page.inner_text("#monthly-payment") == "543.24 USD"
    form.get_by_label("Cash price (USD)").fill("31000")
    form.get_by_label("Term (months)").fill("72")
    # 28,500.00 financed at 6.9% for 72 months (fees, tires and products counted).
    page.wait_for_function(
        "document.getElementById('monthly-payment').textContent === '484.53 USD'"
    )
    assert page.inner_text("#amount-financed") == "28,500.00 USD"
    shot("13-deal-edit")

    # Too large a down payment: the error is next to its field, and nothing is saved.
    form.get_by_label("Down payment (USD)").fill("90000")
    page.get_by_role("button", name="Save changes and push to DMS").click()
    assert "exceed the price of the deal" in page.inner_text("#down_payment-error")
    shot("14-deal-edit-error")

    form.get_by_label("Down payment (USD)").fill("2000")
    page.get_by_role("button", name="Save changes and push to DMS").click()
    page.wait_for_url(re.compile(rf".*/staff/deals/{deal['id']}$"))
    assert "saved and queued for the DMS again" in page.inner_text(".flash")
    terms = page.inner_text("main")
    assert "484.53 USD" in terms and "\u00d7 72" in terms
    assert page.inner_text("#sync-status") == "synced"
    shot("15-deal-edited")
