"""The payment-processor capability: the Protocol every gateway implements, its capability
flags and the DTOs it exchanges. ``dealerhub.payments.attempts`` is its only caller."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ProcessorCapabilities:
    """Per-flow flags; services check them before calling, so an unsupported flow is a clear
    400 rather than a vendor error. The seeds' gateways differ exactly here: some cannot
    capture partially, some refund only settled transactions (void before settlement)."""

    card: bool = True
    manual_capture: bool = True
    partial_capture: bool = True
    partial_refund: bool = True
    multiple_refunds: bool = True
    three_d_secure: bool = False
    bank_debit: bool = False
    setup: bool = True  # vault a payment method without charging it
    void_before_settlement_only: bool = False  # refund needs a settled sale; void otherwise
    webhooks: bool = False
    # Whether ``sync(None, attempt_id=refund_id)`` can find a refund whose answer was lost
    # (the refund id reached the gateway as a reference it can search by).
    refund_lookup: bool = True
    currencies: frozenset[str] = frozenset({"usd"})


class AttemptStatus(enum.StrEnum):
    """Outcome of one processor call. ``UNKNOWN`` (timeouts, unmapped vendor statuses) is
    never treated as success or failure: it is reconciled later through ``sync``."""

    AUTHORIZED = "authorized"  # funds held, capture later
    SUCCEEDED = "succeeded"  # captured (sale) / refunded / set up
    PROCESSING = "processing"  # asynchronous (bank debit), result comes later
    REQUIRES_ACTION = "requires_action"  # customer authentication (3-D Secure)
    DECLINED = "declined"
    PENDING = "pending"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class BankAccount:
    """A US bank account for an ACH debit, which the hub holds encrypted: gateways take the
    numbers themselves (none of the seeds' gateways tokenizes a bank account in the browser)."""

    routing_number: str
    account_number: str
    account_type: str = "checking"  # "checking" | "savings"
    holder_name: str = ""
    holder_type: str = "individual"  # "individual" | "company"


@dataclass(frozen=True)
class PaymentSource:
    """What the processor charges: its own token for a card (never a PAN), or a bank
    account's token or numbers."""

    type: str  # "card" | "us_bank_account"
    token: str
    brand: str | None = None
    last4: str | None = None
    customer_ref: str | None = None
    bank: BankAccount | None = None  # us_bank_account at a gateway without bank tokens


@dataclass(frozen=True)
class AuthorizeRequest:
    attempt_id: str  # our charge id: the vendor's idempotency / reference key
    amount: int
    currency: str
    source: PaymentSource
    capture: bool  # True = sale, False = authorize only
    description: str | None = None
    return_url: str | None = None  # where 3-D Secure sends the customer back
    off_session: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessorResult:
    status: AttemptStatus
    reference: str | None = None  # the vendor's transaction id
    amount: int = 0
    decline_code: str | None = None
    failure_code: str | None = None  # e.g. "card_declined", "expired_card", "R01"
    message: str | None = None
    network_status: str | None = None  # "approved_by_network", "declined_by_network"
    risk_level: str = "normal"
    # Stripe's card checks: address_line1_check, address_postal_code_check, cvc_check, each
    # "pass" | "fail" | "unavailable" | "unchecked" (mapped from the vendor's AVS/CVV codes).
    checks: Mapping[str, str] = field(default_factory=dict)
    processor_code: str | None = None  # the vendor's own response code, kept verbatim
    processor_message: str | None = None  # and its text
    # ``setup`` only: a reusable token the gateway issued for the source (a vault customer
    # or payment-method id), which later charges use instead of the one-time token.
    vault_token: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)  # masked vendor payload, for debugging


@dataclass(frozen=True)
class TokenizerInfo:
    """What a browser needs to turn a card into this gateway's token without the card number
    ever reaching the hub: the vendor's script and the dealer's public key for it."""

    script_url: str
    public_key: str


@dataclass(frozen=True)
class WebhookMessage:
    """A verified vendor webhook: its id (deduplication), type, mode, the dealer it names
    (when the vendor says), the attempt reference it concerns and the parsed body."""

    event_id: str
    type: str
    livemode: bool
    account: str | None
    payload: Mapping[str, Any]
    reference: str | None = None


@runtime_checkable
class PaymentProcessor(Protocol):
    name: str
    capabilities: ProcessorCapabilities

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        """Authorize (``capture=False``) or sell (``capture=True``)."""

    def complete_action(self, reference: str, *, success: bool, capture: bool) -> ProcessorResult:
        """Finish a ``REQUIRES_ACTION`` attempt after the customer's authentication."""

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        """Capture ``amount`` of an authorization (the rest is released)."""

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        """Release an uncaptured authorization."""

    def refund(self, reference: str, amount: int, *, refund_id: str) -> ProcessorResult:
        """Return ``amount`` of a captured payment; bank debits answer ``PENDING``."""

    def setup(self, source: PaymentSource, *, attempt_id: str) -> ProcessorResult:
        """Verify and vault a payment method without moving money."""

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        """The vendor's current view of an attempt (settlement, returns, unknown outcomes).
        ``reference`` is ``None`` when the call that made the attempt never answered: the
        vendor finds it by ``attempt_id``, which was sent as its idempotency/reference key."""

    def check(self) -> None:
        """One harmless authenticated call (no money moves); raises a ConnectorError when the
        credentials or the gateway are not usable (``dealerhub gateways check``)."""

    def tokenizer(self) -> TokenizerInfo | None:
        """The browser tokenizer for cards, or ``None`` when the gateway has none."""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        """Verify that a webhook really comes from the vendor and parse it; raise
        :class:`~dealerhub.connectors.base.WebhookRejected` when it does not or cannot."""
