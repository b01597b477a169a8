"""Credit application with consent, the adverse-action notice, the deal desk with the
trade-in drill-down, and the customer and lead screens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select

from dealerhub.audit import AuditEntry
from dealerhub.credit.models import CreditCheck
from dealerhub.dms.models import Deal, Lead
from dealerhub.tradein import service as tradein
from tests.billing.conftest import customer
from tests.dms.conftest import lead_body, post_lead
from tests.staff.conftest import Desk, audit_actions

SSN = "401-23-4567"


def applicant(**over: str) -> dict[str, str]:
    return {
        "first_name": "Jane",
        "last_name": "Desk",
        "date_of_birth": "1985-04-12",
        "social_security_number": SSN,
        "phone": "512-555-0199",
        "line1": "1 Main St",
        "city": "Austin",
        "state": "tx",
        "postal_code": "78701",
        "pull_type": "soft",
        "consent_method": "written",
        "consent_given": "yes",
        **over,
    }


def checks(app: Any, dealer_id: str) -> list[CreditCheck]:
    with app.extensions["db"].transaction(write=False) as session:
        return list(session.scalars(select(CreditCheck).where(CreditCheck.dealer_id == dealer_id)))


def test_credit_check_with_consent_shows_masked_result(
    app: Any, api: Any, desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    cus = customer(api)
    desk.login("finance")
    form_page = desk.get(f"/staff/credit/new?customer={cus['id']}").get_data(as_text=True)
    assert "Soft-inquiry consent" in form_page and "Hard-inquiry consent" in form_page
    response = desk.post("/staff/credit/new", {**applicant(), "customer": cus["id"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    [check] = checks(app, desk.dealer.id)
    assert check.status == "completed" and check.score is not None
    assert check.consent["method"] == "written" and check.consent["pull_type"] == "soft"
    assert check.metadata_ == {
        "consent_captured_by": desk.users["finance"],
        "customer_id": cus["id"],
    }
    html = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "***-**-4567" in html and SSN not in html and "401234567" not in html
    assert str(check.score) in html and "Adverse-action notice" in html
    actor = f"staff:{desk.users['finance']}"
    actions = audit_actions(app, desk.dealer.id, desk.users["finance"])
    assert ("credit_check.pull", actor) in actions
    assert ("desk.consent_captured", actor) in actions
    assert ("credit_check.view", actor) in actions
    assert SSN not in caplog.text and "401234567" not in caplog.text
    # The customer's page lists the check (masked) for finance.
    assert check.id in desk.get(f"/staff/customers/{cus['id']}").get_data(as_text=True)


def test_adverse_action_notice_is_printable(app: Any, desk: Desk) -> None:
    desk.login("manager")
    response = desk.post("/staff/credit/new", applicant())
    notice = desk.get(response.headers["Location"].split("?")[0] + "/adverse-action")
    html = notice.get_data(as_text=True)
    assert notice.status_code == 200
    assert "Key factors that adversely affected your score" in html and "TransUnion" in html
    assert ("credit_check.adverse_action_printed", f"staff:{desk.users['manager']}") in (
        audit_actions(app, desk.dealer.id)
    )


def test_credit_check_without_consent_is_refused(app: Any, desk: Desk) -> None:
    desk.login("finance")
    response = desk.post("/staff/credit/new", applicant(consent_given=""))
    assert response.status_code == 400
    assert "consent is required" in response.get_data(as_text=True)
    assert checks(app, desk.dealer.id) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("social_security_number", "000-12-3456", "Not a valid US Social Security number."),
        ("date_of_birth", "2015-01-01", "at least 18 years old"),
        ("postal_code", "7870", "String does not match expected pattern."),
        ("consent_method", "", "Must be one of"),
    ],
)
def test_credit_validation_errors_next_to_the_field(
    app: Any, desk: Desk, field: str, value: str, message: str
) -> None:
    desk.login("finance")
    response = desk.post("/staff/credit/new", applicant(**{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and message in html
    assert value not in html or value == "" or field != "social_security_number"
    assert checks(app, desk.dealer.id) == []


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_credit_is_finance_and_manager_only(app: Any, desk: Desk, role: str) -> None:
    desk.login(role)
    assert desk.get("/staff/credit/new").status_code == 403
    assert desk.post("/staff/credit/new", applicant()).status_code == 403
    assert checks(app, desk.dealer.id) == []


def test_credit_result_is_not_shown_to_a_cashier(app: Any, desk: Desk) -> None:
    desk.login("finance")
    location = desk.post("/staff/credit/new", applicant()).headers["Location"].split("?")[0]
    desk.login("cashier")
    assert desk.get(location).status_code == 403
    assert desk.get(location + "/adverse-action").status_code == 403


# --- deal desk ------------------------------------------------------------------------------


def deal_form(cus_id: str, **over: str) -> dict[str, str]:
    return {
        "customer": cus_id,
        "vin": "1HGCM82633A004352",
        "year": "2024",
        "make": "Honda",
        "model": "Accord",
        "price": "30000.00",
        "taxes": "1800.00",
        "trade_year": "2018",
        "trade_make": "Toyota",
        "trade_model": "Camry",
        "trade_allowance": "9000.00",
        "trade_payoff": "4000.00",
        "down_payment": "2000.00",
        "finance_type": "retail",
        "apr": "6.9",
        "term_months": "60",
        "products.0.name": "GAP",
        "products.0.price": "795.00",
        "products.0.cost": "300.00",
        **over,
    }


def deals_of(app: Any, customer_id: str) -> list[Deal]:
    with app.extensions["db"].transaction(write=False) as session:
        return list(session.scalars(select(Deal).where(Deal.customer_id == customer_id)))


def test_quote_works_out_the_payment(api: Any, desk: Desk) -> None:
    cus = customer(api)
    desk.login("finance")
    html = desk.post("/staff/deals/quote", deal_form(cus["id"])).get_data(as_text=True)
    # 30000 + 1800 + 795 + 4000 payoff - 9000 allowance - 2000 down = 25,595.00
    assert "25,595.00 USD" in html
    payment = re.search(r'id="monthly-payment">([^<]+)<', html)
    assert payment and payment.group(1) == "505.60 USD"


def test_desk_a_deal_with_a_trade_in(app: Any, api: Any, desk: Desk) -> None:
    cus = customer(api)
    desk.login("finance")
    response = desk.post("/staff/deals/new", {**deal_form(cus["id"]), "action": "create"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [deal] = deals_of(app, cus["id"])
    assert deal.finance["amount_financed"] == 2559500
    assert deal.finance["monthly_payment"] == 50560
    assert deal.trade_in == {
        "year": 2018,
        "make": "Toyota",
        "model": "Camry",
        "allowance": 900000,
        "payoff": 400000,
    }
    assert deal.sync_status in ("pending", "synced")
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "505.60 USD" in page and 'id="sync-status"' in page
    assert ("deal.created", f"staff:{desk.users['finance']}") in audit_actions(app, desk.dealer.id)


def test_deal_errors_are_shown_and_nothing_is_stored(app: Any, api: Any, desk: Desk) -> None:
    cus = customer(api)
    desk.login("manager")
    response = desk.post(
        "/staff/deals/new",
        {**deal_form(cus["id"], down_payment="90000.00"), "action": "create"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Down payment and trade equity exceed the price of the deal." in html
    assert 'id="down_payment-error"' in html
    no_apr = desk.post("/staff/deals/new", {**deal_form(cus["id"], apr=""), "action": "create"})
    assert "Enter the APR" in no_apr.get_data(as_text=True)
    assert deals_of(app, cus["id"]) == []


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_deal_desk_is_finance_and_manager_only(app: Any, api: Any, desk: Desk, role: str) -> None:
    cus = customer(api)
    desk.login(role)
    assert (
        desk.post("/staff/deals/new", {**deal_form(cus["id"]), "action": "create"}).status_code
        == 403
    )
    assert deals_of(app, cus["id"]) == []


def test_trade_in_drill_down_to_a_value(app: Any, desk: Desk) -> None:
    desk.login("finance")
    makes = tradein.list_makes({})["data"]
    make = next(m for m in makes if m.name == "Toyota")
    html = desk.get(f"/staff/deals/new?tmake={make.make_id}").get_data(as_text=True)
    model = tradein.list_models({"make_id": make.make_id})["data"][0]
    assert model.name in html
    year = tradein.list_model_years({"make_id": make.make_id, "model_id": model.model_id})["data"][
        0
    ]["year"]
    html = desk.get(
        f"/staff/deals/new?tmake={make.make_id}&tmodel={model.model_id}&tyear={year}"
    ).get_data(as_text=True)
    vehicle_id = re.search(r'<option value="([^"]+)"[^>]*>' + str(year), html)
    assert vehicle_id, html
    valued = desk.get(
        f"/staff/deals/new?tmake={make.make_id}&tmodel={model.model_id}&tyear={year}"
        f"&tvehicle={vehicle_id.group(1)}&tmileage=42000&tzip=78701&tcondition=clean"
    )
    html = valued.get_data(as_text=True)
    assert valued.status_code == 200 and 'id="valuation"' in html
    assert "Prefilled with the trade-in value" in html
    assert ("tradein.valued", f"staff:{desk.users['finance']}") in audit_actions(
        app, desk.dealer.id
    )
    bad_zip = desk.get(
        f"/staff/deals/new?tmake={make.make_id}&tmodel={model.model_id}&tyear={year}"
        f"&tvehicle={vehicle_id.group(1)}&tmileage=42000&tzip=00000"
    ).get_data(as_text=True)
    assert 'id="tzip-error"' in bad_zip


# --- customers and leads --------------------------------------------------------------------


def test_customer_search_and_page(api: Any, desk: Desk) -> None:
    cus = customer(api, name="Zed Searchable")
    desk.login("viewer")
    assert cus["id"] in desk.get("/staff/customers?q=searchable").get_data(as_text=True)
    assert cus["id"] not in desk.get("/staff/customers?q=nobody-matches").get_data(as_text=True)
    page = desk.get(f"/staff/customers/{cus['id']}").get_data(as_text=True)
    assert "Zed Searchable" in page and "Credit checks" not in page  # viewer: no credit data
    assert desk.get("/staff/customers/cus_nope").status_code == 404


def test_lead_page_adf_and_status_change(app: Any, api: Any, desk: Desk) -> None:
    lead = post_lead(api).get_json()
    desk.login("viewer")
    assert lead["id"] in desk.get("/staff/leads?status=new").get_data(as_text=True)
    page = desk.get(f"/staff/leads/{lead['id']}").get_data(as_text=True)
    assert "&lt;adf&gt;" in page and "DMS sync" in page
    assert (
        desk.post(f"/staff/leads/{lead['id']}/status", {"status": "contacted"}).status_code == 403
    )
    desk.login("finance")
    response = desk.post(f"/staff/leads/{lead['id']}/status", {"status": "contacted"})
    assert response.status_code == 302
    with app.extensions["db"].transaction(write=False) as session:
        assert session.get(Lead, lead["id"]).status == "contacted"
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.object_id == lead["id"])
        ).all()
        assert any(e.action == "lead.status_changed" for e in entries)
    bad = desk.post(f"/staff/leads/{lead['id']}/status", {"status": "sold"})
    assert bad.status_code == 400 and "Must be one of" in bad.get_data(as_text=True)


def test_status_change_updates_the_lead_being_viewed_not_the_newest(
    app: Any, api: Any, desk: Desk
) -> None:
    """A returning shopper has two leads from the same provider (the first is outside the
    merge window); changing the older one's status at the desk changes that one."""
    first = post_lead(api).get_json()
    with app.extensions["db"].transaction() as session:
        session.get(Lead, first["id"]).created -= 40 * 86400
    second = post_lead(api, lead_body(source="returning")).get_json()
    assert second["id"] != first["id"] and second["customer_id"] == first["customer_id"]
    desk.login("finance")
    response = desk.post(f"/staff/leads/{first['id']}/status", {"status": "lost"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.extensions["db"].transaction(write=False) as session:
        assert session.get(Lead, first["id"]).status == "lost"
        assert session.get(Lead, second["id"]).status == "new"


def test_status_change_of_another_dealers_lead_is_a_404(app: Any, client: Any, desk: Desk) -> None:
    from tests.conftest import Api, make_dealer

    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    theirs = post_lead(other).get_json()
    desk.login("manager")
    assert desk.post(f"/staff/leads/{theirs['id']}/status", {"status": "lost"}).status_code == 404
    with app.extensions["db"].transaction(write=False) as session:
        assert session.get(Lead, theirs["id"]).status == "new"
