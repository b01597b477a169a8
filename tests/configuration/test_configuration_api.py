from __future__ import annotations

import json

from sqlmodel import select

from dealerhub.audit import AuditEntry
from dealerhub.configuration.models import Configuration
from dealerhub.configuration.service import resolved_config
from dealerhub.events.models import Event
from dealerhub.tenancy import Tenant
from tests.configuration.conftest import full_tree
from tests.conftest import assert_error

SECRETS = ["sys-pass-1", "sub-pass-1", "dt-pass-1"]


def events(db, dealer_id, type_):
    with db.transaction() as s:
        rows = s.scalars(
            select(Event)
            .where(Event.dealer_id == dealer_id, Event.type == type_)
            .order_by(Event.created, Event.id)  # in the order they happened (PostgreSQL has none)
        )
        return [r.data for r in rows]


def test_create_masks_secrets_and_get_round_trips(api, db, dealer):
    r = api.post("/configuration", json=full_tree())
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["object"] == "configuration" and body["id"].startswith("conf_")
    tu = body["credit_application"]["transunion"]
    assert tu["system_password"] == "********"
    assert tu["system_id"] == "DEALERSYS"
    dms = body["dealer_management_system"]["dealer_track"]["dms"]
    assert dms["password"] == "********" and dms["username"] == "dtuser"
    text = r.get_data(as_text=True)
    assert not any(s in text for s in SECRETS)
    assert api.get("/configuration").get_json() == body


def test_secrets_are_encrypted_at_rest(api, db, dealer):
    api.post("/configuration", json=full_tree())
    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "SELECT tree FROM configurations WHERE dealer_id = ?"
            if db.is_sqlite
            else "SELECT tree FROM configurations WHERE dealer_id = %s",
            (dealer.id,),
        ).scalar_one()
    assert "sys-pass-1" not in raw and "DEALERSYS" not in raw


def test_post_twice_is_409(api):
    assert api.post("/configuration", json={}).status_code == 200
    assert_error(api.post("/configuration", json={}), 409, "invalid_request_error")


def test_get_without_configuration_is_404(api):
    assert_error(api.get("/configuration"), 404, "invalid_request_error", "resource_missing")


def test_patch_deep_merges_and_mask_keeps_value(api, app, dealer):
    api.post("/configuration", json=full_tree())
    r = api.patch(
        "/configuration",
        json={
            "credit_application": {
                "transunion": {"system_password": "********", "subscriber_code": "7654321"}
            }
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    tu = r.get_json()["credit_application"]["transunion"]
    assert tu["subscriber_code"] == "7654321" and tu["system_id"] == "DEALERSYS"
    with app.extensions["db"].transaction() as s:
        tree = resolved_config(s, Tenant(dealer.id, False))
    assert tree["credit_application"]["transunion"]["system_password"] == "sys-pass-1"
    assert tree["dealer_management_system"]["dealer_track"]["dms"]["password"] == "dt-pass-1"


def test_patch_null_removes_property(api):
    api.post("/configuration", json=full_tree())
    r = api.patch("/configuration", json={"fraud_identification": {"api_url": None}})
    assert "api_url" not in r.get_json()["fraud_identification"]


def test_mask_without_stored_value_is_400(api):
    api.post("/configuration", json={})
    body = assert_error(
        api.patch("/configuration", json={"fraud_identification": {"api_key": "********"}}),
        400,
        "invalid_request_error",
    )
    assert body["param"] == "fraud_identification.api_key"


def test_removed_and_unknown_properties_name_the_path(api):
    api.post("/configuration", json={})
    cases = {
        "credit_application.credit_ttl": {"credit_application": {"credit_ttl": 30}},
        "fraud_identification.fraud_ttl": {"fraud_identification": {"fraud_ttl": 30}},
        "inventory_server": {"inventory_server": {}},
        "dealer_management_system.dealer_track.multilender": {
            "dealer_management_system": {"dealer_track": {"multilender": {}}}
        },
        "credit_application.transunion.colour": {
            "credit_application": {"transunion": {"colour": "red"}}
        },
    }
    for path, payload in cases.items():
        for method in (api.patch, api.post):
            body = assert_error(
                method("/configuration", json=payload), 400, "invalid_request_error"
            )
            assert body["param"] == path, body
            assert body["code"] == "parameter_unknown"


def test_invalid_value_is_400_and_changes_nothing(api):
    api.post("/configuration", json=full_tree())
    before = api.get("/configuration").get_json()
    bad = {"credit_application": {"transunion": {"api_url": "http://plain.example"}}}
    body = assert_error(api.patch("/configuration", json=bad), 400, "invalid_request_error")
    assert body["param"] == "credit_application.transunion.api_url"
    assert api.get("/configuration").get_json() == before


def test_updated_event_lists_changed_paths_never_values(api, db, dealer):
    api.post("/configuration", json=full_tree())
    api.patch(
        "/configuration",
        json={"credit_application": {"transunion": {"system_password": "new-pass-2"}}},
    )
    api.patch("/configuration", json={"credit_application": {"transunion": {}}})  # no change
    data = events(db, dealer.id, "configuration.updated")
    assert len(data) == 2
    assert data[1]["object"]["changed_paths"] == ["credit_application.transunion.system_password"]
    assert "credit_application.transunion.system_id" in data[0]["object"]["changed_paths"]
    dumped = json.dumps(data)
    for value in [*SECRETS, "new-pass-2", "DEALERSYS", "dtuser"]:
        assert value not in dumped


def test_audit_records_actor_and_request(api, db, dealer):
    r = api.post("/configuration", json=full_tree())
    with db.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.dealer_id == dealer.id)).one()
    assert entry.actor.startswith("api_key:secret:")
    assert entry.action == "configuration.created"
    assert entry.request_id == r.headers["Request-Id"]
    assert entry.created > 0
    assert "sys-pass-1" not in json.dumps(entry.details)


def test_delete_then_404_and_modes_are_separate(api, live_api, db, dealer):
    api.post("/configuration", json=full_tree())
    assert_error(live_api.get("/configuration"), 404, "invalid_request_error")
    r = api.delete("/configuration")
    assert r.get_json()["deleted"] is True
    assert_error(api.get("/configuration"), 404, "invalid_request_error")
    with db.transaction() as s:
        assert (
            s.scalars(select(Configuration).where(Configuration.dealer_id == dealer.id)).all() == []
        )


def test_resolved_config_is_empty_without_configuration(app, dealer):
    with app.extensions["db"].transaction() as s:
        assert resolved_config(s, Tenant(dealer.id, False)) == {}


def test_publishable_key_is_refused(pk_api):
    assert_error(pk_api.get("/configuration"), 403, "permission_error")
