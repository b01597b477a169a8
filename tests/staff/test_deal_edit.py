"""Editing a saved deal at the desk (/staff/deals/<id>/edit): the form filled from the deal,
the live payment, the save through ``dms.deals.update_deal``, roles, CSRF and the audit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dealerhub.dms.models import Deal
from dealerhub.events.models import Event
from tests.billing.conftest import customer
from tests.conftest import Api, make_dealer
from tests.dms.conftest import post_lead
from tests.dms.test_dms_deals import deal_body
from tests.staff.conftest import Desk, audit_actions
from tests.staff.test_credit_deals import deal_form, deals_of


def _desked(app: Any, api: Any, desk: Desk, role: str = "finance") -> Deal:
    """A deal made at the desk (25,595.00 USD financed, 505.60 USD a month)."""
    cus = customer(api)
    desk.login(role)
    response = desk.post("/staff/deals/new", {**deal_form(cus["id"]), "action": "create"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [deal] = deals_of(app, cus["id"])
    return deal


def _row(app: Any, deal_id: str) -> Deal:
    with app.extensions["db"].transaction(write=False) as session:
        row: Deal = session.get(Deal, deal_id)
        return row


def _values(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="([^"]+)"[^>]*? value="([^"]*)"', html))


def _edit_form(html: str, **over: str) -> dict[str, str]:
    """The edit page's deal form as a browser would send it, with ``over`` typed in."""
    form = _values(html[html.index('id="deal-form"') :])
    form.pop("csrf_token", None)
    chosen = re.search(r"<option selected>(retail|cash|lease)</option>", html)
    form["finance_type"] = chosen.group(1) if chosen else "retail"
    return {**form, **over}


def test_the_edit_page_is_filled_from_the_deal(app: Any, api: Any, desk: Desk) -> None:
    deal = _desked(app, api, desk)
    page = desk.get(f"/staff/deals/{deal.id}")
    assert f'href="/staff/deals/{deal.id}/edit"' in page.get_data(as_text=True)
    html = desk.get(f"/staff/deals/{deal.id}/edit").get_data(as_text=True)
    values = _values(html)
    assert values["price"] == "30000.00" and values["taxes"] == "1800.00"
    assert values["trade_allowance"] == "9000.00" and values["trade_payoff"] == "4000.00"
    assert values["apr"] == "6.9" and values["term_months"] == "60"
    assert values["products.0.name"] == "GAP" and values["products.0.price"] == "795.00"
    assert "Save changes and push to DMS" in html and "readonly" in html  # in the DMS
    assert ("desk.deal_edit_viewed", f"staff:{desk.users['finance']}") in audit_actions(
        app, desk.dealer.id
    )


def test_save_a_new_price_works_out_the_payment_and_resyncs(app: Any, api: Any, desk: Desk) -> None:
    deal = _desked(app, api, desk)
    html = desk.get(f"/staff/deals/{deal.id}/edit").get_data(as_text=True)
    form = _edit_form(html, price="31000.00")
    quote = desk.post(f"/staff/deals/{deal.id}/quote", form).get_data(as_text=True)
    # 1,000.00 more on the price: 26,595.00 financed at 6.9% for 60 months.
    assert "26,595.00 USD" in quote
    assert re.search(r'id="monthly-payment">525.36 USD<', quote), quote
    response = desk.post(f"/staff/deals/{deal.id}/edit", {**form, "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    row = _row(app, deal.id)
    assert row.vehicle["price"] == 3_100_000
    assert row.finance["amount_financed"] == 2_659_500
    assert row.finance["monthly_payment"] == 52_536
    assert row.sync_version == deal.sync_version + 1 and row.sync_status == "synced"
    assert row.external_id == deal.external_id
    assert ("deal.updated", f"staff:{desk.users['finance']}") in audit_actions(app, desk.dealer.id)
    with app.extensions["db"].transaction(write=False) as session:
        types = [e.type for e in session.query(Event).filter(Event.dealer_id == desk.dealer.id)]
    assert "deal.updated" in types
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "saved and queued for the DMS again" in page and "525.36 USD" in page


def test_the_desk_keeps_what_it_does_not_show(app: Any, api: Any, desk: Desk) -> None:
    """A deal from the API with fees, tires cost, a lead, metadata and product types: the
    desk's edit changes the lender and keeps the rest, and its payment counts the fees."""
    lead = post_lead(api).get_json()
    body = deal_body(lead)
    body["vehicle"]["stock_number"] = "A123"
    body["products"][0]["type"] = "service_contract"
    body["metadata"] = {"desk": "3"}
    made = api.post("/dms/deals", json=body).get_json()
    desk.login("manager")
    html = desk.get(f"/staff/deals/{made['id']}/edit").get_data(as_text=True)
    assert "doc fee 200.00 USD" in html and "tires cost 500.00 USD" in html
    form = _edit_form(html, lender="Chase")
    form["trade_vin"] = "1FADP3F20FL000002"
    quote = desk.post(f"/staff/deals/{made['id']}/quote", form).get_data(as_text=True)
    assert "27,500.00 USD" in quote and "543.24 USD" in quote  # fees and tires counted
    response = desk.post(f"/staff/deals/{made['id']}/edit", {**form, "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    row = _row(app, made["id"])
    assert row.finance["lender"] == "Chase"
    assert row.finance["fees"] == [{"description": "doc fee", "amount": 20_000}]
    assert row.finance["tires_cost"] == 50_000 and row.finance["amount_financed"] == 2_750_000
    assert row.vehicle["stock_number"] == "A123" and row.lead_id == lead["id"]
    assert row.products[0]["type"] == "service_contract" and row.metadata_ == {"desk": "3"}


def test_errors_are_shown_next_to_the_fields_and_nothing_changes(
    app: Any, api: Any, desk: Desk
) -> None:
    deal = _desked(app, api, desk, "manager")
    html = desk.get(f"/staff/deals/{deal.id}/edit").get_data(as_text=True)
    too_much = desk.post(
        f"/staff/deals/{deal.id}/edit",
        {**_edit_form(html, down_payment="90000.00"), "action": "save"},
    )
    assert too_much.status_code == 400
    page = too_much.get_data(as_text=True)
    assert 'id="down_payment-error"' in page and "exceed the price of the deal" in page
    no_apr = desk.post(
        f"/staff/deals/{deal.id}/edit", {**_edit_form(html, apr=""), "action": "save"}
    )
    assert no_apr.status_code == 400 and "Enter the APR" in no_apr.get_data(as_text=True)
    bad_apr = desk.post(
        f"/staff/deals/{deal.id}/edit", {**_edit_form(html, apr="45"), "action": "save"}
    )
    assert 'id="apr-error"' in bad_apr.get_data(as_text=True)
    someone = customer(api, name="Someone Else", email="else@example.com")
    moved = desk.post(
        f"/staff/deals/{deal.id}/edit",
        {**_edit_form(html, customer=someone["id"]), "action": "save"},
    )
    assert moved.status_code == 400
    assert 'id="customer-error"' in moved.get_data(as_text=True)
    assert "cannot change" in moved.get_data(as_text=True)
    row = _row(app, deal.id)
    assert row.sync_version == deal.sync_version and row.finance == deal.finance
    assert row.customer_id == deal.customer_id
    assert ("deal.updated", f"staff:{desk.users['manager']}") not in audit_actions(
        app, desk.dealer.id
    )


def test_saving_without_a_change_records_nothing(app: Any, api: Any, desk: Desk) -> None:
    deal = _desked(app, api, desk)
    html = desk.get(f"/staff/deals/{deal.id}/edit").get_data(as_text=True)
    response = desk.post(f"/staff/deals/{deal.id}/edit", {**_edit_form(html), "action": "save"})
    assert response.status_code == 302
    assert "Nothing changed." in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert _row(app, deal.id).sync_version == deal.sync_version
    assert "deal.updated" not in [a for a, _ in audit_actions(app, desk.dealer.id)]


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_editing_is_finance_and_manager_only(app: Any, api: Any, desk: Desk, role: str) -> None:
    deal = _desked(app, api, desk)
    desk.login(role)
    assert desk.get(f"/staff/deals/{deal.id}/edit").status_code == 403
    form = {**deal_form(deal.customer_id, price="99000.00"), "action": "save"}
    response = desk.post(f"/staff/deals/{deal.id}/edit", form)
    assert response.status_code == 403 and "Not allowed" in response.get_data(as_text=True)
    assert desk.post(f"/staff/deals/{deal.id}/quote", form).status_code == 403
    assert _row(app, deal.id).vehicle["price"] == 3_000_000


def test_csrf_is_required(app: Any, api: Any, desk: Desk) -> None:
    deal = _desked(app, api, desk)
    form = {**deal_form(deal.customer_id, price="99000.00"), "action": "save"}
    response = desk.client.post(f"/staff/deals/{deal.id}/edit", data=form)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert _row(app, deal.id).vehicle["price"] == 3_000_000


def test_another_dealers_deal_is_a_404(app: Any, client: Any, desk: Desk) -> None:
    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    lead = post_lead(other).get_json()
    theirs = other.post("/dms/deals", json=deal_body(lead)).get_json()
    desk.login("manager")
    assert desk.get(f"/staff/deals/{theirs['id']}/edit").status_code == 404
    form = {**deal_form(lead["customer_id"], price="1.00"), "action": "save"}
    assert desk.post(f"/staff/deals/{theirs['id']}/edit", form).status_code == 404
    assert _row(app, theirs["id"]).vehicle["price"] == 3_000_000
