"""Forward Payments (getfwd.com): the Core API's payment intents, payments, captures, cancels
and refunds, over JSON with ``x-api-key`` / ``x-account-id`` headers.

Wire facts from the vendor's reference (seed 003) and where it is silent:

- Auth is the private key in ``x-api-key`` (no Bearer prefix); ``x-account-id`` names the
  merchant account on every payment call. The public key only serves Forward's JS SDK.
- A charge is two calls: create a payment intent (``amount`` in cents, ``capture``,
  ``currency: "USD"``, ``reference_id``), then create a payment on it with the
  ``payment_method_id`` the JS SDK made. Capture, cancel and refund act on the intent.
- ``x-idempotency-key`` (>= 10 characters, POST/PUT only) replays the first *successful*
  answer for an hour. Each step gets its own key derived from our attempt id, so a retried
  authorize replays both steps instead of making a second intent or payment; the attempt id
  also goes out as ``reference_id``, which the payment-intent search filters on (``sync``).
- The scrape lost every path and method; only ``POST /payment_intents`` and the base URLs
  are confirmed by Forward's public guide. The other paths (``PATHS`` below) are the
  conventional reading of the headings and are kept in one table to correct in one place.
- No error schema is documented (responses are 200 / 4XX / 5XX); a decline arrives as a
  payment whose ``status`` is ``failed``, classified by its ``auth_response_text``
  (:mod:`forward_codes`). There are no webhooks and no 3-D Secure in the reference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from dealerhub.connectors import transport
from dealerhub.connectors.base import (
    ConnectorAuthError,
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
from dealerhub.connectors.processors.forward_codes import (
    DECLINE_MESSAGES,
    intent_result,
    is_decline,
    mask,
    payment_result,
    refund_result,
)
from dealerhub.http import make_session

VENDOR = "forward"
BASE_URLS = {
    "sandbox": "https://api.sandbox.getfwd.com",
    "production": "https://api.getfwd.com",
}
CONFIG_FIELDS: tuple[str, ...] = ("api_key", "public_key", "account_id")
SECRET_FIELDS: frozenset[str] = frozenset({"api_key"})
DEFAULT_ENVIRONMENT = "production"  # live mode is the only caller of this connector

PATHS = {
    "intents": "/payment_intents",
    "intent": "/payment_intents/{id}",
    "search": "/payment_intents/search",
    "payments": "/payment_intents/{id}/payments",
    "capture": "/payment_intents/{id}/capture",
    "cancel": "/payment_intents/{id}/cancel",
    "refunds": "/payment_intents/{id}/refunds",
    "refund": "/refunds/{id}",
    "payment_method": "/payment_methods/{id}",
}


class ForwardProcessor:
    """One dealer's Forward merchant account (``payment_gateways.forward``)."""

    name = VENDOR
    capabilities = ProcessorCapabilities(
        card=True,
        manual_capture=True,  # ``capture: false`` on the intent, then the capture call
        partial_capture=True,  # capture takes an ``amount``
        partial_refund=True,  # refund takes an ``amount``
        multiple_refunds=True,  # refunds are objects of their own; ``amount_refunded`` adds up
        three_d_secure=False,  # nothing in the reference
        bank_debit=True,  # ``payment_method_types: ["bank"]``, bank payment methods
        setup=True,  # payment methods are reusable vault objects
        void_before_settlement_only=False,  # the reference puts no settlement rule on refunds
        webhooks=False,  # no events or signatures in the reference
        refund_lookup=False,  # refunds carry no merchant reference
        currencies=frozenset({"usd"}),  # ``currency`` has the single value "USD"
    )

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        missing = [key for key in CONFIG_FIELDS if not str(config.get(key) or "").strip()]
        if missing:
            raise _config_error(f"Forward configuration is missing {', '.join(missing)}.")
        environment = str(config.get("environment") or DEFAULT_ENVIRONMENT)
        if environment not in BASE_URLS:
            raise _config_error("Forward environment must be 'sandbox' or 'production'.")
        base = str(config.get("api_url") or BASE_URLS[environment]).rstrip("/")
        if not _secure_url(base):
            raise _config_error("Forward api_url must use https:// (http only to loopback).")
        self.environment = environment
        self.base_url = base
        self.public_key = str(config["public_key"])
        self.timeout = timeout
        # POSTs move money: never retried here. The hub retries a ConnectorUnavailable once
        # with the same attempt id, and Forward's idempotency key makes that safe.
        self.http = session or make_session(timeout=timeout, retries=0)
        self._headers = {
            "x-api-key": str(config["api_key"]),
            "x-account-id": str(config["account_id"]),
            "Accept": "application/json",
        }

    def __repr__(self) -> str:  # never the key
        return f"ForwardProcessor(environment={self.environment!r}, base_url={self.base_url!r})"

    # --- operations ---------------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        if request.currency.lower() not in self.capabilities.currencies:
            raise ConnectorRejected(
                f"Forward only charges USD, not {request.currency.upper()}.",
                vendor=VENDOR,
                vendor_code="currency_not_supported",
            )
        bank = request.source.type == "us_bank_account"
        token = _source_token(request.source)
        if bank and not request.capture:
            raise FlowNotSupported(
                "Forward bank payments cannot be authorized for a later capture.", vendor=VENDOR
            )
        intent_body: dict[str, Any] = {
            "amount": request.amount,
            "currency": "USD",
            "capture": request.capture,
            "reference_id": request.attempt_id,
            "payment_method_types": ["bank" if bank else "card"],
        }
        if request.description:
            intent_body["description"] = request.description
        if request.metadata:
            intent_body["user_fields"] = dict(request.metadata)
        intent = self._post("intents", {}, intent_body, key=request.attempt_id)
        pi_id = _require_id(intent, "payment_intent")
        payment_body: dict[str, Any] = {
            "payment_method_id": token,
            "reference_id": request.attempt_id,
        }
        if request.description:
            payment_body["description"] = request.description
        if request.off_session:
            # A merchant-initiated charge of a stored method (stored-credential rules).
            payment_body["order_details"] = {"initiated_by": "merchant"}
        payment = self._post(
            "payments",
            {"id": pi_id},
            payment_body,
            key=f"{request.attempt_id}:payment",
            declines_are_answers=True,
        )
        return payment_result(payment, pi_id, raw=payment)

    def complete_action(self, reference: str, *, success: bool, capture: bool) -> ProcessorResult:
        raise FlowNotSupported("Forward has no 3-D Secure flow.", vendor=VENDOR)

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        # The attempt id already keyed the intent's creation: each call needs its own key.
        key = f"{attempt_id}:capture"
        intent = self._post("capture", {"id": reference}, {"amount": amount}, key=key)
        return intent_result(intent, reference)

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        intent = self._post(
            "cancel",
            {"id": reference},
            {"cancellation_reason": "requested_by_customer"},
            key=f"{attempt_id}:cancel",
        )
        status = str(intent.get("status") or "")
        if status == "cancelled":
            return ProcessorResult(
                AttemptStatus.SUCCEEDED,
                reference,
                int(intent.get("amount_voided") or 0),
                processor_code=status,
                raw=mask(intent),
            )
        return intent_result(intent, reference)

    def refund(self, reference: str, amount: int, *, refund_id: str) -> ProcessorResult:
        refund = self._post("refunds", {"id": reference}, {"amount": amount}, key=refund_id)
        _require_id(refund, "refund")
        return refund_result(refund)

    def setup(self, source: PaymentSource, *, attempt_id: str) -> ProcessorResult:
        token = _source_token(source)
        method = self._get("payment_method", {"id": token})
        pm_id = _require_id(method, "payment_method")
        card: Mapping[str, Any] = method["card"] if isinstance(method.get("card"), dict) else {}
        if method.get("single_use_token") is True or card.get("reuse_eligible") is False:
            raise ConnectorRejected(
                "Forward marks this payment method single-use: it cannot be saved for later.",
                vendor=VENDOR,
                vendor_code="single_use_token",
            )
        if card and _expired(card.get("exp_month"), card.get("exp_year")):
            return ProcessorResult(
                AttemptStatus.DECLINED,
                pm_id,
                failure_code="expired_card",
                decline_code="expired_card",
                message=DECLINE_MESSAGES["expired_card"],
                network_status="not_sent_to_network",
                raw=mask(method),
            )
        return ProcessorResult(AttemptStatus.SUCCEEDED, pm_id, vault_token=pm_id, raw=mask(method))

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        if reference is None:
            found = self._post("search", {}, {"reference_id": attempt_id, "limit": 1}, key=None)
            data = found.get("data")
            if not isinstance(data, list) or not data or not isinstance(data[0], dict):
                # Refunds carry no reference at Forward, and an intent that was never created
                # cannot be told from one that is late: ask again rather than guess.
                raise ConnectorRejected(
                    "Forward has no payment intent with this reference_id.",
                    vendor=VENDOR,
                    http_status=404,
                    vendor_code="not_found",
                )
            intent = data[0]
            return intent_result(intent, str(intent.get("id") or ""))
        if reference.startswith("pi_"):
            return intent_result(self._get("intent", {"id": reference}), reference)
        return refund_result(self._get("refund", {"id": reference}))

    def check(self) -> None:
        self._get("intents", {}, params={"limit": 1})

    def tokenizer(self) -> TokenizerInfo | None:
        # Forward's JS SDK takes the public key, but its script address is not in the
        # reference: an invented URL would fail in the browser, so we name none.
        return None

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        raise WebhookRejected(
            "Forward sends no signed webhooks to verify.", vendor=VENDOR, code="signature_invalid"
        )

    # --- transport ----------------------------------------------------------------------

    def _url(self, path: str, ids: Mapping[str, str]) -> str:
        return self.base_url + PATHS[path].format(**{k: quote(v, safe="") for k, v in ids.items()})

    def _post(
        self,
        path: str,
        ids: Mapping[str, str],
        body: Mapping[str, Any],
        *,
        key: str | None,
        declines_are_answers: bool = False,
    ) -> dict[str, Any]:
        headers = dict(self._headers, **{"Content-Type": "application/json"})
        if key is not None:
            headers["x-idempotency-key"] = key
        return self._send(
            "POST",
            path,
            ids,
            headers=headers,
            data=json.dumps(body).encode(),
            moves_money=key is not None,
            declines_are_answers=declines_are_answers,
        )

    def _get(
        self, path: str, ids: Mapping[str, str], *, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._send("GET", path, ids, headers=self._headers, params=params)

    def _send(
        self,
        method: str,
        path: str,
        ids: Mapping[str, str],
        *,
        headers: Mapping[str, str],
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        moves_money: bool = False,
        declines_are_answers: bool = False,
    ) -> dict[str, Any]:
        what = f"{method} {PATHS[path]}"
        response = transport.send(
            self.http,
            method,
            self._url(path, ids),
            vendor=VENDOR,
            label="Forward",
            what=what,
            moves_money=moves_money,
            headers=dict(headers),
            data=data,
            params=params,
            timeout=self.timeout,
        )
        return _answer(what, response, moves_money=moves_money, declines=declines_are_answers)


# --- response handling ------------------------------------------------------------------


def _answer(
    what: str, response: requests.Response, *, moves_money: bool, declines: bool
) -> dict[str, Any]:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    request_id = response.headers.get("x-request-id")
    code, text = _error_fields(body)
    kwargs: dict[str, Any] = {
        "vendor": VENDOR,
        "http_status": status,
        "vendor_code": code,
        "request_id": request_id,
    }
    detail = f": {text}" if text else "."
    if status in (401, 403):
        # No vendor text here: an auth error's message could echo what we sent.
        raise ConnectorAuthError(f"Forward refused our API key or account ({status}).", **kwargs)
    if status in (429, 503):
        raise ConnectorUnavailable(f"Forward {what} is unavailable ({status}){detail}", **kwargs)
    if status >= 500:
        # 500/502/504: the request reached Forward, which may have acted on it.
        raise ConnectorOutcomeUnknown(f"Forward {what} failed ({status}){detail}", **kwargs)
    if status >= 400:
        if declines and isinstance(body, dict) and is_decline(body):
            return body  # a declined payment in an error status is still an answer
        raise ConnectorRejected(f"Forward {what} was refused ({status}){detail}", **kwargs)
    if not isinstance(body, dict):
        message = f"Forward {what} answered {status} with a body that is not a JSON object."
        if moves_money:
            raise ConnectorOutcomeUnknown(message, **kwargs)
        raise ConnectorResponseError(message, **kwargs)
    return body


def _error_fields(body: Any) -> tuple[str | None, str | None]:
    """``code`` and a short ``message`` of Forward's error body (reported in practice as
    ``{type, code, message, argument_errors}``; the reference defines none)."""
    if not isinstance(body, dict):
        return None, None
    code = body.get("code") or body.get("type")
    message = body.get("message")
    text = " ".join(str(message).split())[:200] if message else None
    return (str(code) if code else None), text


# --- helpers ------------------------------------------------------------------------------


def _source_token(source: PaymentSource) -> str:
    """Forward charges payment methods its JS SDK created; it has no call that takes raw
    card or bank numbers, so a bank account without a Forward token cannot be charged."""
    if source.token:
        return source.token
    if source.type == "us_bank_account":
        raise FlowNotSupported(
            "Forward takes bank accounts only as payment methods made by its JS SDK.",
            vendor=VENDOR,
        )
    raise ConnectorRejected(
        "A Forward payment method id is required.", vendor=VENDOR, vendor_code="token_missing"
    )


def _require_id(body: Mapping[str, Any], entity: str) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise ConnectorOutcomeUnknown(
            f"Forward answered without the {entity} id.", vendor=VENDOR, vendor_code="no_id"
        )
    return value


def _expired(month: Any, year: Any, today: dt.date | None = None) -> bool:
    try:
        m, y = int(str(month)), int(str(year))
    except (TypeError, ValueError):
        return False
    if y < 100:
        y += 2000
    today = today or dt.datetime.now(dt.UTC).date()
    return (y, m) < (today.year, today.month)


def _secure_url(url: str) -> bool:
    """HTTPS only; plain HTTP only to loopback (the simulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _config_error(message: str) -> ConnectorAuthError:
    return ConnectorAuthError(message, vendor=VENDOR, vendor_code="config")
