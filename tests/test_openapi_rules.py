"""The OpenAPI document states the rules the validators check across fields and inside
values, so that what it calls valid the app accepts (issue 16: schemathesis'
positive_data_acceptance). Each case is a request the app refuses: the document must call it
invalid too; and one the app accepts, which the document must accept."""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema
import pytest
from stdnum.us import ssn as us_ssn

from dealerhub.credit.schemas import SSN_PATTERN
from dealerhub.tradein.regions import ALLOCATED_ZIP, state_of_zip
from tests.conftest import assert_error


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    return document


def _valid(spec: dict[str, Any], name: str, instance: Any) -> bool:
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return bool(jsonschema.Draft7Validator(schema).is_valid(instance))


PRICE = {"currency": "usd", "unit_amount": 100}
LINE = {"amount": 500, "description": "Plate"}
PEN = {
    "dealershipName": "Fuzz Motors",
    "address1": "1 Main St",
    "city": "Austin",
    "state": "TX",
    "zipCode": "78701",
    "phone": "5125550100",
    "email": "desk@example.com",
    "contactName": "Jo",
    "timeZone": "Central",
}
SEND = {"customer": "cus_1", "collection_method": "send_invoice"}
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}


@pytest.mark.parametrize(
    ("schema", "instance", "valid"),
    [
        ("PriceCreate", {**PRICE, "product": "prod_123"}, True),
        ("PriceCreate", {**PRICE, "product": "prod_123", "product_data": {"name": "M"}}, False),
        ("PriceCreate", PRICE, False),
        ("PriceCreate", {"currency": "usd", "product": "prod_123"}, False),
        ("PriceCreate", {**PRICE, "product": "prod_123", "type": "recurring"}, False),
        ("PriceCreate", {**PRICE, "product": "prod_123", "recurring": {"interval": "day"}}, True),
        ("RecurringIn", {"interval": "month", "interval_count": 36}, True),
        ("RecurringIn", {"interval": "month", "interval_count": 37}, False),
        ("InvoiceCreate", {**SEND, "days_until_due": 3}, True),
        ("InvoiceCreate", {**SEND, "days_until_due": 3, "due_date": 9}, False),
        ("LineIn", {"price": "price_1"}, True),
        ("LineIn", LINE, True),
        ("LineIn", {**LINE, "price": "price_1"}, False),
        ("LineIn", {"price": "price_1", "currency": "usd"}, False),
        ("LineIn", {"amount": 500}, False),
        ("Upcoming", {}, False),
        ("Upcoming", {"invoice": "in_1"}, True),
        ("Pay", {"paid_out_of_band": True, "payment_method": "pm_1"}, False),
        ("Pay", {"paid_out_of_band": False, "payment_method": "pm_1"}, True),
        ("CardIn", CARD, True),
        ("CardIn", {**CARD, "token": "tok_1234"}, False),
        ("CardIn", {"token": "tok_1234"}, True),
        ("CardIn", {"number": "4242424242424242"}, False),
        ("IntentCreate", {"amount": 100, "currency": "usd", "off_session": True}, False),
        (
            "IntentCreate",
            {"amount": 100, "currency": "usd", "off_session": True, "confirm": True},
            True,
        ),
        ("VehicleRequest", {"vin": "1HGCM82633A004352"}, True),
        ("VehicleRequest", {"vin": "1HGCM82633A004352", "year": 2020}, False),
        ("VehicleRequest", {"model_id": 1, "year": 2020}, True),
        ("VehicleRequest", {"model_id": 1}, False),
        ("VehicleRequest", {"vin": "0"}, False),
        ("DmsAddress", {"postal_code": "78701"}, True),
        ("DmsAddress", {"postal_code": "worker"}, False),
        ("DmsAddress", {"postal_code": "worker", "country": None}, False),
        ("DmsAddress", {"postal_code": "SW1A 1AA", "country": "GB"}, True),
        ("DmsAddress", {"postal_code": "SW1A 1AA", "country": "us"}, False),
        ("PriceUpdate", {"currency": "usd"}, False),  # immutable: always refused
        ("InvoiceCreate", {"customer": "cus_1", "due_date": 9}, False),  # not when charged
        (
            "InvoiceCreate",
            {"customer": "cus_1", "collection_method": "send_invoice", "due_date": 9},
            True,
        ),
        ("InvoiceCreate", {"customer": "cus_1", "collection_method": "send_invoice"}, False),
        ("HostedPayForm", {"action": "refresh"}, True),
        ("HostedPayForm", {"action": "refresh", "number": "4242424242424242"}, False),
        ("HostedPayForm", {"number": "4242424242424242", "exp_month": 1, "exp_year": 2030}, True),
        ("HostedPayForm", {}, False),
        ("PaymentMethodCreate", {"type": "card"}, False),
        ("PaymentMethodCreate", {"type": "card", "card": CARD}, True),
        ("SetDealerRequest", {**PEN, "action": "REGISTER", "penDealerId": 0}, True),
        ("SetDealerRequest", {**PEN, "action": "REGISTER", "penDealerId": 7}, False),
        ("SetDealerRequest", {**PEN, "action": "UPDATE", "penDealerId": 0}, False),
        ("SetDealerRequest", {**PEN, "action": "UPDATE", "penDealerId": 7, "state": None}, False),
        ("SetDealerRequest", {"action": "UNREGISTER", "penDealerId": 7}, True),
    ],
)
def test_the_document_states_the_validators_rules(
    spec: dict[str, Any], schema: str, instance: Any, valid: bool
) -> None:
    assert _valid(spec, schema, instance) is valid


def test_a_lead_takes_vehicle_or_vehicles_and_a_way_to_reach_the_customer(
    spec: dict[str, Any],
) -> None:
    lead = {"customer": {"last_name": "Doe", "email": "jane@example.com"}}
    vehicle = {"vin": "1HGCM82633A004352"}
    assert _valid(spec, "LeadCreate", {**lead, "vehicle": vehicle})
    assert not _valid(spec, "LeadCreate", {**lead, "vehicle": vehicle, "vehicles": [vehicle]})
    assert not _valid(spec, "LeadCreate", {"customer": {"last_name": "Doe"}})
    phone_only = {"customer": {"last_name": "Doe", "phone": "(555) 010-2030"}}
    assert not _valid(spec, "LeadCreate", phone_only)  # TCPA: only with consent
    assert _valid(spec, "LeadCreate", {**phone_only, "consent": {"contact_by_phone": True}})


def test_a_credit_applicant_is_an_adult_and_a_deal_apr_is_bounded(spec: dict[str, Any]) -> None:
    import datetime as dt

    year = dt.datetime.now(dt.UTC).year
    dob = re.compile(
        spec["components"]["schemas"]["CreditCheckRequest"]["properties"]["date_of_birth"][
            "pattern"
        ]
    )
    assert dob.match(f"{year - 40}-07-19")
    assert not dob.match(f"{year - 10}-07-19") and not dob.match(f"{year - 130}-07-19")
    apr = spec["components"]["schemas"]["Finance"]["properties"]["apr"]
    assert (apr["minimum"], apr["maximum"]) == (0, 40)


def test_the_ssn_pattern_is_what_stdnum_accepts() -> None:
    pattern = re.compile(SSN_PATTERN)
    rng = random.Random(16)
    for _ in range(20_000):
        number = f"{rng.randrange(1000):03d}-{rng.randrange(100):02d}-{rng.randrange(10000):04d}"
        assert bool(pattern.match(number)) == us_ssn.is_valid(number), number


def test_the_zip_pattern_is_the_allocated_prefixes() -> None:
    pattern = re.compile(ALLOCATED_ZIP)
    for prefix in range(1000):
        code = f"{prefix:03d}01"
        assert bool(pattern.match(code)) == (state_of_zip(code) is not None), code
        assert bool(pattern.match(code + "-1234")) == (state_of_zip(code) is not None)


def test_a_lead_names_its_source_in_a_required_header(spec: dict[str, Any]) -> None:
    params = spec["paths"]["/dms/leads"]["post"]["parameters"]
    header = next(p for p in params if p["name"] == "x-service-provider")
    assert header["in"] == "header" and header["required"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/tradein/get-tradein-models",
        "/tradein/get-tradein-modelyears",
        "/tradein/get-tradein-vehicle",
        "/tradein/get-tradein-allOptions",
        "/tradein/get-tradein-vehiclevalue",
    ],
)
def test_trade_in_lookups_document_their_404(spec: dict[str, Any], path: str) -> None:
    assert "404" in spec["paths"][path]["post"]["responses"]


def test_pages_document_html_and_files(spec: dict[str, Any], client: Any) -> None:
    page = spec["paths"]["/invoices/hosted/{token}"]["get"]["responses"]
    assert set(page["200"]["content"]) == {"text/html"}
    assert set(page["404"]["content"]) == {"text/html"}
    r = client.get("/invoices/hosted/nope")
    assert r.status_code == 404 and r.mimetype == "text/html"
    pdf = spec["paths"]["/invoices/hosted/{token}/pdf"]["get"]["responses"]
    assert set(pdf["200"]["content"]) == {"application/pdf"}
    pay = spec["paths"]["/invoices/hosted/{token}/pay"]["post"]
    assert set(pay["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
    assert {"303", "400", "402", "404"} <= set(pay["responses"])
    three_ds = spec["paths"]["/payment/sandbox/3ds/{intent_id}"]
    assert set(three_ds["get"]["responses"]["200"]["content"]) == {"text/html"}
    assert {"200", "303", "400", "404"} <= set(three_ds["post"]["responses"])


def test_a_deal_amount_is_bounded_and_documented(api: Any, spec: dict[str, Any]) -> None:
    """A deal's amounts were unbounded: a large one passed the document and then failed as
    a body_invalid (over 64 bits) or was stored; now at most $100M, said in the document."""
    from tests.dms.conftest import post_lead

    lead = post_lead(api).get_json()
    body = {
        "customer_id": lead["customer_id"],
        "lead_id": lead["id"],
        "vehicle": {"vin": "1HGCM82633A004352", "year": 2024, "price": 3_000_000},
        "finance": {"type": "cash"},
        "products": [{"name": "VSC", "price": 10_000_000_001}],
    }
    err = assert_error(api.post("/dms/deals", json=body), 400, "invalid_request_error")
    assert err["param"] == "products.0.price"
    product = spec["components"]["schemas"]["Product"]["properties"]["price"]
    assert product["maximum"] == 10_000_000_000
