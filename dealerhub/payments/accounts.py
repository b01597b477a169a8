"""Connected accounts (a dealer group's rooftops) and bank accounts through a Link-style
token exchange (sandbox: ``link-sandbox-…`` / ``public-sandbox-…`` tokens)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
import uuid
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.connectors.processors import sandbox
from dealerhub.customers.service import get_customer
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest
from dealerhub.events.service import record_event
from dealerhub.payments import methods
from dealerhub.payments.common import PaymentsConfig, currently_due, merge_metadata
from dealerhub.payments.models import ConnectedAccount, PaymentMethod
from dealerhub.payments.response_schemas import ACCOUNT
from dealerhub.tenancy import Tenant, get_owned

LINK_TOKEN_HOURS = 4


def create_account(session: Session, tenant: Tenant, data: dict[str, Any]) -> ConnectedAccount:
    company = dict(data.get("company") or {})
    # The EIN is only checked for presence here; keep nothing but that fact.
    tax_id = company.pop("tax_id", None)
    company["tax_id_provided"] = bool(tax_id)
    external = data.get("external_account")
    acct = ConnectedAccount(
        id=new_id("acct"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        type=data.get("type", "custom"),
        country=data.get("country", "US"),
        default_currency=data.get("default_currency", "usd"),
        email=data.get("email"),
        business_profile=dict(data.get("business_profile") or {}),
        company=company,
        external_account=(
            {
                "id": new_id("ba"),
                "object": "bank_account",
                "bank_name": sandbox.SANDBOX_BANK_NAME if not tenant.livemode else None,
                "routing_number": external["routing_number"],
                "last4": external["account_number"][-4:],
                "currency": data.get("default_currency", "usd"),
            }
            if external
            else None
        ),
        tos_accepted=bool((data.get("tos_acceptance") or {}).get("date")),
        metadata_=merge_metadata({}, data.get("metadata")),
    )
    session.add(acct)
    session.flush()
    record_event(session, tenant, "account.updated", ACCOUNT.dump(acct))
    return acct


def get_account(session: Session, tenant: Tenant, account_id: str) -> ConnectedAccount:
    return get_owned(session, ConnectedAccount, account_id, tenant, name="account")


def require_payable_account(session: Session, tenant: Tenant, account_id: str) -> None:
    acct = get_owned(
        session, ConnectedAccount, account_id, tenant, name="account", param="on_behalf_of"
    )
    if currently_due(acct):
        raise InvalidRequest(
            f"The account {acct.id} cannot accept charges yet: charges_enabled is false "
            f"(currently due: {', '.join(currently_due(acct))}).",
            param="on_behalf_of",
        )


def _env(tenant: Tenant) -> str:
    return "production" if tenant.livemode else "sandbox"


def create_link_token(tenant: Tenant) -> dict[str, Any]:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=LINK_TOKEN_HOURS)
    return {
        "link_token": f"link-{_env(tenant)}-{uuid.uuid4()}",
        "expiration": expires.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }


PUBLIC_TOKEN_MINUTES = 30  # as Plaid's public tokens


def _public_token_signature(
    config: PaymentsConfig, tenant: Tenant, expires: int, nonce: str
) -> str:
    message = f"public-sandbox:{tenant.dealer_id}:{expires}:{nonce}".encode()
    return hmac.new(config.secret_key, message, hashlib.sha256).hexdigest()[:32]


def sandbox_public_token(config: PaymentsConfig, tenant: Tenant) -> dict[str, Any]:
    """A sandbox Link public token, signed for this dealer and valid for 30 minutes: another
    dealer's key cannot exchange it, and nobody can make one up."""
    if tenant.livemode:
        raise InvalidRequest("Sandbox public tokens exist only in test mode.", code="livemode")
    expires = int(time.time()) + PUBLIC_TOKEN_MINUTES * 60
    nonce = uuid.uuid4().hex
    signature = _public_token_signature(config, tenant, expires, nonce)
    return {
        "public_token": f"public-sandbox-{expires}-{nonce}-{signature}",
        "accounts": [
            {"account_id": aid, "mask": mask, "subtype": subtype, "type": "depository"}
            for aid, (_b, mask, subtype) in sandbox.SANDBOX_BANK_ACCOUNTS.items()
        ],
    }


def _public_token_valid(config: PaymentsConfig, tenant: Tenant, token: str) -> bool:
    parts = token.removeprefix("public-sandbox-").split("-")
    if not token.startswith("public-sandbox-") or len(parts) != 3 or not parts[0].isdigit():
        return False
    expires, nonce, signature = int(parts[0]), parts[1], parts[2]
    expected = _public_token_signature(config, tenant, expires, nonce)
    return hmac.compare_digest(expected, signature) and expires >= time.time()


def exchange_bank_account(
    session: Session, tenant: Tenant, config: PaymentsConfig, data: dict[str, Any]
) -> PaymentMethod:
    token = data["public_token"]
    if tenant.livemode or not _public_token_valid(config, tenant, token):
        raise InvalidRequest(
            "The public_token is invalid or expired (test mode accepts public-sandbox- tokens "
            "from POST /payment/link/sandbox/public-token).",
            param="public_token",
            code="invalid_public_token",
        )
    account = sandbox.SANDBOX_BANK_ACCOUNTS.get(data["account_id"])
    if account is None:
        raise InvalidRequest(
            f"No such account for this public_token: '{data['account_id']}'", param="account_id"
        )
    _behaviour, mask, subtype = account
    pm = methods.create_bank_payment_method(
        session,
        tenant,
        account_id=data["account_id"],
        processor_token=sandbox.bank_token(data["account_id"]),
        mask=mask,
        account_type=subtype,
        billing_details=data.get("billing_details"),
    )
    if data.get("customer"):
        get_customer(session, tenant, data["customer"], param="customer")
        methods.attach(session, tenant, data["customer"], pm.id)
    return pm
