"""POST /set-dealer on the sandbox PEN: success and refusal paths, validation, the stored
registration in /configuration, events, idempotency and the key rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, text

from dealerhub.audit import AuditEntry
from dealerhub.connectors.pen.sandbox_models import (
    DEALER_ID_BASE,
    LOG_ID_BASE,
    SandboxPenDealer,
    SandboxPenLog,
)
from dealerhub.events.models import Event
from dealerhub.pen.models import PenRegistration
from tests.conftest import assert_error
from tests.pen.conftest import dealer_body


def register(api: Any, **over: Any) -> dict[str, Any]:
    response = api.post("/set-dealer", json=dealer_body(**over))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def events_of(db: Any, dealer_id: str, type_: str) -> list[Event]:
    with db.transaction() as s:
        return list(
            s.scalars(select(Event).where(Event.dealer_id == dealer_id, Event.type == type_))
        )


def test_register_issues_an_id_and_stores_the_registration(api, db, dealer):
    body = register(api)
    assert body["success"] == "Success"
    assert body["error"] is None
    pen_id = int(body["dealer_id"])
    assert pen_id > DEALER_ID_BASE
    with db.transaction() as s:
        reg = s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).one()
        remote = s.get(SandboxPenDealer, pen_id - DEALER_ID_BASE)
        assert reg.pen_dealer_id == pen_id and reg.status == "registered"
        assert reg.last_action == "REGISTER" and reg.is_test_dealer is True
        assert remote is not None and remote.account == dealer.id and remote.active
        # Contact details are stored, encrypted: the raw column holds no phone or e-mail.
        raw = s.execute(
            text("SELECT profile FROM pen_registrations WHERE id = :id"), {"id": reg.id}
        ).scalar_one()
    assert "7145550142" not in raw and "sunrisemotors" not in raw
    assert json.loads(reg.profile)["phone"] == "7145550142"  # normalised to 10 digits
    (event,) = events_of(db, dealer.id, "pen.dealer_registered")
    snapshot = event.data["object"]
    assert snapshot["object"] == "pen_registration" and snapshot["pen_dealer_id"] == pen_id
    assert "email" not in json.dumps(event.data) and "7145550142" not in json.dumps(event.data)


def test_two_dealers_get_different_ids(client, app):
    from tests.conftest import Api, make_dealer

    a = Api(client, make_dealer(app).secret_key)
    b = Api(client, make_dealer(app).secret_key)
    assert register(a)["dealer_id"] != register(b)["dealer_id"]


def test_register_when_registered_is_refused_with_a_200(api, db, dealer):
    first = register(api)
    again = register(api)
    assert again["success"] == "Failed"
    assert again["error"]["error_code"] == "DEALER_ALREADY_REGISTERED"
    assert again["error"]["dsi_log_id"] is None  # refused here; PEN never saw it
    assert len(events_of(db, dealer.id, "pen.dealer_registered")) == 1
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(SandboxPenDealer)
                .where(SandboxPenDealer.account == dealer.id)
            )
            == 1
        )
        reg = s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).one()
        assert str(reg.pen_dealer_id) == first["dealer_id"]
        audit = s.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.dealer_id == dealer.id, AuditEntry.action == "pen.set_dealer.register"
            )
            .order_by(AuditEntry.created, AuditEntry.id)  # no ORDER BY is no order on PostgreSQL
        ).all()
    assert [a.details["success"] for a in audit] == [True, False]


def test_update_changes_the_profile_and_records_the_event(api, db, dealer):
    pen_id = int(register(api)["dealer_id"])
    body = api.post(
        "/set-dealer",
        json=dealer_body("UPDATE", pen_id, dealershipName="Sunrise Motors of Costa Mesa"),
    ).get_json()
    assert body == {"dealer_id": str(pen_id), "success": "Success", "error": None}
    with db.transaction() as s:
        remote = s.get(SandboxPenDealer, pen_id - DEALER_ID_BASE)
        assert remote.dealership_name == "Sunrise Motors of Costa Mesa"
    (event,) = events_of(db, dealer.id, "pen.dealer_updated")
    assert event.data["object"]["dealership_name"] == "Sunrise Motors of Costa Mesa"
    assert event.data["object"]["last_action"] == "UPDATE"


def test_unregister_then_update_is_refused_and_register_gets_a_new_id(api, db, dealer):
    pen_id = int(register(api)["dealer_id"])
    body = api.post("/set-dealer", json={"action": "UNREGISTER", "penDealerId": pen_id}).get_json()
    assert body["success"] == "Success"
    assert len(events_of(db, dealer.id, "pen.dealer_unregistered")) == 1
    with db.transaction() as s:
        assert s.get(SandboxPenDealer, pen_id - DEALER_ID_BASE).active is False
    refused = api.post("/set-dealer", json=dealer_body("UPDATE", pen_id)).get_json()
    assert refused["success"] == "Failed"
    assert refused["error"]["error_code"] == "DEALER_NOT_REGISTERED"
    again = register(api)
    assert again["success"] == "Success" and int(again["dealer_id"]) != pen_id


@pytest.mark.parametrize("action", ["UPDATE", "UNREGISTER"])
def test_update_or_unregister_without_a_registration_is_refused(api, db, dealer, action):
    body = api.post("/set-dealer", json=dealer_body(action, DEALER_ID_BASE + 1)).get_json()
    assert body["success"] == "Failed"
    assert body["error"]["error_code"] == "DEALER_NOT_REGISTERED"
    with db.transaction() as s:
        assert (
            s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).first()
            is None
        )


def test_another_dealers_id_is_refused_and_changes_nothing(client, app, db):
    from tests.conftest import Api, make_dealer

    mine = Api(client, make_dealer(app).secret_key)
    other_keys = make_dealer(app)
    theirs = Api(client, other_keys.secret_key)
    register(mine)
    their_id = int(register(theirs)["dealer_id"])
    for action in ("UPDATE", "UNREGISTER"):
        body = mine.post(
            "/set-dealer", json=dealer_body(action, their_id, dealershipName="Hijacked")
        ).get_json()
        assert body["success"] == "Failed"
        assert body["error"]["error_code"] == "DEALER_ID_MISMATCH"
    with db.transaction() as s:
        remote = s.get(SandboxPenDealer, their_id - DEALER_ID_BASE)
        assert remote.active and remote.dealership_name == "Sunrise Motors"


def test_a_refusal_by_pen_is_passed_through_with_its_log_id(api, db, dealer):
    body = register(api, dealershipName="PEN Invalid")
    assert body["success"] == "Failed"
    assert body["dealer_id"] == "0"
    error = body["error"]
    assert error["error_code"] == "INVALID_DEALER_DATA"
    with db.transaction() as s:
        log = s.scalars(select(SandboxPenLog).where(SandboxPenLog.account == dealer.id)).one()
        assert (
            error["dsi_log_id"] == str(LOG_ID_BASE + log.id)
            and log.error_code == "INVALID_DEALER_DATA"
        )
        assert (
            s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).first()
            is None
        )
    assert events_of(db, dealer.id, "pen.dealer_registered") == []


def test_pen_unavailable_is_a_503_provider_error_and_changes_nothing(api, db, dealer):
    err = assert_error(
        api.post("/set-dealer", json=dealer_body(dealershipName="PEN Unavailable")),
        503,
        "provider_error",
        "pen_unavailable",
    )
    assert err["retryable"] is True
    with db.transaction() as s:
        assert (
            s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).first()
            is None
        )


def test_a_register_without_an_answer_is_not_blindly_retryable(api):
    err = assert_error(
        api.post("/set-dealer", json=dealer_body(dealershipName="PEN Timeout")),
        504,
        "provider_error",
        "pen_timeout",
    )
    assert err["retryable"] is False
    assert "before registering again" in err["message"]


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"penDealerId": 12345}, "penDealerId"),  # REGISTER must send 0
        ({"action": "UPDATE"}, "penDealerId"),  # UPDATE must send the id
        ({"action": "DELETE"}, "action"),
        ({"penDealerId": "0"}, "penDealerId"),  # an integer, not a string
        ({"penDealerId": -1}, "penDealerId"),
        ({"state": "California"}, "state"),
        ({"zipCode": "9262"}, "zipCode"),
        ({"phone": "555-0142"}, "phone"),
        ({"fax": "not a number"}, "fax"),
        ({"email": "fi-at-sunrise"}, "email"),
        ({"webSite": "ftp://sunrise.example"}, "webSite"),
        ({"timeZone": "PST"}, "timeZone"),
        ({"observesDaylightSaving": "maybe"}, "observesDaylightSaving"),
        ({"dealershipName": None}, "dealershipName"),
        ({"city": ""}, "city"),
        ({"dealer_code": "X1"}, "dealer_code"),
    ],
)
def test_malformed_requests_are_400s_naming_the_field(api, db, dealer, change, param):
    body = dealer_body(**change)
    err = assert_error(api.post("/set-dealer", json=body), 400, "invalid_request_error")
    assert err["param"] == param, err
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(SandboxPenLog)
                .where(SandboxPenLog.account == dealer.id)
            )
            == 0
        )


def test_missing_action_and_id_are_named(api):
    err = assert_error(api.post("/set-dealer", json={}), 400, "invalid_request_error")
    assert set(err["errors"]) == {"action", "penDealerId"}


def test_unregister_needs_only_action_and_id(api):
    pen_id = int(register(api)["dealer_id"])
    body = api.post("/set-dealer", json={"action": "UNREGISTER", "penDealerId": pen_id})
    assert body.get_json()["success"] == "Success"


def test_registration_shows_in_configuration_read_only(api):
    assert api.post("/configuration", json={}).status_code == 200
    assert "pen" not in api.get("/configuration").get_json()
    pen_id = int(register(api)["dealer_id"])
    conf = api.get("/configuration").get_json()
    reg = conf["pen"]["registration"]
    assert reg["pen_dealer_id"] == pen_id and reg["status"] == "registered"
    assert reg["last_action"] == "REGISTER" and isinstance(reg["last_change"], int)
    assert reg["object"] == "pen_registration" and reg["livemode"] is False
    assert "email" not in reg and "phone" not in reg
    api.post("/set-dealer", json={"action": "UNREGISTER", "penDealerId": pen_id})
    reg = api.get("/configuration").get_json()["pen"]["registration"]
    assert reg["status"] == "unregistered" and reg["last_action"] == "UNREGISTER"
    # Read-only: it cannot be written through /configuration.
    err = assert_error(
        api.patch("/configuration", json={"pen": {"registration": {"status": "registered"}}}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "pen.registration"


def test_pen_credentials_are_masked_in_configuration(live_api, db, dealer):
    tree = {"pen": {"environment": "qa", "username": "dealerhub-partner", "password": "s3cret-pw"}}
    body = live_api.post("/configuration", json=tree).get_json()
    assert body["pen"]["password"] == "********"
    assert body["pen"]["username"] == "dealerhub-partner"
    assert "s3cret-pw" not in json.dumps(live_api.get("/configuration").get_json())


def test_idempotency_key_replays_without_registering_twice(api, db, dealer):
    headers = {"Idempotency-Key": "register-sunrise-1"}
    first = api.post("/set-dealer", json=dealer_body(), headers=headers)
    second = api.post("/set-dealer", json=dealer_body(), headers=headers)
    assert second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
    assert second.get_json()["success"] == "Success"  # not a DEALER_ALREADY_REGISTERED refusal
    assert len(events_of(db, dealer.id, "pen.dealer_registered")) == 1
    different = api.post(
        "/set-dealer", json=dealer_body(dealershipName="Other Name"), headers=headers
    )
    assert_error(different, 400, "idempotency_error")


def test_publishable_key_may_not_register(pk_api):
    assert_error(pk_api.post("/set-dealer", json=dealer_body()), 403, "permission_error")


def test_no_key_is_401(client):
    assert_error(client.post("/set-dealer", json=dealer_body()), 401, "authentication_error")


def test_test_and_live_registrations_never_mix(api, live_api, swap_connectors):
    register(api)
    # Live mode without PEN credentials: a configuration error naming the field, not the sandbox.
    err = assert_error(
        live_api.post("/set-dealer", json=dealer_body()), 400, "invalid_request_error"
    )
    assert err["code"] == "configuration_incomplete" and err["param"] == "pen.username"
    # Live mode has no registration of its own: an UPDATE there is refused.
    body = live_api.post("/set-dealer", json=dealer_body("UPDATE", DEALER_ID_BASE + 1)).get_json()
    assert body["error"]["error_code"] == "DEALER_NOT_REGISTERED"


def test_update_keeps_what_it_does_not_send_and_null_clears(api, db, dealer):
    pen_id = int(register(api)["dealer_id"])  # isTestDealer true, fax and e-mail set
    minimal = {
        k: v
        for k, v in dealer_body("UPDATE", pen_id, dealershipName="Sunrise Motors II").items()
        if k in ("action", "penDealerId", "dealershipName", "address1", "city", "state")
        or k in ("zipCode", "phone", "timeZone")
    }
    minimal["fax"] = None
    assert api.post("/set-dealer", json=minimal).get_json()["success"] == "Success"
    with db.transaction() as s:
        remote = s.get(SandboxPenDealer, pen_id - DEALER_ID_BASE)
        sent = json.loads(remote.profile)
        reg = s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).one()
    assert sent["dealership_name"] == "Sunrise Motors II"
    assert sent["is_test_dealer"] is True and reg.is_test_dealer is True  # kept, not reset
    assert sent["email"] == "fi@sunrisemotors.example"  # kept
    assert sent["fax"] is None  # cleared by the explicit null
