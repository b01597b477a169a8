"""Payment methods, setup intents, bank accounts, connected accounts and the sandbox 3-D
Secure page (registered on the payments blueprint)."""

from __future__ import annotations

import html
from typing import Any

from flask import Response, redirect, request
from flask.views import MethodView
from werkzeug.wrappers import Response as BaseResponse

from dealerhub import jsonbody
from dealerhub.api import key_kind, public, publishable, session, tenant
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.openapi_contract import page_response
from dealerhub.pagination import paginate
from dealerhub.payments import accounts, intents, methods, schemas, setup
from dealerhub.payments import response_schemas as objects
from dealerhub.payments.blueprint import blp, config, processors
from dealerhub.payments.models import PaymentIntent, PaymentMethod, SetupIntent
from dealerhub.tenancy import Tenant
from dealerhub.web import returns


@blp.route("/payment/payment-methods")
class PaymentMethods(MethodView):
    @publishable
    @blp.arguments(schemas.PaymentMethodCreateSchema)
    @blp.response(200, objects.PaymentMethodSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a card payment method (test cards in test mode, gateway tokens in any;
        a publishable key creates unattached cards only, and in live mode only from a
        gateway token, so raw card numbers never reach the hub from a live website)."""
        if key_kind() == "publishable":
            methods.check_publishable(tenant(), data)
        return methods.create_payment_method(
            session(), tenant(), config(), data, processors=processors()
        )


@blp.route("/payment/payment-methods/tokenizer")
class Tokenizer(MethodView):
    @publishable
    @blp.arguments(schemas.TokenizerArgs, location="query")
    @blp.response(200, objects.TokenizerSchema)
    def get(self, _args: dict[str, Any]) -> Any:
        """Which gateway's tokenizer a browser loads for a card, and its public key: card
        numbers go from the browser to the gateway, never through the hub."""
        return methods.tokenizer(processors(), tenant())


@blp.route("/payment/payment-methods/<payment_method_id>")
class PaymentMethodById(MethodView):
    @blp.response(200, objects.PaymentMethodSchema)
    def get(self, payment_method_id: str) -> Any:
        """Retrieve a payment method."""
        return methods.get_payment_method(session(), tenant(), payment_method_id)

    @blp.response(200, objects.PaymentMethodSchema)
    def delete(self, payment_method_id: str) -> Any:
        """Detach a payment method from its customer."""
        return methods.detach(session(), tenant(), payment_method_id)


@blp.route("/payment/payment-methods/all/<customer_id>")
class CustomerPaymentMethods(MethodView):
    @blp.arguments(schemas.PaymentMethodListArgs, location="query")
    @blp.response(200, objects.PaymentMethodListSchema)
    def get(self, args: dict[str, Any], customer_id: str) -> Any:
        """A customer's payment methods (filter ``type``)."""
        s = session()
        stmt = methods.list_stmt(s, tenant(), customer_id, args.get("type"))
        return paginate(
            s,
            stmt,
            PaymentMethod,
            args,
            url=f"/payment/payment-methods/all/{customer_id}",
        )


@blp.route("/payment/payment-methods/<customer_id>/<payment_method_id>")
class AttachPaymentMethod(MethodView):
    @blp.arguments(schemas.PaymentMethodUpdateSchema)
    @blp.response(200, objects.PaymentMethodSchema)
    def patch(self, data: dict[str, Any], customer_id: str, payment_method_id: str) -> Any:
        """Attach to the customer and/or update billing details and metadata."""
        return methods.attach(
            session(),
            tenant(),
            customer_id,
            payment_method_id,
            billing_details=data.get("billing_details"),
            metadata=data.get("metadata"),
        )


@blp.route("/payment/setup-intents")
class SetupIntents(MethodView):
    @blp.arguments(schemas.SetupIntentCreateSchema)
    @blp.response(200, objects.SetupIntentSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a SetupIntent (``confirm=true`` also confirms it)."""
        return setup.create_setup_intent(
            session(), tenant(), config(), data, processors=processors()
        )


@blp.route("/payment/setup-intents/<setup_intent_id>")
class SetupIntentById(MethodView):
    @publishable
    @blp.arguments(schemas.ClientSecretArgs, location="query")
    @blp.response(200, objects.SetupIntentSchema)
    def get(self, args: dict[str, Any], setup_intent_id: str) -> Any:
        """Retrieve a SetupIntent (publishable key: with ``?client_secret=``)."""
        if key_kind() == "publishable":
            si = setup.get_with_secret(
                session(), tenant(), setup_intent_id, args.get("client_secret")
            )
        else:
            si = setup.get_setup_intent(session(), tenant(), setup_intent_id)
        return si


@blp.route("/payment/setup-intents/<setup_intent_id>/confirm")
class ConfirmSetupIntent(MethodView):
    @publishable
    @blp.arguments(schemas.ConfirmSchema)
    @blp.response(200, objects.SetupIntentSchema)
    def post(self, data: dict[str, Any], setup_intent_id: str) -> Any:
        """Confirm a SetupIntent; success attaches the payment method to the customer."""
        return setup.confirm_setup_intent(
            session(),
            tenant(),
            config(),
            setup_intent_id,
            data,
            processors=processors(),
            publishable=key_kind() == "publishable",
        )


@blp.route("/payment/setup-intents/<setup_intent_id>/cancel")
class CancelSetupIntent(MethodView):
    @blp.arguments(schemas.SetupCancelSchema)
    @blp.response(200, objects.SetupIntentSchema)
    def post(self, data: dict[str, Any], setup_intent_id: str) -> Any:
        """Cancel a SetupIntent that has not succeeded."""
        return setup.cancel_setup_intent(
            session(), tenant(), setup_intent_id, data.get("cancellation_reason")
        )


@blp.route("/payment/link/token")
class LinkToken(MethodView):
    @blp.arguments(schemas.LinkTokenCreateSchema)
    @blp.response(200, objects.LinkTokenSchema)
    def post(self, _data: dict[str, Any]) -> Any:
        """A Link token (valid 4 hours) for the bank-account widget."""
        return accounts.create_link_token(tenant())


@blp.route("/payment/link/sandbox/public-token")
class SandboxPublicToken(MethodView):
    @blp.arguments(schemas.SandboxPublicTokenSchema)
    @blp.response(200, objects.PublicTokenSchema)
    def post(self, _data: dict[str, Any]) -> Any:
        """Test mode: what the Link widget's onSuccess would hand the browser."""
        return accounts.sandbox_public_token(config(), tenant())


@blp.route("/payment/bank-accounts")
class BankAccounts(MethodView):
    @blp.arguments(schemas.BankAccountCreateSchema)
    @blp.response(200, objects.PaymentMethodSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Exchange a Link public token + account id for a ``us_bank_account`` method."""
        return accounts.exchange_bank_account(session(), tenant(), config(), data)


@blp.route("/payment/accounts")
class Accounts(MethodView):
    @blp.arguments(schemas.AccountCreateSchema)
    @blp.response(200, objects.AccountSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a connected account for a rooftop."""
        return accounts.create_account(session(), tenant(), data)


@blp.route("/payment/accounts/<account_id>")
class AccountById(MethodView):
    @blp.response(200, objects.AccountSchema)
    def get(self, account_id: str) -> Any:
        """Retrieve a connected account."""
        return accounts.get_account(session(), tenant(), account_id)


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>3-D Secure (sandbox)</title>
</head><body><h1>Sandbox 3-D Secure</h1><p>{status}</p>
<form method="post"><input type="hidden" name="client_secret" value="{secret}">
<input type="hidden" name="return_url" value="{return_url}">
<button name="outcome" value="complete">Complete authentication</button>
<button name="outcome" value="fail">Fail authentication</button></form></body></html>"""


# (Documentation only.) The page reads these from its query string.
_3DS_QUERY = [
    {"in": "query", "name": "client_secret", "schema": {"type": "string", "maxLength": 200}},
    {"in": "query", "name": "return_url", "schema": {"type": "string", "maxLength": 2000}},
]


@blp.route("/payment/sandbox/3ds/<intent_id>")
class Sandbox3DS(MethodView):
    @public
    @blp.doc(
        summary="Sandbox 3-D Secure page (test mode; the client secret is the credential)",
        parameters=_3DS_QUERY,
        responses={"200": page_response("The page with its two buttons")},
    )
    def get(self, intent_id: str) -> Response:
        secret = html.escape(request.args.get("client_secret", ""), quote=True)
        back = html.escape(request.args.get("return_url", ""), quote=True)
        status = f"Authenticate intent {html.escape(intent_id)}."
        page = _PAGE.format(status=status, secret=secret, return_url=back)
        return Response(page, mimetype="text/html")

    @public
    @blp.doc(
        summary="Complete (outcome=complete) or fail (outcome=fail) the authentication",
        parameters=[
            {
                "in": "query",
                "name": "outcome",
                "required": True,
                "schema": {"type": "string", "enum": ["complete", "fail"]},
            },
            *_3DS_QUERY,
        ],
        responses={
            "200": page_response("The outcome, as a page"),
            "303": {"description": "Back to return_url with the intent's id"},
        },
    )
    def post(self, intent_id: str) -> BaseResponse:
        body = jsonbody.load(request.get_data()) if request.is_json and request.get_data() else {}
        if not isinstance(body, dict):
            raise InvalidRequest("The body must be a JSON object.", code="body_invalid")
        payload = body or request.form or request.args
        outcome = payload.get("outcome")
        secret = payload.get("client_secret") or request.args.get("client_secret")
        return_url = payload.get("return_url") or request.args.get("return_url")
        if outcome not in ("complete", "fail"):
            raise InvalidRequest("outcome must be complete or fail.", param="outcome")
        s = session()
        if return_url:
            model: Any = SetupIntent if intent_id.startswith("seti_") else PaymentIntent
            row = s.get(model, intent_id)
            if row is None or row.livemode:
                raise NotFound(f"No such intent: '{intent_id}'")
            # Checked before authenticating: a refused return_url changes nothing.
            returns.check(s, Tenant(row.dealer_id, row.livemode), return_url, request.host_url)
        if intent_id.startswith("seti_"):
            intent: Any = setup.authenticate(
                s, config(), intent_id, secret, outcome == "complete", processors=processors()
            )
        else:
            intent = intents.authenticate(
                s, config(), intent_id, secret, outcome == "complete", processors=processors()
            )
        if return_url:
            # Back to the dealer's page, as an issuer's page does after 3-D Secure: only to
            # the hub itself or an origin the dealer lists (never an open redirect).
            return redirect(returns.with_intent(return_url, intent), code=303)
        status = intent.status
        body = _PAGE.split("<form")[0].format(status=f"Authentication {outcome}: {status}.")
        return Response(body + "</body></html>", mimetype="text/html")
