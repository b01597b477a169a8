"""The sandbox processor: honours Stripe's test cards, test payment-method ids and our sandbox
bank accounts, statelessly. Its tokens and references name a *behaviour* (never a card
number), so any process can answer for any attempt: ``sbx.<behaviour>.<attempt id>``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dealerhub import jsonbody
from dealerhub.connectors.base import WebhookRejected
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    PaymentSource,
    ProcessorCapabilities,
    ProcessorResult,
    TokenizerInfo,
    WebhookMessage,
)
from dealerhub.webhooks import HEADER, SignatureVerificationError, verify

VENDOR = "sandbox"


@dataclass(frozen=True)
class Behaviour:
    decline: tuple[str, str] | None = None  # (failure code, decline code) on charge
    attach_declines: bool = False  # also fails setup / attach
    auth: str = "none"  # "none" | "on_session" (unless off-session) | "always"
    decline_after_auth: tuple[str, str] | None = None
    refund_fails: bool = False
    checks: Mapping[str, str] | None = None
    bank_return: str | None = None  # ACH return code on settlement (R01 ...)


_DECLINED = ("card_declined", "generic_decline")
BEHAVIOURS: dict[str, Behaviour] = {
    "ok": Behaviour(),
    "decline_generic": Behaviour(decline=_DECLINED, attach_declines=True),
    "decline_insufficient_funds": Behaviour(
        decline=("card_declined", "insufficient_funds"), attach_declines=True
    ),
    "decline_lost_card": Behaviour(decline=("card_declined", "lost_card"), attach_declines=True),
    "decline_stolen_card": Behaviour(
        decline=("card_declined", "stolen_card"), attach_declines=True
    ),
    "decline_expired_card": Behaviour(
        decline=("expired_card", "expired_card"), attach_declines=True
    ),
    "decline_incorrect_cvc": Behaviour(
        decline=("incorrect_cvc", "incorrect_cvc"), attach_declines=True
    ),
    "decline_processing_error": Behaviour(
        decline=("processing_error", "processing_error"), attach_declines=True
    ),
    "decline_fraudulent": Behaviour(decline=("card_declined", "fraudulent")),
    "charge_customer_fail": Behaviour(decline=_DECLINED),
    "auth_on_session": Behaviour(auth="on_session"),
    "auth_always": Behaviour(auth="always"),
    "auth_then_insufficient_funds": Behaviour(
        auth="always", decline_after_auth=("card_declined", "insufficient_funds")
    ),
    "auth_then_decline": Behaviour(auth="always", decline_after_auth=_DECLINED),
    "refund_fails": Behaviour(refund_fails=True),
    "address_line1_fail": Behaviour(checks={"address_line1_check": "fail"}),
    "address_zip_fail": Behaviour(checks={"address_postal_code_check": "fail"}),
    "address_unavailable": Behaviour(
        checks={"address_line1_check": "unavailable", "address_postal_code_check": "unavailable"}
    ),
    "cvc_fail": Behaviour(checks={"cvc_check": "fail"}),
    "bank_ok": Behaviour(),
    "bank_r01": Behaviour(bank_return="R01"),
    "bank_r02": Behaviour(bank_return="R02"),
}

BANK_RETURN_MESSAGES = {
    "R01": "Insufficient funds in the customer's bank account.",
    "R02": "The customer's bank account is closed.",
}


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    behaviour: str
    funding: str = "credit"
    country: str = "US"


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "visa", "ok"),
    TestCard("4000056655665556", "visa", "ok", funding="debit"),
    TestCard("5555555555554444", "mastercard", "ok"),
    TestCard("378282246310005", "amex", "ok"),
    TestCard("6011111111111117", "discover", "ok"),
    TestCard("4000000000000077", "visa", "ok"),
    TestCard("4000000000000002", "visa", "decline_generic"),
    TestCard("4000000000009995", "visa", "decline_insufficient_funds"),
    TestCard("4000000000009987", "visa", "decline_lost_card"),
    TestCard("4000000000009979", "visa", "decline_stolen_card"),
    TestCard("4000000000000069", "visa", "decline_expired_card"),
    TestCard("4000000000000127", "visa", "decline_incorrect_cvc"),
    TestCard("4000000000000119", "visa", "decline_processing_error"),
    TestCard("4100000000000019", "visa", "decline_fraudulent"),
    TestCard("4000000000000341", "visa", "charge_customer_fail"),
    TestCard("4000002500003155", "visa", "auth_on_session"),
    TestCard("4000002760003184", "visa", "auth_always"),
    TestCard("4000008260003178", "visa", "auth_then_insufficient_funds"),
    TestCard("4000000000003220", "visa", "auth_always"),
    TestCard("4000000000003063", "visa", "auth_always"),
    TestCard("4000008400001629", "visa", "auth_then_decline"),
    TestCard("4000000000005126", "visa", "refund_fails"),
    TestCard("4000000000000010", "visa", "address_unavailable"),
    TestCard("4000000000000028", "visa", "address_line1_fail"),
    TestCard("4000000000000036", "visa", "address_zip_fail"),
    TestCard("4000000000000101", "visa", "cvc_fail"),
)
CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS}

# Stripe's ready-made payment-method ids (test mode), mapped to the card they stand for.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_bypassPending": "4000000000000077",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_refundFail": "4000000000005126",
}

# Sandbox bank accounts offered by the sandbox Link (account_id -> (behaviour, mask, subtype)).
SANDBOX_BANK_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "sandbox_checking": ("bank_ok", "6789", "checking"),
    "sandbox_savings": ("bank_ok", "1111", "savings"),
    "sandbox_checking_r01": ("bank_r01", "0001", "checking"),
    "sandbox_checking_r02": ("bank_r02", "0002", "checking"),
}
SANDBOX_ROUTING_NUMBER = "110000000"
SANDBOX_BANK_NAME = "STRIPE TEST BANK"


def card_token(card: TestCard) -> str:
    return f"tok_sandbox_{card.behaviour}"


def bank_token(account_id: str) -> str:
    return f"btok_sandbox_{SANDBOX_BANK_ACCOUNTS[account_id][0]}"


def _behaviour_of_token(token: str) -> str:
    for prefix in ("tok_sandbox_", "btok_sandbox_"):
        if token.startswith(prefix) and token[len(prefix) :] in BEHAVIOURS:
            return token[len(prefix) :]
    # Unknown tokens (e.g. "tok_visa" from a client library) behave like a good card.
    return "ok"


def _ref(behaviour: str, attempt_id: str) -> str:
    return f"sbx.{behaviour}.{attempt_id}"


def _parse_ref(reference: str) -> tuple[str, Behaviour]:
    parts = reference.split(".")
    if len(parts) != 3 or parts[0] != "sbx" or parts[1] not in BEHAVIOURS:
        return "ok", BEHAVIOURS["ok"]
    return parts[1], BEHAVIOURS[parts[1]]


# Development and test only: production must set DEALERHUB_SANDBOX_WEBHOOK_SECRET.
SANDBOX_DEFAULT_SECRET = "whsec_sandbox_processor_test_secret"  # noqa: S105 - documented test value


class SandboxProcessor:
    """Test-mode processor with every flow enabled. Its webhooks (settlement notices sent by
    tests and by operators replaying them) are signed exactly as the hub signs its own, with
    ``webhook_secret``; ``None`` refuses every webhook."""

    name = VENDOR
    capabilities = ProcessorCapabilities(
        three_d_secure=True,
        bank_debit=True,
        webhooks=True,
        currencies=frozenset({"usd", "cad", "eur", "gbp"}),
    )

    def __init__(self, webhook_secret: str | None = SANDBOX_DEFAULT_SECRET) -> None:
        self.webhook_secret = webhook_secret

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        name = _behaviour_of_token(request.source.token)
        behaviour = BEHAVIOURS[name]
        ref = _ref(name, request.attempt_id)
        if request.source.type == "us_bank_account":
            return ProcessorResult(AttemptStatus.PROCESSING, ref, request.amount)
        needs_auth = behaviour.auth == "always" or (
            behaviour.auth == "on_session" and not request.off_session
        )
        if needs_auth:
            return ProcessorResult(AttemptStatus.REQUIRES_ACTION, ref, request.amount)
        if behaviour.decline:
            return _declined(ref, *behaviour.decline)
        return self._approved(ref, request.amount, request.capture, behaviour)

    def complete_action(self, reference: str, *, success: bool, capture: bool) -> ProcessorResult:
        _, behaviour = _parse_ref(reference)
        if not success:
            return ProcessorResult(
                AttemptStatus.DECLINED,
                reference,
                failure_code="payment_intent_authentication_failure",
                message="The customer failed 3-D Secure authentication.",
                network_status="not_sent_to_network",
            )
        if behaviour.decline_after_auth:
            return _declined(reference, *behaviour.decline_after_auth)
        return self._approved(reference, 0, capture, behaviour)

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        return ProcessorResult(AttemptStatus.SUCCEEDED, reference, amount)

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        return ProcessorResult(AttemptStatus.SUCCEEDED, reference)

    def refund(self, reference: str, amount: int, *, refund_id: str) -> ProcessorResult:
        name, behaviour = _parse_ref(reference)
        ref = _ref(name, refund_id)
        # Bank-debit refunds and the "refund fails" card settle later (through ``sync``).
        if behaviour.refund_fails or name.startswith("bank_"):
            return ProcessorResult(AttemptStatus.PENDING, ref, amount)
        return ProcessorResult(AttemptStatus.SUCCEEDED, ref, amount)

    def setup(self, source: PaymentSource, *, attempt_id: str) -> ProcessorResult:
        name = _behaviour_of_token(source.token)
        behaviour = BEHAVIOURS[name]
        ref = _ref(name, attempt_id)
        if behaviour.auth != "none":
            return ProcessorResult(AttemptStatus.REQUIRES_ACTION, ref)
        if behaviour.attach_declines and behaviour.decline:
            return _declined(ref, *behaviour.decline)
        return ProcessorResult(AttemptStatus.SUCCEEDED, ref)

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        # The sandbox answers every call, so an attempt always has its reference; the
        # behaviour it names decides how the attempt settles.
        _name, behaviour = _parse_ref(reference or "")
        if behaviour.bank_return:
            code = behaviour.bank_return
            return ProcessorResult(
                AttemptStatus.DECLINED,
                reference,
                failure_code=code,
                message=BANK_RETURN_MESSAGES.get(code, "The bank returned the debit."),
            )
        if behaviour.refund_fails:
            return ProcessorResult(
                AttemptStatus.DECLINED, reference, failure_code="expired_or_canceled_card"
            )
        return ProcessorResult(AttemptStatus.SUCCEEDED, reference)

    def check(self) -> None:
        return None

    def tokenizer(self) -> TokenizerInfo | None:
        return None  # test mode takes Stripe's test cards and tokens directly

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        if not self.webhook_secret:
            raise _rejected("The sandbox processor has no webhook secret configured.")
        try:
            verify(body, _header(headers, HEADER), self.webhook_secret)
        except SignatureVerificationError as exc:
            raise _rejected(f"Invalid signature: {exc}") from exc
        try:
            message = jsonbody.load(body)
        except jsonbody.BodyInvalid as exc:
            raise _rejected(exc.message, "body_invalid") from exc
        if not isinstance(message, dict):
            raise _rejected("The body must be a JSON object.", "body_invalid")
        event_id, type_ = message.get("id"), message.get("type")
        if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
            raise _rejected("The event has no valid id.", "parameter_invalid", "id")
        if not isinstance(type_, str) or not type_ or len(type_) > 120:
            raise _rejected("The event has no valid type.", "parameter_invalid", "type")
        account = message.get("account")
        obj = (
            message.get("data", {}).get("object") if isinstance(message.get("data"), dict) else None
        )
        reference = obj.get("reference") if isinstance(obj, dict) else None
        return WebhookMessage(
            event_id=event_id,
            type=type_,
            livemode=bool(message.get("livemode", False)),
            account=account if isinstance(account, str) else None,
            payload=message,
            reference=reference if isinstance(reference, str) and reference else None,
        )

    @staticmethod
    def _approved(ref: str, amount: int, capture: bool, behaviour: Behaviour) -> ProcessorResult:
        status = AttemptStatus.SUCCEEDED if capture else AttemptStatus.AUTHORIZED
        return ProcessorResult(
            status,
            ref,
            amount,
            network_status="approved_by_network",
            checks=dict(behaviour.checks or {}),
        )


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def _rejected(
    message: str, code: str = "signature_invalid", param: str | None = None
) -> WebhookRejected:
    return WebhookRejected(message, vendor=VENDOR, code=code, param=param)


def _declined(ref: str, failure_code: str, decline_code: str) -> ProcessorResult:
    return ProcessorResult(
        AttemptStatus.DECLINED,
        ref,
        failure_code=failure_code,
        decline_code=decline_code,
        message=DECLINE_MESSAGES.get(failure_code, "Your card was declined."),
        network_status="declined_by_network",
        risk_level="highest" if decline_code == "fraudulent" else "normal",
    )


DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}
