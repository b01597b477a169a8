"""What the payment services share: configuration, how processors are found, client
secrets, metadata merging and card fingerprints."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from dealerhub.connectors.processors.base import PaymentProcessor
from dealerhub.connectors.processors.routing import UnsupportedFlow
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.payments.models import ConnectedAccount, PaymentMethod
from dealerhub.tenancy import Tenant, get_owned


class Processors(Protocol):
    """How the payment services find processors (``Registry.processors_for(session)``)."""

    def named(self, tenant: Tenant, name: str | None) -> PaymentProcessor:
        """The processor an earlier attempt was made with: where its capture, void, refund
        and sync must go."""

    def route(
        self, tenant: Tenant, *, method_type: str, currency: str, on_behalf_of: str | None
    ) -> list[PaymentProcessor]:
        """Where a new attempt goes, in failover order."""


def processors_for_payment(
    processors: Processors,
    tenant: Tenant,
    pm: PaymentMethod,
    *,
    currency: str,
    on_behalf_of: str | None = None,
) -> list[PaymentProcessor]:
    """A card token is only valid at the gateway that issued it, so a card is always charged
    there; a bank account (whose numbers the hub holds) follows the dealer's routing."""
    if pm.type == "card" and pm.processor:
        return [processors.named(tenant, pm.processor)]
    return processors.route(
        tenant, method_type=pm.type, currency=currency, on_behalf_of=on_behalf_of
    )


def require_flow(processor: PaymentProcessor, supported: bool, what: str, param: str) -> None:
    """A 400 ``flow_not_supported`` naming the gateway, before any call is made."""
    if not supported:
        raise UnsupportedFlow(f"The {processor.name} gateway cannot {what}.", param=param)


@dataclass(frozen=True)
class PaymentsConfig:
    """Settings the payment services need, built once per app from :class:`Settings`."""

    secret_key: bytes
    public_url: str = "http://127.0.0.1:8000"
    ach_settle_seconds: float = 2.0
    auto_cancel_days: int = 7

    @classmethod
    def from_settings(cls, settings: Any) -> PaymentsConfig:
        return cls(
            secret_key=str(settings.secret_key).encode(),
            public_url=settings.option("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            ach_settle_seconds=float(settings.option("PAYMENTS_ACH_SETTLE_SECONDS", "2")),
            auto_cancel_days=int(settings.option("PAYMENTS_AUTO_CANCEL_DAYS", "7")),
        )

    def fingerprint(self, tenant: Tenant, number: str) -> str:
        """Same card, same dealer → same fingerprint; nothing reversible is kept.

        The HMAC key is derived per dealer from the app secret, so fingerprints cannot be
        correlated across dealers or brute-forced without the secret."""
        dealer_key = hmac.new(
            self.secret_key, b"card-fingerprint:" + tenant.dealer_id.encode(), hashlib.sha256
        ).digest()
        digest = hmac.new(dealer_key, number.encode(), hashlib.sha256).hexdigest()
        return digest[:16]


def client_secret(object_id: str) -> str:
    return f"{object_id}_secret_{secrets.token_urlsafe(18).replace('-', 'A').replace('_', 'z')}"


def secret_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


class _WithClientSecret(Protocol):
    client_secret: str


S = TypeVar("S", bound=_WithClientSecret)


def owned_with_secret(
    session: Session,
    model: type[S],
    object_id: str,
    tenant: Tenant,
    secret: str | None,
    *,
    name: str,
    for_update: bool = False,
) -> S:
    """Publishable-key access to one intent: the right client secret or the same 404 as a
    missing one (never a hint that it exists). One scoped query, locked when the caller goes
    on to change the row."""
    obj = get_owned(
        session, model, object_id, tenant, name=name, for_update=for_update, param="intent"
    )
    if not secret_matches(obj.client_secret, secret):
        raise NotFound(f"No such {name}: '{object_id}'", param="intent")
    return obj


def merge_metadata(current: Mapping[str, str], update: Mapping[str, str] | None) -> dict[str, str]:
    """Stripe merges metadata on update; an empty string value removes a key."""
    merged = dict(current)
    for key, value in (update or {}).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise InvalidRequest("metadata may have at most 50 keys.", param="metadata")
    return merged


def currently_due(acct: ConnectedAccount) -> list[str]:
    """What a connected account still needs before it may take payments (Stripe's
    ``requirements.currently_due``)."""
    due = []
    if not acct.business_profile.get("name"):
        due.append("business_profile.name")
    if not acct.business_profile.get("mcc"):
        due.append("business_profile.mcc")
    if not acct.company.get("name"):
        due.append("company.name")
    if not acct.company.get("tax_id_provided"):
        due.append("company.tax_id")
    if acct.external_account is None:
        due.append("external_account")
    if not acct.tos_accepted:
        due.append("tos_acceptance.date")
    return due
