"""Billing tables: products, prices, invoices with their lines, the per-dealer invoice
counter and the e-mails sent for invoices.

No ``from __future__ import annotations`` in this module: SQLModel resolves the
``Relationship`` annotations below at class creation and cannot read them as strings.
Money columns are integer minor units.
"""

from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, Relationship

from dealerhub.db import TenantMixin, metadata_column
from dealerhub.rows import Row


class Product(TenantMixin, table=True):
    __tablename__ = "billing_products"
    __object_name__ = "product"
    __table_args__ = (
        Index("ix_billing_products_tenant_created", "dealer_id", "livemode", "created", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=250)
    description: str | None = Field(default=None, max_length=2000)
    active: bool = True
    default_price_id: str | None = Field(default=None, max_length=40)
    unit_label: str | None = Field(default=None, max_length=12)
    images: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated: int = 0
    deleted: bool = False
    metadata_: dict[str, str] = metadata_column()


class Price(TenantMixin, table=True):
    __tablename__ = "billing_prices"
    __object_name__ = "price"
    __table_args__ = (
        Index("ix_billing_prices_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_billing_prices_product", "product_id"),
        # A lookup key names one price per dealer and mode (NULLs never collide).
        UniqueConstraint("dealer_id", "livemode", "lookup_key", name="uq_billing_prices_lookup"),
        CheckConstraint("unit_amount IS NULL OR unit_amount >= 0", name="unit_amount"),
    )

    id: str = Field(primary_key=True, max_length=40)
    product_id: str = Field(max_length=40)
    active: bool = True
    currency: str = Field(max_length=3)
    unit_amount: int | None = None
    # {"minimum", "maximum", "preset"}: the customer (or the desk) names the amount.
    custom_unit_amount: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    type: str = Field(max_length=16)  # one_time | recurring
    recurring: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    nickname: str | None = Field(default=None, max_length=250)
    lookup_key: str | None = Field(default=None, max_length=200)
    tax_behavior: str = Field(default="unspecified", max_length=16)
    metadata_: dict[str, str] = metadata_column()


class Invoice(TenantMixin, table=True):
    __tablename__ = "billing_invoices"
    __object_name__ = "invoice"
    __table_args__ = (
        Index("ix_billing_invoices_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_billing_invoices_customer", "dealer_id", "livemode", "customer_id"),
        Index("ix_billing_invoices_status", "status", "created"),
        # The gapless sequence can never hand out one number twice, whatever a bug does.
        UniqueConstraint("dealer_id", "livemode", "number", name="uq_billing_invoices_number"),
        UniqueConstraint("hosted_token", name="uq_billing_invoices_hosted_token"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= amount_due", name="paid"),
        CheckConstraint("subtotal >= 0 AND total >= 0", name="totals"),
    )

    id: str = Field(primary_key=True, max_length=40)
    status: str = Field(max_length=16)
    customer_id: str = Field(max_length=40)
    customer_email: str | None = Field(default=None, max_length=512)
    customer_name: str | None = Field(default=None, max_length=256)
    currency: str = Field(max_length=3)
    collection_method: str = Field(max_length=24)
    days_until_due: int | None = None
    due_date: int | None = None
    auto_advance: bool = False
    default_payment_method: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=1500)
    footer: str | None = Field(default=None, max_length=5000)
    # Percentage with up to four decimals, as text ("8.25"): applied to exclusive lines.
    tax_rate: str | None = Field(default=None, max_length=12)
    subtotal: int = 0
    tax: int = 0
    total: int = 0
    amount_due: int = 0
    amount_paid: int = 0
    number: str | None = Field(default=None, max_length=40)
    # The hosted page's credential: unguessable, and the only way in without an API key.
    hosted_token: str | None = Field(default=None, max_length=64)
    hosted_invoice_url: str | None = Field(default=None, max_length=300)
    invoice_pdf: str | None = Field(default=None, max_length=300)
    payment_intent_id: str | None = Field(default=None, max_length=40)
    paid_out_of_band: bool = False
    attempt_count: int = 0
    last_finalization_error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    updated: int = 0
    metadata_: dict[str, str] = metadata_column()
    lines: list["InvoiceLine"] = Relationship(
        back_populates="invoice",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "InvoiceLine.position",
            "lazy": "selectin",
        },
    )


class InvoiceLine(Row, table=True):
    __tablename__ = "billing_invoice_lines"
    __object_name__ = "line_item"

    id: str = Field(primary_key=True, max_length=40)
    invoice_id: str | None = Field(
        default=None, foreign_key="billing_invoices.id", index=True, max_length=40
    )
    position: int = 0
    price_id: str | None = Field(default=None, max_length=40)
    product_id: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=500)
    quantity: int = 1
    unit_amount: int
    amount: int
    currency: str = Field(max_length=3)
    tax_behavior: str = Field(default="exclusive", max_length=16)
    tax_amount: int = 0
    invoice: Optional["Invoice"] = Relationship(back_populates="lines")


class InvoiceCounter(Row, table=True):
    """The next invoice number of one dealer in one mode. Finalizing locks this row, so
    numbers are handed out one at a time and a rolled-back finalize gives its number back."""

    __tablename__ = "billing_invoice_counters"

    dealer_id: str = Field(primary_key=True, max_length=40)
    livemode: bool = Field(primary_key=True)
    prefix: str = Field(max_length=12)
    next_number: int = 1


class InvoiceEmail(TenantMixin, table=True):
    """One ``send``: the task that delivers it checks ``status`` under a row lock, so a
    retried or duplicated task never sends it twice."""

    __tablename__ = "billing_invoice_emails"
    __table_args__ = (Index("ix_billing_invoice_emails_status", "status", "created"),)

    id: str = Field(primary_key=True, max_length=40)
    invoice_id: str = Field(max_length=40, index=True)
    to_address: str = Field(max_length=512)
    message_id: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    attempts: int = 0
    sent_at: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
