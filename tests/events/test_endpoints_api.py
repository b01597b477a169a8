import pytest
from sqlalchemy import text

from dealerhub.events import urls
from dealerhub.webhooks import verify
from tests.conftest import assert_error
from tests.events.conftest import emit


def create(api, url, events=("*",), **extra):
    return api.post(
        "/webhook-endpoints", json={"url": url, "enabled_events": list(events), **extra}
    )


def test_crud_secret_shown_once_and_encrypted(api, db, receiver):
    r = create(
        api, receiver.url, ["payment_intent.*"], description="site", metadata={"site": "main"}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    we, secret = body["id"], body["secret"]
    assert we.startswith("we_") and secret.startswith("whsec_")
    assert body["status"] == "enabled" and body["metadata"] == {"site": "main"}
    got = api.get(f"/webhook-endpoints/{we}").get_json()
    assert "secret" not in got
    assert all("secret" not in e for e in api.get("/webhook-endpoints").get_json()["data"])
    with db.transaction() as session:
        raw = session.execute(
            text("SELECT secret FROM webhook_endpoints WHERE id = :i"), {"i": we}
        ).scalar_one()
    assert secret not in raw and raw.startswith("gAAAA")  # a Fernet token
    r = api.patch(
        f"/webhook-endpoints/{we}",
        json={"enabled_events": ["*"], "disabled": True, "metadata": {"site": ""}},
    )
    assert r.get_json()["status"] == "disabled" and r.get_json()["metadata"] == {}
    assert r.get_json()["enabled_events"] == ["*"]
    assert api.delete(f"/webhook-endpoints/{we}").get_json()["deleted"] is True
    assert_error(
        api.get(f"/webhook-endpoints/{we}"), 404, "invalid_request_error", "resource_missing"
    )


def test_validation_names_the_field_and_changes_nothing(api):
    for payload, param in [
        ({"url": "not a url", "enabled_events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1/x", "enabled_events": []}, "enabled_events"),
        ({"url": "http://127.0.0.1/x", "enabled_events": ["Bad Type"]}, "enabled_events.0"),
        ({"url": "http://127.0.0.1/x", "enabled_events": ["*"], "extra": 1}, "extra"),
        (
            {"url": "http://127.0.0.1/x", "enabled_events": ["*"], "metadata": {"k" * 41: "v"}},
            "metadata",
        ),
    ]:
        body = assert_error(
            api.post("/webhook-endpoints", json=payload), 400, "invalid_request_error"
        )
        assert body["param"] == param, body
    assert api.get("/webhook-endpoints").get_json()["data"] == []


@pytest.fixture
def fake_dns(monkeypatch):
    table = {
        "public.example": ["93.184.216.34"],
        "internal.example": ["10.1.2.3"],
        "rebind.example": ["93.184.216.34", "127.0.0.1"],
    }
    monkeypatch.setattr(urls, "resolve", lambda host, port: table[host])


def test_live_mode_requires_https_and_public_addresses(live_api, api, fake_dns):
    assert create(live_api, "https://public.example/hook").status_code == 200
    refused = [
        "http://public.example/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://internal.example/hook",
        "https://rebind.example/hook",
        "https://[::1]/hook",
        "https://10.0.0.8/h",
        "https://[::ffff:127.0.0.1]/h",
        "https://user:pw@public.example/h",
    ]
    for url in refused:
        body = assert_error(create(live_api, url), 400, "invalid_request_error")
        assert body["param"] == "url", url
    # test mode allows http and loopback, but still not private or link-local ranges
    assert create(api, "http://127.0.0.1:9/hook").status_code == 200
    assert_error(create(api, "http://169.254.169.254/"), 400, "invalid_request_error")
    assert_error(create(api, "http://internal.example/"), 400, "invalid_request_error")


def test_allow_private_lifts_the_address_check(app, live_api, monkeypatch, fake_dns):
    settings = app.extensions["settings"]
    monkeypatch.setitem(
        app.extensions, "settings", settings.with_overrides(webhook_allow_private=True)
    )
    assert create(live_api, "https://internal.example/hook").status_code == 200
    assert_error(
        create(live_api, "http://internal.example/hook"),
        400,
        "invalid_request_error",
        "url_invalid",
    )


def test_roll_secret_with_overlap_signs_twice(app, api, dealer, receiver, clock):
    first = create(api, receiver.url).get_json()
    old = first["secret"]
    rolled = api.post(f"/webhook-endpoints/{first['id']}/roll-secret", json={"overlap": 3600})
    new = rolled.get_json()["secret"]
    assert new != old and new.startswith("whsec_")
    emit(app, dealer.id, "customer.created")
    assert receiver.wait_for(1)
    req = receiver.requests[0]
    header = req.headers["Dealerhub-Signature"]
    assert header.count("v1=") == 2
    assert verify(req.body, header, new, now=clock.t)
    assert verify(req.body, header, old, now=clock.t)
    clock.advance(3601)  # overlap over: only the new secret signs
    emit(app, dealer.id, "customer.updated")
    assert receiver.wait_for(2)
    header = receiver.requests[1].headers["Dealerhub-Signature"]
    assert header.count("v1=") == 1
    assert verify(receiver.requests[1].body, header, new, now=clock.t)
    # a roll without overlap drops the old secret at once
    newest = api.post(f"/webhook-endpoints/{first['id']}/roll-secret").get_json()["secret"]
    emit(app, dealer.id, "customer.deleted")
    assert receiver.wait_for(3)
    header = receiver.requests[2].headers["Dealerhub-Signature"]
    assert header.count("v1=") == 1
    assert verify(receiver.requests[2].body, header, newest, now=clock.t)
    assert_error(
        api.post(f"/webhook-endpoints/{first['id']}/roll-secret", json={"overlap": -1}),
        400,
        "invalid_request_error",
    )


def test_ipv6_addresses_that_embed_a_private_ipv4_are_refused(live_api, fake_dns):
    for url in (
        "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "https://[64:ff9b:1::a00:8]/",  # local-use NAT64 of 10.0.0.8
        "https://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
        "https://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
    ):
        body = assert_error(create(live_api, url), 400, "invalid_request_error", "url_invalid")
        assert body["param"] == "url", url
    assert create(live_api, "https://[64:ff9b::808:808]/hook").status_code == 200  # 8.8.8.8
