"""BlueDog Payments, a gateway on the FluidPay platform (seed 001, API 1.5.1).

Wire facts the code depends on (the seed wins over any summary):

- JSON over HTTPS under ``/api``; ``Authorization: <api key>`` carries the raw private key
  (``api_…``), no ``Bearer``. A public key (``pub_…``) used server-side is refused, so the
  configuration rejects one as ``api_key`` before any call.
- Every answer is the envelope ``{"status": "success"|"failed", "msg", "data"}``; a card
  decline is a processed transaction (``status: "declined"`` and a 2xx-4xx ``response_code``),
  not an HTTP error. ``GET /api/transaction/{id}`` answers ``data`` as a one-element array.
- ``POST /api/transaction`` (``sale`` / ``authorize`` / ``verification``) takes an
  ``idempotency_key`` in UUID format (5-minute window) and an ``order_id`` of at most 15
  alphanumerics. Our attempt ids (``ch_…``, 27 characters with an underscore) fit neither, so
  both are *derived* from the attempt id, deterministically: a UUID 5 for the key and a
  15-character base-32 digest for the order id, which ``sync(None, …)`` searches by.
- Capture, void (an auth reversal where applicable) and refund act on the transaction id and
  take no idempotency key; void works only before settlement and refund only after it.
- Saved cards live in the customer vault (``/api/vault/customer``, a custom id of up to 40
  alphanumerics, which we derive from the attempt id so a retried setup finds its record).
- The seed documents no webhooks; the platform's browser Tokenizer takes a ``pub_`` key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import requests

from dealerhub.connectors import transport
from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
    FlowNotSupported,
    WebhookRejected,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    PaymentSource,
    ProcessorCapabilities,
    ProcessorResult,
    TokenizerInfo,
    WebhookMessage,
)
from dealerhub.connectors.processors.bluedog_codes import is_bank, mask, result_of, text_of
from dealerhub.http import make_session

VENDOR = "bluedog"
# The seed leaves both "url:" values blank; its samples all call the sandbox host. The
# production host follows the platform's sandbox./app. pattern: confirm it at onboarding
# (``api_url`` overrides it).
BASE_URLS = {
    "sandbox": "https://sandbox.bluedogpayments.com",
    "production": "https://app.bluedogpayments.com",
}
CONFIG_FIELDS: tuple[str, ...] = ("api_key",)
OPTIONAL_FIELDS: tuple[str, ...] = ("processor_id", "public_key", "environment", "api_url")
SECRET_FIELDS: frozenset[str] = frozenset({"api_key"})
TOKENIZER_PATH = "/tokenizer/tokenizer.js"
# A vault token names the vault customer whose default payment method is charged.
VAULT_PREFIX = "bdvault_"
ORDER_ID_LENGTH = 15
_IDEMPOTENCY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dealerhub.invalid/bluedog")


def order_reference(attempt_id: str) -> str:
    """The ``order_id`` we send for ``attempt_id``: 15 lower-case base-32 characters of its
    SHA-256 (the seed allows 15 alphanumerics), the same on every retry."""
    digest = hashlib.sha256(attempt_id.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:ORDER_ID_LENGTH]


def idempotency_key(attempt_id: str) -> str:
    """The ``idempotency_key`` (UUID format) for ``attempt_id``, the same on every retry."""
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, attempt_id))


def vault_id(attempt_id: str) -> str:
    """The custom vault customer id for a setup attempt: its alphanumerics when they fit the
    vault's 40, else a digest."""
    plain = re.sub(r"[^A-Za-z0-9]", "", attempt_id)
    if 0 < len(plain) <= 40:
        return plain
    return hashlib.sha256(attempt_id.encode()).hexdigest()[:40]


class BlueDogProcessor:
    """A dealer's BlueDog account. ``config`` is the decrypted ``payment_gateways.bluedog``
    dict: ``api_key`` (private ``api_`` key), optional ``processor_id`` and ``public_key``
    (``pub_``, for the Tokenizer), ``environment`` and ``api_url``."""

    name = VENDOR
    capabilities = ProcessorCapabilities(
        card=True,
        manual_capture=True,
        partial_capture=True,  # capture takes any ``amount`` up to the authorization
        partial_refund=True,
        multiple_refunds=True,  # "multiple partial refunds", up to the settled amount
        three_d_secure=False,  # only passes through 3DS data collected elsewhere
        bank_debit=True,  # payment_method.ach
        setup=True,  # verification + customer vault
        void_before_settlement_only=True,  # void pending settlement, refund once settled
        webhooks=False,  # none in the seed
        refund_lookup=False,  # a refund takes no reference of ours
        currencies=frozenset({"usd"}),
    )

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        for key in CONFIG_FIELDS:
            if not str(config.get(key) or "").strip():
                raise _config_error(f"The BlueDog configuration is missing '{key}'.")
        api_key = str(config["api_key"]).strip()
        if api_key.startswith("pub_"):
            raise _config_error(
                "The BlueDog 'api_key' must be a private (api_) key; public keys are refused "
                "server-side."
            )
        public_key = str(config.get("public_key") or "").strip() or None
        if public_key is not None and not public_key.startswith("pub_"):
            # It is shown to browsers: never let a private key through here.
            raise _config_error("The BlueDog 'public_key' must be a public (pub_) key.")
        environment = str(config.get("environment") or "production")
        if environment not in BASE_URLS:
            raise _config_error("The BlueDog 'environment' must be 'sandbox' or 'production'.")
        base_url = str(config.get("api_url") or BASE_URLS[environment]).rstrip("/")
        if not _secure_url(base_url):
            raise _config_error("The BlueDog 'api_url' must use https://.")
        self.environment = environment
        self.base_url = base_url
        self.processor_id = str(config.get("processor_id") or "").strip() or None
        self.public_key = public_key
        self._api_key = api_key
        self.timeout = timeout
        # Nothing is retried here: the hub retries a ConnectorUnavailable once with the same
        # attempt id, which the derived idempotency key and order id make safe.
        self.http = session or make_session(timeout=timeout, retries=0)

    def __repr__(self) -> str:
        return f"BlueDogProcessor(environment={self.environment!r}, base_url={self.base_url!r})"

    # --- Protocol ---------------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        """Sale or authorization: ``POST /api/transaction``."""
        source = request.source
        if source.type == "us_bank_account" and not request.capture:
            raise FlowNotSupported(
                "BlueDog bank debits are sales; they cannot be authorized for a later capture.",
                vendor=VENDOR,
                vendor_code="ach_authorize",
            )
        body = self._transaction_body(
            "sale" if request.capture else "authorize",
            request.amount,
            request.currency,
            request.attempt_id,
            source,
            off_session=request.off_session,
        )
        if request.description:
            body["description"] = request.description[:255]
        payload = self._call("POST", "/api/transaction", body, moves_money=True)
        return self._result(payload, "authorize", attempt_id=request.attempt_id)

    def complete_action(self, reference: str, *, success: bool, capture: bool) -> ProcessorResult:
        raise FlowNotSupported(
            "BlueDog has no customer-authentication (3-D Secure) step to complete.",
            vendor=VENDOR,
            vendor_code="three_d_secure",
        )

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        """``POST /api/transaction/{id}/capture`` with the amount to capture."""
        path = f"/api/transaction/{_segment(reference)}/capture"
        payload = self._call("POST", path, {"amount": amount}, moves_money=True)
        if _transaction(payload) is None:
            # The seed shows no capture response body: a success envelope is the answer.
            return ProcessorResult(AttemptStatus.SUCCEEDED, reference, amount, raw=mask(payload))
        result = self._result(payload, "capture", attempt_id=attempt_id)
        if result.status == AttemptStatus.AUTHORIZED:
            result = replace(result, status=AttemptStatus.SUCCEEDED)
        return (
            replace(result, amount=amount) if result.status == AttemptStatus.SUCCEEDED else result
        )

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        """``POST /api/transaction/{id}/void`` (an auth reversal where the processor has one)."""
        path = f"/api/transaction/{_segment(reference)}/void"
        payload = self._call("POST", path, None, moves_money=True)
        return ProcessorResult(AttemptStatus.SUCCEEDED, reference, raw=mask(payload))

    def refund(self, reference: str, amount: int, *, refund_id: str) -> ProcessorResult:
        """``POST /api/transaction/{id}/refund``: settled transactions only, partial and
        repeated up to the settled amount. Bank-debit refunds stay ``PENDING`` until they
        settle."""
        path = f"/api/transaction/{_segment(reference)}/refund"
        payload = self._call("POST", path, {"amount": amount}, moves_money=True)
        if _transaction(payload) is None:
            # No refund transaction in the answer: whether it settles later depends on the
            # original's payment method, so read it.
            original = self._transaction_at(reference)
            pending = original is not None and is_bank(original)
            status = AttemptStatus.PENDING if pending else AttemptStatus.SUCCEEDED
            return ProcessorResult(status, None, amount, raw=mask(payload))
        result = self._result(payload, "refund", attempt_id=refund_id)
        return replace(result, amount=amount) if result.status in _DONE else result

    def setup(self, source: PaymentSource, *, attempt_id: str) -> ProcessorResult:
        """Vault the source (``POST /api/vault/customer``) and, for a card, verify it with a
        ``verification`` transaction against the vault record; a declined card's record is
        deleted again."""
        if source.token.startswith(VAULT_PREFIX):
            customer = source.token[len(VAULT_PREFIX) :]
        else:
            customer = vault_id(attempt_id)
            self._ensure_vault_customer(customer, source, attempt_id)
        vault_token = VAULT_PREFIX + customer
        if source.type == "us_bank_account":
            # ACH has no verification transaction: vaulting the numbers is the setup.
            return ProcessorResult(AttemptStatus.SUCCEEDED, None, vault_token=vault_token)
        body = self._transaction_body(
            "verification",
            0,
            "usd",
            attempt_id,
            PaymentSource(type="card", token=vault_token),
            off_session=False,
        )
        body["stored_credential_indicator"] = "stored"
        payload = self._call("POST", "/api/transaction", body, moves_money=True)
        result = self._result(payload, "setup", attempt_id=attempt_id)
        if result.status == AttemptStatus.SUCCEEDED:
            return replace(result, vault_token=vault_token)
        if result.status == AttemptStatus.DECLINED and not source.token.startswith(VAULT_PREFIX):
            self._forget_vault_customer(customer)
        return replace(result, vault_token=None)

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        """The transaction's current state, by id, or (``reference`` None) by the order id
        derived from ``attempt_id`` through ``POST /api/transaction/search``."""
        if reference is not None:
            txn = self._transaction_at(reference)
            if txn is None:
                raise ConnectorResponseError(
                    "BlueDog returned no transaction for this id.", vendor=VENDOR
                )
            return self._parse(txn, attempt_id)
        body = {
            "order_id": {"operator": "=", "value": order_reference(attempt_id)},
            "limit": 10,
            "offset": 0,
        }
        payload = self._call("POST", "/api/transaction/search", body, moves_money=False)
        # A refund copies its sale's order id: only the attempt's own transaction counts.
        found = [
            t
            for t in payload.get("data") or []
            if isinstance(t, dict) and t.get("id") and t.get("type") not in ("refund", "credit")
        ]
        if not found:
            # Not (yet) at the vendor. Refunds carry no order id, so theirs are never found
            # this way; the caller keeps asking and an operator reconciles by amount.
            return ProcessorResult(
                AttemptStatus.UNKNOWN,
                None,
                message="BlueDog has no transaction for this attempt (yet).",
            )
        # Within the idempotency window there is one; after it, prefer one that went through.
        best = next((t for t in found if str(t.get("status")).lower() != "declined"), found[0])
        return self._parse(best, attempt_id)

    def check(self) -> None:
        """``GET /api/user``: the key's own user, which moves nothing."""
        self._call("GET", "/api/user", None, moves_money=False)

    def tokenizer(self) -> TokenizerInfo | None:
        """The platform's Tokenizer script and the dealer's ``pub_`` key (None without one)."""
        if self.public_key is None:
            return None
        return TokenizerInfo(
            script_url=f"{self.base_url}{TOKENIZER_PATH}", public_key=self.public_key
        )

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        # The seed documents no webhooks (no events, no signature): nothing can be verified,
        # so nothing is accepted.
        raise WebhookRejected(
            "BlueDog sends no webhooks the hub can verify.",
            vendor=VENDOR,
            code="signature_invalid",
        )

    # --- requests -----------------------------------------------------------------------

    def _transaction_body(
        self,
        type_: str,
        amount: int,
        currency: str,
        attempt_id: str,
        source: PaymentSource,
        *,
        off_session: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": type_,
            "amount": amount,
            "currency": currency.upper(),
            "order_id": order_reference(attempt_id),
            "idempotency_key": idempotency_key(attempt_id),
            # A partial approval would leave the hub recording the full amount as taken:
            # ask for all or nothing.
            "allow_partial_payment": False,
            "initiated_by": "merchant" if off_session else "customer",
            "payment_method": _payment_method(source),
        }
        if source.token.startswith(VAULT_PREFIX):
            body["card_on_file_indicator"] = "C"
            body["stored_credential_indicator"] = "used"
        if self.processor_id:
            body["processor_id"] = self.processor_id
        return body

    def _ensure_vault_customer(self, customer: str, source: PaymentSource, attempt_id: str) -> None:
        body = {
            "id": customer,
            "description": f"dealerhub {attempt_id}"[:255],
            "default_payment": _vault_payment(source),
        }
        try:
            self._call("POST", "/api/vault/customer", body, moves_money=False)
        except ConnectorRejected:
            # A retried setup: the record made by the first try is still there.
            if self._vault_customer(customer) is None:
                raise

    def _vault_customer(self, customer: str) -> dict[str, Any] | None:
        try:
            payload = self._call("GET", f"/api/vault/{_segment(customer)}", None, False)
        except ConnectorRejected:
            return None
        data = payload.get("data")
        return data if isinstance(data, dict) else None

    def _forget_vault_customer(self, customer: str) -> None:
        # An orphan vault record holds no money; the decline is what the caller needs.
        with contextlib.suppress(ConnectorError):
            self._call("DELETE", f"/api/vault/{_segment(customer)}", None, moves_money=False)

    def _transaction_at(self, reference: str) -> dict[str, Any] | None:
        payload = self._call("GET", f"/api/transaction/{_segment(reference)}", None, False)
        return _transaction(payload)

    def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None, moves_money: bool
    ) -> dict[str, Any]:
        """One request; the envelope of a success, or the ConnectorError it amounts to.
        ``moves_money`` decides whether a lost answer is ambiguous (OutcomeUnknown) or
        simply retryable (Unavailable)."""
        what = f"{method} {path}"
        response = transport.send(
            self.http,
            method,
            self.base_url + path,
            vendor=VENDOR,
            label="BlueDog",
            what=what,
            moves_money=moves_money,
            json=body,
            headers={"Authorization": self._api_key, "Accept": "application/json"},
            timeout=self.timeout,
        )
        return _envelope(response, what, moves_money)

    # --- results ------------------------------------------------------------------------

    def _result(self, payload: Mapping[str, Any], what: str, *, attempt_id: str) -> ProcessorResult:
        txn = _transaction(payload)
        if txn is None or not txn.get("id"):
            # A success envelope without the transaction cannot say what happened.
            raise ConnectorOutcomeUnknown(
                f"BlueDog {what}: the answer carries no transaction.",
                vendor=VENDOR,
                vendor_code="no_transaction",
            )
        return self._parse(txn, attempt_id)

    def _parse(self, txn: Mapping[str, Any], attempt_id: str) -> ProcessorResult:
        # Our setups vault under an id derived from the attempt, so even a sync names it.
        return result_of(txn, vault_token=VAULT_PREFIX + vault_id(attempt_id))


_DONE = (AttemptStatus.SUCCEEDED, AttemptStatus.PENDING)


def _envelope(response: requests.Response, what: str, moves_money: bool) -> dict[str, Any]:
    status = response.status_code
    request_id = response.headers.get("x-correlation-id")
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = None
    msg = _clean(payload.get("msg")) if payload else None
    detail = f": {msg}" if msg else ""
    kwargs: dict[str, Any] = {"vendor": VENDOR, "http_status": status, "request_id": request_id}
    if status in (401, 403):
        raise ConnectorAuthError(
            f"BlueDog refused the API key ({what}, HTTP {status}){detail}. Check that it is a "
            "private api_ key of this environment.",
            vendor_code="unauthorized",
            **kwargs,
        )
    if status in (429, 503):
        raise ConnectorUnavailable(
            f"BlueDog is not taking requests ({what}, HTTP {status}).", **kwargs
        )
    if status >= 500:
        unknown = ConnectorOutcomeUnknown if moves_money else ConnectorUnavailable
        raise unknown(f"BlueDog failed ({what}, HTTP {status}){detail}.", **kwargs)
    if payload is not None and moves_money and _transaction(payload) is not None:
        # A processed transaction is an answer whatever the envelope says (a decline).
        txn = _transaction(payload) or {}
        if txn.get("id") and (txn.get("status") or txn.get("response_code") is not None):
            return payload
    if status >= 400 or (payload is not None and payload.get("status") != "success"):
        raise ConnectorRejected(
            f"BlueDog refused the request ({what}, HTTP {status}){detail}.",
            vendor_code="not_found" if status == 404 else "failed",
            **kwargs,
        )
    if payload is None:
        if moves_money:
            raise ConnectorOutcomeUnknown(
                f"BlueDog answered {what} with a body that is not JSON.",
                vendor_code="malformed",
                **kwargs,
            )
        raise ConnectorResponseError(
            f"BlueDog answered {what} with a body that is not JSON.", **kwargs
        )
    return payload


def _transaction(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    data = payload.get("data")
    if isinstance(data, list):
        data = data[0] if data else None
    return data if isinstance(data, dict) else None


def _payment_method(source: PaymentSource) -> dict[str, Any]:
    if source.token.startswith(VAULT_PREFIX):
        return {"customer": {"id": source.token[len(VAULT_PREFIX) :]}}
    if source.type == "us_bank_account" and source.bank is not None:
        return {"ach": _ach(source)}
    if not source.token:
        raise ConnectorRejected(
            "The payment method has no BlueDog token.", vendor=VENDOR, vendor_code="no_token"
        )
    return {"token": source.token}


def _vault_payment(source: PaymentSource) -> dict[str, Any]:
    if source.type == "us_bank_account" and source.bank is not None:
        return {"ach": _ach(source)}
    return {"token": source.token}


def _ach(source: PaymentSource) -> dict[str, Any]:
    bank = source.bank
    assert bank is not None  # callers check
    return {
        "routing_number": bank.routing_number,
        "account_number": bank.account_number,
        "account_type": "savings" if bank.account_type == "savings" else "checking",
        # WEB: a consumer's debit authorized online; CCD: a company's account.
        "sec_code": "ccd" if bank.holder_type == "company" else "web",
    }


def _secure_url(url: str) -> bool:
    """HTTPS only; plain HTTP is allowed to loopback alone (the simulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _segment(value: str) -> str:
    """A vendor id as one path segment (they are alphanumeric; anything else is refused)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value or ""):
        raise ConnectorRejected(
            "Not a BlueDog transaction or vault id.", vendor=VENDOR, vendor_code="reference"
        )
    return value


def _clean(value: Any) -> str | None:
    """A vendor message fit for our logs: one line, short, no long digit runs."""
    text = text_of(value)
    return mask(text[:200]) if text else None


def _config_error(message: str) -> ConnectorAuthError:
    return ConnectorAuthError(message, vendor=VENDOR, vendor_code="config")
