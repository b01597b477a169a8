from tests.conftest import assert_error, make_dealer
from tests.events.conftest import emit


def ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [e["id"] for e in response.get_json()["data"]]


def test_get_event_shape_and_tenancy(app, api, dealer, client):
    event_id = emit(app, dealer.id, "customer.created", {"id": "cus_1", "object": "customer"})
    body = api.get(f"/events/{event_id}").get_json()
    assert body["object"] == "event"
    assert body["type"] == "customer.created"
    assert body["data"]["object"]["id"] == "cus_1"
    assert body["livemode"] is False
    assert body["pending_webhooks"] == 0
    assert set(body["request"]) == {"id", "idempotency_key"}
    other = make_dealer(app, "Other Motors")
    from tests.conftest import Api

    assert_error(
        Api(client, other.secret_key).get(f"/events/{event_id}"),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    # the other mode of the same dealer does not see it either
    assert_error(
        Api(client, dealer.live_secret_key).get(f"/events/{event_id}"), 404, "invalid_request_error"
    )


def test_type_filters_exact_and_wildcards(app, api, dealer):
    a = emit(app, dealer.id, "payment_intent.succeeded")
    b = emit(app, dealer.id, "payment_intent.created")
    c = emit(app, dealer.id, "charge.succeeded")
    d = emit(app, dealer.id, "paymentXintent.created")  # '_' must not act as a LIKE wildcard
    assert set(ids(api.get("/events?type=payment_intent.succeeded"))) == {a}
    assert set(ids(api.get("/events?type=payment_intent.*"))) == {a, b}
    assert set(ids(api.get("/events?type=*.succeeded"))) == {a, c}
    assert set(ids(api.get("/events?type=*"))) == {a, b, c, d}
    assert set(ids(api.get("/events?types[]=charge.succeeded&types[]=payment_intent.created"))) == {
        b,
        c,
    }


def test_types_limits_and_conflicts(api):
    many = "&".join(f"types[]=a.b{i}" for i in range(21))
    body = assert_error(api.get(f"/events?{many}"), 400, "invalid_request_error")
    assert body["param"] == "types[]"
    body = assert_error(api.get("/events?type=a.b&types[]=a.c"), 400, "invalid_request_error")
    assert body["param"] == "types[]"
    body = assert_error(api.get("/events?type=DROP TABLE"), 400, "invalid_request_error")
    assert body["param"] == "type"
    assert_error(api.get("/events?bogus=1"), 400, "invalid_request_error", "parameter_unknown")


def test_created_filters_and_pagination(app, api, dealer, clock):
    made = []
    for i in range(5):
        clock.advance(10)
        made.append(emit(app, dealer.id, f"thing.n{i}"))
    t3 = clock.t - 20  # created of made[2]
    assert ids(api.get(f"/events?created[gte]={t3}")) == list(reversed(made[2:]))
    assert ids(api.get(f"/events?created[lt]={t3}")) == list(reversed(made[:2]))
    page1 = api.get("/events?limit=2").get_json()
    assert page1["has_more"] is True and page1["url"] == "/events"
    assert [e["id"] for e in page1["data"]] == [made[4], made[3]]
    page2 = ids(api.get(f"/events?limit=2&starting_after={made[3]}"))
    assert page2 == [made[2], made[1]]
    assert ids(api.get(f"/events?limit=2&ending_before={made[1]}")) == [made[3], made[2]]


def test_delivery_success_filter(app, api, dealer, receiver, clock):
    quiet = emit(app, dealer.id, "customer.created")  # no endpoint: delivered everywhere
    ok = api.post(
        "/webhook-endpoints", json={"url": receiver.url, "enabled_events": ["customer.*"]}
    )
    assert ok.status_code == 200
    delivered = emit(app, dealer.id, "customer.updated")
    assert receiver.wait_for(1)
    receiver.status = 500
    failing = emit(app, dealer.id, "customer.deleted")
    assert api.get(f"/events/{failing}").get_json()["pending_webhooks"] == 1
    assert api.get(f"/events/{delivered}").get_json()["pending_webhooks"] == 0
    assert set(ids(api.get("/events?delivery_success=false"))) == {failing}
    assert set(ids(api.get("/events?delivery_success=true"))) == {quiet, delivered}
