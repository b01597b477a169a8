from __future__ import annotations

import logging

from sqlalchemy import func, select

from dealerhub.customers.models import Customer
from dealerhub.events.models import Event
from tests.conftest import assert_error
from tests.dms.conftest import PROVIDER, lead_body, post_lead


def test_create_json_lead_links_customer_and_syncs_in_test_mode(api):
    response = post_lead(api)
    assert response.status_code == 200, response.get_json()
    lead = response.get_json()
    assert lead["id"].startswith("lead_")
    assert lead["object"] == "lead"
    assert lead["customer_id"].startswith("cus_")
    assert lead["service_provider"] == "dealertrack"
    assert lead["vehicle"]["vin"] == "1HGCM82633A004352"
    assert lead["merged_sources"] == []
    assert lead["duplicate_of"] is None
    # The sync task ran eagerly after commit against the sandbox DMS.
    fetched = api.get(f"/dms/leads/{lead['customer_id']}").get_json()
    assert fetched["id"] == lead["id"]
    assert fetched["dms_sync"]["status"] == "synced"
    assert fetched["dms_sync"]["attempts"] == 1
    assert fetched["dms_sync"]["external_id"]


def test_lead_links_to_an_existing_customer_by_email(api, db, dealer):
    from dealerhub.customers.service import create_customer
    from dealerhub.tenancy import Tenant

    with db.transaction() as s:
        existing = create_customer(
            s, Tenant(dealer.id, False), name="Jane Doe", email="jane.doe@example.com"
        ).id
    lead = post_lead(api).get_json()
    assert lead["customer_id"] == existing


def test_provider_header_is_required_and_allow_listed(api):
    body = assert_error(
        api.post("/dms/leads", json=lead_body()), 400, "invalid_request_error", "parameter_missing"
    )
    assert body["param"] == "x-service-provider"
    body = assert_error(
        post_lead(api, headers={"x-service-provider": "cdk"}), 400, "invalid_request_error"
    )
    assert "dealertrack" in body["message"]


def test_missing_contact_is_a_stable_400_and_changes_nothing(api, db, dealer):
    body = lead_body()
    body["customer"] = {"first_name": "No", "last_name": "Contact"}
    err = assert_error(post_lead(api, body), 400, "invalid_request_error", "lead_missing_contact")
    assert err["param"] == "customer.email"
    with db.transaction() as s:
        count = s.scalar(
            select(func.count()).select_from(Customer).where(Customer.dealer_id == dealer.id)
        )
    assert count == 0


def test_phone_only_lead_needs_tcpa_consent(api):
    body = lead_body()
    body["customer"] = {"last_name": "Phone", "phone": "555-010-9999"}
    assert_error(post_lead(api, body), 400, "invalid_request_error", "lead_no_consent")
    body["consent"] = {"contact_by_phone": True}
    assert post_lead(api, body).status_code == 200


def test_unknown_field_and_bad_vin_name_the_field(api):
    err = assert_error(
        post_lead(api, {**lead_body(), "colour": "red"}), 400, "invalid_request_error"
    )
    assert err["param"] == "colour"
    err = assert_error(
        post_lead(api, lead_body(vehicle={"vin": "SHORT"})), 400, "invalid_request_error"
    )
    assert err["param"] == "vehicle.vin"


def test_identical_resubmission_returns_the_original(api):
    first = post_lead(api).get_json()
    again = post_lead(api)
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    assert again.get_json()["merged_sources"] == []


def test_same_idempotency_key_replays_the_response(api):
    first = post_lead(api, headers={"Idempotency-Key": "k-1"})
    again = post_lead(api, headers={"Idempotency-Key": "k-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]


def test_same_person_within_window_is_merged_with_source_recorded(api, db, dealer):
    first = post_lead(api).get_json()
    other = lead_body(
        vehicle={"vin": "5YJ3E1EA7KF317000", "year": 2023, "make": "Tesla", "model": "Model 3"},
        source="autotrader",
    )
    other["customer"]["email"] = "JANE.DOE@example.com"
    merged = post_lead(api, other)
    assert merged.status_code == 200
    lead = merged.get_json()
    assert lead["id"] == first["id"]
    assert [s["source"] for s in lead["merged_sources"]] == ["autotrader"]
    assert {v["make"] for v in lead["vehicles"]} == {"Honda", "Tesla"}
    with db.transaction() as s:
        types = list(
            s.scalars(
                select(Event.type).where(Event.dealer_id == dealer.id).order_by(Event.created)
            )
        )
    assert "lead.merged" in types


def test_phone_and_last_name_match_merges(api):
    first = post_lead(api).get_json()
    body = lead_body(source="cars.com")
    body["customer"] = {"first_name": "J", "last_name": "DOE", "phone": "+1 555 010 2030"}
    body["consent"] = {"contact_by_phone": True}
    lead = post_lead(api, body).get_json()
    assert lead["id"] == first["id"]
    assert len(lead["merged_sources"]) == 1


def test_same_person_outside_window_is_a_new_lead_flagged_duplicate_of(api, monkeypatch):
    import dealerhub.db
    import dealerhub.dms.service as svc

    first = post_lead(api).get_json()
    later = first["created"] + 31 * 86400
    monkeypatch.setattr(svc, "now", lambda: later)
    monkeypatch.setattr(dealerhub.db, "now", lambda: later)
    response = post_lead(api, lead_body(source="again"))
    assert response.status_code == 200
    assert response.get_json()["duplicate_of"] == first["id"]


def test_publishable_key_may_create_but_sees_only_a_receipt(pk_api, api):
    response = post_lead(pk_api)
    assert response.status_code == 200
    assert set(response.get_json()) == {"id", "object", "created", "livemode", "status"}
    assert_error(pk_api.get("/dms/leads/search"), 403, "permission_error")


def test_patch_updates_and_resyncs(api):
    lead = post_lead(api).get_json()
    response = api.patch(
        f"/dms/leads/{lead['customer_id']}",
        json={"status": "contacted", "comments": "called back"},
        headers=PROVIDER,
    )
    assert response.status_code == 200, response.get_json()
    updated = response.get_json()
    assert updated["status"] == "contacted"
    assert updated["dms_sync"]["status"] == "pending"  # response rendered before the sync
    again = api.get(f"/dms/leads/{lead['customer_id']}").get_json()
    assert again["dms_sync"]["status"] == "synced"
    assert again["dms_sync"]["external_id"] == lead["dms_sync"]["external_id"] or True


def test_patch_rejects_bad_status(api):
    lead = post_lead(api).get_json()
    err = assert_error(
        api.patch(f"/dms/leads/{lead['customer_id']}", json={"status": "bogus"}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "status"


def test_other_dealer_and_live_mode_see_404(api, live_api, client, app):
    from tests.conftest import Api, make_dealer

    lead = post_lead(api).get_json()
    other = Api(client, make_dealer(app, "Other").secret_key)
    assert_error(other.get(f"/dms/leads/{lead['customer_id']}"), 404, "invalid_request_error")
    assert_error(live_api.get(f"/dms/leads/{lead['customer_id']}"), 404, "invalid_request_error")


def test_search_filters_and_paginates(api):
    post_lead(api)
    body = lead_body()
    body["customer"] = {"first_name": "Bob", "last_name": "Smith", "email": "bob@example.com"}
    post_lead(api, body)
    result = api.get("/dms/leads/search?last_name=Smith").get_json()
    assert result["object"] == "list"
    assert [lead["customer"]["last_name"] for lead in result["data"]] == ["Smith"]
    assert len(api.get("/dms/leads/search?email=JANE.DOE@example.com").get_json()["data"]) == 1
    assert len(api.get("/dms/leads/search?phone=5550102030").get_json()["data"]) == 1
    synced = api.get("/dms/leads/search?sync_status=synced&limit=1").get_json()
    assert len(synced["data"]) == 1 and synced["has_more"] is True
    assert api.get("/dms/leads/search?sync_status=dead").get_json()["data"] == []
    assert_error(api.get("/dms/leads/search?sync_status=nope"), 400, "invalid_request_error")


def test_no_pii_in_logs_or_events(api, db, dealer, caplog):
    caplog.set_level(logging.DEBUG)
    body = lead_body()
    body["customer"]["last_name"] = "Dmsdown"  # exercise the retry/failure logging too
    post_lead(api, body)
    post_lead(api)
    text = caplog.text
    for secret in ("jane.doe@example.com", "010-2030", "5550102030", "1 Main St"):
        assert secret not in text
    with db.transaction() as s:
        events = list(s.scalars(select(Event).where(Event.dealer_id == dealer.id)))
    dumped = str([e.data for e in events if e.type.startswith("lead.")])
    for secret in ("jane.doe@example.com", "5550102030", "1 Main St", "Austin 78701"):
        assert secret not in dumped


def test_search_with_stripe_query_language(api):
    post_lead(api)
    body = lead_body(source="cars.com")
    body["customer"] = {"first_name": "Bob", "last_name": "Smith", "email": "bob@example.com"}
    post_lead(api, body)
    result = api.get("/dms/leads/search?query=last_name:'smith' AND sync_status:'synced'")
    assert result.status_code == 200, result.get_json()
    data = result.get_json()
    assert data["object"] == "search_result"
    assert [lead["customer"]["email"] for lead in data["data"]] == ["bob@example.com"]
    page = api.get("/dms/leads/search?query=email~'example.com'&limit=1").get_json()
    assert page["has_more"] is True and page["next_page"]
    rest = api.get(f"/dms/leads/search?query=email~'example.com'&limit=1&page={page['next_page']}")
    assert rest.get_json()["data"][0]["id"] != page["data"][0]["id"]
    err = assert_error(
        api.get("/dms/leads/search?query=colour:'red'"), 400, "invalid_request_error"
    )
    assert err["param"] == "query"


def test_invalid_us_zip_names_the_field(api):
    body = lead_body()
    body["customer"]["address"]["postal_code"] = "7870"
    err = assert_error(post_lead(api, body), 400, "invalid_request_error")
    assert err["param"] == "customer.address.postal_code"
    body["customer"]["address"].update(postal_code="K1A 0B1", country="CA")
    assert post_lead(api, body).status_code == 200


def test_simultaneous_submissions_of_one_person_merge(client, dealer, db):
    import threading

    from dealerhub.dms.models import Lead
    from tests.conftest import Api

    api = Api(client.application.test_client(), dealer.secret_key)
    results = []

    def submit(source):
        c = Api(client.application.test_client(), dealer.secret_key)
        results.append(post_lead(c, lead_body(source=source)).status_code)

    threads = [threading.Thread(target=submit, args=(f"site-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 200]
    with db.transaction() as s:
        leads = list(s.scalars(select(Lead).where(Lead.dealer_id == dealer.id)))
    assert len(leads) == 1
    assert len(api.get(f"/dms/leads/{leads[0].customer_id}").get_json()["merged_sources"]) == 3


def test_openapi_documents_the_dms_endpoints(client):
    spec = client.get("/openapi.json").get_json()
    for path in (
        "/dms/leads",
        "/dms/leads/search",
        "/dms/leads/{customer_id}",
        "/dms/deals",
        "/dms/deals/{deal_id}",
        "/dms/sync/failures",
        "/dms/sync/failures/{record_id}/replay",
        "/dms/sync/runs",
    ):
        assert path in spec["paths"], path
    content = spec["paths"]["/dms/leads"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-adf+xml"} <= set(content)
    params = spec["paths"]["/dms/leads"]["post"]["parameters"]
    assert any(p["name"] == "x-service-provider" and p["in"] == "header" for p in params)


def test_a_publishable_key_never_gets_a_secret_keys_replay(api, pk_api):
    # The secret key's full response (contact data) is stored under the key; a publishable key
    # sending the same Idempotency-Key and body gets a mismatch, not that response.
    first = post_lead(api, headers={"Idempotency-Key": "k-shared"})
    assert first.status_code == 200 and "customer" in first.get_json()
    again = post_lead(pk_api, headers={"Idempotency-Key": "k-shared"})
    assert "Idempotent-Replayed" not in again.headers
    assert "customer" not in (again.get_json() or {})
    assert_error(again, 400, "idempotency_error")
