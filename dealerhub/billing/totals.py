"""Invoice lines and totals, in integer minor units.

Tax (``tax_rate``, a percentage) is worked out per line and rounded half up, as Stripe does:
an exclusive (or unspecified) line adds ``amount x rate`` on top; an inclusive line already
contains its tax, ``amount - amount / (1 + rate)``, which is reported but not added.
``total = subtotal + exclusive tax``; ``total_excluding_tax = total - tax``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.billing import catalog
from dealerhub.billing.models import Invoice, InvoiceLine
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest
from dealerhub.tenancy import Tenant


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_tax(amount: int, tax_behavior: str, rate: Decimal | None) -> int:
    if not rate:
        return 0
    share = rate / Decimal(100)
    if tax_behavior == "inclusive":
        return amount - _round(Decimal(amount) / (1 + share))
    return _round(Decimal(amount) * share)


def build_lines(
    session: Session,
    tenant: Tenant,
    items: Sequence[Mapping[str, Any]],
    currency: str,
    *,
    preview: bool = False,
) -> list[InvoiceLine]:
    """Turn request lines into InvoiceLine rows (not added to any session): prices are looked
    up (active, one-time, in the invoice's currency), amounts worked out. A preview's lines
    are numbered ``il_tmp_0001``…, so the same preview pages the same way every time."""
    lines = []
    for position, item in enumerate(items):
        param = f"lines.{position}"
        quantity = int(item.get("quantity", 1))
        if "price" in item:
            price = catalog.get_price(session, tenant, item["price"], param=f"{param}.price")
            if not price.active:
                raise InvalidRequest(
                    f"Price {price.id} is not active; use an active price.", param=f"{param}.price"
                )
            if price.type != "one_time":
                raise InvalidRequest(
                    f"Price {price.id} is recurring; invoice lines take one_time prices.",
                    param=f"{param}.price",
                )
            unit = _unit_amount(price.unit_amount, price.custom_unit_amount, item, param)
            line_currency, behavior = price.currency, price.tax_behavior
            product = catalog.get_product(session, tenant, price.product_id)
            description = item.get("description") or price.nickname or product.name
            price_id, product_id = price.id, product.id
        else:
            unit = int(item["amount"])
            line_currency = item.get("currency", currency)
            behavior = item.get("tax_behavior", "exclusive")
            description, price_id, product_id = item["description"], None, None
        if line_currency != currency:
            raise InvalidRequest(
                f"Line {position} is in {line_currency} but the invoice is in {currency}; "
                "every line of an invoice has its currency.",
                param=f"{param}.currency" if "amount" in item else f"{param}.price",
            )
        lines.append(
            InvoiceLine(
                id=f"il_tmp_{position + 1:04d}" if preview else new_id("il"),
                position=position,
                price_id=price_id,
                product_id=product_id,
                description=description,
                quantity=quantity,
                unit_amount=unit,
                amount=unit * quantity,
                currency=currency,
                tax_behavior=behavior,
            )
        )
    return lines


def _unit_amount(
    fixed: int | None, custom: Mapping[str, Any] | None, item: Mapping[str, Any], param: str
) -> int:
    if custom is None:
        if "unit_amount" in item:
            raise InvalidRequest(
                "unit_amount is only for prices with custom_unit_amount.",
                param=f"{param}.unit_amount",
            )
        return int(fixed or 0)
    unit = item.get("unit_amount", custom.get("preset"))
    if unit is None:
        raise InvalidRequest(
            "This price lets you name the amount: pass unit_amount.", param=f"{param}.unit_amount"
        )
    low, high = custom.get("minimum"), custom.get("maximum")
    if (low is not None and unit < low) or (high is not None and unit > high):
        raise InvalidRequest(
            f"unit_amount must lie between {low} and {high}.", param=f"{param}.unit_amount"
        )
    return int(unit)


def apply_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    """Set each line's tax and the invoice's subtotal, tax, total and amount due."""
    rate = Decimal(invoice.tax_rate) if invoice.tax_rate else None
    subtotal = tax = added = 0
    for line in lines:
        line.tax_amount = line_tax(line.amount, line.tax_behavior, rate)
        subtotal += line.amount
        tax += line.tax_amount
        if line.tax_behavior != "inclusive":
            added += line.tax_amount
    total = subtotal + added
    if subtotal < 0 or total < 0:
        raise InvalidRequest(
            "The lines add up to less than zero; an invoice cannot owe the customer money.",
            param="lines",
        )
    invoice.subtotal, invoice.tax, invoice.total = subtotal, tax, total
    invoice.amount_due = total
