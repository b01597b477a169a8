from __future__ import annotations

import pytest

from tests.conftest import Api, assert_error, make_dealer


def test_missing_key_is_401(toy_client):
    body = assert_error(toy_client.get("/toy/widgets"), 401, "authentication_error")
    assert body["code"] == "api_key_missing"


@pytest.mark.parametrize(
    "key", ["sk_test_nope", "garbage", "pk_live_" + "x" * 40, "Bearer", "sk_test_"]
)
def test_unknown_key_is_401(toy_client, key):
    response = toy_client.get("/toy/widgets", headers={"Authorization": f"Bearer {key}"})
    assert_error(response, 401, "authentication_error", "api_key_invalid")


def test_x_api_key_header_works(toy_client, toy_dealer):
    response = toy_client.get("/toy/widgets", headers={"X-Api-Key": toy_dealer.secret_key})
    assert response.status_code == 200


def test_publishable_key_on_secret_endpoint_is_403(toy_client, toy_dealer):
    pk = Api(toy_client, toy_dealer.publishable_key)
    assert_error(pk.get("/toy/widgets"), 403, "permission_error")
    assert_error(pk.post("/toy/widgets", json={"name": "x"}), 403, "permission_error")


def test_publishable_key_allowed_where_marked(toy_client, toy_dealer):
    sk = Api(toy_client, toy_dealer.secret_key)
    widget = sk.post("/toy/widgets", json={"name": "w"}).get_json()
    pk = Api(toy_client, toy_dealer.publishable_key)
    assert pk.get(f"/toy/widgets/{widget['id']}").status_code == 200


def test_other_dealer_and_other_mode_see_404(toy_app, toy_client, toy_dealer):
    sk = Api(toy_client, toy_dealer.secret_key)
    widget = sk.post("/toy/widgets", json={"name": "w"}).get_json()
    other = make_dealer(toy_app, "Other Motors")
    for key in (other.secret_key, toy_dealer.live_secret_key):
        response = Api(toy_client, key).get(f"/toy/widgets/{widget['id']}")
        assert_error(response, 404, "invalid_request_error", "resource_missing")
    live_list = Api(toy_client, toy_dealer.live_secret_key).get("/toy/widgets").get_json()
    assert live_list["data"] == []


def test_rolled_keys_stop_working_and_grace_period(toy_app, toy_client, toy_dealer, db):
    from dealerhub.dealers.service import roll_keys

    with db.transaction() as session:
        new = roll_keys(session=session, dealer_id=toy_dealer.id, livemode=False)
    old = toy_client.get("/toy/widgets", headers={"X-Api-Key": toy_dealer.secret_key})
    assert_error(old, 401, "authentication_error")
    ok = toy_client.get("/toy/widgets", headers={"X-Api-Key": new.secret_key})
    assert ok.status_code == 200
    # live keys were not touched
    live = toy_client.get("/toy/widgets", headers={"X-Api-Key": toy_dealer.live_secret_key})
    assert live.status_code == 200
    with db.transaction() as session:
        newer = roll_keys(
            session=session, dealer_id=toy_dealer.id, livemode=False, grace_seconds=3600
        )
    assert toy_client.get("/toy/widgets", headers={"X-Api-Key": new.secret_key}).status_code == 200
    assert (
        toy_client.get("/toy/widgets", headers={"X-Api-Key": newer.secret_key}).status_code == 200
    )


def test_keys_are_hashed_at_rest(db, toy_dealer):
    from sqlalchemy import text

    with db.transaction() as session:
        rows = session.execute(
            text("SELECT key_hash, prefix, last4 FROM api_keys WHERE dealer_id = :d"),
            {"d": toy_dealer.id},
        ).all()
    stored = " ".join(" ".join(r) for r in rows)
    assert toy_dealer.secret_key not in stored
    assert toy_dealer.secret_key[-4:] in stored  # only the last four are kept for display
