"""PATCH /dms/deals/{deal_id} and ``deals.update_deal``: merge rules, the payment worked out
again, the same checks as a create, the DMS sync queued again, and what a deal the DMS
already holds may not change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from dealerhub.connectors.dms.sandbox import SandboxDms
from dealerhub.connectors.dms.sandbox_models import SandboxDmsDeal
from dealerhub.db import now
from dealerhub.dms import deals
from dealerhub.dms.deal_changes import apply_changes
from dealerhub.dms.errors import DealInDms
from dealerhub.dms.models import Deal
from dealerhub.tenancy import Tenant
from tests.conftest import Api, assert_error, make_dealer
from tests.dms.conftest import post_lead
from tests.dms.test_dms_deals import deal_body
from tests.dms.test_dms_sync import only_for


def _deal(api: Api, **finance: Any) -> dict[str, Any]:
    lead = post_lead(api).get_json()
    response = api.post("/dms/deals", json=deal_body(lead, **finance))
    assert response.status_code == 200, response.get_json()
    deal: dict[str, Any] = response.get_json()
    return deal


def _row(db: Any, deal_id: str) -> Deal:
    with db.transaction(write=False) as s:
        row: Deal = s.get(Deal, deal_id)
        return row


def _events(api: Api, type_: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get(f"/events?type={type_}").get_json()["data"]
    return data


def _dms_deals(db: Any, reference: str) -> int:
    with db.transaction(write=False) as s:
        count: int = s.scalar(
            select(func.count())
            .select_from(SandboxDmsDeal)
            .where(SandboxDmsDeal.reference == reference)
        )
        return count


class Recording:
    """The sandbox DMS, remembering every deal push."""

    name = "recording"

    def __init__(self, db: Any, dealer_id: str) -> None:
        self.inner = SandboxDms(db, dealer_id)
        self.deals: list[Any] = []

    def push_lead(self, lead: Any) -> Any:
        return self.inner.push_lead(lead)

    def push_deal(self, deal: Any) -> Any:
        self.deals.append(deal)
        return self.inner.push_deal(deal)


def test_a_new_price_works_out_the_payment_again_and_resyncs(
    api: Api, db: Any, dealer: Any, swap_connectors: Any
) -> None:
    dms = Recording(db, dealer.id)
    swap_connectors(dms_override=only_for(dealer.id, dms))
    deal = _deal(api)
    first = _row(db, deal["id"])
    assert first.sync_status == "synced" and len(dms.deals) == 1

    r = api.patch(f"/dms/deals/{deal['id']}", json={"vehicle": {"price": 3_100_000}})
    assert r.status_code == 200, r.get_json()
    updated = r.get_json()
    # 100,000 more on the price: 100,000 more financed, at the same rate and term.
    assert updated["finance"]["amount_financed"] == 2_850_000
    expected = deals.amortized_payment(2_850_000, Decimal("6.9"), 60)
    assert updated["finance"]["monthly_payment"] == expected
    assert updated["totals"]["finance_charge"] == expected * 60 - 2_850_000
    # Merged: the rest of the vehicle, the trade-in, fees and products are as they were.
    assert updated["vehicle"]["vin"] == "1HGCM82633A004352"
    assert updated["finance"]["fees"] == [{"description": "doc fee", "amount": 20_000}]
    assert updated["trade_in"]["allowance"] == 800_000 and len(updated["products"]) == 1

    row = _row(db, deal["id"])
    assert row.sync_status == "synced" and row.sync_version == first.sync_version + 1
    assert row.synced_version == row.sync_version and row.external_id == first.external_id
    # Pushed again with its DMS deal number and the new terms; still one deal at the DMS.
    assert len(dms.deals) == 2
    assert dms.deals[1].deal_key == first.external_id
    assert dms.deals[1].finance["amount_financed"] == 2_850_000
    assert _dms_deals(db, deal["id"]) == 1

    [event] = _events(api, "deal.updated")
    assert event["data"]["object"]["finance"]["amount_financed"] == 2_850_000
    previous = event["data"]["previous_attributes"]
    assert previous["vehicle"]["price"] == 3_000_000
    assert previous["finance"]["amount_financed"] == 2_750_000
    assert "dms_sync" not in previous and "customer_id" not in previous


def test_a_given_payment_is_checked_like_a_create(api: Api, db: Any) -> None:
    deal = _deal(api)
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"finance": {"monthly_payment": 60_000}}),
        400,
        "invalid_request_error",
        "deal_arithmetic_invalid",
    )
    assert err["param"] == "finance.monthly_payment" and "expected about 54324" in err["message"]
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"finance": {"amount_financed": 100}}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "finance.amount_financed"
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"finance": {"down_payment": 9_000_000}}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "finance.down_payment"
    assert "exceed the price" in err["message"]
    # Nothing changed: no event, the same version.
    assert _events(api, "deal.updated") == []
    assert (
        api.get(f"/dms/deals/{deal['id']}").get_json()
        == api.get(f"/dms/deals/{deal['id']}").get_json()
    )
    assert _row(db, deal["id"]).finance["monthly_payment"] == 54_324


def test_rate_and_term_change_the_payment_a_lender_change_does_not(api: Api) -> None:
    deal = _deal(api, monthly_payment=54_300)  # within the desk's tolerance
    lender = api.patch(f"/dms/deals/{deal['id']}", json={"finance": {"lender": "Chase"}})
    assert lender.get_json()["finance"]["monthly_payment"] == 54_300  # kept as agreed
    rate = api.patch(
        f"/dms/deals/{deal['id']}", json={"finance": {"apr": 4.9, "term_months": 72}}
    ).get_json()
    assert rate["finance"]["apr"] == "4.9" and rate["finance"]["term_months"] == 72
    assert rate["finance"]["monthly_payment"] == deals.amortized_payment(
        2_750_000, Decimal("4.9"), 72
    )


def test_merge_rules(api: Api) -> None:
    deal = _deal(api)
    body = {
        "vehicle": {"make": None, "mileage": 12},
        "trade_in": None,
        "products": [
            {"name": "GAP", "price": 79_500, "cost": 30_000},
            {"name": "Tire and wheel", "price": 60_000},
        ],
        "finance": {"fees": []},
        "metadata": {"desk": "3", "stock": "A1"},
    }
    r = api.patch(f"/dms/deals/{deal['id']}", json=body)
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert "make" not in out["vehicle"] or out["vehicle"]["make"] is None
    assert out["vehicle"]["mileage"] == 12 and out["vehicle"]["year"] == 2024
    assert out["trade_in"] is None
    assert [p["name"] for p in out["products"]] == ["GAP", "Tire and wheel"]
    assert out["finance"]["fees"] == []
    # 3,000,000 + 180,000 taxes + 139,500 products + 50,000 tires - 200,000 down
    assert out["finance"]["amount_financed"] == 3_169_500
    assert out["metadata"] == {"desk": "3", "stock": "A1"}
    again = api.patch(f"/dms/deals/{deal['id']}", json={"metadata": {"desk": ""}}).get_json()
    assert again["metadata"] == {"stock": "A1"}
    trade = api.patch(
        f"/dms/deals/{deal['id']}", json={"trade_in": {"make": "Ford", "allowance": 100_000}}
    ).get_json()
    assert trade["trade_in"]["allowance"] == 100_000 and trade["trade_in"]["payoff"] == 0
    assert trade["finance"]["amount_financed"] == 3_069_500


def test_retail_to_cash_and_back(api: Api) -> None:
    deal = _deal(api)
    cash = api.patch(f"/dms/deals/{deal['id']}", json={"finance": {"type": "cash"}})
    assert cash.status_code == 200, cash.get_json()
    f = cash.get_json()["finance"]
    assert f["amount_financed"] == 0
    assert f.get("apr") is None and f.get("term_months") is None
    assert f.get("monthly_payment") is None
    assert cash.get_json()["totals"]["balance_due"] == 2_750_000
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"finance": {"type": "retail"}}),
        400,
        "invalid_request_error",
        "deal_arithmetic_invalid",
    )
    assert err["param"] == "finance.apr"
    retail = api.patch(
        f"/dms/deals/{deal['id']}",
        json={"finance": {"type": "retail", "apr": 6.9, "term_months": 60}},
    ).get_json()
    assert retail["finance"]["amount_financed"] == 2_750_000
    assert retail["finance"]["monthly_payment"] == 54_324


def test_an_empty_or_unchanged_patch_records_nothing(api: Api, db: Any) -> None:
    deal = _deal(api)
    version = _row(db, deal["id"]).sync_version
    for body in ({}, {"finance": {"lender": "Ally"}}, {"vehicle": {"year": 2024}}):
        r = api.patch(f"/dms/deals/{deal['id']}", json=body)
        assert r.status_code == 200, r.get_json()
    assert _events(api, "deal.updated") == []
    assert _row(db, deal["id"]).sync_version == version


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"colour": "red"}, "colour"),
        ({"finance": {"apr": 41}}, "finance.apr"),
        ({"finance": {"term_months": 0}}, "finance.term_months"),
        ({"finance": {"taxes": -1}}, "finance.taxes"),
        ({"finance": {"type": "barter"}}, "finance.type"),
        ({"vehicle": None}, "vehicle"),
        ({"vehicle": {"vin": "short"}}, "vehicle.vin"),
        ({"trade_in": {"payoff": -1}}, "trade_in.payoff"),
        ({"products": [{"price": 100}]}, "products.0.name"),
        ({"customer_id": "nope"}, "customer_id"),
        ({"id": "deal_x"}, "id"),
    ],
)
def test_the_body_is_strict(api: Api, body: dict[str, Any], param: str) -> None:
    deal = _deal(api)
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json=body), 400, "invalid_request_error"
    )
    assert param in err["errors"] or err["param"] == param, err


def test_malformed_or_non_json_bodies(api: Api) -> None:
    deal = _deal(api)
    path = f"/dms/deals/{deal['id']}"
    bad = api.client.patch(
        path,
        data=b'{"finance": ',
        headers={"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"},
    )
    assert_error(bad, 400, "invalid_request_error", "body_invalid")
    text = api.client.patch(
        path,
        data=b"price=1",
        headers={"Authorization": f"Bearer {api.key}", "Content-Type": "text/plain"},
    )
    assert_error(text, 415, "invalid_request_error", "unsupported_media_type")


def test_other_dealers_and_other_modes_get_a_404(
    api: Api, live_api: Api, app: Any, client: Any
) -> None:
    deal = _deal(api)
    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    for caller in (other, live_api):
        r = caller.patch(f"/dms/deals/{deal['id']}", json={"vehicle": {"price": 1}})
        assert_error(r, 404, "invalid_request_error", "resource_missing")
    assert_error(
        api.patch("/dms/deals/deal_nope", json={}), 404, "invalid_request_error", "resource_missing"
    )
    assert api.get(f"/dms/deals/{deal['id']}").get_json()["vehicle"]["price"] == 3_000_000


def test_a_publishable_key_may_not_edit_deals(api: Api, pk_api: Api) -> None:
    deal = _deal(api)
    r = pk_api.patch(f"/dms/deals/{deal['id']}", json={"vehicle": {"price": 1}})
    assert_error(r, 403, "permission_error")


def test_a_deal_in_the_dms_keeps_its_customer_and_currency(api: Api, db: Any) -> None:
    deal = _deal(api)
    assert _row(db, deal["id"]).external_id
    someone = api.post("/payment/customers", json={"name": "Someone Else"}).get_json()
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"customer_id": someone["id"], "lead_id": None}),
        400,
        "invalid_request_error",
        "deal_in_dms",
    )
    assert err["param"] == "customer_id" and "sync status synced" in err["message"]
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"currency": "cad"}),
        400,
        "invalid_request_error",
        "deal_in_dms",
    )
    assert err["param"] == "currency"
    # Sending the values it already has is not a change.
    same = api.patch(f"/dms/deals/{deal['id']}", json={"customer_id": deal["customer_id"]})
    assert same.status_code == 200


def test_a_rejected_deal_is_fixed_and_sent_again(api: Api, db: Any) -> None:
    """The DMS rejected the deal (it holds nothing): the customer may still change, and the
    edit sends the deal again with a fresh attempt budget."""
    wrong = api.post("/payment/customers", json={"name": "Jane Dmsreject"}).get_json()
    right = api.post("/payment/customers", json={"name": "Jane Buyer"}).get_json()
    body = deal_body({"customer_id": wrong["id"], "id": None})
    del body["lead_id"]
    created = api.post("/dms/deals", json=body).get_json()
    row = _row(db, created["id"])
    assert row.sync_status == "dead" and row.external_id is None
    err = assert_error(
        api.patch(f"/dms/deals/{created['id']}", json={"customer_id": "cus_nope"}),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert err["param"] == "customer_id"
    fixed = api.patch(f"/dms/deals/{created['id']}", json={"customer_id": right["id"]})
    assert fixed.status_code == 200, fixed.get_json()
    row = _row(db, created["id"])
    assert row.customer_id == right["id"]
    assert row.sync_status == "synced" and row.sync_attempts == 1 and row.external_id


def test_a_lead_or_deposit_must_belong_to_the_customer(api: Api) -> None:
    deal = _deal(api)
    other_lead = post_lead(
        api, {"customer": {"last_name": "Other", "email": "o@example.com"}}
    ).get_json()
    assert other_lead["customer_id"] != deal["customer_id"]
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"lead_id": other_lead["id"]}),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert err["param"] == "lead_id"
    err = assert_error(
        api.patch(f"/dms/deals/{deal['id']}", json={"payment_intent": "pi_nope"}),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert err["param"] == "payment_intent"
    mine = api.post("/payment/payment-intents", json={"amount": 1000, "currency": "usd"})
    r = api.patch(f"/dms/deals/{deal['id']}", json={"payment_intent": mine.get_json()["id"]})
    assert r.status_code == 200 and r.get_json()["payment_intent"] == mine.get_json()["id"]


def test_a_deal_being_pushed_keeps_its_customer(app: Any, api: Api, db: Any) -> None:
    """A push under way (a live lease, no DMS number yet) may file the deal at any moment."""
    body = deal_body({"customer_id": "", "id": None})
    cus = api.post("/payment/customers", json={"name": "Jane Dmsdown"}).get_json()
    body["customer_id"] = cus["id"]
    del body["lead_id"]
    created = api.post("/dms/deals", json=body).get_json()
    with db.transaction() as s:
        row = s.get(Deal, created["id"])
        row.sync_status, row.sync_lease_until, row.external_id = "pending", now() + 60, None
        tenant = Tenant(row.dealer_id, row.livemode)
    someone = api.post("/payment/customers", json={"name": "Someone Else"}).get_json()
    with db.transaction() as s, pytest.raises(DealInDms, match="being sent to it right now"):
        deals.update_deal(s, tenant, created["id"], {"customer_id": someone["id"]})
    # Other changes are fine: the sync sends the deal again once the push under way ends.
    with db.transaction() as s:
        deals.update_deal(s, tenant, created["id"], {"finance": {"lender": "Chase"}})
    assert _row(db, created["id"]).finance["lender"] == "Chase"


def test_apply_changes_is_pure() -> None:
    current = {
        "customer_id": "cus_1",
        "lead_id": None,
        "currency": "usd",
        "vehicle": {"price": 1_000_000},
        "trade_in": None,
        "finance": {"type": "retail", "amount_financed": 1_000_000, "apr": "0", "term_months": 10},
        "products": [],
        "payment_intent": None,
        "metadata": {},
    }
    snapshot = repr(current)
    out = apply_changes(current, {"vehicle": {"price": 2_000_000}})
    assert repr(current) == snapshot
    assert out["finance"]["amount_financed"] == 2_000_000
    assert out["finance"]["monthly_payment"] == 200_000
