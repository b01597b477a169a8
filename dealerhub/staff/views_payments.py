"""Payments: the list, one payment with its charges, refunds and events, capture, refund."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from sqlmodel import col
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.events.models import Event
from dealerhub.payments import intents, refunds, schemas
from dealerhub.payments.blueprint import processors
from dealerhub.payments.models import PaymentIntent
from dealerhub.staff import forms
from dealerhub.staff.desk import audit, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.tenancy import scoped

PAGE = 50
REFUND_REASONS = (
    ("requested_by_customer", "Requested by customer"),
    ("duplicate", "Duplicate"),
    ("fraudulent", "Fraudulent"),
)
_REFUND = schemas.RefundCreateSchema()
_CAPTURE = schemas.CaptureSchema()


@view("/payments", Permission.VIEW)
def payments() -> Response:
    stmt = scoped(PaymentIntent, tenant()).order_by(col(PaymentIntent.created).desc())
    status = request.args.get("status", "")
    if status:
        stmt = stmt.where(col(PaymentIntent.status) == status)
    query = request.args.get("q", "").strip()
    if query:
        stmt = stmt.where(
            col(PaymentIntent.id).contains(query) | col(PaymentIntent.customer_id).contains(query)
        )
    rows = session().scalars(stmt.limit(PAGE)).all()
    audit("desk.payments_listed")
    return render("staff/payments.html", payments=rows, status_filter=status, q=query)


def _events_of(object_id: str) -> list[Event]:
    """The newest events whose object is ``object_id`` (a JSON path is not portable across
    SQLite and PostgreSQL, so the tenant's recent events are filtered here)."""
    stmt = scoped(Event, tenant()).order_by(col(Event.created).desc()).limit(500)
    return [
        e
        for e in session().scalars(stmt).all()
        if (e.data.get("object") or {}).get("id") == object_id
        or (e.data.get("object") or {}).get("payment_intent") == object_id
    ]


def _payment_page(
    payment_id: str, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    s = session()
    pi = intents.get_intent(s, tenant(), payment_id)
    charges = s.scalars(intents.charges_stmt(tenant(), pi.id)).all()
    refund_rows = s.scalars(refunds.list_stmt(tenant(), pi.id)).all()
    return render(
        "staff/payment.html",
        status=status,
        pi=pi,
        charges=charges,
        refunds=refund_rows,
        events=_events_of(pi.id),
        errors=errors or {},
        form=request.form,
        reasons=REFUND_REASONS,
    )


@view("/payments/<payment_id>", Permission.VIEW)
def payment(payment_id: str) -> Response:
    page = _payment_page(payment_id)
    audit("desk.payment_viewed", payment_id)
    return page


@view("/payments/<payment_id>/capture", Permission.PAYMENT_TAKE, methods=["POST"])
def payment_capture(payment_id: str) -> Response:
    try:
        amount = forms.money(request.form.get("amount"), "amount", required=False)
        data = forms.load(_CAPTURE, {} if amount is None else {"amount_to_capture": amount})
        pi = forms.run(
            lambda: intents.capture_intent(
                session(),
                tenant(),
                payment_id,
                data.get("amount_to_capture"),
                processors=processors(),
            )
        )
    except forms.FormErrors as exc:
        errors = {"amount" if k == "amount_to_capture" else k: v for k, v in exc.errors.items()}
        return _payment_page(payment_id, errors, exc.status)
    audit("payment_intent.captured", pi.id, amount=pi.amount_received)
    flash(f"Captured {pi.amount_received / 100:,.2f} {pi.currency.upper()}.")
    return redirect(url_for("staff.payment", payment_id=pi.id))


@view("/payments/<payment_id>/refund", Permission.REFUND, methods=["POST"])
def payment_refund(payment_id: str) -> Response:
    """A refund needs a reason; the amount defaults to everything not yet refunded."""
    form = request.form
    try:
        if not form.get("reason"):
            raise forms.FormErrors({"reason": "Choose the reason for the refund."})
        amount = forms.money(form.get("amount"), "amount", required=False)
        payload: dict[str, Any] = {"payment_intent": payment_id, "reason": form["reason"]}
        if amount is not None:
            payload["amount"] = amount
        note = form.get("note", "").strip()
        if note:
            payload["metadata"] = {"desk_note": note[:500]}
        data = forms.load(_REFUND, payload)
        refund = forms.run(
            lambda: refunds.create_refund(session(), tenant(), data, processors=processors())
        )
    except forms.FormErrors as exc:
        errors = {"_form" if k == "payment_intent" else k: v for k, v in exc.errors.items()}
        return _payment_page(payment_id, errors, exc.status)
    audit(
        "refund.created",
        refund.id,
        payment_intent=payment_id,
        amount=refund.amount,
        currency=refund.currency,
        reason=refund.reason,
    )
    flash(
        f"Refund {refund.id} for {refund.amount / 100:,.2f} {refund.currency.upper()}: "
        f"{refund.status}."
    )
    return redirect(url_for("staff.payment", payment_id=payment_id))
