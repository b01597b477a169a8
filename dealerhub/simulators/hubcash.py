"""Hubcash Payment API v1.0 simulator: the vendor's paths, headers, envelopes, numeric sale
statuses and notifications (seed 002), held in memory per app.

Credentials: any non-empty ``X-Hubcash-Code`` / ``X-Hubcash-Token`` pass (the documented
test pair is ``sim_code`` / ``sim_token``); the value ``sim_invalid`` in either header is
refused with the vendor's 401 ``Errors`` body. Amounts are integer cents, currency ``BRL``.

Outcomes the vendor leaves undocumented are ours (the seed has no test values):

- Test cards (any future expiry, any 3-digit security code): ``5162321366555222331234`` (the
  seed's example), ``4111111111111111`` and ``5555555555554444`` approve;
  ``4000000000009995`` insufficient funds, ``4000000000000002`` do not honor,
  ``4000000000000069`` expired card, ``4000000000000127`` incorrect security code,
  ``4100000000000019`` refused by the antifraud, ``4000000000000028`` approved with a
  billing-address mismatch remark, ``4000000000000259`` held for antifraud analysis. A card
  whose ``ExpMonth``/``ExpYear`` has passed is declined as expired.
- Amounts (cents), for any approving card: ``10051`` insufficient funds, ``10005`` do not
  honor, ``10054`` expired card, ``10082`` incorrect security code, ``10059`` antifraud
  refusal, ``10019`` processing error, ``10033`` approved with an address-mismatch remark,
  ``10002`` held in status 2 "Analyzing" until settled; ``10503`` answers 503 before doing
  anything, ``10500`` creates the sale then answers 500, ``10408`` creates it then answers
  after 3 seconds (a client read timeout).
- Declines are sale status 5 "Fail", explained by the last ``History[].Action`` (and, for
  the antifraud, an ``Analyze[]`` entry "Reproved"); there are no decline codes, like the
  vendor's documentation.
- ``Capture: false`` leaves a sale in 3 "Capturing"; ``PUT /sales/capture/{id}`` (status 3
  only) moves it to 1 "Processed"; ``PUT /sales/cancel/{id}`` cancels any sale not in 5 or
  6. ``Ref`` is not unique: Hubcash documents no idempotency key, so repeats create sales.
- Unknown ids answer 404 with an ``Errors`` body (the seed is silent on 404).
- The ``GET /sales`` ``Status`` filter is optional here (the seed marks it "required").

Settlement (``POST /__simulator__/settle``): 1 "Processed" → 7 "Done"; 2 "Analyzing" → 1
(or 3 when not captured); 4 "Waiting Payment" → 7. With a ``return_code``, analyzing sales
and unpaid billets fail (5) instead. Every status change creates a notification (``GET
/notifications/{id}``); with ``webhook_url`` it is POSTed there as
``{"Notification": {...}}`` (Hubcash signs nothing, so ``webhook_secret`` is unused) and the
receiver's HTTP status becomes ``LastResponseCode`` (0 when never delivered).

Test-only tokenizer (stands in for the dealer's card capture, since Hubcash has no hosted
fields): ``POST /__simulator__/cards`` with ``{"number", "exp_month", "exp_year", "cvc",
"holder_name"}`` saves a card exactly as ``POST /cards`` would and answers ``{"CardId"}``.
The other control endpoints are :mod:`dealerhub.simulators.control`'s.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, Response, g, jsonify, request

from dealerhub.simulators.control import Fault, Ledger, add_control_routes, with_faults

CURRENCIES = ("BRL",)
METHODS = ("Credit", "Debit", "Billet")
BRANDS = {"Visa": 16, "Mastercard": 16, "Amex": 15, "Elo": 16, "Hipercard": 16, "Diners": 14}
BRAND_PREFIXES = (("4", "Visa"), ("5", "Mastercard"), ("34", "Amex"), ("37", "Amex"))
MIN_QUOTA_CENTS = 500  # "The lower quota value allowed is R$ 5,00."
TEST_CODE, TEST_TOKEN, INVALID_CREDENTIAL = "sim_code", "sim_token", "sim_invalid"

# Behaviours: (kind, text). kind: "ok" | "fail" | "fraud" | "avs" | "analyzing".
_INSUFFICIENT = ("fail", "Not authorized: insufficient funds")
_DO_NOT_HONOR = ("fail", "Not authorized: do not honor")
_EXPIRED = ("fail", "Not authorized: expired card")
_BAD_CVC = ("fail", "Not authorized: security code invalid")
_FRAUD = ("fraud", "Not authorized by the antifraud analysis")
_AVS = ("avs", "Approved with restrictions: billing address does not match")
_ANALYZING = ("analyzing", "Waiting for the antifraud analysis")
_OK = ("ok", "Authorized")
TEST_CARDS: dict[str, tuple[str, str]] = {
    "5162321366555222331234": _OK,
    "4111111111111111": _OK,
    "5555555555554444": _OK,
    "4000000000009995": _INSUFFICIENT,
    "4000000000000002": _DO_NOT_HONOR,
    "4000000000000069": _EXPIRED,
    "4000000000000127": _BAD_CVC,
    "4100000000000019": _FRAUD,
    "4000000000000028": _AVS,
    "4000000000000259": _ANALYZING,
}
MAGIC_AMOUNTS: dict[int, tuple[str, str]] = {
    10051: _INSUFFICIENT,
    10005: _DO_NOT_HONOR,
    10054: _EXPIRED,
    10082: _BAD_CVC,
    10059: _FRAUD,
    10019: ("fail", "Processing error, try again"),
    10033: _AVS,
    10002: _ANALYZING,
}
FAULT_AMOUNTS: dict[int, Fault] = {
    10503: Fault(status=503),
    10500: Fault(status=500, after=True),
    10408: Fault(delay=3.0),
}
CARD_FIELDS = ("Brand", "HolderName", "ExpMonth", "ExpYear", "Number", "SecurityCode")


@dataclass
class HubcashLedger(Ledger):
    """Sales (``transactions``, in the vendor's shape), saved cards and notifications."""

    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    behaviours: dict[str, tuple[str, str]] = field(default_factory=dict)  # by CardId
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.cards.clear()
            self.behaviours.clear()
            self.notifications.clear()


class Invalid(Exception):
    """A request the vendor answers with 400 (or ``status``) and one ``Errors`` item."""

    def __init__(self, field_name: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.field_name, self.description, self.status = field_name, description, status


def create_app(*, webhook_url: str | None = None, webhook_secret: str | None = None) -> Flask:
    """A fresh simulator. ``webhook_secret`` is accepted for symmetry with the other
    gateways' simulators and ignored: Hubcash notifications carry no signature."""
    app = Flask(__name__)
    ledger = HubcashLedger()

    def notify(sale: dict[str, Any]) -> dict[str, Any]:
        """Record the notification for a sale's new status (the vendor creates one on every
        change, URL or not); delivery happens outside the lock."""
        now = _now()
        note_id = _new_id()
        note: dict[str, Any] = {
            "NotificationId": note_id,
            "DateUpdated": now,
            "DateAdded": now,
            "LastResponseCode": 0,
            "Sale": {"SaleId": sale["SaleId"], "Status": sale["Status"]},
        }
        ledger.notifications[note_id] = note
        return note

    def deliver(notes: list[dict[str, Any]]) -> None:
        for note in notes:
            if not webhook_url:
                continue
            try:
                answer = requests.post(webhook_url, json={"Notification": note}, timeout=5)
            except requests.RequestException:
                continue  # the vendor keeps it for a resend
            with ledger.lock:
                note["LastResponseCode"] = answer.status_code
                note["DateUpdated"] = _now()

    def change(sale: dict[str, Any], status: int, action: str) -> None:
        """A status change made by a request: delivered once the response is sent."""
        _step(sale, status, action)
        g.setdefault("notes", []).append(notify(sale))

    @app.after_request
    def _deliver_after(response: Response) -> Response:
        notes = list(g.pop("notes", []))
        if notes:
            response.call_on_close(lambda: deliver(notes))
        return response

    @app.before_request
    def _authenticate() -> Response | None:
        if request.path.startswith("/__simulator__/"):
            return None
        code = request.headers.get("X-Hubcash-Code", "").strip()
        token = request.headers.get("X-Hubcash-Token", "").strip()
        if not code or not token or INVALID_CREDENTIAL in (code, token):
            return _errors(401, "Authorization", "headers", "Authorization with the API failed")
        return None

    @app.errorhandler(Invalid)
    def _invalid(exc: Invalid) -> Response:
        return _errors(exc.status, "Error", exc.field_name, exc.description)

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Response:
        return _errors(404, "Error", "path", "Not found")

    @app.errorhandler(405)
    def _not_allowed(_exc: Exception) -> Response:
        return _errors(405, "Error", "method", "Method not allowed")

    def money(handle: Callable[[], Response]) -> Response:
        return with_faults(ledger, handle, _fault_body)

    # --- cards --------------------------------------------------------------------------

    def save_card(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid("Card", "Required")
        for name in CARD_FIELDS:
            if not str(data.get(name) or "").strip():
                raise Invalid(name, "Required")
        if data["Brand"] not in BRANDS:
            raise Invalid("Brand", "Invalid")
        number = "".join(ch for ch in str(data["Number"]) if ch.isdigit())
        if not 12 <= len(number) <= 22:
            raise Invalid("Number", "Invalid")
        card_id = _new_id()
        card: dict[str, Any] = {
            k: data.get(k) for k in ("Brand", "HolderName", "Document", "Phone")
        }
        card.update(
            CardId=card_id,
            LastDigits=number[-4:],
            ExpMonth=str(data["ExpMonth"]).zfill(2),
            ExpYear=str(data["ExpYear"]),
        )
        with ledger.lock:
            ledger.cards[card_id] = card
            ledger.behaviours[card_id] = TEST_CARDS.get(number, _OK)
        return card

    def card_of(card_id: str) -> dict[str, Any]:
        card = ledger.cards.get(card_id)
        if card is None:
            raise Invalid("CardId", "Not found", 404)
        return card

    @app.post("/cards")
    def _create_card() -> Response:
        return _json({"Card": save_card(_body().get("Card"))}, 201)

    @app.post("/__simulator__/cards")
    def _tokenize() -> Response:
        data = _body()
        number = str(data.get("number") or "")
        brand = next((b for p, b in BRAND_PREFIXES if number.startswith(p)), "Elo")
        card = save_card(
            {
                "Brand": data.get("brand") or brand,
                "HolderName": data.get("holder_name") or "Maria da Silva",
                "Document": data.get("document"),
                "ExpMonth": data.get("exp_month") or "12",
                "ExpYear": data.get("exp_year") or str(dt.date.today().year + 3),
                "Number": number,
                "SecurityCode": data.get("cvc") or "123",
            }
        )
        return _json({"CardId": card["CardId"], "Card": card}, 201)

    @app.get("/cards/<card_id>")
    def _get_card(card_id: str) -> Response:
        return _json({"Card": card_of(card_id)})

    @app.put("/cards/<card_id>")
    def _edit_card(card_id: str) -> Response:
        data = _body().get("Card")
        if not isinstance(data, dict):
            raise Invalid("Card", "Required")
        for name in ("Brand", "HolderName", "ExpMonth", "ExpYear"):
            if not str(data.get(name) or "").strip():
                raise Invalid(name, "Required")
        with ledger.lock:
            card = card_of(card_id)
            card.update({k: data[k] for k in ("Brand", "HolderName", "ExpMonth", "ExpYear")})
            card.update({k: data[k] for k in ("Document", "Phone") if k in data})
        return _json({"Card": card})

    @app.delete("/cards/<card_id>")
    def _delete_card(card_id: str) -> Response:
        with ledger.lock:
            card_of(card_id)
            ledger.cards.pop(card_id)
        return _json({"Success": "Card deleted"})

    @app.get("/cards/document/<document>")
    def _cards_by_document(document: str) -> Response:
        cards = [c for c in ledger.cards.values() if c.get("Document") == document]
        return _json({"Cards": _page(cards)})

    # --- sales --------------------------------------------------------------------------

    def create_sale() -> Response:
        data = _body().get("Sale")
        if not isinstance(data, dict):
            raise Invalid("Sale", "Required")
        amount, method = data.get("Amount"), data.get("Method")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise Invalid("Amount", "Required")
        if data.get("Currency") not in CURRENCIES:
            raise Invalid("Currency", "Invalid" if data.get("Currency") else "Required")
        if method not in METHODS:
            raise Invalid("Method", "Invalid" if method else "Required")
        quotas = int(data.get("QuotaQty") or 1) if data.get("Quota") else 1
        if data.get("Quota") and method != "Credit":
            raise Invalid("Quota", "Only Credit accepts installments")
        if quotas < 1 or (quotas > 1 and amount // quotas < MIN_QUOTA_CENTS):
            raise Invalid("QuotaQty", "The lower quota value allowed is R$ 5,00")
        capture = data.get("Capture", True) is not False
        now = _now()
        sale: dict[str, Any] = {
            "SaleId": _new_id(),
            "Ref": data.get("Ref"),
            "SoftDescriptor": data.get("SoftDescriptor") or "Dealerhub Simulator",
            "Amount": amount,
            "Quota": bool(data.get("Quota")),
            "QuotaQty": quotas,
            "Currency": data["Currency"],
            "Method": method,
            "Capture": capture,
            "DateCanceled": None,
            "DateCaptured": None,
            "DateReversed": None,
            "DateUpdated": now,
            "DateAdded": now,
            "Consumer": data.get("Consumer") or {},
            "BillingAddress": data.get("BillingAddress") or {},
            "ShippingAddress": data.get("ShippingAddress") or {},
            "Analyze": [],
            "Rollback": [],
            "History": [{"Action": "Data received", "DateAdded": now}],
            "Items": data.get("Items") or [],
        }
        if method == "Billet":
            sale["Billet"] = _billet(data.get("Billet"))
            status, action = 4, "Billet issued"
        else:
            status, action = charge_card(sale, data.get("Card"), amount, capture)
        with ledger.lock:
            ledger.transactions[sale["SaleId"]] = sale
            change(sale, status, action)
        return _json({"Sale": sale}, 201)

    def charge_card(
        sale: dict[str, Any], given: Any, amount: int, capture: bool
    ) -> tuple[int, str]:
        if not isinstance(given, dict):
            raise Invalid("Card", "Required")
        if given.get("CardId") and given["CardId"] not in ledger.cards:
            raise Invalid("CardId", "Not found")
        card = card_of(given["CardId"]) if given.get("CardId") else save_card(given)
        sale["Card"] = dict(card)
        kind, text = ledger.behaviours.get(card["CardId"], _OK)
        if kind == "ok":
            kind, text = MAGIC_AMOUNTS.get(amount, _OK)
        if _expired(card):
            kind, text = _EXPIRED
        if kind == "fail":
            sale["Analyze"].append({"Level": "10", "Description": "Approved"})
            return 5, text
        if kind == "fraud":
            sale["Analyze"].append({"Level": "95", "Description": "Reproved"})
            return 5, text
        if kind == "analyzing":
            return 2, text
        sale["Analyze"].append(
            {
                "Level": "55" if kind == "avs" else "10",
                "Description": text if kind == "avs" else "Approved",
            }
        )
        if capture:
            sale["DateCaptured"] = _now()
            return 1, "Authorized and captured"
        return 3, "Authorized, waiting for capture"

    @app.post("/sales")
    def _create_sale() -> Response:
        amount = (_body().get("Sale") or {}).get("Amount")
        if isinstance(amount, int) and amount in FAULT_AMOUNTS:
            with ledger.lock:
                ledger.faults.appendleft(FAULT_AMOUNTS[amount])
        return money(create_sale)

    def sale_of(sale_id: str) -> dict[str, Any]:
        sale = ledger.transactions.get(sale_id)
        if sale is None:
            raise Invalid("SaleId", "Not found", 404)
        return sale

    @app.get("/sales/<sale_id>")
    def _get_sale(sale_id: str) -> Response:
        return _json({"Sale": sale_of(sale_id)})

    @app.get("/sales")
    def _list_sales() -> Response:
        args = request.args
        sales = list(ledger.transactions.values())
        for name in ("Ref", "Currency", "Method"):
            if name in args:
                sales = [s for s in sales if s.get(name) == args[name]]
        if "Capture" in args:
            sales = [s for s in sales if str(s["Capture"]).lower() == args["Capture"].lower()]
        if "Status" in args:
            sales = [s for s in sales if str(s["Status"]) == args["Status"]]
        return _json({"Sales": _page(sales)})

    @app.put("/sales/capture/<sale_id>")
    def _capture(sale_id: str) -> Response:
        def handle() -> Response:
            with ledger.lock:
                sale = sale_of(sale_id)
                if sale["Status"] != 3:
                    raise Invalid("Status", f"Sale cannot be captured in status {sale['Status']}")
                sale["Capture"], sale["DateCaptured"] = True, _now()
                change(sale, 1, "Captured")
            return _json({"Sale": sale})

        return money(handle)

    @app.put("/sales/cancel/<sale_id>")
    def _cancel(sale_id: str) -> Response:
        def handle() -> Response:
            with ledger.lock:
                sale = sale_of(sale_id)
                if sale["Status"] in (5, 6):
                    raise Invalid("Status", f"Sale cannot be canceled in status {sale['Status']}")
                sale["DateCanceled"] = _now()
                change(sale, 6, "Canceled")
            return _json({"Sale": sale})

        return money(handle)

    # --- helpers and notifications --------------------------------------------------------

    @app.get("/currencies")
    def _currencies() -> Response:
        return _json(
            {
                "Currencies": [
                    {
                        "CurrencyId": "58c040b32d8baf18526217f5",
                        "Name": "BRL",
                        "SymbolLeft": "R$",
                        "SymbolRight": "",
                        "DecimalPlace": 2,
                    }
                ]
            }
        )

    @app.get("/brands")
    def _brands() -> Response:
        return _json({"Brands": [_brand(name) for name in BRANDS]})

    @app.get("/brands/<number>")
    def _brand_by_number(number: str) -> Response:
        name = next((b for p, b in BRAND_PREFIXES if number.startswith(p)), None)
        if name is None or not 4 <= len(number) <= 6:
            raise Invalid("number", "Brand not found", 404)
        return _json({"Brand": _brand(name)})

    def note_of(note_id: str) -> dict[str, Any]:
        note = ledger.notifications.get(note_id)
        if note is None:
            raise Invalid("NotificationId", "Not found", 404)
        return note

    @app.get("/notifications/<note_id>")
    def _get_notification(note_id: str) -> Response:
        return _json({"Notification": note_of(note_id)})

    @app.put("/notifications/<note_id>")
    def _resend_notification(note_id: str) -> Response:
        note = note_of(note_id)
        deliver([note])
        return _json({"Notification": note})

    @app.get("/notifications")
    def _list_notifications() -> Response:
        return _json({"Notifications": _page(list(ledger.notifications.values()))})

    def settle(return_code: str | None) -> list[str]:
        notes: list[dict[str, Any]] = []
        changed: list[str] = []
        with ledger.lock:
            for sale in ledger.transactions.values():
                status = sale["Status"]
                if status == 1:
                    _step(sale, 7, "Done")
                elif status == 2 and return_code:
                    sale["Analyze"].append({"Level": "95", "Description": "Reproved"})
                    _step(sale, 5, f"Not authorized by the antifraud analysis ({return_code})")
                elif status == 2:
                    sale["Analyze"].append({"Level": "10", "Description": "Approved"})
                    if sale["Capture"]:
                        sale["DateCaptured"] = _now()
                    _step(sale, 1 if sale["Capture"] else 3, "Approved by the antifraud analysis")
                elif status == 4:
                    _step(
                        sale,
                        5 if return_code else 7,
                        "Billet expired" if return_code else "Billet paid",
                    )
                else:
                    continue
                notes.append(notify(sale))
                changed.append(sale["SaleId"])
        deliver(notes)
        return changed

    add_control_routes(app, ledger, settle)
    app.extensions["hubcash_ledger"] = ledger
    return app


def _step(sale: dict[str, Any], status: int, action: str) -> None:
    sale["Status"] = status
    sale["DateUpdated"] = _now()
    sale["History"].append({"Action": action, "DateAdded": sale["DateUpdated"]})


def _billet(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("Billet", "Required")
    for name in ("OurNumber", "ExpiresIn"):
        if data.get(name) in (None, ""):
            raise Invalid(name, "Required")
    instructions = data.get("Instructions") or []
    if len(instructions) > 6:
        raise Invalid("Instructions", "Max of 6")
    digits = "".join(secrets.choice("0123456789") for _ in range(44))
    return {
        "OurNumber": data["OurNumber"],
        "Instructions": instructions,
        "ExpiresIn": data["ExpiresIn"],
        "Digitable": f"{digits[:10]}.{digits[10:21]}.{digits[21:32]}.{digits[32:]}",
        "Image": "base64",
    }


def _expired(card: dict[str, Any]) -> bool:
    try:
        month, year = int(card["ExpMonth"]), int(card["ExpYear"])
    except (KeyError, TypeError, ValueError):
        return True
    today = dt.date.today()
    return (year, month) < (today.year, today.month)


def _brand(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Image": f"https://api.hubcash.com/images/brand/{name.lower()}.png",
        "NumberDigits": BRANDS[name],
        "NumberSecurity": 4 if name == "Amex" else 3,
    }


def _page(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
        rows = min(max(int(request.args.get("rows", 10)), 1), 100)
    except ValueError as exc:
        raise Invalid("offset", "Invalid") from exc
    return items[offset : offset + rows]


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _errors(status: int, type_: str, field_name: str, description: str) -> Response:
    return _json(
        {"Errors": [{"Type": type_, "Field": field_name, "Description": description}]}, status
    )


def _fault_body(status: int) -> dict[str, Any]:
    return {"Errors": [{"Type": "Error", "Field": "server", "Description": f"HTTP {status}"}]}


def _new_id() -> str:
    return secrets.token_hex(12)  # 24 lowercase hex characters, like the vendor's ids


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S GMT")
