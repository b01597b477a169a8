from __future__ import annotations

from tests.conftest import assert_error


def _events(app, dealer_id, type_):
    from sqlalchemy import select

    from dealerhub.events.models import Event

    with app.extensions["db"].transaction() as s:
        rows = s.scalars(
            select(Event).where(Event.dealer_id == dealer_id, Event.type == type_)
        ).all()
        return [r.data for r in rows]


def test_create_get_update_list_delete(app, api, dealer):
    r = api.post(
        "/payment/customers",
        json={"name": "Ann Buyer", "email": "ann@example.com", "metadata": {"deal": "D1"}},
    )
    assert r.status_code == 200, r.get_json()
    cus = r.get_json()
    assert cus["id"].startswith("cus_") and cus["object"] == "customer"
    assert api.get(f"/payment/customers/{cus['id']}").get_json()["email"] == "ann@example.com"
    r = api.patch(
        f"/payment/customers/{cus['id']}",
        json={"phone": "+15555550100", "metadata": {"stock": "S9"}},
    )
    assert r.status_code == 200
    assert r.get_json()["metadata"] == {"deal": "D1", "stock": "S9"}
    listed = api.get("/payment/customers").get_json()
    assert listed["object"] == "list" and [c["id"] for c in listed["data"]] == [cus["id"]]
    r = api.delete(f"/payment/customers/{cus['id']}")
    assert r.get_json() == {"id": cus["id"], "object": "customer", "deleted": True}
    assert_error(api.get(f"/payment/customers/{cus['id']}"), 404, "invalid_request_error")
    assert api.get("/payment/customers").get_json()["data"] == []
    for type_ in ("customer.created", "customer.updated", "customer.deleted"):
        assert _events(app, dealer.id, type_), type_


def test_delete_detaches_payment_methods(api):
    cus = api.post("/payment/customers", json={"name": "B"}).get_json()
    pm = api.post(
        "/payment/payment-methods",
        json={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
            "customer": cus["id"],
        },
    ).get_json()
    assert pm["customer"] == cus["id"]
    api.delete(f"/payment/customers/{cus['id']}")
    assert api.get(f"/payment/payment-methods/{pm['id']}").get_json()["customer"] is None


def test_bad_input_names_the_field_and_changes_nothing(api):
    body = assert_error(
        api.post("/payment/customers", json={"email": "nope"}), 400, "invalid_request_error"
    )
    assert body["param"] == "email"
    body = assert_error(
        api.post("/payment/customers", json={"colour": "red"}),
        400,
        "invalid_request_error",
        "parameter_unknown",
    )
    assert body["param"] == "colour"
    assert api.get("/payment/customers").get_json()["data"] == []


def test_other_dealer_and_mode_see_404(api, live_api, client, app):
    from tests.conftest import Api, make_dealer

    cus = api.post("/payment/customers", json={"name": "C"}).get_json()
    other = Api(client, make_dealer(app, "Other").secret_key)
    assert_error(other.get(f"/payment/customers/{cus['id']}"), 404, "invalid_request_error")
    assert_error(live_api.get(f"/payment/customers/{cus['id']}"), 404, "invalid_request_error")


def test_publishable_key_cannot_list_customers(pk_api):
    assert_error(pk_api.get("/payment/customers"), 403, "permission_error")
