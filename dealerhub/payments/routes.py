"""Payment intents and refunds. Other payment routes live in ``routes_methods`` and register
on the same blueprint (imported at the bottom)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import ValidationError

from dealerhub.api import key_kind, publishable, session, tenant
from dealerhub.errors import ValidationFailed
from dealerhub.pagination import paginate
from dealerhub.payments import intents, refunds, schemas
from dealerhub.payments import response_schemas as objects
from dealerhub.payments.blueprint import blp, config, processors
from dealerhub.payments.models import Charge, PaymentIntent, Refund
from dealerhub.tenancy import scoped

__all__ = ["blp"]


@blp.route("/payment/payment-intents")
class PaymentIntents(MethodView):
    @blp.arguments(schemas.IntentCreateSchema)
    @blp.response(200, objects.PaymentIntentSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a PaymentIntent (``confirm=true`` also confirms it; a decline is a 402)."""
        s = session()
        return intents.create_intent(s, tenant(), config(), data, processors=processors())

    @blp.arguments(schemas.IntentListArgs, location="query")
    @blp.response(200, objects.PaymentIntentListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List PaymentIntents, newest first."""
        s = session()
        stmt = scoped(PaymentIntent, tenant())
        if args.get("customer"):
            stmt = stmt.where(PaymentIntent.customer_id == args["customer"])
        return paginate(s, stmt, PaymentIntent, args, url="/payment/payment-intents")


@blp.route("/payment/payment-intents/<payment_intent_id>")
class PaymentIntentById(MethodView):
    @publishable
    @blp.arguments(schemas.ClientSecretArgs, location="query")
    @blp.response(200, objects.PaymentIntentSchema)
    def get(self, args: dict[str, Any], payment_intent_id: str) -> Any:
        """Retrieve a PaymentIntent (publishable key: with ``?client_secret=``)."""
        s = session()
        if key_kind() == "publishable":
            pi = intents.get_with_secret(s, tenant(), payment_intent_id, args.get("client_secret"))
        else:
            pi = intents.get_intent(s, tenant(), payment_intent_id)
        return pi

    @blp.arguments(schemas.IntentUpdateSchema)
    @blp.response(200, objects.PaymentIntentSchema)
    def patch(self, data: dict[str, Any], payment_intent_id: str) -> Any:
        """Update a PaymentIntent (clears ``last_payment_error``)."""
        s = session()
        return intents.update_intent(s, tenant(), config(), payment_intent_id, data)


@blp.route("/payment/payment-intents/<payment_intent_id>/confirm")
class ConfirmIntent(MethodView):
    @publishable
    @blp.arguments(schemas.ConfirmSchema)
    @blp.response(200, objects.PaymentIntentSchema)
    def post(self, data: dict[str, Any], payment_intent_id: str) -> Any:
        """Confirm (publishable key: with ``client_secret`` in the body)."""
        s = session()
        return intents.confirm_intent(
            s,
            tenant(),
            config(),
            payment_intent_id,
            data,
            processors=processors(),
            publishable=key_kind() == "publishable",
        )


@blp.route("/payment/payment-intents/<payment_intent_id>/capture")
class CaptureIntent(MethodView):
    @blp.arguments(schemas.CaptureSchema)
    @blp.response(200, objects.PaymentIntentSchema)
    def post(self, data: dict[str, Any], payment_intent_id: str) -> Any:
        """Capture all or part of ``amount_capturable``; the rest of the hold is released."""
        s = session()
        return intents.capture_intent(
            s, tenant(), payment_intent_id, data.get("amount_to_capture"), processors=processors()
        )


@blp.route("/payment/payment-intents/<payment_intent_id>/cancel")
class CancelIntent(MethodView):
    @blp.arguments(schemas.CancelSchema, location="query", as_kwargs=True)
    @blp.response(200, objects.PaymentIntentSchema)
    def delete(self, payment_intent_id: str, **query: Any) -> Any:
        """Cancel (``cancellation_reason`` in the query string or the JSON body)."""
        from flask import request

        reason = query.get("cancellation_reason")
        if reason is None and request.get_data():
            try:
                body = schemas.CancelSchema().load(request.get_json(silent=True) or {})
            except ValidationError as exc:
                raise ValidationFailed.from_messages(exc.normalized_messages()) from exc
            reason = body.get("cancellation_reason")
        s = session()
        return intents.cancel_intent(
            s, tenant(), payment_intent_id, reason, processors=processors()
        )


@blp.route("/payment/charges")
class Charges(MethodView):
    @blp.arguments(schemas.ChargeListArgs, location="query")
    @blp.response(200, objects.ChargeListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List charges, the payment attempts of intents (filter ``payment_intent``)."""
        stmt = intents.charges_stmt(tenant(), args.get("payment_intent"))
        return paginate(session(), stmt, Charge, args, url="/payment/charges")


@blp.route("/payment/charges/<charge_id>")
class ChargeById(MethodView):
    @blp.response(200, objects.ChargeSchema)
    def get(self, charge_id: str) -> Any:
        """Retrieve a charge."""
        return intents.get_charge(session(), tenant(), charge_id)


@blp.route("/payment/refunds")
class Refunds(MethodView):
    @blp.arguments(schemas.RefundCreateSchema)
    @blp.response(200, objects.RefundSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Refund all or part of a succeeded PaymentIntent."""
        return refunds.create_refund(session(), tenant(), data, processors=processors())

    @blp.arguments(schemas.RefundListArgs, location="query")
    @blp.response(200, objects.RefundListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List refunds (filter ``payment_intent``)."""
        stmt = refunds.list_stmt(tenant(), args.get("payment_intent"))
        return paginate(session(), stmt, Refund, args, url="/payment/refunds")


@blp.route("/payment/refunds/<refund_id>")
class RefundById(MethodView):
    @blp.response(200, objects.RefundSchema)
    def get(self, refund_id: str) -> Any:
        """Retrieve a refund."""
        return refunds.get_refund(session(), tenant(), refund_id)


@blp.route("/payment/refunds/<refund_id>/cancel")
class CancelRefund(MethodView):
    @blp.response(200, objects.RefundSchema)
    def delete(self, refund_id: str) -> Any:
        """Cancel a refund while it is still pending (e.g. a bank-debit refund)."""
        return refunds.cancel_refund(session(), tenant(), refund_id)
