"""The credit application: the applicant form with the consent text and its capture, the
result (masked) and a printable adverse-action notice. Finance and manager roles only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from dealerhub.api import connectors, session
from dealerhub.credit import service as credit
from dealerhub.credit.schemas import PURPOSES, CreditCheckRequestSchema, CreditCheckSchema
from dealerhub.customers import service as customers
from dealerhub.db import now
from dealerhub.errors import InvalidState
from dealerhub.staff import forms
from dealerhub.staff.desk import actor, audit, current, render, tenant, view
from dealerhub.staff.models import StaffUser
from dealerhub.staff.roles import Permission

PROVIDER = "transunion"
# The wording the applicant is shown; its version is stored with the consent, so what they
# agreed to can be reproduced later. A new wording needs a new version.
CONSENT_VERSION = "desk-2026-11"
CONSENT_TEXT = {
    "soft": (
        "I authorise {dealer} to obtain my consumer credit report from TransUnion to "
        "pre-qualify me for financing. This is a soft inquiry and does not affect my credit score."
    ),
    "hard": (
        "I authorise {dealer} and the lenders it submits my application to, to obtain my "
        "consumer credit report from TransUnion to evaluate my application for credit. This is "
        "a hard inquiry and may affect my credit score."
    ),
}
CONSENT_METHODS = (
    ("written", "Signed on paper at the desk"),
    ("electronic_signature", "Signed electronically"),
    ("click_through", "Agreed on screen"),
)
_REQUEST = CreditCheckRequestSchema()
_CHECK = CreditCheckSchema()

# Desk field -> the API's field (addresses[0] and phone_numbers[0] are single inputs here).
_FIELD_NAMES = {
    "addresses.0.line1": "line1",
    "addresses.0.line2": "line2",
    "addresses.0.city": "city",
    "addresses.0.state": "state",
    "addresses.0.postal_code": "postal_code",
    "phone_numbers.0": "phone",
    "consent.method": "consent_method",
    "consent.pull_type": "pull_type",
}


def _payload(form: Mapping[str, str], at: int) -> dict[str, Any]:
    if form.get("consent_given") != "yes":
        raise forms.FormErrors(
            {"consent_given": "The applicant's consent is required before a credit check."}
        )
    pull_type = form.get("pull_type") or "soft"
    body: dict[str, Any] = forms.blank_to_none(
        form,
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "date_of_birth",
        "social_security_number",
        "driver_license_number",
        "employer",
        "occupation",
        "permissible_purpose",
    )
    body["pull_type"] = pull_type
    address = forms.blank_to_none(form, "line1", "line2", "city", "state", "postal_code")
    if "state" in address:
        address["state"] = address["state"].upper()
    body["addresses"] = [address]
    if form.get("phone", "").strip():
        body["phone_numbers"] = [form["phone"].strip()]
    body["consent"] = {
        "obtained_at": at,
        "method": form.get("consent_method", ""),
        "text_version": CONSENT_VERSION,
        "pull_type": pull_type,
    }
    # Who captured the consent at the desk, and for which customer (no PII).
    body["metadata"] = {"consent_captured_by": current().row.id}
    if form.get("customer"):
        body["metadata"]["customer_id"] = form["customer"]
    if form.get("force") == "yes":
        body["force"] = True
    return body


def _form_page(errors: dict[str, str] | None = None, status: int = 200) -> Response:
    form = request.form if request.method == "POST" else request.args
    prefill: dict[str, Any] = {}
    if request.method == "GET" and form.get("customer"):
        customer = customers.get_customer(session(), tenant(), form["customer"])
        first, _, last = (customer.name or "").partition(" ")
        prefill = {"first_name": first, "last_name": last, "phone": customer.phone or ""}
    return render(
        "staff/credit_new.html",
        status=status,
        form=form,
        prefill=prefill,
        errors=errors or {},
        consent_text={k: v.format(dealer="the dealership") for k, v in CONSENT_TEXT.items()},
        consent_version=CONSENT_VERSION,
        methods=CONSENT_METHODS,
        purposes=PURPOSES,
    )


@view("/credit/new", Permission.CREDIT, methods=["GET", "POST"])
def credit_new() -> Response:
    if request.method == "GET":
        return _form_page()
    settings = current_app.extensions["settings"]
    try:
        data = forms.load(_REQUEST, _payload(request.form, now()))
        ctx = credit.CreditContext(
            actor=str(actor()),
            hash_key=str(settings.secret_key).encode(),
            bureau=lambda: connectors().bureau(session(), tenant(), PROVIDER),
        )
        check, reused = forms.run(
            lambda: credit.run_credit_check(session(), tenant(), data, PROVIDER, ctx)
        )
    except forms.FormErrors as exc:
        errors = {_FIELD_NAMES.get(k, k): v for k, v in exc.errors.items()}
        return _form_page(errors, exc.status)
    audit(
        "desk.consent_captured",
        check.id,
        method=data["consent"]["method"],
        pull_type=data["consent"]["pull_type"],
        text_version=CONSENT_VERSION,
        reused=reused,
    )
    return redirect(url_for("staff.credit_check", check_id=check.id, reused=int(reused)))


@view("/credit/<check_id>", Permission.CREDIT)
def credit_check(check_id: str) -> Response:
    """The result, masked (the read is audited by the credit service)."""
    check = credit.get_credit_check(session(), tenant(), check_id, actor=str(actor()))
    staff_id = check.metadata_.get("consent_captured_by")
    captured_by = session().get(StaffUser, staff_id) if staff_id else None
    return render(
        "staff/credit_check.html",
        check=_CHECK.dump(check),
        captured_by=captured_by.email if captured_by else staff_id,
        reused=request.args.get("reused") == "1",
    )


@view("/credit/<check_id>/adverse-action", Permission.CREDIT)
def adverse_action(check_id: str) -> Response:
    """The printable adverse-action notice (FCRA §615): score, key factors, the bureau."""
    check = credit.get_credit_check(session(), tenant(), check_id, actor=str(actor()))
    view_ = _CHECK.dump(check)
    if not view_.get("adverse_action"):
        raise InvalidState(
            f"No adverse-action notice: the check's status is {check.status} "
            "(a notice needs a score)."
        )
    audit("credit_check.adverse_action_printed", check.id)
    return render("staff/adverse_action.html", check=view_)
