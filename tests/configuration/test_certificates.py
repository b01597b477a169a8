from __future__ import annotations

import io
import os
import stat

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlmodel import select

from dealerhub import crypto
from dealerhub.cli import main
from dealerhub.clikit import Context
from dealerhub.configuration.models import Certificate
from dealerhub.events.models import Event
from tests.configuration.conftest import PASSWORD, b64, full_tree
from tests.configuration.pki import (
    client_p12,
    expired_p12,
    mismatched_p12,
    not_yet_valid_p12,
)
from tests.conftest import assert_error

CERT_PARAM = "credit_application.transunion.certificate_file"


def certs(db, dealer_id):
    with db.transaction() as s:
        return list(s.scalars(select(Certificate).where(Certificate.dealer_id == dealer_id)))


def test_upload_in_configuration_stores_encrypted_0600_file(api, app, db, dealer, p12_bytes):
    r = api.post("/configuration", json=full_tree(p12_bytes))
    assert r.status_code == 200, r.get_data(as_text=True)
    tu = r.get_json()["credit_application"]["transunion"]
    assert tu["certificate_file"] == "certificate_1"
    assert tu["certificate_password"] == "********"
    info = tu["certificate"]
    assert info["subject"] == "CN=dealer-client,O=Test Motors"
    assert info["issuer"].startswith("CN=dealerhub test CA")
    assert len(info["fingerprint_sha256"]) == 64
    assert 363 <= info["days_until_expiry"] <= 365
    assert info["not_after"].endswith("Z") and info["serial_number"]
    (cert,) = certs(db, dealer.id)
    path = app.extensions["settings"].certs_dir / cert.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = path.read_bytes()
    assert p12_bytes not in stored and crypto.decrypt_bytes(stored) == p12_bytes
    # PATCHing the read-back name (or the mask) keeps the certificate.
    r = api.patch(
        "/configuration",
        json={"credit_application": {"transunion": {"certificate_file": "certificate_1"}}},
    )
    assert r.get_json()["credit_application"]["transunion"]["certificate"]["id"] == cert.id
    r = api.patch(
        "/configuration",
        json={"credit_application": {"transunion": {"certificate_file": "********"}}},
    )
    assert r.get_json()["credit_application"]["transunion"]["certificate"]["id"] == cert.id


@pytest.mark.parametrize(
    ("make", "password", "code", "param"),
    [
        (
            lambda: client_p12(PASSWORD),
            "wrong-password",
            "certificate_password_incorrect",
            "credit_application.transunion.certificate_password",
        ),
        (lambda: expired_p12(PASSWORD), PASSWORD, "certificate_expired", CERT_PARAM),
        (lambda: not_yet_valid_p12(PASSWORD), PASSWORD, "certificate_not_yet_valid", CERT_PARAM),
        (lambda: mismatched_p12(PASSWORD), PASSWORD, "certificate_key_mismatch", CERT_PARAM),
        (
            lambda: b"this is not a pkcs12 file at all" * 4,
            PASSWORD,
            "certificate_unreadable",
            CERT_PARAM,
        ),
    ],
)
def test_every_failure_code_keeps_previous_certificate(
    api, db, dealer, make, password, code, param
):
    first = api.post("/configuration", json=full_tree(client_p12(PASSWORD))).get_json()
    first_cert = first["credit_application"]["transunion"]["certificate"]
    patch = {
        "credit_application": {
            "transunion": {"certificate_file": b64(make()), "certificate_password": password}
        }
    }
    body = assert_error(api.patch("/configuration", json=patch), 400, "invalid_request_error", code)
    assert body["param"] == param
    assert password not in body["message"]
    now = api.get("/configuration").get_json()["credit_application"]["transunion"]
    assert now["certificate"] == first_cert
    assert [c.active for c in certs(db, dealer.id)] == [True]


def test_not_base64_is_unreadable(api):
    bad = {
        "credit_application": {
            "transunion": {"certificate_file": "%%%not base64%%%", "certificate_password": PASSWORD}
        }
    }
    body = assert_error(
        api.post("/configuration", json=bad), 400, "invalid_request_error", "certificate_unreadable"
    )
    assert body["param"] == CERT_PARAM


def test_oversized_is_unreadable(api):
    bad = {
        "credit_application": {
            "transunion": {"certificate_file": b64(b"0" * 70_000), "certificate_password": PASSWORD}
        }
    }
    assert_error(api.post("/configuration", json=bad), 400, "invalid_request_error")


def test_replacing_certificate_retires_old_file(api, app, db, dealer):
    api.post("/configuration", json=full_tree(client_p12(PASSWORD)))
    (old,) = certs(db, dealer.id)
    r = api.patch(
        "/configuration",
        json={
            "credit_application": {
                "transunion": {
                    "certificate_file": b64(client_p12("other-pass")),
                    "certificate_password": "other-pass",
                }
            }
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["credit_application"]["transunion"]["certificate_file"] == "certificate_2"
    rows = {c.id: c for c in certs(db, dealer.id)}
    assert rows[old.id].active is False
    assert not (app.extensions["settings"].certs_dir / old.path).exists()


def test_new_password_for_active_certificate_is_checked(api):
    api.post("/configuration", json=full_tree(client_p12(PASSWORD)))
    body = assert_error(
        api.patch(
            "/configuration",
            json={"credit_application": {"transunion": {"certificate_password": "not-it"}}},
        ),
        400,
        "invalid_request_error",
        "certificate_password_incorrect",
    )
    assert body["param"] == "credit_application.transunion.certificate_password"


def test_multipart_upload(api, p12_bytes):
    r = api.client.post(
        "/configuration/certificates",
        data={"password": PASSWORD, "file": (io.BytesIO(p12_bytes), "dealer.p12")},
        headers={"Authorization": f"Bearer {api.key}"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["credit_application"]["transunion"]["certificate_file"] == "certificate_1"
    r = api.client.post(
        "/configuration/certificates",
        data={"password": "nope", "file": (io.BytesIO(p12_bytes), "dealer.p12")},
        headers={"Authorization": f"Bearer {api.key}"},
        content_type="multipart/form-data",
    )
    assert_error(r, 400, "invalid_request_error", "certificate_password_incorrect")


def test_multipart_upload_requires_file(api):
    r = api.client.post(
        "/configuration/certificates",
        data={"password": PASSWORD},
        headers={"Authorization": f"Bearer {api.key}"},
        content_type="multipart/form-data",
    )
    assert_error(r, 400, "invalid_request_error")


def _cli(app, *args, input=None):
    ctx = Context(app=app)
    return CliRunner().invoke(main, list(args), obj=ctx, input=input)


def test_cli_upload_prompts_for_hidden_password(app, db, dealer, tmp_path, p12_bytes):
    f = tmp_path / "dealer.p12"
    f.write_bytes(p12_bytes)
    result = _cli(
        app,
        "certs",
        "upload",
        "--dealer",
        dealer.id,
        "--mode",
        "test",
        str(f),
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "certificate_1" in result.output
    assert PASSWORD not in result.output  # hide_input: not echoed
    (cert,) = certs(db, dealer.id)
    assert cert.livemode is False and cert.active
    bad = _cli(
        app, "certs", "upload", "--dealer", dealer.id, "--mode", "test", str(f), input="wrong\n"
    )
    assert bad.exit_code != 0 and "certificate_password_incorrect" in bad.output


def test_rotate_encryption_reencrypts_certificate_files(app, db, dealer, api, p12_bytes):
    api.post("/configuration", json=full_tree(p12_bytes))
    (cert,) = certs(db, dealer.id)
    path = app.extensions["settings"].certs_dir / cert.path
    before = path.read_bytes()
    old_keys = list(app.extensions["settings"].encryption_keys)
    new_key = Fernet.generate_key().decode()
    crypto.configure([new_key, *old_keys])
    try:
        result = _cli(app, "keys", "rotate-encryption")
        assert result.exit_code == 0, result.output
        after = path.read_bytes()
        assert after != before
        assert Fernet(new_key.encode()).decrypt(after) == p12_bytes
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        crypto.configure([*old_keys, new_key])  # keep both: the rotated values need new_key


def test_health_reports_each_integration(api):
    r = api.get("/configuration/health")
    assert {i["status"] for i in r.get_json()["integrations"]} == {"not_configured"}
    tree = full_tree(client_p12(PASSWORD))
    del tree["credit_application"]["transunion"]["system_password"]
    api.post("/configuration", json=tree)
    items = {i["name"]: i for i in api.get("/configuration/health").get_json()["integrations"]}
    assert items["transunion"]["status"] == "incomplete"
    assert items["transunion"]["missing_fields"] == ["system_password"]
    assert items["transunion"]["certificate"]["days_until_expiry"] >= 363
    assert items["dealer_track"]["status"] == "configured"
    assert items["fraud_identification"]["missing_fields"] == ["api_key"]


def test_expiry_task_notices_at_thresholds_once(app, api, db, dealer, monkeypatch):
    from dealerhub.configuration import health
    from dealerhub.configuration.tasks import certificate_expiry_notices

    api.post("/configuration", json=full_tree(client_p12(PASSWORD, days_valid=20)))
    (cert,) = certs(db, dealer.id)

    def kinds():
        with db.transaction() as s:
            rows = s.scalars(
                select(Event).where(Event.dealer_id == dealer.id, Event.type.like("certificate.%"))
            )
            return [(e.type, e.data["object"]["days_until_expiry"]) for e in rows]

    certificate_expiry_notices.delay()
    certificate_expiry_notices.delay()
    ((kind, days),) = kinds()
    assert kind == "certificate.expiring" and days in (19, 20)
    monkeypatch.setattr(health, "now", lambda: cert.not_after - 6 * 86400 - 10)
    monkeypatch.setattr(
        "dealerhub.configuration.service.now", lambda: cert.not_after - 6 * 86400 - 10
    )
    monkeypatch.setattr("dealerhub.db.now", lambda: cert.not_after - 6 * 86400 - 10)
    certificate_expiry_notices.delay()
    assert ("certificate.expiring", 6) in kinds()
    monkeypatch.setattr(health, "now", lambda: cert.not_after + 10)
    monkeypatch.setattr("dealerhub.configuration.service.now", lambda: cert.not_after + 10)
    monkeypatch.setattr("dealerhub.db.now", lambda: cert.not_after + 10)
    certificate_expiry_notices.delay()
    certificate_expiry_notices.delay()
    assert sorted(k for k, _ in kinds()) == ["certificate.expired"] + ["certificate.expiring"] * 2
    items = {i["name"]: i for i in api.get("/configuration/health").get_json()["integrations"]}
    assert items["transunion"]["status"] == "expired"


def test_multipart_upload_requires_password(api, p12_bytes):
    r = api.client.post(
        "/configuration/certificates",
        data={"file": (io.BytesIO(p12_bytes), "dealer.p12")},
        headers={"Authorization": f"Bearer {api.key}"},
        content_type="multipart/form-data",
    )
    assert assert_error(r, 400, "invalid_request_error")["param"] == "password"


def test_a_rolled_back_upload_leaves_no_file(app, db, dealer, p12_bytes):
    from dealerhub.configuration.certificates import CertStore
    from dealerhub.configuration.service import upload_certificate
    from dealerhub.tenancy import Tenant

    store = CertStore(app.extensions["settings"].certs_dir)
    root = app.extensions["settings"].certs_dir / dealer.id
    before = set(root.rglob("*")) if root.exists() else set()
    written: set = set()

    def upload_then_fail() -> None:
        with db.transaction() as session:
            upload_certificate(
                session, Tenant(dealer.id, True), p12_bytes, PASSWORD, actor="test", store=store
            )
            written.update(set(root.rglob("*.enc")) - before)
            raise RuntimeError("the request failed after the upload")

    with pytest.raises(RuntimeError):
        upload_then_fail()
    assert written  # the encrypted file was written before the commit...
    assert set(root.rglob("*.enc")) - before == set()  # ...and removed by the rollback
