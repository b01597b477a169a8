"""Listing and both invoice searches (structured filters and the query language), and the
upcoming-invoice preview with its lines."""

from __future__ import annotations

from tests.billing.conftest import customer, draft, ok, price, product
from tests.conftest import assert_error


def _ids(body):
    return [x["id"] for x in body["data"]]


def _setup(api):
    ann = customer(api)
    bo = customer(api, name="Bo", email="bo@example.com")
    small = draft(
        api, ann["id"], [{"amount": 5000, "description": "Plate"}], metadata={"deal": "D1"}
    )
    big = draft(
        api,
        bo["id"],
        [{"amount": 250000, "description": "Deposit"}],
        collection_method="send_invoice",
        due_date=1_000,
    )
    ok(api.post(f"/payment/invoices/{big['id']}/finalize"))
    later = draft(
        api,
        bo["id"],
        [{"amount": 90000, "description": "Service"}],
        collection_method="send_invoice",
        days_until_due=30,
    )
    later = ok(api.post(f"/payment/invoices/{later['id']}/finalize"))
    return ann, bo, small, ok(api.get(f"/payment/invoices/{big['id']}")), later


def test_list_filters(api):
    ann, _bo, small, big, later = _setup(api)
    assert _ids(ok(api.get("/payment/invoices"))) == [later["id"], big["id"], small["id"]]
    assert _ids(ok(api.get(f"/payment/invoices?customer={ann['id']}"))) == [small["id"]]
    assert _ids(ok(api.get("/payment/invoices?status=open"))) == [later["id"], big["id"]]
    assert _ids(ok(api.get("/payment/invoices?collection_method=charge_automatically"))) == [
        small["id"]
    ]
    assert _ids(ok(api.get("/payment/invoices?due_date[lt]=2000"))) == [big["id"]]
    page = ok(api.get("/payment/invoices?limit=2"))
    assert page["has_more"] is True and page["url"] == "/payment/invoices"
    assert _ids(ok(api.get(f"/payment/invoices?limit=2&starting_after={big['id']}"))) == [
        small["id"]
    ]
    assert_error(api.get("/payment/invoices?status=late"), 400, "invalid_request_error")


def test_structured_search(api):
    _ann, _bo, small, big, later = _setup(api)
    found = ok(api.get(f"/payment/invoices/search?number={big['number']}"))
    assert found["object"] == "search_result" and _ids(found) == [big["id"]]
    assert found["url"] == "/payment/invoices/search" and found["next_page"] is None
    assert _ids(ok(api.get("/payment/invoices/search?total[gte]=90000"))) == [
        later["id"],
        big["id"],
    ]
    assert _ids(ok(api.get("/payment/invoices/search?total[lte]=90000&status=open"))) == [
        later["id"]
    ]
    # Overdue: open with a due date in the past.
    assert _ids(
        ok(api.get(f"/payment/invoices/search?status=open&due_date[lt]={later['created']}"))
    ) == [big["id"]]
    page = ok(api.get("/payment/invoices/search?limit=2"))
    assert page["has_more"] is True and len(page["data"]) == 2
    rest = ok(api.get(f"/payment/invoices/search?limit=2&page={page['next_page']}"))
    assert _ids(rest) == [small["id"]] and rest["next_page"] is None
    err = assert_error(api.get("/payment/invoices/search?page=nope!"), 400, "invalid_request_error")
    assert err["param"] == "page"
    # Search pages with page=, so a cursor is no parameter of it (nor of its document).
    err = assert_error(
        api.get(f"/payment/invoices/search?starting_after={big['id']}"),
        400,
        "invalid_request_error",
        "parameter_unknown",
    )
    assert err["param"] == "starting_after"


def test_search_by_query(api):
    _ann, bo, small, big, later = _setup(api)

    def q(query, **kw):
        return _ids(
            ok(api.get("/payment/invoices/search-by-query", query_string={"query": query, **kw}))
        )

    assert q("status:'open' AND total>100000") == [big["id"]]
    assert q(f"customer:'{bo['id']}'") == [later["id"], big["id"]]
    assert q(f"number:'{later['number']}'") == [later["id"]]
    assert q("number~'TEST'") == [later["id"], big["id"]]
    assert q("metadata['deal']:'D1'") == [small["id"]]
    assert q("currency:'usd' AND -status:'open'") == [small["id"]]
    assert q(f"created>={small['created']} AND total<10000") == [small["id"]]
    page = ok(
        api.get(
            "/payment/invoices/search-by-query",
            query_string={"query": "currency:'usd'", "limit": 1},
        )
    )
    assert page["object"] == "search_result" and page["has_more"] is True and page["next_page"]
    err = assert_error(
        api.get("/payment/invoices/search-by-query?query=colour:'red'"),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "query" and err["code"] == "search_query_invalid"


def test_upcoming_preview_stores_nothing(api, events):
    cus = customer(api)
    fee = price(api, product(api)["id"], unit_amount=19900)
    before = len(events())
    body = {
        "customer": cus["id"],
        "lines": [{"price": fee["id"], "quantity": 2}, {"amount": 5000, "description": "Plate"}],
        "tax_rate": 10,
    }
    quote = ok(api.post("/payment/invoices/upcoming", json=body))
    assert quote["id"].startswith("upcoming_") and quote["status"] == "draft"
    assert (quote["subtotal"], quote["tax"], quote["total"]) == (44800, 4480, 49280)
    assert [line["id"] for line in quote["lines"]["data"]] == ["il_tmp_0001", "il_tmp_0002"]
    assert_error(api.get(f"/payment/invoices/{quote['id']}"), 404, "invalid_request_error")
    assert ok(api.get("/payment/invoices"))["data"] == []
    assert len(events()) == before
    lines = ok(api.post("/payment/invoices/upcoming/lines?limit=1", json=body))
    assert lines["object"] == "list" and lines["has_more"] is True
    assert [line["amount"] for line in lines["data"]] == [39800]
    rest = ok(api.post("/payment/invoices/upcoming/lines?starting_after=il_tmp_0001", json=body))
    assert [line["id"] for line in rest["data"]] == ["il_tmp_0002"] and rest["has_more"] is False
    # A cursor naming no line is a 404, as for every list.
    err = assert_error(
        api.post("/payment/invoices/upcoming/lines?starting_after=il_tmp_0009", json=body),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert err["param"] == "starting_after"


def test_upcoming_from_a_draft_with_changes(api):
    cus = customer(api)
    inv = draft(api, cus["id"], [{"amount": 10000, "description": "Service", "quantity": 2}])
    quote = ok(api.post("/payment/invoices/upcoming", json={"invoice": inv["id"], "tax_rate": 5}))
    assert quote["customer"] == cus["id"] and quote["total"] == 21000
    assert quote["lines"]["data"][0]["description"] == "Service"
    assert ok(api.get(f"/payment/invoices/{inv['id']}"))["total"] == 20000  # untouched
    ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    err = assert_error(
        api.post("/payment/invoices/upcoming", json={"invoice": inv["id"]}),
        400,
        "invalid_request_error",
    )
    assert "status of open" in err["message"]
    err = assert_error(
        api.post("/payment/invoices/upcoming", json={}), 400, "invalid_request_error"
    )
    assert err["param"] == "customer"
