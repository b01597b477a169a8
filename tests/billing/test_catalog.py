"""Products and prices: every endpoint, the delete rule, immutability, lookup keys, search,
events and tenancy."""

from __future__ import annotations

from tests.billing.conftest import ok, price, product
from tests.conftest import Api, assert_error, make_dealer


def test_product_crud_and_events(api, events):
    prod = product(
        api, description="Dealer documentation fee", metadata={"dept": "fni"}, unit_label="fee"
    )
    assert prod["id"].startswith("prod_") and prod["object"] == "product"
    assert prod["active"] is True and prod["default_price"] is None
    assert prod["images"] == [] and prod["updated"] >= prod["created"]
    assert ok(api.get(f"/payment/products/{prod['id']}")) == prod
    changed = ok(
        api.patch(
            f"/payment/products/{prod['id']}",
            json={"name": "Documentation fee", "metadata": {"stock": "S1", "dept": ""}},
        )
    )
    assert changed["name"] == "Documentation fee" and changed["metadata"] == {"stock": "S1"}
    listed = ok(api.get("/payment/products"))
    assert listed["object"] == "list" and [p["id"] for p in listed["data"]] == [prod["id"]]
    assert ok(api.delete(f"/payment/products/{prod['id']}")) == {
        "id": prod["id"],
        "object": "product",
        "deleted": True,
    }
    assert_error(api.get(f"/payment/products/{prod['id']}"), 404, "invalid_request_error")
    assert ok(api.get("/payment/products"))["data"] == []
    updated = events("product.updated")
    assert updated[0]["previous_attributes"]["name"] == "Doc fee"
    assert [e["type"] for e in events()] == [
        "product.created",
        "product.updated",
        "product.deleted",
    ]


def test_product_with_prices_cannot_be_deleted(api):
    prod = product(api)
    price(api, prod["id"])
    body = assert_error(api.delete(f"/payment/products/{prod['id']}"), 400, "invalid_request_error")
    assert "active=false" in body["message"] and body["code"] == "product_has_prices"
    archived = ok(api.patch(f"/payment/products/{prod['id']}", json={"active": False}))
    assert archived["active"] is False


def test_default_price_data_and_default_price(api, events):
    prod = product(api, default_price_data={"currency": "usd", "unit_amount": 19900})
    assert prod["default_price"].startswith("price_")
    first = ok(api.get(f"/payment/prices/{prod['default_price']}"))
    assert first["unit_amount"] == 19900 and first["product"] == prod["id"]
    second = price(api, prod["id"], unit_amount=24900)
    moved = ok(api.patch(f"/payment/products/{prod['id']}", json={"default_price": second["id"]}))
    assert moved["default_price"] == second["id"]
    other = price(api, product(api, name="Other")["id"])
    body = assert_error(
        api.patch(f"/payment/products/{prod['id']}", json={"default_price": other["id"]}),
        400,
        "invalid_request_error",
    )
    assert body["param"] == "default_price"
    assert len(events("price.created")) == 3


def test_price_create_read_update_list(api, events):
    prod = product(api)
    p = price(api, prod["id"], nickname="Standard", lookup_key="doc_fee", tax_behavior="exclusive")
    assert p["id"].startswith("price_") and p["object"] == "price"
    assert (p["type"], p["recurring"], p["billing_scheme"]) == ("one_time", None, "per_unit")
    assert p["lookup_key"] == "doc_fee" and p["tax_behavior"] == "exclusive"
    monthly = price(api, prod["id"], recurring={"interval": "month"}, unit_amount=2999)
    assert monthly["type"] == "recurring"
    assert monthly["recurring"] == {
        "interval": "month",
        "interval_count": 1,
        "usage_type": "licensed",
    }
    custom = ok(
        api.post(
            "/payment/prices",
            json={
                "product_data": {"name": "Deposit"},
                "currency": "usd",
                "custom_unit_amount": {"minimum": 10000, "maximum": 500000},
            },
        )
    )
    assert custom["unit_amount"] is None
    assert custom["custom_unit_amount"] == {"minimum": 10000, "maximum": 500000, "preset": None}
    assert custom["product"].startswith("prod_") and custom["product"] != prod["id"]
    updated = ok(
        api.patch(f"/payment/prices/{p['id']}", json={"active": False, "metadata": {"a": "b"}})
    )
    assert updated["active"] is False and updated["metadata"] == {"a": "b"}
    assert events("price.updated")[0]["previous_attributes"] == {"active": True, "metadata": {}}
    # list filters

    def ids(response):
        return [x["id"] for x in ok(response)["data"]]

    assert ids(api.get(f"/payment/prices?product={prod['id']}")) == [monthly["id"], p["id"]]
    assert ids(api.get("/payment/prices?active=false")) == [p["id"]]
    assert ids(api.get("/payment/prices?type=recurring")) == [monthly["id"]]
    assert ids(api.get("/payment/prices?lookup_keys[]=doc_fee&lookup_keys[]=x")) == [p["id"]]
    assert ids(api.get("/payment/prices?currency=eur")) == []
    assert len(events("product.created")) == 2  # the inline product_data one too


def test_price_amount_currency_and_type_are_immutable(api):
    p = price(api, product(api)["id"])
    for field, value in (("unit_amount", 1), ("currency", "eur"), ("type", "recurring")):
        body = assert_error(
            api.patch(f"/payment/prices/{p['id']}", json={field: value}),
            400,
            "invalid_request_error",
        )
        assert body["param"] == field and "cannot be changed" in body["message"]
    assert ok(api.get(f"/payment/prices/{p['id']}"))["unit_amount"] == 49900
    tax = ok(api.patch(f"/payment/prices/{p['id']}", json={"tax_behavior": "inclusive"}))
    assert tax["tax_behavior"] == "inclusive"
    body = assert_error(
        api.patch(f"/payment/prices/{p['id']}", json={"tax_behavior": "exclusive"}),
        400,
        "invalid_request_error",
    )
    assert body["param"] == "tax_behavior"


def test_lookup_key_unique_and_transferable(api, events):
    prod = product(api)
    first = price(api, prod["id"], lookup_key="gap")
    body = assert_error(
        api.post(
            "/payment/prices",
            json={"product": prod["id"], "currency": "usd", "unit_amount": 1, "lookup_key": "gap"},
        ),
        400,
        "invalid_request_error",
    )
    assert body["param"] == "lookup_key" and first["id"] in body["message"]
    second = price(api, prod["id"], lookup_key="gap", transfer_lookup_key=True)
    assert second["lookup_key"] == "gap"
    assert ok(api.get(f"/payment/prices/{first['id']}"))["lookup_key"] is None
    moved = [e for e in events("price.updated") if e["object"]["id"] == first["id"]]
    assert moved and moved[0]["previous_attributes"] == {"lookup_key": "gap"}


def test_bad_input_names_the_field_and_changes_nothing(api, events):
    cases = [
        ("/payment/products", {}, "name"),
        ("/payment/products", {"name": "x", "colour": "red"}, "colour"),
        ("/payment/prices", {"currency": "usd", "unit_amount": 1}, "product"),
        ("/payment/prices", {"product": "prod_x", "currency": "USD", "unit_amount": 1}, "currency"),
        (
            "/payment/prices",
            {"product": "prod_x", "currency": "usd", "unit_amount": -1},
            "unit_amount",
        ),
        ("/payment/prices", {"product": "prod_x", "currency": "usd"}, "unit_amount"),
        (
            "/payment/prices",
            {
                "product": "prod_x",
                "currency": "usd",
                "unit_amount": 1,
                "recurring": {"interval": "hour"},
            },
            "recurring.interval",
        ),
    ]
    for path, body, param in cases:
        err = assert_error(api.post(path, json=body), 400, "invalid_request_error")
        assert err["param"] == param, (body, err)
    err = assert_error(
        api.post(
            "/payment/prices", json={"product": "prod_nope", "currency": "usd", "unit_amount": 1}
        ),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert err["param"] == "product"
    assert_error(api.get("/payment/prices?colour=red"), 400, "invalid_request_error")
    assert events() == []


def test_other_dealer_and_other_mode_see_404(app, client, api, live_api):
    prod = product(api)
    p = price(api, prod["id"])
    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    for who in (other, live_api):
        assert_error(who.get(f"/payment/products/{prod['id']}"), 404, "invalid_request_error")
        assert_error(who.get(f"/payment/prices/{p['id']}"), 404, "invalid_request_error")
        assert ok(who.get("/payment/products"))["data"] == []


def test_publishable_key_reaches_nothing(api, pk_api):
    prod = product(api)
    for response in (
        pk_api.get("/payment/products"),
        pk_api.post("/payment/products", json={"name": "x"}),
        pk_api.get(f"/payment/products/{prod['id']}"),
        pk_api.get("/payment/products/search?query=name:'x'"),
        pk_api.get("/payment/prices"),
        pk_api.post("/payment/prices", json={}),
    ):
        assert_error(response, 403, "permission_error")


def test_product_search(api):
    a = product(
        api,
        name="GAP insurance",
        description="Guaranteed asset protection",
        metadata={"provider": "pen"},
    )
    b = product(api, name="Tire and wheel", metadata={"provider": "acme"})
    c = product(api, name="Doc fee", active=False)

    def ids(q):
        found = ok(api.get("/payment/products/search", query_string={"query": q}))
        return [x["id"] for x in found["data"]]

    assert ids("name~'gap'") == [a["id"]]
    assert ids("active:'false'") == [c["id"]]
    assert ids("active:'true'") == [b["id"], a["id"]]
    assert ids("metadata['provider']:'acme'") == [b["id"]]
    assert ids("description~'asset'") == [a["id"]]
    assert ids("-active:'true'") == [c["id"]]
    assert ids(f"created>={a['created']}") == [c["id"], b["id"], a["id"]]
    page = ok(
        api.get(
            "/payment/products/search",
            query_string={"query": "active:'true' OR active:'false'", "limit": 2},
        )
    )
    assert page["object"] == "search_result" and page["has_more"] is True
    assert page["url"] == "/payment/products/search"
    rest = ok(
        api.get(
            "/payment/products/search",
            query_string={
                "query": "active:'true' OR active:'false'",
                "limit": 2,
                "page": page["next_page"],
            },
        )
    )
    assert [x["id"] for x in rest["data"]] == [a["id"]] and rest["next_page"] is None
    err = assert_error(
        api.get("/payment/products/search?query=colour:'red'"), 400, "invalid_request_error"
    )
    assert err["param"] == "query"
