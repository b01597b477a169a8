import hashlib
import hmac

import pytest

from dealerhub.webhooks import SignatureVerificationError, compute_signature, sign_header, verify

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","object":"event"}'


def reference(t: int, body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_header_format_matches_reference_hmac():
    header = sign_header(BODY, [SECRET], 1_700_000_000)
    assert header == f"t=1700000000,v1={reference(1_700_000_000, BODY, SECRET)}"
    assert compute_signature(BODY, SECRET, 5) == reference(5, BODY, SECRET)


def test_verify_accepts_within_tolerance_and_rejects_outside():
    header = sign_header(BODY, [SECRET], 1000)
    assert verify(BODY, header, SECRET, now=1000 + 300)
    assert verify(BODY, header, SECRET, now=1000 - 300)
    with pytest.raises(SignatureVerificationError, match="tolerance"):
        verify(BODY, header, SECRET, now=1000 + 301)
    assert verify(BODY, header, SECRET, tolerance=0, now=10**10)


def test_verify_rejects_tampering_wrong_secret_and_garbage():
    header = sign_header(BODY, [SECRET], 1000)
    with pytest.raises(SignatureVerificationError):
        verify(BODY + b" ", header, SECRET, now=1000)
    with pytest.raises(SignatureVerificationError):
        verify(BODY, header, "whsec_other", now=1000)
    for bad in ["", "garbage", "t=abc,v1=00", "v1=00", "t=1000", f"t=1000,v0={'0' * 64}"]:
        with pytest.raises(SignatureVerificationError):
            verify(BODY, bad, SECRET, now=1000)


def test_any_of_several_v1_matches_and_other_schemes_ignored():
    header = sign_header(BODY, ["whsec_new", SECRET], 1000) + ",v0=deadbeef"
    assert header.count("v1=") == 2
    assert verify(BODY, header, SECRET, now=1000)
    assert verify(BODY, header, "whsec_new", now=1000)
