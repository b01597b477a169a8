"""Address verification: parse, look the answer up in the day's cache, else ask the verifier.

The outcome about the address (verified or not, and why) is always a 200: an unparseable or
non-existent address is an answer, as Hubex 1.1.69 documents with ``error_message``. Only bad
input (blank, overlong, control characters) is a 400, and only a verifier that could not answer
is an error (502/503/504 ``provider_error``). The address is never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.addresses import parsing
from dealerhub.addresses.cache import AnswerCache
from dealerhub.connectors.address.base import AddressVerifier, VerifierAnswer
from dealerhub.connectors.base import ConnectorAuthError, ConnectorError, ConnectorUnavailable
from dealerhub.db import now
from dealerhub.errors import ProviderError, ValidationFailed
from dealerhub.tenancy import Tenant


@dataclass(frozen=True)
class Verification:
    """The ``address_verification`` object, plus where its answer came from (response
    headers, not body fields)."""

    input: str
    verified: bool
    address: dict[str, Any] | None
    components: dict[str, Any]
    candidates: list[dict[str, Any]]
    error_message: str | None
    provider: str | None  # None when nothing was asked (the input did not parse)
    cached: bool


def verify_address(
    session: Session,
    tenant: Tenant,
    text: str,
    *,
    verifier: Callable[[], AddressVerifier],
    cache: AnswerCache,
    at: int | None = None,
) -> Verification:
    """Verify free-text ``text``. ``verifier`` is called only on a cache miss (a live
    dealer's USPS connector is built from its configuration only when it is needed)."""
    at = now() if at is None else at
    try:
        cleaned = parsing.clean(text)
    except ValueError as exc:
        raise ValidationFailed(str(exc), param="address", errors={"address": [str(exc)]}) from None
    try:
        query = parsing.parse(cleaned)
    except parsing.UnparseableAddress as exc:
        return Verification(
            input=text,
            verified=False,
            address=None,
            components=parsing.components(None, {}),
            candidates=[],
            error_message=str(exc),
            provider=None,
            cached=False,
        )
    digest = cache.digest(query.key())
    hit = cache.get(session, tenant, digest, at)
    if hit is not None:
        return _verification(text, hit.answer, hit.provider, cached=True)
    chosen = verifier()
    try:
        answer = _answer(chosen.verify(query))
    except ConnectorError as exc:
        raise _provider_error(exc) from None
    cache.put(tenant, digest, chosen.name, answer, at)
    return _verification(text, answer, chosen.name, cached=False)


def _answer(result: VerifierAnswer) -> dict[str, Any]:
    return {
        "verified": result.verified,
        "address": result.address.as_dict() if result.address else None,
        "components": parsing.components(result.address, result.details),
        "candidates": [c.as_dict() for c in result.candidates],
        "error_message": result.error_message,
    }


def _verification(
    text: str, answer: dict[str, Any], provider: str, *, cached: bool
) -> Verification:
    return Verification(
        input=text,
        verified=answer["verified"],
        address=answer["address"],
        components=answer["components"],
        candidates=answer["candidates"],
        error_message=answer["error_message"],
        provider=provider,
        cached=cached,
    )


def _provider_error(exc: ConnectorError) -> ProviderError:
    """The verifier could not answer: nothing is cached, and the caller may try again when
    ``retryable`` says so (a lookup changes nothing anywhere)."""
    if isinstance(exc, ConnectorUnavailable):
        timeout = exc.vendor_code == "timeout"
        return ProviderError(
            f"The address verifier ({exc.vendor}) "
            + ("did not answer in time." if timeout else "is unavailable; try again shortly."),
            status=504 if timeout else 503,
            code="address_provider_timeout" if timeout else "address_provider_unavailable",
            retryable=True,
        )
    if isinstance(exc, ConnectorAuthError):
        return ProviderError(
            f"The address verifier ({exc.vendor}) refused our credentials; check "
            "address_verification in /configuration.",
            status=502,
            code="address_provider_authentication_failed",
            retryable=False,
        )
    return ProviderError(
        f"The address verifier ({exc.vendor}) gave an answer we could not use.",
        status=502,
        code="address_provider_error",
        retryable=False,
    )
