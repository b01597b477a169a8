"""Live mode: the TransUnion connector's wire format (``responses``) and real mutual TLS
against a local HTTPS server that requires a client certificate from a test CA."""

from __future__ import annotations

import http.server
import ssl
import threading
from pathlib import Path

import pytest
import responses
from defusedxml import ElementTree as SafeET
from sqlmodel import select

from dealerhub.connectors.credit import tls
from dealerhub.credit.models import CreditCheck
from tests.configuration.conftest import PASSWORD, full_tree
from tests.configuration.pki import CA, client_p12, shared_ca, write_server_files
from tests.conftest import assert_error
from tests.credit.conftest import DOB, LICENCE, SSN, SSN_DIGITS, applicant

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://netaccess-test.transunion.com/"
NS = "{http://www.transunion.com/namespace}"
NA = "{http://www.netaccess.transunion.com/namespace}"


@pytest.fixture(autouse=True)
def _fresh_tls_cache():
    tls.clear_cache()
    yield
    tls.clear_cache()


@pytest.fixture
def settings_extra(app, monkeypatch):
    def apply(**extra):
        settings = app.extensions["settings"]
        changed = settings.with_overrides(extra={**settings.extra, **extra})
        monkeypatch.setitem(app.extensions, "settings", changed)
        # The connector registry reads its settings (CA bundle, timeout) from its own copy.
        registry = app.extensions["connectors"].replace(settings=changed)
        monkeypatch.setitem(app.extensions, "connectors", registry)

    return apply


def configure_live(live_api, api_url=URL, p12=None):
    tree = full_tree(p12 or client_p12(PASSWORD))
    tree["credit_application"]["transunion"]["api_url"] = api_url
    r = live_api.post("/configuration", json=tree)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def hard_applicant(**over):
    consent = {**applicant()["consent"], "pull_type": "hard", "method": "electronic_signature"}
    return applicant(pull_type="hard", consent=consent, **over)


@responses.activate
def test_wire_format_and_parsed_report(live_api):
    configure_live(live_api)
    responses.post(
        URL, body=(FIXTURES / "transunion_hit.xml").read_bytes(), content_type="text/xml"
    )
    r = live_api.post("/credit/check", json=hard_applicant())
    assert r.status_code == 200, r.get_data(as_text=True)
    (call,) = responses.calls
    assert call.request.method == "POST" and call.request.url == URL
    assert call.request.headers["Content-Type"] == "text/xml; charset=utf-8"
    doc = SafeET.fromstring(call.request.body)
    assert doc.tag == f"{NA}xmlrequest"
    assert doc.findtext(f"{NA}systemId") == "DEALERSYS"
    assert doc.findtext(f"{NA}systemPassword") == "sys-pass-1"
    bureau = doc.find(f"{NA}productrequest/{NS}creditBureau")
    assert bureau.findtext(f"{NS}document") == "request"
    sub = bureau.find(f"{NS}transactionControl/{NS}subscriber")
    assert sub.findtext(f"{NS}industryCode") == "F"
    assert sub.findtext(f"{NS}memberCode") == "1234567"
    assert sub.findtext(f"{NS}inquirySubscriberPrefixCode") == "0622"
    assert sub.findtext(f"{NS}password") == "sub-pass-1"
    env = bureau.findtext(f"{NS}transactionControl/{NS}options/{NS}processingEnvironment")
    assert env == "standardTest"
    ref = bureau.findtext(f"{NS}transactionControl/{NS}userRefNumber")
    assert ref == r.get_json()["id"]
    ind = bureau.find(f"{NS}product/{NS}subject/{NS}subjectRecord/{NS}indicative")
    assert ind.findtext(f"{NS}socialSecurity/{NS}number") == SSN_DIGITS
    assert ind.findtext(f"{NS}dateOfBirth") == DOB
    assert ind.findtext(f"{NS}name/{NS}person/{NS}last") == "Lovelace"
    assert ind.findtext(f"{NS}address/{NS}location/{NS}zipCode") == "62701"
    purpose = bureau.find(f"{NS}product/{NS}permissiblePurpose")
    assert purpose.findtext(f"{NS}code") == "CI"

    body = r.get_json()
    assert body["status"] == "completed" and body["livemode"] is True
    assert body["social_security_number"] == "***-**-4567"
    assert body["consumer"]["date_of_birth"] == "****-**-**"
    assert body["risk_model"]["score"] == 667
    assert [f["code"] for f in body["risk_model"]["score_factor"]] == [10, 12, 5, 32, 84]
    # inquiries (84) ranks fifth: ECOA allows it as a fifth key factor
    assert len(body["adverse_action"]["key_factors"]) == 5
    t0, t1 = body["trade"]
    assert t0["account_number"] == "******6655" and t0["customer_name"] == "ALLY FINANCIAL"
    assert t0["amount1"] == "28000" and t0["months_reviewed"] == 66 and t0["terms"] == "072"
    assert t0["payment_data"]["enhanced_terms"] == "455"
    assert t1["activity_open_closed"] == "closed"
    assert t1["payment_data"]["compliance_condition"] == "CBC"
    assert body["addresses"][0]["line1"] == "12 MAIN ST"
    text = r.get_data(as_text=True)
    assert SSN_DIGITS not in text and DOB not in text and LICENCE not in text


@pytest.mark.parametrize(
    ("fixture", "status"), [("transunion_nohit.xml", "no_hit"), ("transunion_frozen.xml", "frozen")]
)
@responses.activate
def test_no_hit_and_freeze(live_api, fixture, status):
    configure_live(live_api)
    responses.post(URL, body=(FIXTURES / fixture).read_bytes())
    assert live_api.post("/credit/check", json=applicant()).get_json()["status"] == status


@responses.activate
def test_bureau_error_document_is_rejected_without_echo(live_api):
    configure_live(live_api)
    responses.post(URL, body=(FIXTURES / "transunion_error.xml").read_bytes())
    r = live_api.post("/credit/check", json=applicant())
    body = assert_error(r, 502, "provider_error", "bureau_rejected")
    assert body["retryable"] is False and "402" in body["message"]
    assert "INVALID" not in body["message"]


@responses.activate
def test_http_500_and_garbage_and_xxe(live_api):
    configure_live(live_api)
    responses.post(URL, status=503, body="down")
    assert_error(
        live_api.post("/credit/check", json=applicant()),
        502,
        "provider_error",
        "bureau_unavailable",
    )
    responses.replace(responses.POST, URL, body="<not xml")
    assert_error(
        live_api.post("/credit/check", json=applicant(force=True)),
        502,
        "provider_error",
        "bureau_response_invalid",
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<creditBureau>&x;</creditBureau>"
    )
    responses.replace(responses.POST, URL, body=xxe)
    assert_error(
        live_api.post("/credit/check", json=applicant(force=True)),
        502,
        "provider_error",
        "bureau_response_invalid",
    )


@responses.activate
def test_timeout_on_hard_pull_is_not_retried(live_api, db, dealer):
    import requests

    configure_live(live_api)
    responses.post(URL, body=requests.exceptions.ReadTimeout("slow"))
    r = live_api.post("/credit/check", json=hard_applicant())
    body = assert_error(r, 504, "provider_error", "bureau_timeout")
    assert body["retryable"] is False
    assert len(responses.calls) == 1  # never retried automatically
    with db.transaction() as s:
        check = s.scalars(select(CreditCheck).where(CreditCheck.dealer_id == dealer.id)).one()
        assert check.status == "failed"


def test_missing_certificate_or_fields_is_400(live_api):
    tree = full_tree(None)
    del tree["credit_application"]["transunion"]["subscriber_password"]
    live_api.post("/configuration", json=tree)
    body = assert_error(
        live_api.post("/credit/check", json=applicant()),
        400,
        "invalid_request_error",
        "certificate_missing",
    )
    assert body["param"] == "credit_application.transunion.certificate_file"


def test_expired_certificate_is_refused_before_the_pull(live_api, monkeypatch):
    import time as time_module

    info = configure_live(live_api)["credit_application"]["transunion"]["certificate"]
    real = time_module.time
    monkeypatch.setattr(
        "dealerhub.connectors.credit.transunion.time.time",
        lambda: real() + (info["days_until_expiry"] + 2) * 86400,
    )
    with responses.RequestsMock() as mock:  # any HTTP call would fail this block
        r = live_api.post("/credit/check", json=applicant())
        assert not mock.calls
    assert_error(r, 502, "provider_error", "certificate_expired")


# --- real mutual TLS ------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.rfile.read(length)
        peer = self.connection.getpeercert()
        subject = dict(x[0] for x in peer["subject"])
        self.seen.append(
            {"cn": subject["commonName"], "der": self.connection.getpeercert(binary_form=True)}
        )
        body = (FIXTURES / "transunion_hit.xml").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def mtls_server(tmp_path):
    ca = shared_ca()
    cert, key = write_server_files(tmp_path, ca)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.pem())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca_file)
    ctx.verify_mode = ssl.CERT_REQUIRED  # no client certificate from our CA, no request
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    _Handler.seen = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", str(ca_file)
    server.shutdown()
    server.server_close()


def test_live_check_presents_uploaded_certificate(live_api, mtls_server, settings_extra):
    url, ca_file = mtls_server
    settings_extra(TRANSUNION_CA_BUNDLE=ca_file)
    p12 = client_p12(PASSWORD, cn="dealer-mtls-client")
    conf = configure_live(live_api, api_url=url, p12=p12)
    r = live_api.post("/credit/check", json=applicant())
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["risk_model"]["score"] == 667
    (seen,) = _Handler.seen
    assert seen["cn"] == "dealer-mtls-client"
    import hashlib

    fingerprint = conf["credit_application"]["transunion"]["certificate"]["fingerprint_sha256"]
    assert hashlib.sha256(seen["der"]).hexdigest() == fingerprint
    # Second pull: the cached context is reused, the certificate is not parsed again.
    built = tls.stats["contexts_built"]
    assert live_api.post("/credit/check", json=applicant(force=True)).status_code == 200
    assert tls.stats["contexts_built"] == built and len(_Handler.seen) == 2


def test_rejected_client_certificate_fails_cleanly(
    live_api, mtls_server, settings_extra, db, dealer
):
    url, ca_file = mtls_server
    settings_extra(TRANSUNION_CA_BUNDLE=ca_file)
    stranger = client_p12(PASSWORD, ca=CA.create("someone else's CA"))
    configure_live(live_api, api_url=url, p12=stranger)
    r = live_api.post("/credit/check", json=applicant())
    body = assert_error(r, 502, "provider_error", "bureau_authentication_failed")
    assert body["retryable"] is False
    assert _Handler.seen == []
    with db.transaction() as s:
        check = s.scalars(select(CreditCheck).where(CreditCheck.dealer_id == dealer.id)).one()
        assert check.status == "failed" and check.failure_code == "tls_handshake_failed"


def test_untrusted_server_is_refused(live_api, mtls_server):
    url, _ca_file = mtls_server  # no CA bundle configured: system trust does not know it
    configure_live(live_api, api_url=url)
    body = assert_error(
        live_api.post("/credit/check", json=applicant()),
        502,
        "provider_error",
        "bureau_authentication_failed",
    )
    assert "SSN" not in body["message"] and SSN not in body["message"]
