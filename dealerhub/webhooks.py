"""Webhook signatures: ``Dealerhub-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``.

The MAC is HMAC-SHA256 over ``"<t>.<raw body>"`` keyed with the endpoint secret exactly as
it was returned (the whole ``whsec_…`` string), written as lower-case hex. During a secret
roll with an overlap, deliveries carry one ``v1`` per valid secret. Receivers accept a
request when any ``v1`` matches and the timestamp is within the tolerance::

    from dealerhub.webhooks import verify
    verify(request.get_data(), request.headers["Dealerhub-Signature"], "whsec_…")

This module has no dependency beyond the standard library so consumers can vendor it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

HEADER = "Dealerhub-Signature"
DEFAULT_TOLERANCE = 300


class SignatureVerificationError(ValueError):
    """The header is missing or malformed, no ``v1`` matches, or the timestamp is too old."""


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign_header(payload: bytes, secrets: Iterable[str], timestamp: int | None = None) -> str:
    """The header value for ``payload`` signed with every secret in ``secrets``."""
    t = int(time.time()) if timestamp is None else timestamp
    parts = [f"t={t}"] + [f"v1={compute_signature(payload, s, t)}" for s in secrets]
    return ",".join(parts)


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureVerificationError("Malformed timestamp in signature header") from exc
        elif key == "v1":
            signatures.append(value)
        # Other schemes (v0, future versions) are ignored on purpose.
    if timestamp is None:
        raise SignatureVerificationError("No timestamp in signature header")
    if not signatures:
        raise SignatureVerificationError("No v1 signature in signature header")
    return timestamp, signatures


def verify(
    payload: bytes,
    header: str,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: int | None = None,
) -> bool:
    """Check ``header`` against ``payload`` and ``secret``; return True or raise
    :class:`SignatureVerificationError`. ``tolerance`` <= 0 disables the age check."""
    if not header:
        raise SignatureVerificationError("Missing signature header")
    timestamp, signatures = _parse(header)
    expected = compute_signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, sig) for sig in signatures):
        raise SignatureVerificationError("No signature matches the expected signature")
    current = int(time.time()) if now is None else now
    if tolerance > 0 and abs(current - timestamp) > tolerance:
        raise SignatureVerificationError("Timestamp outside the tolerance zone")
    return True
