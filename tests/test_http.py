"""The outbound session factory reads the environment once, when the session is made."""

from __future__ import annotations

import pytest

from dealerhub.http import make_session

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def clean_env(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return monkeypatch


def test_without_a_proxy_the_environment_is_not_read_per_call(clean_env):
    session = make_session()
    assert session.trust_env is False
    # A variable set later does not reach calls made by this session.
    clean_env.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    settings = session.merge_environment_settings("https://vendor.test/", {}, None, True, None)
    assert settings["proxies"] == {}


def test_a_configured_proxy_is_honoured_with_no_proxy(clean_env):
    clean_env.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    clean_env.setenv("NO_PROXY", "internal.test")
    session = make_session()
    assert session.trust_env is True
    via_proxy = session.merge_environment_settings("https://vendor.test/", {}, None, True, None)
    assert via_proxy["proxies"]["https"] == "http://127.0.0.1:3128"
    direct = session.merge_environment_settings("https://internal.test/", {}, None, True, None)
    assert "https" not in direct["proxies"]


def test_a_ca_bundle_variable_is_honoured(clean_env, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert make_session().verify == str(bundle)
    assert make_session(verify=False).verify is False
    assert make_session(verify="/other.pem").verify == "/other.pem"
