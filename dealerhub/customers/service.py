"""Customer records. The payments API and DMS lead intake both create and match them here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.customers.models import Customer
from dealerhub.customers.schemas import CUSTOMER
from dealerhub.db import new_id
from dealerhub.errors import NotFound
from dealerhub.events.service import record_event
from dealerhub.tenancy import Tenant, get_owned, scoped


def create_customer(session: Session, tenant: Tenant, **fields: Any) -> Customer:
    """Create a customer and record ``customer.created``. ``fields`` are Customer columns
    (``metadata`` is accepted for ``metadata_``)."""
    if "metadata" in fields:
        fields["metadata_"] = fields.pop("metadata") or {}
    customer = Customer(
        id=new_id("cus"), dealer_id=tenant.dealer_id, livemode=tenant.livemode, **fields
    )
    session.add(customer)
    session.flush()
    record_event(session, tenant, "customer.created", CUSTOMER.dump(customer))
    return customer


def get_customer(session: Session, tenant: Tenant, customer_id: str, **kw: Any) -> Customer:
    """A live (not deleted) customer of this tenant, or 404."""
    customer = get_owned(session, Customer, customer_id, tenant, name="customer", **kw)
    if customer.deleted:
        raise NotFound(f"No such customer: '{customer_id}'")
    return customer


def find_by_contact(
    session: Session,
    tenant: Tenant,
    *,
    email: str | None = None,
    phone: str | None = None,
    last_name: str | None = None,
) -> Customer | None:
    """The newest live customer who is this person, on the lead duplicate rule: the same
    email, or the same phone *and* the same last name (the last word of the customer's name,
    case-insensitive). A phone alone is shared by households and offices, so it never
    identifies a person by itself."""
    live = scoped(Customer, tenant).where(col(Customer.deleted).is_(False))
    newest = (col(Customer.created).desc(), col(Customer.id).desc())
    if email:
        found: Customer | None = session.scalars(
            live.where(col(Customer.email) == email).order_by(*newest)
        ).first()
        if found is not None:
            return found
    if phone and last_name:
        wanted = last_name.strip().casefold()
        for candidate in session.scalars(
            live.where(col(Customer.phone) == phone).order_by(*newest)
        ):
            words = (candidate.name or "").split()
            if words and words[-1].casefold() == wanted:
                return candidate
    return None


def update_customer(
    session: Session, tenant: Tenant, customer_id: str, fields: dict[str, Any]
) -> Customer:
    """Apply a partial update (metadata is merged) and record ``customer.updated``."""
    customer = get_customer(session, tenant, customer_id, for_update=True)
    before = CUSTOMER.dump(customer)
    for name in ("name", "email", "phone", "description", "address", "shipping"):
        if name in fields:
            setattr(customer, name, fields[name])
    if "default_payment_method" in fields:
        customer.default_payment_method = fields["default_payment_method"]
    if "metadata" in fields:
        merged = dict(customer.metadata_)
        for key, value in (fields["metadata"] or {}).items():
            if value == "":
                merged.pop(key, None)
            else:
                merged[key] = value
        customer.metadata_ = merged
    session.flush()
    after = CUSTOMER.dump(customer)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        record_event(session, tenant, "customer.updated", after, previous_attributes=previous)
    return customer


def delete_customer(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    *,
    detach_payment_methods: Callable[[Session, Tenant, str], int],
) -> dict[str, Any]:
    """Soft-delete (the row stays for the paper trail) and detach its payment methods
    (``detach_payment_methods`` is the payments area's: payments builds on customers)."""
    customer = get_customer(session, tenant, customer_id, for_update=True)
    detach_payment_methods(session, tenant, customer.id)
    customer.deleted = True
    customer.default_payment_method = None
    session.flush()
    record_event(session, tenant, "customer.deleted", CUSTOMER.dump(customer))
    return {"id": customer.id, "object": "customer", "deleted": True}


def list_stmt(tenant: Tenant, email: str | None = None) -> Any:
    stmt = scoped(Customer, tenant).where(col(Customer.deleted).is_(False))
    if email:
        stmt = stmt.where(col(Customer.email) == email)
    return stmt
