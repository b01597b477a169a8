"""GET /api/verify-address/{address}: shape, refusals, keys, cache, live mode over USPS."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import responses
from sqlalchemy import text

from dealerhub import crypto
from dealerhub.addresses.cache import DAY
from dealerhub.addresses.models import AddressAnswer
from dealerhub.addresses.tasks import purge_expired_answers
from dealerhub.connectors.address.usps import HOSTS
from tests.addresses.conftest import path
from tests.conftest import Api, assert_error, make_dealer

WHITE_HOUSE = "1600 Pennsylvania Avenue NW, Washington, DC 20500"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures/http/usps"
KEYS = {"object", "input", "verified", "address", "components", "candidates", "error_message"}


def test_verified_address_shape(api):
    r = api.get(path(WHITE_HOUSE))
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == KEYS
    assert body["object"] == "address_verification"
    assert body["input"] == WHITE_HOUSE
    assert body["verified"] is True and body["error_message"] is None
    assert body["address"] == {
        "line1": "1600 PENNSYLVANIA AVE NW",
        "line2": None,
        "city": "WASHINGTON",
        "state": "DC",
        "postal_code": "20500",
        "zip4": None,
        "country": "US",
    }
    assert body["components"]["street_name"] == "PENNSYLVANIA"
    assert body["components"]["street_suffix"] == "AVE"
    assert body["components"]["county"] == "District of Columbia"
    assert body["components"]["dpv_confirmation"] is None
    assert body["candidates"] == []
    assert r.headers["Address-Verification-Provider"] == "sandbox"
    assert r.headers["Address-Verification-Cached"] == "false"
    assert r.headers["Request-Id"].startswith("req_")


def test_unparseable_is_a_200_with_error_message(api):
    r = api.get(path("hello world"))
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == KEYS
    assert body["verified"] is False and body["address"] is None
    assert "could not be parsed" in body["error_message"]
    assert body["candidates"] == [] and set(body["components"].values()) == {None}
    assert "Address-Verification-Provider" not in r.headers


def test_non_existent_zip_is_a_200_with_candidates(api):
    body = api.get(path("742 Evergreen Terrace, Springfield, IL 00000")).get_json()
    assert body["verified"] is False
    assert body["error_message"] == "ZIP code 00000 does not exist."
    assert body["address"]["line1"] == "742 EVERGREEN TER"
    assert body["candidates"][0] == {
        "line1": "742 EVERGREEN TER",
        "line2": None,
        "city": "SPRINGFIELD",
        "state": "IL",
        "postal_code": "62701",
        "zip4": None,
        "country": "US",
    }


def test_slashes_and_units_in_the_path(api):
    body = api.get(path("1/2 Main St Apt 4/5, Springfield, IL 62701")).get_json()
    assert body["input"] == "1/2 Main St Apt 4/5, Springfield, IL 62701"
    assert body["verified"] is True
    assert body["address"]["line1"] == "1/2 MAIN ST"


def test_bad_input_is_a_400_naming_address_and_stores_nothing(api, db, dealer):
    for raw, why in (("%20%20", "blank"), ("1%20Main%00St", "control"), ("9" * 301, "300")):
        r = api.get("/api/verify-address/" + raw)
        body = assert_error(r, 400, "invalid_request_error", "parameter_invalid")
        assert body["param"] == "address" and why in body["message"]
    with db.transaction() as s:
        stored = text("SELECT count(*) FROM address_answers WHERE dealer_id = :d")
        assert s.execute(stored, {"d": dealer.id}).scalar() == 0
    assert_error(api.get("/api/verify-address/"), 404, "invalid_request_error", "resource_missing")


def test_unknown_query_parameter(api):
    r = api.get(path(WHITE_HOUSE) + "?zip=20500")
    body = assert_error(r, 400, "invalid_request_error", "parameter_unknown")
    assert body["param"] == "zip"


def test_keys(client, dealer, pk_api):
    # A website's checkout form calls it from the browser: the publishable key may.
    r = pk_api.get(path(WHITE_HOUSE))
    assert r.status_code == 200 and r.get_json()["verified"] is True
    assert_error(client.get(path(WHITE_HOUSE)), 401, "authentication_error")
    assert_error(Api(client, "sk_test_nope").get(path(WHITE_HOUSE)), 401, "authentication_error")


def test_answers_are_cached_per_normalised_input(api, counting):
    first = api.get(path(WHITE_HOUSE))
    again = api.get(path("1600 pennsylvania ave. n.w.,  washington dc 20500"))
    assert first.headers["Address-Verification-Cached"] == "false"
    assert again.headers["Address-Verification-Cached"] == "true"
    assert again.headers["Address-Verification-Provider"] == "sandbox"
    assert len(counting.asked) == 1
    a, b = first.get_json(), again.get_json()
    assert b["input"] == "1600 pennsylvania ave. n.w.,  washington dc 20500"
    assert {k: v for k, v in a.items() if k != "input"} == {
        k: v for k, v in b.items() if k != "input"
    }
    # Unverified answers are cached too (a known-bad address costs no second lookup).
    api.get(path("1 Main St, Chicago, IL 62701"))
    api.get(path("1 MAIN STREET CHICAGO IL 62701"))
    assert len(counting.asked) == 2


def test_cache_is_per_dealer_and_mode(app, client, api, counting):
    api.get(path(WHITE_HOUSE))
    other = make_dealer(app, "Other Motors")
    r = Api(client, other.secret_key).get(path(WHITE_HOUSE))
    assert r.headers["Address-Verification-Cached"] == "false"
    assert len(counting.asked) == 2


def test_cache_expires_after_a_day(app, dealer, counting):
    from dealerhub.addresses import service
    from dealerhub.tenancy import Tenant

    tenant = Tenant(dealer.id, False)
    cache = app.extensions["address_cache"]

    def ask(at):
        with app.extensions["db"].transaction(write=False) as s:
            return service.verify_address(
                s, tenant, WHITE_HOUSE, verifier=lambda: counting, cache=cache, at=at
            )

    start = 1_900_000_000
    assert ask(start).cached is False
    assert ask(start + DAY - 1).cached is True
    assert ask(start + DAY).cached is False  # expired: asked again, and stored afresh
    assert ask(start + DAY + 5).cached is True
    assert len(counting.asked) == 2
    with app.extensions["db"].transaction() as s:
        rows = s.query(AddressAnswer).filter(AddressAnswer.dealer_id == dealer.id).all()
        assert len(rows) == 1 and rows[0].expires_at == start + 2 * DAY


def test_stored_answers_are_encrypted_and_keyed_by_hmac(app, api, db):
    api.get(path("350 Fifth Avenue, New York, NY 10118"))
    with db.transaction() as s:
        rows = s.execute(text("SELECT input_hash, answer, provider FROM address_answers")).all()
    # Each column holds a Fernet token (URL-safe base64: a random token can contain "5TH" or
    # "10118" by chance, so look for what base64 cannot hold: JSON's quotes and spaces).
    assert rows and all('"' not in r.answer and " " not in r.answer for r in rows)
    assert all(r.provider == "sandbox" and len(r.input_hash) == 64 for r in rows)
    plain = [crypto.decrypt_str(r.answer) for r in rows]
    assert any("350 FIFTH AVE" in p and "10118" in p for p in plain)


def test_purge_task_deletes_expired_answers(app, api, db):
    api.get(path(WHITE_HOUSE))
    with db.transaction() as s:
        s.execute(text("UPDATE address_answers SET expires_at = 1"))
    assert purge_expired_answers() >= 1
    with db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM address_answers")).scalar() == 0


def test_magic_faults_are_provider_errors_and_not_cached(api, counting):
    r = api.get(path("1 Unavailable St, Springfield, IL 62701"))
    body = assert_error(r, 503, "provider_error", "address_provider_unavailable")
    assert body["retryable"] is True
    r = api.get(path("1 Unavailable St, Springfield, IL 62701"))
    assert r.status_code == 503 and len(counting.asked) == 2
    body = assert_error(
        api.get(path("9 Timeout Ave, Springfield, IL 62701")), 504, "provider_error"
    )
    assert body["code"] == "address_provider_timeout"


def test_the_access_log_never_carries_the_address(api, caplog):
    caplog.set_level(logging.INFO)
    api.get(path(WHITE_HOUSE))
    lines = [r for r in caplog.records if r.name == "dealerhub.request"]
    assert lines and all("Pennsylvania" not in r.getMessage() for r in lines)
    assert all("Pennsylvania" not in str(getattr(r, "path", "")) for r in lines)
    assert "GET /api/verify-address/******** 200" in [r.getMessage() for r in lines]


# --- live mode: USPS ------------------------------------------------------------------------

BASE = HOSTS["testing"]


def configure_usps(live_api):
    tree = {
        "address_verification": {
            "usps": {
                "client_id": "live-consumer-key",
                "client_secret": "live-consumer-secret",
                "environment": "testing",
            }
        }
    }
    r = live_api.post("/configuration", json=tree)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_live_mode_without_usps_credentials(live_api):
    r = live_api.get(path(WHITE_HOUSE))
    body = assert_error(r, 400, "invalid_request_error", "configuration_incomplete")
    assert body["param"] == "address_verification.usps.client_id"


def test_usps_credentials_are_masked_and_encrypted(live_api, db, dealer):
    view = configure_usps(live_api)
    assert view["address_verification"]["usps"] == {
        "client_id": "live-consumer-key",
        "client_secret": "********",
        "environment": "testing",
    }
    with db.transaction() as s:
        stored = s.execute(
            text("SELECT tree FROM configurations WHERE dealer_id = :d"), {"d": dealer.id}
        ).scalar()
    assert "live-consumer-secret" not in stored


@responses.activate
def test_live_mode_verifies_through_usps_and_caches(live_api):
    configure_usps(live_api)
    token = json.loads((FIXTURES / "token.json").read_text())
    responses.post(BASE + "/oauth2/v3/token", json=token)
    responses.get(
        BASE + "/addresses/v3/address",
        json=json.loads((FIXTURES / "address_confirmed.json").read_text()),
    )
    r = live_api.get(path("1600 Pennsylvania Ave NW, Washington, DC 20500"))
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["verified"] is True
    assert body["address"]["zip4"] == "0005"
    assert body["components"]["dpv_confirmation"] == "Y"
    assert body["components"]["business"] is True
    assert body["components"]["zip_type"] is None  # a sandbox fact; USPS does not send it
    assert r.headers["Address-Verification-Provider"] == "usps"
    assert json.loads(responses.calls[0].request.body)["client_secret"] == "live-consumer-secret"
    again = live_api.get(path("1600 PENNSYLVANIA AVENUE NORTHWEST WASHINGTON DC 20500"))
    assert again.headers["Address-Verification-Cached"] == "true"
    assert len(responses.calls) == 2  # one token, one address: the repeat was cached


@responses.activate
def test_live_mode_usps_not_found_and_outage(live_api):
    configure_usps(live_api)
    responses.post(
        BASE + "/oauth2/v3/token", json=json.loads((FIXTURES / "token.json").read_text())
    )
    responses.get(
        BASE + "/addresses/v3/address",
        json=json.loads((FIXTURES / "address_not_found.json").read_text()),
        status=404,
    )
    body = live_api.get(path("1 Nowhere Rd, Washington, DC 20500")).get_json()
    assert body["verified"] is False and body["error_message"] == "Address Not Found."
    responses.replace(responses.GET, BASE + "/addresses/v3/address", status=503, json={})
    r = live_api.get(path("2 Nowhere Rd, Washington, DC 20500"))
    assert_error(r, 503, "provider_error", "address_provider_unavailable")


def test_openapi_documents_the_endpoint(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/api/verify-address/{address}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][name]["properties"]) == KEYS
