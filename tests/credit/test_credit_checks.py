from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import select

from dealerhub.audit import AuditEntry
from dealerhub.credit.models import CreditCheck
from dealerhub.events.models import Event
from tests.conftest import assert_error
from tests.credit.conftest import DOB, LICENCE, SSN, SSN_DIGITS, applicant

PII = [SSN, SSN_DIGITS, DOB, LICENCE, "D12345678901"]


def test_sandbox_check_is_masked_and_deterministic(api):
    r = api.post("/credit/check", json=applicant(), headers={"x-service-provider": "transunion"})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["id"].startswith("cc_") and body["object"] == "credit_check"
    assert body["status"] == "completed" and body["provider"] == "transunion"
    assert body["pull_type"] == "soft" and body["permissible_purpose"] == "written_instruction"
    assert body["social_security_number"] == "***-**-4567"
    assert body["consumer"] == {
        "first_name": "Ada",
        "middle_name": "K",
        "last_name": "Lovelace",
        "date_of_birth": "****-**-**",
    }
    assert body["phones"][0]["number"] == "***-***-3344"
    score = body["risk_model"]["score"]
    assert 300 <= score <= 850
    assert all("description" in f for f in body["risk_model"]["score_factor"])
    trade = body["trade"][0]
    assert trade["account_number"].startswith("******")
    assert set(trade["payment_data"]) >= {"enhanced_payment_status", "high_balance_amount"}
    aa = body["adverse_action"]
    assert aa["score"] == score and aa["score_range"] == {"min": 300, "max": 850}
    assert aa["bureau"]["name"] == "TransUnion LLC" and 1 <= len(aa["key_factors"]) <= 5
    text = r.get_data(as_text=True)
    assert not any(p in text for p in PII)
    again = api.post("/credit/check", json=applicant(force=True))
    assert again.get_json()["risk_model"]["score"] == score
    assert again.get_json()["id"] != body["id"]


@pytest.mark.parametrize(("last", "status"), [("Nohit", "no_hit"), ("Frozen", "frozen")])
def test_magic_last_names(api, last, status):
    body = api.post("/credit/check", json=applicant(last_name=last)).get_json()
    assert body["status"] == status
    assert body["risk_model"] is None and body["adverse_action"] is None


def test_timeout_is_504_retryable_and_recorded_as_failed(api, db, dealer):
    r = api.post("/credit/check", json=applicant(last_name="Timeout"))
    body = assert_error(r, 504, "provider_error", "bureau_timeout")
    assert body["retryable"] is True
    check_id = body["credit_check"]
    got = api.get(f"/credit/checks/{check_id}").get_json()
    assert got["status"] == "failed" and got["failure_code"] == "timeout"
    with db.transaction() as s:
        types = [e.type for e in s.scalars(select(Event).where(Event.dealer_id == dealer.id))]
    assert "credit_check.failed" in types


def test_hard_pull_timeout_is_not_retryable(api):
    consent = {**applicant()["consent"], "pull_type": "hard"}
    r = api.post(
        "/credit/check", json=applicant(last_name="Timeout", pull_type="hard", consent=consent)
    )
    assert assert_error(r, 504, "provider_error")["retryable"] is False


def test_once_a_day_unless_forced(api):
    first = api.post("/credit/check", json=applicant())
    assert first.headers["Credit-Check-Reused"] == "false"
    second = api.post("/credit/check", json=applicant())
    assert second.headers["Credit-Check-Reused"] == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    consent = {**applicant()["consent"], "pull_type": "hard"}
    hard = api.post("/credit/check", json=applicant(pull_type="hard", consent=consent))
    assert hard.get_json()["id"] != first.get_json()["id"]  # other pull type: its own pull
    forced = api.post("/credit/check", json=applicant(force=True))
    assert forced.get_json()["id"] != first.get_json()["id"]
    assert forced.get_json()["forced"] is True


def test_other_dealer_does_not_reuse(api, client, app):
    from tests.conftest import Api, make_dealer

    first = api.post("/credit/check", json=applicant()).get_json()
    other = Api(client, make_dealer(app).secret_key)
    assert other.post("/credit/check", json=applicant()).get_json()["id"] != first["id"]
    assert_error(other.get(f"/credit/checks/{first['id']}"), 404, "invalid_request_error")


def test_soft_consent_never_authorises_hard_pull(api, db, dealer):
    r = api.post("/credit/check", json=applicant(pull_type="hard"))
    body = assert_error(r, 400, "invalid_request_error", "consent_insufficient")
    assert body["param"] == "consent.pull_type"
    with db.transaction() as s:
        rows = s.scalars(select(CreditCheck).where(CreditCheck.dealer_id == dealer.id)).all()
        assert rows == []


def test_consent_is_required_and_fresh(api):
    body = applicant()
    del body["consent"]
    assert (
        assert_error(api.post("/credit/check", json=body), 400, "invalid_request_error")["param"]
        == "consent"
    )
    stale = {**applicant()["consent"], "obtained_at": 1_000_000}
    r = api.post("/credit/check", json=applicant(consent=stale))
    assert assert_error(r, 400, "invalid_request_error", "consent_insufficient")["param"] == (
        "consent.obtained_at"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("social_security_number", "078-05-1120"),
        ("social_security_number", "666-12-3456"),
        ("date_of_birth", "2015-01-01"),
        ("date_of_birth", "19-07-1984"),
        ("addresses", []),
        ("pull_type", "medium"),
    ],
)
def test_invalid_applicant_is_400_naming_field_without_echo(api, field, value):
    r = api.post("/credit/check", json=applicant(**{field: value}))
    body = assert_error(r, 400, "invalid_request_error")
    assert body["param"] == field
    if isinstance(value, str):
        assert value not in r.get_data(as_text=True)


def test_unknown_provider_lists_allowed(api):
    r = api.post("/credit/check", json=applicant(), headers={"x-service-provider": "equifax"})
    body = assert_error(r, 400, "invalid_request_error")
    assert "transunion" in body["message"]


def test_get_and_list_are_masked_and_audited(api, db, dealer):
    created = api.post("/credit/check", json=applicant()).get_json()
    got = api.get(f"/credit/checks/{created['id']}")
    assert got.get_json() == created
    listed = api.get("/credit/checks").get_json()
    assert listed["object"] == "list" and listed["data"][0] == created
    assert api.get("/credit/checks?status=failed").get_json()["data"] == []
    with db.transaction() as s:
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.dealer_id == dealer.id)))
    actions = [a.action for a in audits]
    assert actions.count("credit_check.pull") == 1
    assert actions.count("credit_check.view") == 2  # one GET, one listed item
    pull = next(a for a in audits if a.action == "credit_check.pull")
    assert pull.permissible_purpose == "written_instruction"
    assert pull.actor.startswith("api_key:secret:") and pull.request_id.startswith("req_")


def test_pii_never_in_logs_events_errors_or_plain_columns(api, db, dealer, caplog):
    caplog.set_level(logging.DEBUG)
    api.post("/credit/check", json=applicant())
    api.post("/credit/check", json=applicant(last_name="Timeout"))
    api.post("/credit/check", json=applicant(last_name="Nohit"))
    api.post("/credit/check", json=applicant(date_of_birth="2015-01-01"))
    logs = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    with db.transaction() as s:
        events = [
            json.dumps(e.data) for e in s.scalars(select(Event).where(Event.dealer_id == dealer.id))
        ]
        audits = [
            json.dumps(a.details)
            for a in s.scalars(select(AuditEntry).where(AuditEntry.dealer_id == dealer.id))
        ]
    with db.engine.connect() as conn:
        rows = [str(tuple(r)) for r in conn.exec_driver_sql("SELECT * FROM credit_checks")]
    assert events and rows
    for blob in [logs, *events, *audits, *rows]:
        for value in PII:
            assert value not in blob


def test_raw_response_retention_purge(api, app, db, dealer, monkeypatch):
    from dealerhub.credit import service
    from dealerhub.credit.tasks import purge_expired_raw_responses

    created = api.post("/credit/check", json=applicant()).get_json()
    assert created["raw_response_retained"] is True
    purge_expired_raw_responses.delay()
    assert api.get(f"/credit/checks/{created['id']}").get_json()["raw_response_retained"]
    monkeypatch.setattr(service, "now", lambda: created["created"] + 91 * 86400)
    purge_expired_raw_responses.delay()
    got = api.get(f"/credit/checks/{created['id']}").get_json()
    assert got["raw_response_retained"] is False
    assert got["risk_model"] == created["risk_model"]  # the parsed report stays


def test_publishable_key_cannot_pull(pk_api):
    assert_error(pk_api.post("/credit/check", json=applicant()), 403, "permission_error")


def test_two_identical_pulls_at_once_reach_the_bureau_once(app, dealer, swap_connectors):
    import threading
    import time as clock

    from dealerhub.connectors.credit.sandbox import SandboxBureau

    class SlowBureau(SandboxBureau):
        def __init__(self) -> None:
            self.pulls = 0

        def pull(self, request):  # type: ignore[no-untyped-def]
            self.pulls += 1
            clock.sleep(0.3)  # both requests are inside the check-then-pull window
            return super().pull(request)

    bureau = SlowBureau()
    swap_connectors(bureau_override=lambda _s, _t, _p: bureau)
    ids: list[str] = []

    def pull() -> None:
        r = app.test_client().post(
            "/credit/check",
            json=applicant(),
            headers={"Authorization": f"Bearer {dealer.secret_key}"},
        )
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        ids.append(r.get_json()["id"])

    threads = [threading.Thread(target=pull) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bureau.pulls == 1 and len(set(ids)) == 1
