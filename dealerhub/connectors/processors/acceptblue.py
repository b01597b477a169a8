"""accept.blue (white-labelled as MiCamp Solutions, "MiCamp Blue"): JSON over HTTPS, HTTP Basic
with the dealer's source key and pin.

Wire facts from the vendor's API v2 documentation (``reference/seeds/004_…``) and why the
connector does what it does:

- Amounts are decimal US dollars; the hub's integer cents go out as exact JSON numbers built
  from ``Decimal`` and come back parsed as ``Decimal`` (never a float).
- Declines are not HTTP errors: a 200 carries ``status``/``status_code`` (``Approved``/A,
  ``Partially Approved``/P, ``Declined``/D, ``Error``/E, ``Submitted``) and the processor's
  ``error_code``/``error_message`` (see :mod:`acceptblue_codes`).
- There is no idempotency key. Every transaction carries our attempt id as
  ``transaction_details.order_number``; ``sync(None, …)`` finds it by scanning the newest
  transactions, since the list endpoint cannot filter on it.
- Capture takes no amount: a partial capture is "adjust and capture" (once per transaction),
  so the connector reads the authorization first and picks the endpoint.
- Void only before settlement, refund only after it (``void_before_settlement_only``).
- Browser tokens are ``nonce-…`` from Hosted Tokenization and carry no expiry, which the
  gateway requires with a nonce: the hub's token is ``nonce-…|MM/YYYY`` (docs/gateways).
- Webhooks are signed with the ``signature`` the vendor shows on each registered webhook
  (``GET /webhooks``); the connector reads it with the source key, so no extra secret is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

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
from dealerhub.connectors.processors import acceptblue_codes as codes
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    PaymentSource,
    ProcessorCapabilities,
    ProcessorResult,
    TokenizerInfo,
    WebhookMessage,
)
from dealerhub.http import make_session

VENDOR = "acceptblue"
BASE_URLS = {
    "sandbox": "https://api.sandbox.micampblue.com/api/v2/",
    "production": "https://api.micampblue.com/api/v2/",
}
# Hosted Tokenization library (v0.3); the seed names the library but not its host, which
# follows the API's white-label host (accept.blue serves tokenization.[sandbox.]accept.blue).
TOKENIZER_URLS = {
    "sandbox": "https://tokenization.sandbox.micampblue.com/tokenization/v0.3",
    "production": "https://tokenization.micampblue.com/tokenization/v0.3",
}
CONFIG_FIELDS: tuple[str, ...] = ("source_key", "pin", "public_key")
SECRET_FIELDS: frozenset[str] = frozenset({"source_key", "pin"})
WEBHOOK_SIGNATURE_HEADER = "X-Signature"

_SOURCE = re.compile(
    r"^(?P<source>(?:tkn|nonce|ref|pm)-[A-Za-z0-9]{1,22})(?:\|(?P<month>\d{1,2})/(?P<year>\d{4}))?$"
)
_CENT = Decimal("0.01")
_MAX_AMOUNT = 2_000_000_000  # 20,000,000.00 dollars, the documented ceiling
_SCAN_PAGES = 10  # sync by attempt id looks at the newest 1,000 transactions
_WEBHOOK_KEYS_TTL = 300.0
_WEBHOOK_REFETCH_AFTER = 60.0  # a forged webhook cannot make us hammer GET /webhooks


class AcceptBlueProcessor:
    """One dealer's accept.blue account. ``allow_partial_approval`` asks the issuer for a
    partial approval instead of a decline (the result's ``amount`` is then what was approved);
    it is off by default because a sale approved for less is money the dealer must collect."""

    name = VENDOR
    capabilities = ProcessorCapabilities(
        card=True,
        manual_capture=True,
        partial_capture=True,  # adjust-capture, once per authorization
        partial_refund=True,
        multiple_refunds=True,
        three_d_secure=False,  # takes a third party's 3DS2 values, runs no challenge itself
        bank_debit=True,
        setup=True,
        void_before_settlement_only=True,
        webhooks=True,
        currencies=frozenset({"usd"}),
    )

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        allow_partial_approval: bool = False,
    ) -> None:
        missing = [key for key in CONFIG_FIELDS if not str(config.get(key) or "").strip()]
        if missing:
            raise ConnectorAuthError(
                f"accept.blue configuration is missing {', '.join(missing)}.",
                vendor=VENDOR,
                vendor_code="config",
            )
        environment = str(config.get("environment") or "production")
        if environment not in BASE_URLS:
            raise ConnectorAuthError(
                "accept.blue environment must be 'sandbox' or 'production'.",
                vendor=VENDOR,
                vendor_code="config",
            )
        api_url = str(config.get("api_url") or "").strip() or BASE_URLS[environment]
        if not _secure_url(api_url):
            raise ConnectorAuthError(
                "accept.blue api_url must use https:// (plain http only to loopback).",
                vendor=VENDOR,
                vendor_code="config",
            )
        self.environment = environment
        self.base_url = api_url.rstrip("/") + "/"
        self.public_key = str(config["public_key"]).strip()
        self._auth = (str(config["source_key"]).strip(), str(config["pin"]).strip())
        self.timeout = timeout
        self.allow_partial_approval = allow_partial_approval
        # No session-level retries: a charge has no idempotency key, so only the hub (which
        # knows whether the request certainly never arrived) may send it again.
        self.http = session or make_session(timeout=timeout, retries=0)
        self._webhook_keys: tuple[str, ...] = ()
        self._webhook_keys_at = float("-inf")

    # --- money -------------------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        if request.currency.lower() not in self.capabilities.currencies:
            raise FlowNotSupported(
                f"accept.blue charges USD only, not {request.currency.upper()}.", vendor=VENDOR
            )
        is_bank = request.source.type == "us_bank_account"
        if is_bank and not request.capture:
            raise FlowNotSupported("accept.blue cannot authorize a bank debit.", vendor=VENDOR)
        body: dict[str, Any] = {"amount": _dollars(request.amount)}
        body.update(_bank_fields(request.source) if is_bank else _card_fields(request.source))
        details: dict[str, Any] = {"order_number": request.attempt_id}
        if request.description:
            details["description"] = request.description[:1000]
        body["transaction_details"] = details
        if not is_bank:
            body["capture"] = request.capture
            body["transaction_flags"] = {
                "allow_partial_approval": self.allow_partial_approval,
                "is_customer_initiated": not request.off_session,
            }
        answer = self._call("POST", "transactions/charge", "charge", body=body)
        return codes.transaction_result(
            answer, request.amount, capture=request.capture, bank=is_bank
        )

    def complete_action(self, reference: str, *, success: bool, capture: bool) -> ProcessorResult:
        raise FlowNotSupported(
            "accept.blue has no 3-D Secure challenge to complete (it only accepts a third "
            "party's 3DS2 values).",
            vendor=VENDOR,
        )

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        number = _reference_number(reference)
        txn = self._transaction(number)
        held = codes.minor(codes.as_dict(txn.get("amount_details")).get("amount"))
        status = str(codes.as_dict(txn.get("status_details")).get("status") or "").lower()
        if status in codes.LIFECYCLE_SUCCEEDED:
            # Captured already (a retry after an unknown outcome): confirm, do not adjust twice.
            if held is not None and held != amount:
                raise ConnectorRejected(
                    "accept.blue already captured this authorization for another amount.",
                    vendor=VENDOR,
                    vendor_code="already_captured",
                )
            return ProcessorResult(AttemptStatus.SUCCEEDED, reference, amount, raw=codes.mask(txn))
        if held is not None and amount != held:
            # Capture has no amount field; adjust-and-capture sets the new total (once).
            body: dict[str, Any] = {"reference_number": number, "amount": _dollars(amount)}
            answer = self._call("POST", "transactions/adjust-capture", "capture", body=body)
        else:
            answer = self._call(
                "POST", "transactions/capture", "capture", body={"reference_number": number}
            )
        self._refused_unless_approved(answer, "capture")
        captured = codes.minor(answer.get("auth_amount")) or amount
        return codes.approved(AttemptStatus.SUCCEEDED, reference, captured, answer)

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        number = _reference_number(reference)
        answer = self._call("POST", "transactions/void", "void", body={"reference_number": number})
        self._refused_unless_approved(answer, "void")
        return codes.approved(AttemptStatus.SUCCEEDED, reference, 0, answer)

    def refund(self, reference: str, amount: int, *, refund_id: str) -> ProcessorResult:
        number = _reference_number(reference)
        # The refund's answer does not say whether it went to a card or a bank account; an
        # ACH refund settles days later, so the original transaction is read first.
        bank = bool(self._transaction(number).get("check_details"))
        body = {
            "reference_number": number,
            "amount": _dollars(amount),
            "transaction_details": {"order_number": refund_id},
        }
        answer = self._call("POST", "transactions/refund", "refund", body=body)
        if codes.status_code_of(answer) == codes.DECLINED:
            return codes.transaction_result(answer, amount, capture=True, bank=False)
        self._refused_unless_approved(answer, "refund")
        status = AttemptStatus.PENDING if bank else AttemptStatus.SUCCEEDED
        return codes.approved(
            status, codes.reference_of(answer.get("reference_number")), amount, answer
        )

    def setup(self, source: PaymentSource, *, attempt_id: str) -> ProcessorResult:
        if source.type == "us_bank_account":
            return self._vault_bank_account(source, attempt_id)
        match = _parse_source(source.token)
        token = match.group("source")
        if token.startswith(("tkn-", "pm-")):
            # Already a vaulted card: the gateway verifies nonces only.
            return ProcessorResult(AttemptStatus.SUCCEEDED, token, vault_token=token)
        if token.startswith("ref-"):
            answer = self._call("POST", "saved-cards", "setup", body={"source": token})
            return codes.vaulted(f"tkn-{_card_ref(answer, 'cardRef')}", answer)
        body: dict[str, Any] = {"source": token, "save_card": True}
        body.update(_expiry(match))
        body["transaction_details"] = {"order_number": attempt_id}
        answer = self._call("POST", "transactions/verify", "verification", body=body)
        if codes.status_code_of(answer) not in (codes.APPROVED, codes.PARTIAL):
            return codes.transaction_result(answer, 0, capture=True, bank=False)
        return codes.vaulted(f"tkn-{_card_ref(answer, 'card_ref')}", answer)

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        if reference and reference.startswith(("tkn-", "pm-")):
            return ProcessorResult(AttemptStatus.SUCCEEDED, reference, vault_token=reference)
        if reference:
            txn: Mapping[str, Any] | None = self._transaction(_reference_number(reference))
        else:
            txn = self._find_by_order_number(attempt_id)
        if txn is None:
            # Not (yet) recorded: a sent request may still land, so this is no failure.
            return ProcessorResult(
                AttemptStatus.UNKNOWN,
                None,
                failure_code="resource_missing",
                message="accept.blue has no transaction with this order number.",
            )
        return codes.lifecycle_result(txn)

    # --- other -------------------------------------------------------------------------

    def check(self) -> None:
        answer = self._call("GET", "transactions", "check", params={"limit": 1}, money=False)
        if not isinstance(answer, list):
            raise ConnectorResponseError(
                "accept.blue GET /transactions did not answer a list.", vendor=VENDOR
            )

    def tokenizer(self) -> TokenizerInfo | None:
        return TokenizerInfo(
            script_url=TOKENIZER_URLS[self.environment], public_key=self.public_key
        )

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        signature = _header(headers, WEBHOOK_SIGNATURE_HEADER).strip().lower()
        if not signature:
            raise _rejected(f"The {WEBHOOK_SIGNATURE_HEADER} header is missing.")
        if not self._signed(body, signature):
            raise _rejected("The webhook signature does not match any registered webhook.")
        try:
            message = json.loads(body, parse_float=Decimal)
        except ValueError as exc:
            raise _rejected("The body is not valid JSON.", "body_invalid") from exc
        if not isinstance(message, dict):
            raise _rejected("The body must be a JSON object.", "body_invalid")
        event_id, event = message.get("id"), message.get("event")
        if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
            raise _rejected("The webhook has no valid id.", "parameter_invalid", "id")
        if not isinstance(event, str) or not event or len(event) > 60:
            raise _rejected("The webhook has no valid event.", "parameter_invalid", "event")
        data = message.get("data")
        if not isinstance(data, dict):
            raise _rejected("The webhook has no data object.", "parameter_invalid", "data")
        number = data.get("reference_number")
        return WebhookMessage(
            event_id=event_id,
            type=codes.hub_event_type(str(data.get("transaction_type") or "charge"), event),
            livemode=self.environment == "production",
            account=None,
            payload=codes.mask(message),
            reference=str(number) if isinstance(number, int) and number > 0 else None,
        )

    # --- helpers -----------------------------------------------------------------------

    def _signed(self, body: bytes, signature: str) -> bool:
        now = time.monotonic()
        if now - self._webhook_keys_at > _WEBHOOK_KEYS_TTL:
            self._load_webhook_keys(now)
        if _matches(self._webhook_keys, body, signature):
            return True
        if now - self._webhook_keys_at > _WEBHOOK_REFETCH_AFTER:
            self._load_webhook_keys(now)  # the dealer may have rotated or added a webhook
            return _matches(self._webhook_keys, body, signature)
        return False

    def _load_webhook_keys(self, now: float) -> None:
        hooks = self._call("GET", "webhooks", "webhook keys", money=False)
        items = hooks if isinstance(hooks, list) else []
        self._webhook_keys = tuple(
            str(h["signature"])
            for h in items
            if isinstance(h, dict) and h.get("signature") and h.get("active", True)
        )
        self._webhook_keys_at = now

    def _vault_bank_account(self, source: PaymentSource, attempt_id: str) -> ProcessorResult:
        if source.bank is None:
            token = _parse_source(source.token).group("source")
            return ProcessorResult(AttemptStatus.SUCCEEDED, token, vault_token=token)
        # Bank accounts are vaulted as a customer's payment method (no money moves, no
        # verification exists for them); our attempt id is the customer's number.
        customer = self._call(
            "POST",
            "customers",
            "setup",
            body={
                "identifier": (source.bank.holder_name or attempt_id)[:255],
                "customer_number": attempt_id,
            },
        )
        customer_id = customer.get("id")
        if not isinstance(customer_id, int):
            raise ConnectorResponseError(
                "accept.blue returned a customer without id.", vendor=VENDOR
            )
        fields = _bank_fields(source)
        fields.pop("sec_code", None)
        method = self._call(
            "POST", f"customers/{customer_id}/payment-methods", "setup", body=fields
        )
        method_id = method.get("id")
        if not isinstance(method_id, int):
            raise ConnectorResponseError(
                "accept.blue returned a payment method without id.", vendor=VENDOR
            )
        token = f"pm-{method_id}"
        return ProcessorResult(
            AttemptStatus.SUCCEEDED, token, vault_token=token, raw=codes.mask(method)
        )

    def _transaction(self, number: int) -> Mapping[str, Any]:
        answer = self._call("GET", f"transactions/{number}", "transaction lookup", money=False)
        if not isinstance(answer, dict):
            raise ConnectorResponseError(
                "accept.blue returned no transaction object.", vendor=VENDOR
            )
        return answer

    def _find_by_order_number(self, order_number: str) -> Mapping[str, Any] | None:
        for page in range(_SCAN_PAGES):
            params = {"order": "desc", "limit": 100, "offset": page * 100}
            items = self._call(
                "GET", "transactions", "transaction search", params=params, money=False
            )
            if not isinstance(items, list):
                raise ConnectorResponseError(
                    "accept.blue GET /transactions did not answer a list.", vendor=VENDOR
                )
            for item in items:
                details = (
                    codes.as_dict(item.get("transaction_details")) if isinstance(item, dict) else {}
                )
                if details.get("order_number") == order_number:
                    return item
            if len(items) < 100:
                return None
        return None

    def _refused_unless_approved(self, answer: Mapping[str, Any], what: str) -> None:
        """Capture, void and refund answer ``Error`` for business refusals (unsettled, already
        voided, …): the gateway understood and said no."""
        if codes.status_code_of(answer) in (codes.APPROVED, codes.PARTIAL):
            return
        text = codes.mask_text(str(answer.get("error_message") or answer.get("status") or ""))
        raise ConnectorRejected(
            f"accept.blue refused the {what}: {text or 'no reason given'}.",
            vendor=VENDOR,
            http_status=200,
            vendor_code=codes.error_code_of(answer),
        )

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        money: bool = True,
    ) -> Any:
        """One request; the answer's parsed JSON or a ConnectorError. ``money`` says whether
        the vendor may have acted on a request whose answer never came (an unknown outcome)
        or whether it was a read that can simply be asked again."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = dumps(body)
        response = transport.send(
            self.http,
            method,
            self.base_url + path,
            vendor=VENDOR,
            label="accept.blue",
            what=what,
            moves_money=money,
            data=data,
            params=params,
            headers=headers,
            auth=self._auth,
            timeout=self.timeout,
        )
        return _answer(response, what, money)


# --- transport helpers ---------------------------------------------------------------------


def dumps(body: Mapping[str, Any]) -> bytes:
    """JSON with ``Decimal`` amounts written as exact number literals (the standard encoder
    knows no Decimal, and a float would round)."""
    literals: dict[str, str] = {}
    marker = uuid.uuid4().hex

    def encode(value: Any) -> str:
        if isinstance(value, Decimal):
            key = f"{marker}{len(literals)}"
            literals[key] = format(value, "f")
            return key
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    text = json.dumps(body, default=encode, separators=(",", ":"))
    for key, literal in literals.items():
        text = text.replace(f'"{key}"', literal)
    return text.encode()


def _answer(response: requests.Response, what: str, money: bool) -> Any:
    status = response.status_code
    try:
        parsed: Any = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        parsed = None
    envelope = parsed if isinstance(parsed, dict) else {}
    text = codes.mask_text(str(envelope.get("error_message") or ""))
    detail = f": {text}" if text else ""
    kwargs: dict[str, Any] = {
        "vendor": VENDOR,
        "http_status": status,
        "vendor_code": codes.error_code_of(envelope) or str(status),
    }
    if status in (401, 403):
        raise ConnectorAuthError(
            f"accept.blue refused the source key or pin ({what}, HTTP {status}){detail}.", **kwargs
        )
    if status in (429, 503):
        raise ConnectorUnavailable(f"accept.blue {what} answered HTTP {status}{detail}.", **kwargs)
    if status >= 500:
        unavailable = ConnectorOutcomeUnknown if money else ConnectorUnavailable
        raise unavailable(f"accept.blue {what} answered HTTP {status}{detail}.", **kwargs)
    if status >= 400:
        raise ConnectorRejected(
            f"accept.blue rejected the {what} (HTTP {status}){detail}.", **kwargs
        )
    if not isinstance(parsed, dict | list):
        unusable = ConnectorOutcomeUnknown if money else ConnectorResponseError
        raise unusable(
            f"accept.blue {what} answered HTTP {status} with a body that is not JSON.",
            vendor=VENDOR,
            http_status=status,
            vendor_code="malformed_body",
        )
    return parsed


def _unavailable(what: str, text: str, code: str) -> ConnectorUnavailable:
    return ConnectorUnavailable(f"accept.blue {what} {text}.", vendor=VENDOR, vendor_code=code)


def _lost(what: str, text: str, code: str, money: bool) -> ConnectorUnavailable:
    cls = ConnectorOutcomeUnknown if money else ConnectorUnavailable
    return cls(f"accept.blue {what} {text}.", vendor=VENDOR, vendor_code=code)


def _secure_url(url: str) -> bool:
    """HTTPS only; plain HTTP is allowed to loopback alone (the simulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def _matches(keys: tuple[str, ...], body: bytes, signature: str) -> bool:
    found = False
    for key in keys:
        expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        found |= hmac.compare_digest(expected, signature)
    return found


def _rejected(
    message: str, code: str = "signature_invalid", param: str | None = None
) -> WebhookRejected:
    return WebhookRejected(message, vendor=VENDOR, code=code, param=param)


# --- wire values ---------------------------------------------------------------------------


def _dollars(minor: int) -> Decimal:
    if not 0 < minor <= _MAX_AMOUNT:
        raise ConnectorRejected(
            "accept.blue amounts must be between 0.01 and 20,000,000.00 USD.",
            vendor=VENDOR,
            vendor_code="amount_invalid",
        )
    return (Decimal(minor) / 100).quantize(_CENT)


def _reference_number(reference: str) -> int:
    text = reference.removeprefix("ref-")
    if not text.isdigit() or int(text) < 1:
        raise ConnectorRejected(
            "This is not an accept.blue reference number.", vendor=VENDOR, vendor_code="reference"
        )
    return int(text)


def _parse_source(token: str) -> re.Match[str]:
    match = _SOURCE.match(token or "")
    if match is None:
        # The token itself is never quoted: it may be a live vault token.
        raise ConnectorRejected(
            "The payment source is not an accept.blue token (tkn-, nonce-, ref- or pm-).",
            vendor=VENDOR,
            vendor_code="source_invalid",
        )
    return match


def _expiry(match: re.Match[str]) -> dict[str, int]:
    if not match.group("month"):
        return {}
    return {"expiry_month": int(match.group("month")), "expiry_year": int(match.group("year"))}


def _card_fields(source: PaymentSource) -> dict[str, Any]:
    match = _parse_source(source.token)
    return {"source": match.group("source"), **_expiry(match)}


def _bank_fields(source: PaymentSource) -> dict[str, Any]:
    bank = source.bank
    if bank is None:
        return {"source": _parse_source(source.token).group("source")}
    if not bank.holder_name.strip():
        raise ConnectorRejected(
            "accept.blue needs the bank account holder's name.",
            vendor=VENDOR,
            vendor_code="name_missing",
        )
    return {
        "name": bank.holder_name.strip()[:255],
        "routing_number": bank.routing_number,
        "account_number": bank.account_number,
        "account_type": "savings" if bank.account_type == "savings" else "checking",
        # Consumer debits authorised online are WEB; a company's account is CCD.
        "sec_code": "CCD" if bank.holder_type == "company" else "WEB",
    }


def _card_ref(answer: Mapping[str, Any], key: str) -> str:
    ref = answer.get(key)
    if not isinstance(ref, str) or not ref.isalnum():
        raise ConnectorResponseError(f"accept.blue returned no {key} to vault.", vendor=VENDOR)
    return ref
