"""Payment tables. Money columns are integer minor units; the CHECK constraints repeat the
invariants the services enforce under row locks, so a bug can never persist a bad amount."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import TenantMixin, metadata_column


class PaymentMethod(TenantMixin, table=True):
    __tablename__ = "payment_methods"
    __object_name__ = "payment_method"
    __table_args__ = (
        Index("ix_payment_methods_tenant_customer", "dealer_id", "livemode", "customer_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=32)
    customer_id: str | None = Field(default=None, max_length=40)
    billing_details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # card: brand, last4, exp_month, exp_year, fingerprint, funding, country, checks.
    card: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    us_bank_account: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # The processor that issued the token (None: a live token whose gateway is not known yet)
    # and its token for the card or account (never a PAN), encrypted at rest.
    processor: str | None = Field(default=None, max_length=32)
    processor_token: str = Field(sa_type=Encrypted)
    set_up_off_session: bool = False
    metadata_: dict[str, str] = metadata_column()


class PaymentIntent(TenantMixin, table=True):
    __tablename__ = "payment_intents"
    __object_name__ = "payment_intent"
    __table_args__ = (
        Index("ix_payment_intents_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_payment_intents_status_authorized", "status", "authorized_at"),
        CheckConstraint("amount_received >= 0 AND amount_received <= amount", name="received"),
        CheckConstraint("amount_capturable >= 0 AND amount_capturable <= amount", name="capt"),
        CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount_received", name="ref"),
    )

    id: str = Field(primary_key=True, max_length=40)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    customer_id: str | None = Field(default=None, max_length=40)
    payment_method_id: str | None = Field(default=None, max_length=40)
    payment_method_types: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    capture_method: str = Field(default="automatic", max_length=16)
    setup_future_usage: str | None = Field(default=None, max_length=16)
    on_behalf_of: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=1000)
    receipt_email: str | None = Field(default=None, max_length=512)
    shipping: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    client_secret: str = Field(max_length=96)
    amount_capturable: int = 0
    amount_received: int = 0
    amount_refunded: int = 0
    authorized_at: int | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = Field(default=None, max_length=32)
    last_payment_error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    next_action: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    latest_charge_id: str | None = Field(default=None, max_length=40)
    metadata_: dict[str, str] = metadata_column()


class Charge(TenantMixin, table=True):
    """One attempt to collect a PaymentIntent (failed attempts included)."""

    __tablename__ = "charges"
    __object_name__ = "charge"
    __table_args__ = (
        Index("ix_charges_intent", "payment_intent_id", "created"),
        CheckConstraint("amount_captured >= 0 AND amount_captured <= amount", name="captured"),
        CheckConstraint(
            "amount_refunded >= 0 AND amount_refunded <= amount_captured", name="refunded"
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    payment_intent_id: str = Field(max_length=40)
    payment_method_id: str | None = Field(default=None, max_length=40)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=16)  # pending | succeeded | failed
    captured: bool = False
    amount_captured: int = 0
    amount_refunded: int = 0
    failure_code: str | None = Field(default=None, max_length=64)
    failure_message: str | None = Field(default=None, max_length=500)
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Which processor the attempt went to, and its id there (None while the outcome of the
    # call is unknown: the processor is then asked by the charge id, sent as its key).
    processor: str | None = Field(default=None, max_length=32)
    processor_reference: str | None = Field(default=None, max_length=120)


class Refund(TenantMixin, table=True):
    __tablename__ = "refunds"
    __object_name__ = "refund"
    __table_args__ = (
        Index("ix_refunds_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_refunds_intent", "payment_intent_id"),
        # The sweep of pending refunds (payments.tasks.sweep_processing) reads by status.
        Index("ix_refunds_status_created", "status", "created"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: str = Field(primary_key=True, max_length=40)
    payment_intent_id: str = Field(max_length=40)
    charge_id: str = Field(max_length=40)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=16)  # pending | succeeded | failed | canceled
    reason: str | None = Field(default=None, max_length=32)
    failure_reason: str | None = Field(default=None, max_length=64)
    processor: str | None = Field(default=None, max_length=32)
    processor_reference: str | None = Field(default=None, max_length=120)
    metadata_: dict[str, str] = metadata_column()


class SetupIntent(TenantMixin, table=True):
    __tablename__ = "setup_intents"
    __object_name__ = "setup_intent"
    __table_args__ = (
        Index("ix_setup_intents_tenant_created", "dealer_id", "livemode", "created", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    status: str = Field(max_length=32)
    customer_id: str | None = Field(default=None, max_length=40)
    payment_method_id: str | None = Field(default=None, max_length=40)
    payment_method_types: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    usage: str = Field(default="off_session", max_length=16)
    description: str | None = Field(default=None, max_length=1000)
    client_secret: str = Field(max_length=96)
    last_setup_error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    next_action: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    cancellation_reason: str | None = Field(default=None, max_length=32)
    processor: str | None = Field(default=None, max_length=32)
    processor_reference: str | None = Field(default=None, max_length=120)
    metadata_: dict[str, str] = metadata_column()


class ConnectedAccount(TenantMixin, table=True):
    """A rooftop (store) of the dealer group that receives funds (``on_behalf_of``)."""

    __tablename__ = "connected_accounts"
    __object_name__ = "account"
    __table_args__ = (
        Index("ix_connected_accounts_tenant_created", "dealer_id", "livemode", "created", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(default="custom", max_length=16)
    country: str = Field(default="US", max_length=2)
    default_currency: str = Field(default="usd", max_length=3)
    email: str | None = Field(default=None, max_length=512)
    business_profile: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    company: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    external_account: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    tos_accepted: bool = False
    metadata_: dict[str, str] = metadata_column()
