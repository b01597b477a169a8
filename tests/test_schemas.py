"""ResponseSchema.dump (the planned fast path) renders exactly what marshmallow's own
Schema.dump renders, key order included, for every response object."""

from __future__ import annotations

import json
from typing import Any

import pytest
from marshmallow import Schema, ValidationError
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from dealerhub.configuration.models import Certificate
from dealerhub.configuration.schemas import CERTIFICATE_EVENT, CERTIFICATE_INFO
from dealerhub.credit.models import CreditCheck
from dealerhub.credit.schemas import CREDIT_CHECK, CREDIT_CHECK_EVENT
from dealerhub.customers.models import Customer
from dealerhub.customers.schemas import CUSTOMER
from dealerhub.dms.deal_schemas import DEAL
from dealerhub.dms.models import Deal, Lead, LeadSubmission, SyncRun
from dealerhub.dms.schemas import LEAD, LEAD_RECEIPT, SyncFailureSchema, SyncRunSchema
from dealerhub.events.models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from dealerhub.events.schemas import ENDPOINT, EVENT, DeliverySchema, EndpointWithSecretSchema
from dealerhub.payments import response_schemas as payments
from dealerhub.payments.models import (
    Charge,
    ConnectedAccount,
    PaymentIntent,
    PaymentMethod,
    Refund,
    SetupIntent,
)
from dealerhub.schemas import Metadata, ResponseSchema, StrictSchema

BASE = {"dealer_id": "dlr_1", "livemode": False, "created": 1_764_000_000}
CARD = {
    "brand": "visa",
    "last4": "4242",
    "exp_month": 12,
    "exp_year": 2030,
    "fingerprint": "abc",
    "funding": "credit",
    "country": "US",
    "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
}


def payment_objects() -> list[tuple[Any, Any]]:
    session = Session(create_engine("sqlite://"))
    pm = PaymentMethod(
        id="pm_1",
        type="card",
        customer_id="cus_1",
        billing_details={"name": "Pat", "address": {"city": "Austin"}},
        card=CARD,
        processor_token="tok",
        metadata_={"a": "1"},
        **BASE,
    )
    bare_pm = PaymentMethod(id="pm_2", type="card", card=None, processor_token="t", **BASE)
    bank_pm = PaymentMethod(
        id="pm_3",
        type="us_bank_account",
        billing_details=None,  # type: ignore[arg-type]
        us_bank_account={
            "bank_name": "Sandbox Bank",
            "last4": "6789",
            "routing_number": "110000000",
            "account_type": "checking",
            "account_holder_type": "individual",
        },
        processor_token="t",
        **BASE,
    )
    pi = PaymentIntent(
        id="pi_1",
        amount=5000,
        currency="usd",
        status="requires_payment_method",
        payment_method_types=["card"],
        client_secret="pi_1_secret_x",
        shipping={"name": "Pat", "address": {"line1": "1 Main", "country": "US"}},
        last_payment_error={
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "charge": "ch_1",
            "payment_method": payments.PAYMENT_METHOD.dump(pm),
        },
        next_action={
            "type": "redirect_to_url",
            "redirect_to_url": {"url": "u", "return_url": None},
        },
        metadata_={"k": "v"},
        **BASE,
    )
    ch = Charge(
        id="ch_1",
        payment_intent_id="pi_1",
        payment_method_id="pm_1",
        amount=5000,
        currency="usd",
        status="failed",
        failure_code="card_declined",
        outcome={
            "network_status": "declined_by_network",
            "reason": "generic_decline",
            "risk_level": "normal",
            "type": "issuer_declined",
            "seller_message": None,
            "checks": {},
        },
        **BASE,
    )
    session.add_all([pm, pi, ch])
    session.info["pi_charges"] = {"pi_1": [ch]}
    refund = Refund(
        id="re_1", payment_intent_id="pi_1", charge_id="ch_1", amount=100, currency="usd",
        status="succeeded", **BASE,
    )  # fmt: skip
    si = SetupIntent(
        id="seti_1", status="succeeded", payment_method_types=["card"], client_secret="s", **BASE
    )
    acct = ConnectedAccount(
        id="acct_1",
        business_profile={"name": "Rooftop", "mcc": "5511"},
        company={"name": "Co", "tax_id_provided": True},
        external_account={"id": "ba_1", "object": "bank_account", "bank_name": None,
                          "routing_number": "110000000", "last4": "6789", "currency": "usd"},
        tos_accepted=True,
        **BASE,
    )  # fmt: skip
    return [
        (payments.PAYMENT_METHOD, pm),
        (payments.PAYMENT_METHOD, bare_pm),
        (payments.PAYMENT_METHOD, bank_pm),
        (payments.PAYMENT_INTENT, pi),
        (payments.CHARGE, ch),
        (payments.REFUND, refund),
        (payments.SETUP_INTENT, si),
        (payments.ACCOUNT, acct),
        (payments.ACCOUNT, ConnectedAccount(id="acct_2", **BASE)),
        (payments.PaymentIntentListSchema(), {"data": [pi], "has_more": False, "url": "/x"}),
    ]


def other_objects() -> list[tuple[Any, Any]]:
    session = Session(create_engine("sqlite://"))
    customer = Customer(
        id="cus_1",
        name="Pat",
        address={"line1": "1 Main", "city": "Austin"},
        shipping={"name": "Pat", "phone": None, "address": {"country": "US"}},
        default_payment_method="pm_1",
        metadata_={"a": "b"},
        **BASE,
    )
    event = Event(
        id="evt_1",
        type="customer.updated",
        data={"object": {"id": "cus_1"}, "previous_attributes": {"name": None}},
        request_id="req_1",
        pending_webhooks=2,
        **BASE,
    )
    endpoint = WebhookEndpoint(
        id="we_1", url="https://x.example/h", enabled_events=["*"], secret="whsec_x", **BASE
    )
    delivery = WebhookDelivery(
        id="wd_1", event_id="evt_1", endpoint_id="we_1", status="pending", next_attempt_at=5,
        **BASE,
    )  # fmt: skip
    attempt = DeliveryAttempt(id="wda_1", delivery_id="wd_1", created=1, status_code=500)
    session.add_all([delivery])
    session.info["delivery_attempts"] = {"wd_1": [attempt]}
    report = {
        "consumer": {"first_name": "Pat", "date_of_birth": "1980-02-03"},
        "addresses": [{"line1": "1 Main"}],
        "phones": [{"number": "512-555-0100", "type": "home"}],
        "social_security_number": "123456789",
        "trade": [{"account_number": "999912345", "balance": 10}],
        "risk_model": {"score": 700, "score_factor": [{"code": 84, "description": "x"}] * 6},
    }
    check = CreditCheck(
        id="cc_1", status="completed", provider="transunion", pull_type="soft",
        permissible_purpose="written_instruction", applicant_hash="h", pull_date="2025-01-01",
        applicant="{}", consent={"obtained_at": 1, "method": "written", "text_version": "v1",
                                 "pull_type": "soft"},
        report=json.dumps(report), score=700, completed_at=1_764_000_000, **BASE,
    )  # fmt: skip
    failed = CreditCheck(
        id="cc_2", status="failed", provider="transunion", pull_type="hard",
        permissible_purpose="credit_transaction", applicant_hash="h", pull_date="2025-01-01",
        applicant="{}", consent={}, failure_code="timeout", **BASE,
    )  # fmt: skip
    cert = Certificate(
        id="cert_1", name="certificate_1", path="p", password="x", subject="CN=a",
        issuer="CN=b", serial_number="1", fingerprint_sha256="ff", not_before=1_700_000_000,
        not_after=1_900_000_000, **BASE,
    )  # fmt: skip
    return [
        (CERTIFICATE_INFO, cert),
        (CERTIFICATE_EVENT, cert),
        (CREDIT_CHECK, check),
        (CREDIT_CHECK, failed),
        (CREDIT_CHECK_EVENT, check),
        (CUSTOMER, customer),
        (CUSTOMER, Customer(id="cus_2", **BASE)),
        (EVENT, event),
        (EVENT, Event(id="evt_2", type="x.y", data={"object": {}}, **BASE)),
        (ENDPOINT, endpoint),
        (EndpointWithSecretSchema(), endpoint),
        (DeliverySchema(), delivery),
        (DeliverySchema(), WebhookDelivery(id="wd_2", event_id="e", endpoint_id="w", **BASE)),
    ]


def dms_objects() -> list[tuple[Any, Any]]:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[Lead.__table__, LeadSubmission.__table__])  # type: ignore[attr-defined]
    session = Session(engine)
    lead = Lead(
        id="lead_1",
        customer_id="cus_1",
        service_provider="dealertrack",
        contact={"first_name": "Pat", "last_name": "Doe", "phone": "+15125550100",
                 "email": "p@example.com", "address": {"postal_code": "78701"}},
        vehicles=[{"vin": "1HGCM82633A004352", "year": 2020, "make": "Honda"}, {"make": "Kia"}],
        trade_in={"make": "Ford", "mileage": 1000},
        consent={"contact_by_phone": True, "contact_by_email": False, "obtained_at": None},
        metadata_={"a": "b"},
        **BASE,
    )  # fmt: skip
    session.add(lead)
    deal = Deal(
        id="deal_1",
        customer_id="cus_1",
        vehicle={"vin": "1HGCM82633A004352", "price": 2_000_000, "mileage": 10},
        trade_in={"make": "Ford", "allowance": 500_000, "payoff": 0},
        finance={"type": "retail", "amount_financed": 1_500_000, "apr": "6.9", "term_months": 60,
                 "down_payment": 0, "monthly_payment": 29_631, "lender": None, "tires_cost": 0,
                 "taxes": 0, "fees": [{"description": "Doc", "amount": 10_000}],
                 "totals": {"cash_price": 2_000_000, "finance_charge": 277_860}},
        products=[{"name": "GAP", "type": None, "price": 50_000, "cost": 20_000}],
        sync_status="dead",
        sync_last_error="rejected",
        **BASE,
    )  # fmt: skip
    run = SyncRun(id="run_1", workflow="nightly", counts={"synced": 2}, **BASE)
    return [
        (LEAD, lead),
        (LEAD, Lead(id="lead_2", customer_id="c", service_provider="d", **BASE)),
        (LEAD_RECEIPT, lead),
        (DEAL, deal),
        (SyncFailureSchema(), deal),
        (SyncFailureSchema(), lead),
        (SyncRunSchema(), run),
    ]


def all_objects() -> list[tuple[Any, Any]]:
    return payment_objects() + other_objects() + dms_objects()


def reference_dump(schema: Schema, obj: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """marshmallow's own dump, nested schemas included."""
    with monkeypatch.context() as m:
        m.setattr(ResponseSchema, "dump", Schema.dump)
        return schema.dump(obj)


@pytest.mark.parametrize("index", range(len(all_objects())))
def test_fast_dump_matches_marshmallow(index, monkeypatch):
    schema, obj = all_objects()[index]
    fast = schema.dump(obj)
    assert json.dumps(fast) == json.dumps(reference_dump(schema, obj, monkeypatch))


def test_many_dumps_a_list():
    schema, obj = payment_objects()[4]
    assert schema.dump([obj, obj], many=True) == [schema.dump(obj)] * 2


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ({"a": "b"}, True),
        ({f"k{i}": "v" for i in range(51)}, False),
        ({"k" * 41: "v"}, False),
        ({"a[b]": "v"}, False),
        ({"a": "v" * 501}, False),
        ({"a": 1}, False),
    ],
)
def test_metadata_follows_stripe_rules(value, ok):
    schema = StrictSchema.from_dict({"metadata": Metadata()})()
    if ok:
        assert schema.load({"metadata": value}) == {"metadata": value}
    else:
        with pytest.raises(ValidationError):
            schema.load({"metadata": value})
