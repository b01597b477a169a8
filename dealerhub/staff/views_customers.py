"""Customers and leads: search, a customer's page with everything of theirs, a lead's page
with its ADF rendering and DMS sync status."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from sqlmodel import col, or_
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.billing.models import Invoice
from dealerhub.credit import service as credit
from dealerhub.credit.models import CreditCheck
from dealerhub.customers import service as customers
from dealerhub.customers.models import Customer
from dealerhub.dealers.models import Dealer
from dealerhub.dms import adf
from dealerhub.dms import service as dms
from dealerhub.dms.masking import mask_lead
from dealerhub.dms.models import Deal, Lead
from dealerhub.dms.schemas import LEAD, LEAD_STATUSES
from dealerhub.payments.models import PaymentIntent, PaymentMethod
from dealerhub.staff import forms
from dealerhub.staff.desk import actor, audit, current, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.tenancy import get_owned, scoped

PAGE = 50


def _like(column: Any, text: str) -> Any:
    return col(column).ilike(f"%{text}%")


@view("/customers", Permission.VIEW, endpoint="customers")
def customers_list() -> Response:
    query = request.args.get("q", "").strip()
    stmt = customers.list_stmt(tenant()).order_by(col(Customer.created).desc())
    if query:
        stmt = stmt.where(
            or_(
                _like(Customer.name, query),
                _like(Customer.email, query),
                _like(Customer.phone, query),
                col(Customer.id) == query,
            )
        )
    rows = session().scalars(stmt.limit(PAGE)).all()
    audit("desk.customers_searched", searched=bool(query))
    return render("staff/customers.html", customers=rows, q=query)


def _newest(model: Any, *where: Any, limit: int = PAGE) -> list[Any]:
    stmt = scoped(model, tenant()).where(*where).order_by(col(model.created).desc())
    return list(session().scalars(stmt.limit(limit)).all())


@view("/customers/<customer_id>", Permission.VIEW)
def customer(customer_id: str) -> Response:
    row = customers.get_customer(session(), tenant(), customer_id)
    checks: list[CreditCheck] = []
    if current().can(Permission.CREDIT):
        # Credit checks carry the customer in their metadata (the desk sets it).
        # Listing a report is a view of it: the credit service audits each one.
        checks = [
            credit.get_credit_check(session(), tenant(), c.id, actor=str(actor()))
            for c in _newest(CreditCheck, limit=500)
            if c.metadata_.get("customer_id") == customer_id
        ]
    audit("desk.customer_viewed", customer_id)
    return render(
        "staff/customer.html",
        c=row,
        leads=_newest(Lead, col(Lead.customer_id) == customer_id),
        deals=_newest(Deal, col(Deal.customer_id) == customer_id),
        methods=_newest(PaymentMethod, col(PaymentMethod.customer_id) == customer_id),
        payments=_newest(PaymentIntent, col(PaymentIntent.customer_id) == customer_id),
        invoices=_newest(Invoice, col(Invoice.customer_id) == customer_id),
        checks=checks,
    )


@view("/leads", Permission.VIEW)
def leads() -> Response:
    query = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    stmt = scoped(Lead, tenant()).order_by(col(Lead.created).desc())
    if status in LEAD_STATUSES:
        stmt = stmt.where(col(Lead.status) == status)
    if query:
        stmt = stmt.where(
            or_(
                _like(Lead.email, query),
                _like(Lead.phone, query),
                _like(Lead.last_name, query),
                col(Lead.id) == query,
            )
        )
    rows = session().scalars(stmt.limit(PAGE)).all()
    audit("desk.leads_searched")
    return render(
        "staff/leads.html", leads=rows, q=query, status_filter=status, statuses=LEAD_STATUSES
    )


def _lead_page(lead_id: str, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    lead = get_owned(session(), Lead, lead_id, tenant(), name="lead")
    dealer = session().get(Dealer, tenant().dealer_id)
    xml = adf.render(LEAD.dump(lead), vendor_name=dealer.name if dealer else "dealerhub")
    return render(
        "staff/lead.html",
        status=status,
        lead=lead,
        view=mask_lead(LEAD.dump(lead)),
        adf=xml.decode("utf-8"),
        statuses=LEAD_STATUSES,
        errors=errors or {},
    )


@view("/leads/<lead_id>", Permission.VIEW)
def lead(lead_id: str) -> Response:
    page = _lead_page(lead_id)
    audit("desk.lead_viewed", lead_id)
    return page


@view("/leads/<lead_id>/status", Permission.DEALS, methods=["POST"])
def lead_status(lead_id: str) -> Response:
    """Record the lead's progress (contacted, qualified …): the API's update, sent to the
    DMS like any other change."""
    get_owned(session(), Lead, lead_id, tenant(), name="lead")  # 404 before a form error
    new = request.form.get("status", "")
    try:
        if new not in LEAD_STATUSES:
            raise forms.FormErrors({"status": f"Must be one of: {', '.join(LEAD_STATUSES)}."})
        # This lead, by its id: a returning shopper's customer has more than one.
        forms.run(lambda: dms.update_lead_by_id(session(), tenant(), lead_id, {"status": new}))
    except forms.FormErrors as exc:
        return _lead_page(lead_id, exc.errors, exc.status)
    audit("lead.status_changed", lead_id, to=new)
    flash(f"Lead marked {new}.")
    return redirect(url_for("staff.lead", lead_id=lead_id))
