"""The customer's side: the hosted invoice page, its payment form and the PDF. No API key:
the unguessable token in the URL is the credential (``@public``)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, redirect, render_template, request, url_for
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from dealerhub.api import Blueprint, public, session
from dealerhub.billing import hosted, transitions
from dealerhub.billing.money import day, fmt
from dealerhub.errors import DealerhubError, ValidationFailed
from dealerhub.openapi_contract import page_response
from dealerhub.payments import methods
from dealerhub.payments.blueprint import config, processors
from dealerhub.tenancy import Tenant

blp = Blueprint("invoice_page", __name__, description="The hosted invoice page (no API key).")


class HostedPayForm(Schema):
    """The page's form: a test card (test mode) or a gateway token (live mode); none of them
    with ``action=refresh`` only looks for a payment that has finished."""

    class Meta:
        unknown = EXCLUDE  # the submit button's name comes along

    # A card, a token or a refresh (the view's own checks, for the OpenAPI document).
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "anyOf": [
                    {"required": ["number"]},
                    {"required": ["token"]},
                    {"required": ["action"], "properties": {"action": {"enum": ["refresh"]}}},
                ]
            },
            {"anyOf": [{"not": {"required": ["number"]}}, {"required": ["exp_month", "exp_year"]}]},
        ]
    }

    number = fields.String(validate=validate.Regexp(r"^[0-9 -]{12,23}$", error="Not a number."))
    exp_month = fields.Integer(validate=validate.Range(min=1, max=12))
    exp_year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    cvc = fields.String(validate=validate.Regexp(r"^[0-9]{3,4}$"))
    token = fields.String(validate=validate.Length(min=4, max=200))
    action = fields.String(validate=validate.OneOf(("pay", "refresh")))

    @validates_schema
    def _complete(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("number"):
            for name in ("exp_month", "exp_year"):
                if data.get(name) is None:
                    raise ValidationError("Enter the card's expiry date.", name)


def _render(token: str, *, error: str | None = None, status: int = 200) -> Response:
    view = hosted.page(session(), token)
    invoice = view.invoice
    tokenizer = None
    if invoice.livemode and invoice.status in ("open", "uncollectible"):
        tokenizer = methods.tokenizer(processors(), Tenant(invoice.dealer_id, invoice.livemode))
    body = render_template(
        "billing/hosted_invoice.html",
        invoice=invoice,
        dealer=view.dealer,
        pending_url=view.pending_url,
        in_flight=view.in_flight,
        tokenizer=tokenizer,
        error=error,
        fmt=fmt,
        day=day,
        pay_url=url_for("invoice_page.HostedPay", token=token),
        pdf_url=url_for("invoice_page.HostedPdf", token=token),
    )
    return Response(body, status=status, mimetype="text/html")


def render_error(error: DealerhubError, _request_id: str | None) -> Response:
    """Errors on these pages are pages: the invoice again with the message (a declined
    card, a paid invoice), or a plain page when the token opens nothing."""
    token = (request.view_args or {}).get("token", "")
    if error.status != 404 and token:
        try:
            return _render(token, error=error.message, status=error.status)
        except DealerhubError:
            pass
    page = f"<!doctype html><title>Invoice</title><p>{error.status}: invoice not available.</p>"
    return Response(page, status=error.status, mimetype="text/html")


_NO_INVOICE = page_response("No invoice behind this link (an error page)")


@blp.route("/invoices/hosted/<token>")
class HostedInvoice(MethodView):
    @public
    @blp.doc(
        summary="The hosted invoice page (HTML): dealer, lines, totals, payment form",
        responses={"200": page_response("The invoice page"), "404": _NO_INVOICE},
    )
    def get(self, token: str) -> Response:
        return _render(token)


@blp.route("/invoices/hosted/<token>/pay")
class HostedPay(MethodView):
    @public
    @blp.doc(
        summary="Pay from the hosted page (form post; answers with a redirect to it)",
        requestBody={
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": HostedPayForm}},
        },
        responses={
            "303": {"description": "Paid (or paying): back to the invoice page"},
            "400": page_response("The page again with the message (a paid invoice, a bad card)"),
            "402": page_response("The page again: the card was declined"),
            "404": _NO_INVOICE,
        },
    )
    def post(self, token: str) -> Any:
        try:
            form = HostedPayForm().load(request.form)
        except ValidationError as exc:
            raise ValidationFailed.from_messages(exc.normalized_messages()) from exc
        card = {k: v for k, v in form.items() if k != "action"}
        if form.get("action") == "refresh":
            card = {}
        elif not card:
            raise ValidationFailed.from_messages({"number": ["Enter a card."]})
        transitions.pay_hosted(session(), token, card, processors=processors(), config=config())
        return redirect(url_for("invoice_page.HostedInvoice", token=token), code=303)


@blp.route("/invoices/hosted/<token>/pdf")
class HostedPdf(MethodView):
    @public
    @blp.doc(
        summary="The invoice as a PDF",
        responses={"200": page_response("The PDF", "application/pdf"), "404": _NO_INVOICE},
    )
    def get(self, token: str) -> Response:
        name, data = hosted.pdf_bytes(session(), token)
        return Response(
            data,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
