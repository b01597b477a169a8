"""Hubcash Payment API v1.0: JSON over HTTPS, authenticated by the ``X-Hubcash-Code`` and
``X-Hubcash-Token`` headers (seed 002, ``docs/gateways/hubcash.md``).

Wire facts that shape this module:

- One host for both key sets ("For both environments you can use the default endpoint"):
  the dealer's keys, not the URL, choose development or production.
- Amounts are integer cents; the only documented currency is ``BRL`` and identifiers
  (currency, method, brand) are case-sensitive, so the currency goes out upper-case.
- The only card token is a saved card's ``CardId`` (``POST /cards`` takes the full number,
  which the hub never holds; there is no browser tokenizer). A ``PaymentSource.token`` is
  therefore a ``CardId``, charged with ``"Card": {"CardId": ...}``.
- ``POST /sales`` with ``Capture`` true sells, false authorizes (status 3 "Capturing");
  ``PUT /sales/capture/{id}`` and ``PUT /sales/cancel/{id}`` take no body and act on the
  whole sale: no partial capture, and the only refund is cancelling the whole sale.
- No idempotency key exists. Our attempt id travels as the sale's ``Ref``, which
  ``GET /sales?Ref=`` finds again; capture, void and refund read the sale first, so a
  repeated call after a lost answer finds the work done instead of failing.
- Outcomes are a numeric ``Status`` without decline codes or AVS/CVV fields; see
  :mod:`dealerhub.connectors.processors.hubcash_codes` for how they map.
- Notifications (webhooks) are unsigned; one is verified by reading it back from the API
  with the dealer's credentials (``GET /notifications/{id}``).
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
    ConnectorRejected,
    ConnectorResponseError,
    FlowNotSupported,
    WebhookRejected,
)
from dealerhub.connectors.processors import hubcash_codes as codes
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

VENDOR = codes.VENDOR
BASE_URLS = {
    "sandbox": "https://api.hubcash.com/v1",
    "production": "https://api.hubcash.com/v1",
}
CONFIG_FIELDS: tuple[str, ...] = ("code", "token")
SECRET_FIELDS: frozenset[str] = frozenset({"token"})
CODE_HEADER = "X-Hubcash-Code"
TOKEN_HEADER = "X-Hubcash-Token"  # noqa: S105 - a header name, not a secret
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
REF_PAGE_ROWS = 10


class HubcashProcessor:
    """A dealer's Hubcash account. ``config`` is the decrypted ``payment_gateways.hubcash``
    block: ``code`` and ``token`` (required), ``environment`` and ``api_url`` (optional)."""

    name = VENDOR
    capabilities = ProcessorCapabilities(
        card=True,
        manual_capture=True,  # Capture: false, then PUT /sales/capture
        partial_capture=False,  # capture takes no amount
        partial_refund=False,  # the only refund is cancelling the whole sale
        multiple_refunds=False,
        three_d_secure=False,
        bank_debit=False,  # Billet (boleto) is a voucher the customer pays, not a debit
        setup=True,  # saved cards (CardId); see setup()
        void_before_settlement_only=False,  # cancel works before and after capture
        webhooks=True,  # notifications on every sale status change
        refund_lookup=False,  # a cancel has no body: the refund id never reaches Hubcash
        currencies=frozenset({"brl"}),
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
            raise _config_error(f"The Hubcash configuration is missing {', '.join(missing)}.")
        environment = str(config.get("environment") or "production")
        if environment not in BASE_URLS:
            raise _config_error("The Hubcash environment must be 'sandbox' or 'production'.")
        base = str(config.get("api_url") or BASE_URLS[environment]).rstrip("/")
        parts = urlsplit(base)
        # The token travels in a header: plain HTTP only to a simulator on this machine.
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
        ):
            raise _config_error("The Hubcash api_url must use https://.")
        self.environment = environment
        self.base_url = base
        self.timeout = timeout
        self._code = str(config["code"]).strip()
        self._token = str(config["token"]).strip()
        # No retries here: a sale POST must not be repeated blindly (Hubcash has no
        # idempotency key); the hub retries ConnectorUnavailable itself, once.
        self.http = session or make_session(timeout=timeout, retries=0)

    def __repr__(self) -> str:  # never the token
        return f"HubcashProcessor(environment={self.environment!r}, base_url={self.base_url!r})"

    # --- payments -------------------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        _require_card(request.source)
        body = {
            "Sale": {
                "Ref": request.attempt_id,
                "Amount": request.amount,
                "Currency": request.currency.upper(),
                # The hub's payment sources carry no funding type, so every sale is a
                # credit sale (Debit would need one, and takes no manual capture in practice).
                "Method": "Credit",
                "Capture": request.capture,
                "Card": {"CardId": request.source.token},
            }
        }
        sale = self._sale("POST", "/sales", "sale", body=body)
        return codes.charge_result(sale, requested=request.amount)

    def complete_action(self, reference: str, *, success: bool, capture: bool) -> ProcessorResult:
        raise FlowNotSupported("Hubcash has no 3-D Secure flow.", vendor=VENDOR)

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        sale = self._sale("GET", f"/sales/{_seg(reference)}", "sale lookup", moves_money=False)
        total = codes.cents(sale.get("Amount"))
        if total is not None and amount > total:
            raise ConnectorRejected(
                f"Capture of {amount} exceeds the sale's {total}.",
                vendor=VENDOR,
                vendor_code="amount_too_large",
            )
        if total is not None and amount < total:
            raise FlowNotSupported(
                "Hubcash captures the whole sale only (no partial capture).", vendor=VENDOR
            )
        status = codes.sale_status(sale)
        if status in (codes.PROCESSED, codes.DONE) and codes.is_captured(sale):
            return codes.charge_result(sale, requested=amount)  # a repeat: already captured
        if status != codes.CAPTURING:
            raise _refused("capture", status)
        sale = self._sale("PUT", f"/sales/capture/{_seg(reference)}", "capture")
        if codes.sale_status(sale) in (codes.PROCESSED, codes.DONE):
            return codes.charge_result(sale, requested=amount, captured=True)
        return codes.charge_result(sale, requested=amount)

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        return self._cancel(reference, None, "void")

    def refund(self, reference: str, amount: int, *, refund_id: str) -> ProcessorResult:
        return self._cancel(reference, amount, "refund")

    def _cancel(self, reference: str, amount: int | None, what: str) -> ProcessorResult:
        sale = self._sale("GET", f"/sales/{_seg(reference)}", "sale lookup", moves_money=False)
        total = codes.cents(sale.get("Amount"))
        if amount is not None and total is not None and amount != total:
            raise FlowNotSupported(
                "Hubcash refunds by cancelling the whole sale (no partial refund).",
                vendor=VENDOR,
            )
        status = codes.sale_status(sale)
        if status != codes.CANCELED:
            if status in (codes.FAIL, None):
                raise _refused(what, status)
            sale = self._sale("PUT", f"/sales/cancel/{_seg(reference)}", what)
        return codes.cancel_result(sale)

    def setup(self, source: PaymentSource, *, attempt_id: str) -> ProcessorResult:
        """Hubcash vaults cards itself (``POST /cards`` with the full number, done by the
        dealer's card capture), so the source already names a saved ``CardId``. There is no
        zero-amount verification: setup reads the card back and checks its expiry, and the
        ``CardId`` is the reusable vault token."""
        _require_card(source)
        data = self._call("GET", f"/cards/{_seg(source.token)}", "card lookup", moves_money=False)
        card = data.get("Card")
        if not isinstance(card, dict) or not isinstance(card.get("CardId", source.token), str):
            raise ConnectorResponseError(
                "Hubcash answered the card lookup without a Card.", vendor=VENDOR
            )
        card_id = str(card.get("CardId") or source.token)
        raw = codes.mask(data)
        if _expired(card.get("ExpMonth"), card.get("ExpYear")):
            return ProcessorResult(
                AttemptStatus.DECLINED,
                card_id,
                failure_code="expired_card",
                decline_code="expired_card",
                message=codes.DECLINE_MESSAGES["expired_card"],
                network_status="not_sent_to_network",
                processor_message="Saved card expired",
                raw=raw,
            )
        return ProcessorResult(
            AttemptStatus.SUCCEEDED,
            card_id,
            checks=dict(codes.NO_CHECKS),
            vault_token=card_id,
            raw=raw,
        )

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        if reference:
            sale = self._sale("GET", f"/sales/{_seg(reference)}", "sale lookup", moves_money=False)
        else:
            found = self.find_by_ref(attempt_id)
            if found is None:
                # Hubcash creates a sale within the POST: when the client has given up and no
                # sale carries our Ref, the POST was never processed.
                return ProcessorResult(
                    AttemptStatus.DECLINED,
                    None,
                    failure_code="processing_error",
                    message="Hubcash has no sale for this attempt: the request never reached it.",
                    processor_message="No sale with this Ref",
                )
            sale = found
        ref = sale.get("Ref")
        if ref is None or ref == attempt_id:
            return codes.charge_result(sale, requested=0)
        # Another attempt on the same sale: the hub syncs refunds, which are cancels.
        return codes.cancel_result(sale)

    def find_by_ref(self, ref: str) -> dict[str, Any] | None:
        """The sale whose ``Ref`` is ``ref`` (our attempt id). The seed marks the list's
        ``Status`` filter "(required)"; if Hubcash insists, every status is asked in turn.
        Should a Ref ever match twice, a sale that holds money wins over a failed one."""
        params: dict[str, Any] = {"Ref": ref, "offset": 0, "rows": REF_PAGE_ROWS}
        try:
            sales = self._list(params)
        except ConnectorRejected as exc:
            if "status" not in exc.message.lower():
                raise
            sales = []
            for status in codes.STATUS_NAMES:
                sales += self._list({**params, "Status": status})
        sales = [sale for sale in sales if sale.get("Ref") == ref]
        if not sales:
            return None
        holding = [
            s for s in sales if codes.sale_status(s) not in (codes.FAIL, codes.CANCELED, None)
        ]
        return (holding or sales)[0]

    def _list(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        data = self._call("GET", "/sales", "sale search", params=params, moves_money=False)
        sales = data.get("Sales")
        if not isinstance(sales, list):
            raise ConnectorResponseError(
                "Hubcash answered a sale search without Sales.", vendor=VENDOR
            )
        return [sale for sale in sales if isinstance(sale, dict)]

    # --- account --------------------------------------------------------------------------

    def check(self) -> None:
        """``GET /currencies``: authenticated, moves nothing."""
        data = self._call("GET", "/currencies", "currency list", moves_money=False)
        if not isinstance(data.get("Currencies"), list):
            raise ConnectorResponseError(
                "Hubcash answered the currency list without Currencies.", vendor=VENDOR
            )

    def tokenizer(self) -> TokenizerInfo | None:
        return None  # Hubcash documents no hosted fields or browser key

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        """Hubcash signs nothing, so a notification is only believed once the API, asked
        with the dealer's credentials, knows it and agrees on its sale and status. Either
        way the hub treats it as a nudge to ``sync``."""
        try:
            message = json.loads(body)
        except ValueError as exc:
            raise _rejected("The body is not valid JSON.", "body_invalid") from exc
        if not isinstance(message, dict):
            raise _rejected("The body must be a JSON object.", "body_invalid")
        claimed = _notification(message, "Notification")
        path = f"/notifications/{_seg(claimed['NotificationId'])}"
        try:
            data = self._call("GET", path, "notification lookup", moves_money=False)
        except ConnectorRejected as exc:
            raise _rejected("Hubcash does not know this notification.") from exc
        known = _notification(data, "Notification")
        if (known["NotificationId"], known["SaleId"], known["Status"]) != (
            claimed["NotificationId"],
            claimed["SaleId"],
            claimed["Status"],
        ):
            raise _rejected("The notification does not match Hubcash's copy.")
        return WebhookMessage(
            event_id=known["NotificationId"],
            type=codes.event_type(known["Status"]),
            # Every attempt made through a real gateway is a live-mode attempt in the hub,
            # whichever Hubcash key set (development or production) the dealer uses.
            livemode=True,
            account=None,  # Hubcash does not name the merchant in a notification
            payload=codes.mask(data),
            reference=known["SaleId"],
        )

    # --- transport ------------------------------------------------------------------------

    def _sale(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Mapping[str, Any] | None = None,
        moves_money: bool = True,
    ) -> dict[str, Any]:
        data = self._call(method, path, what, body=body, moves_money=moves_money)
        sale = data.get("Sale")
        if not isinstance(sale, dict) or not isinstance(sale.get("SaleId"), str):
            raise codes.no_answer(f"Hubcash answered the {what} without a Sale.", moves_money)
        return sale

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        moves_money: bool = True,
    ) -> dict[str, Any]:
        """One request; the answer's JSON object, or the ConnectorError it amounts to.
        ``moves_money`` decides whether an answer that never came is an unknown outcome
        (the vendor may have acted) or merely unavailable (a read changes nothing)."""
        headers = {
            CODE_HEADER: self._code,
            TOKEN_HEADER: self._token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        response = transport.send(
            self.http,
            method,
            self.base_url + path,
            vendor=VENDOR,
            label="Hubcash",
            what=what,
            moves_money=moves_money,
            json=body,
            params=params,
            headers=headers,
            timeout=self.timeout,
        )
        return codes.http_answer(response, what, moves_money)


# --- helpers -------------------------------------------------------------------------------


def _expired(month: Any, year: Any, today: dt.date | None = None) -> bool:
    try:
        m, y = int(str(month)), int(str(year))
    except ValueError:
        return False  # unreadable expiry: let the sale decide
    today = today or dt.date.today()
    return (y, m) < (today.year, today.month)


def _refused(what: str, status: int | None) -> ConnectorRejected:
    name = codes.STATUS_NAMES.get(status or 0, "unknown")
    return ConnectorRejected(
        f"Hubcash cannot {what} a sale in status {status} ({name}).",
        vendor=VENDOR,
        vendor_code="invalid_status",
    )


def _require_card(source: PaymentSource) -> None:
    if source.type != "card":
        raise FlowNotSupported(
            f"Hubcash takes cards only, not {source.type} (no bank debit).", vendor=VENDOR
        )
    if not source.token:
        raise ConnectorRejected(
            "A Hubcash CardId is required.", vendor=VENDOR, vendor_code="CardId"
        )


def _seg(value: str) -> str:
    """A path segment: ids are the vendor's, but never let one change the path."""
    return quote(value, safe="")


def _notification(data: Any, key: str) -> dict[str, Any]:
    note = data.get(key) if isinstance(data, dict) else None
    if not isinstance(note, dict):
        raise _rejected("The notification is missing.", "parameter_invalid", key)
    note_id = note.get("NotificationId")
    if not isinstance(note_id, str) or not note_id or len(note_id) > 64:
        raise _rejected("The notification has no valid id.", "parameter_invalid", "NotificationId")
    sale = note.get("Sale")
    sale_id = sale.get("SaleId") if isinstance(sale, dict) else None
    if not isinstance(sale_id, str) or not sale_id or len(sale_id) > 64:
        raise _rejected("The notification names no sale.", "parameter_invalid", "Sale.SaleId")
    status = codes.sale_status(sale) if isinstance(sale, dict) else None
    if status is None:
        raise _rejected("The notification has no sale status.", "parameter_invalid", "Sale.Status")
    return {"NotificationId": note_id, "SaleId": sale_id, "Status": status}


def _rejected(
    message: str, code: str = "signature_invalid", param: str | None = None
) -> WebhookRejected:
    return WebhookRejected(message, vendor=VENDOR, code=code, param=param)


def _config_error(message: str) -> ConnectorAuthError:
    return ConnectorAuthError(message, vendor=VENDOR, vendor_code="config")
