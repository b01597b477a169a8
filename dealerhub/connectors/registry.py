"""The one place that resolves a dealer's connector for a capability.

Routes, tasks and the CLI take the app's :class:`Registry` (``app.extensions["connectors"]``)
and hand services the connector they need as a keyword argument; services never look one
up themselves. Test mode (``sk_test_`` keys) only ever reaches the sandboxes; live mode only
the real vendors, built from the dealer's ``/configuration`` and certificate. Tests and
benchmarks pass fakes in with :meth:`Registry.replace`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

from dealerhub.config import Settings
from dealerhub.configuration.certificates import CertStore
from dealerhub.configuration.service import active_certificate, resolved_config
from dealerhub.configuration.tree import get_path
from dealerhub.connectors.address.base import AddressVerifier
from dealerhub.connectors.address.sandbox import SandboxVerifier
from dealerhub.connectors.address.usps import UspsVerifier
from dealerhub.connectors.credit.base import CreditBureau
from dealerhub.connectors.credit.sandbox import SandboxBureau
from dealerhub.connectors.credit.transunion import TransUnionBureau
from dealerhub.connectors.dms.base import DmsConnector
from dealerhub.connectors.dms.dealertrack import DealerTrackDms
from dealerhub.connectors.dms.sandbox import SandboxDms
from dealerhub.connectors.pen.base import PenNetwork
from dealerhub.connectors.pen.sandbox import SandboxPen
from dealerhub.connectors.pen.soap import PenSoapClient
from dealerhub.connectors.processors import routing
from dealerhub.connectors.processors.base import PaymentProcessor
from dealerhub.connectors.processors.catalog import GATEWAYS, SANDBOX, GatewaySpec
from dealerhub.connectors.processors.routing import ProcessorNotConfigured
from dealerhub.connectors.processors.sandbox import SANDBOX_DEFAULT_SECRET, SandboxProcessor
from dealerhub.connectors.valuation.base import ValuationProvider
from dealerhub.connectors.valuation.blackbook import BlackBookValuation
from dealerhub.connectors.valuation.sandbox import SandboxValuation
from dealerhub.db import Database
from dealerhub.dms.credentials import dealertrack_credentials
from dealerhub.errors import InvalidRequest
from dealerhub.tenancy import Tenant

DmsResolver = Callable[[Session, Tenant], DmsConnector]
BureauResolver = Callable[[Session, Tenant, str], CreditBureau]
PenResolver = Callable[[Session, Tenant], PenNetwork]
AddressResolver = Callable[[Session, Tenant], AddressVerifier]
ValuationResolver = Callable[[Session, Tenant], ValuationProvider]
USPS_PATH = "address_verification.usps"
USPS_REQUIRED = ("client_id", "client_secret")


@dataclass(frozen=True)
class Registry:
    settings: Settings
    db: Database
    cert_store: CertStore
    # Processors by name that serve every dealer: "sandbox" (test mode), and fakes that
    # tests and benchmarks put in a gateway's place.
    processors: Mapping[str, PaymentProcessor] = field(default_factory=dict)
    # The live gateways, each built per dealer from its ``payment_gateways`` block.
    gateways: Mapping[str, GatewaySpec] = field(default_factory=lambda: GATEWAYS)
    gateway_timeout: tuple[float, float] = (5.0, 30.0)  # (connect, read) seconds
    # Fakes for tests and benchmarks; None means "resolve from the tenant".
    dms_override: DmsResolver | None = None
    bureau_override: BureauResolver | None = None
    pen_override: PenResolver | None = None
    address_override: AddressResolver | None = None
    valuation_override: ValuationResolver | None = None
    usps_timeout: tuple[float, float] = (5.0, 15.0)
    black_book_timeout: float = 10.0

    @classmethod
    def build(cls, settings: Settings, db: Database) -> Registry:
        webhook_secret = settings.option("SANDBOX_WEBHOOK_SECRET") or (
            None if settings.is_production else SANDBOX_DEFAULT_SECRET
        )
        return cls(
            settings=settings,
            db=db,
            cert_store=CertStore(settings.certs_dir),
            processors={"sandbox": SandboxProcessor(webhook_secret)},
            gateway_timeout=(
                float(settings.option("GATEWAY_CONNECT_TIMEOUT", "5")),
                float(settings.option("GATEWAY_READ_TIMEOUT", "30")),
            ),
            usps_timeout=(
                float(settings.option("USPS_CONNECT_TIMEOUT", "5")),
                float(settings.option("USPS_READ_TIMEOUT", "15")),
            ),
            black_book_timeout=float(settings.option("BLACK_BOOK_TIMEOUT", "10")),
        )

    def replace(self, **changes: Any) -> Registry:
        """A copy with some collaborators swapped (``processors={"sandbox": fake}``)."""
        return dataclasses.replace(self, **changes)

    # --- payment processors ---------------------------------------------------------------

    def processors_for(self, session: Session) -> SessionProcessors:
        """The payment services' view of processors while ``session`` is open."""
        return SessionProcessors(self, session)

    def gateway(self, tenant: Tenant, name: str, block: Mapping[str, Any]) -> PaymentProcessor:
        """Dealer ``tenant``'s connector to gateway ``name``, built from its configuration
        block once per block (so its HTTP connections are reused across requests)."""
        spec = self.gateways.get(name)
        if spec is None or not routing.usable(spec, block, tenant.livemode):
            raise ProcessorNotConfigured(
                f"The {name} gateway is not configured, enabled and complete for this dealer "
                f"in {'live' if tenant.livemode else 'test'} mode.",
                param=f"{routing.GATEWAYS_KEY}.{name}",
            )
        timeout = self.gateway_timeout
        return _built(tenant, name, block, timeout, lambda: spec.build(block, timeout=timeout))

    def processor_named(self, name: str) -> PaymentProcessor | None:
        """A processor that serves every dealer, by name (the sandbox's inbound webhooks)."""
        return self.processors.get(name)

    # --- credit bureaus -------------------------------------------------------------------

    def bureau(self, session: Session, tenant: Tenant, provider: str) -> CreditBureau:
        if self.bureau_override is not None:
            return self.bureau_override(session, tenant, provider)
        if not tenant.livemode:
            return SandboxBureau()
        tree = resolved_config(session, tenant)
        return TransUnionBureau.from_config(
            tenant,
            tree.get("credit_application", {}).get("transunion", {}),
            active_certificate(session, tenant, self.cert_store),
            ca_bundle=self.settings.option("TRANSUNION_CA_BUNDLE") or None,
            timeout=float(self.settings.option("TRANSUNION_TIMEOUT", "20")),
        )

    # --- dealer management systems --------------------------------------------------------

    def dms(self, session: Session, tenant: Tenant) -> DmsConnector:
        if self.dms_override is not None:
            return self.dms_override(session, tenant)
        if not tenant.livemode:
            return SandboxDms(self.db, tenant.dealer_id)
        return DealerTrackDms(dealertrack_credentials(resolved_config(session, tenant)))

    # --- PEN (F&I Provider Exchange Network) ----------------------------------------------

    def pen(self, session: Session, tenant: Tenant) -> PenNetwork:
        if self.pen_override is not None:
            return self.pen_override(session, tenant)
        if not tenant.livemode:
            # The sandbox writes its "remote" registrations in the request's transaction.
            return SandboxPen(session, tenant.dealer_id)
        return PenSoapClient.from_config(resolved_config(session, tenant).get("pen") or {})

    # --- address verification -------------------------------------------------------------

    def address_verifier(self, session: Session, tenant: Tenant) -> AddressVerifier:
        """The sandbox in test mode; USPS (``address_verification.usps``) in live mode."""
        if self.address_override is not None:
            return self.address_override(session, tenant)
        if not tenant.livemode:
            return _SANDBOX_VERIFIER
        block = get_path(resolved_config(session, tenant), USPS_PATH) or {}
        missing = [name for name in USPS_REQUIRED if not block.get(name)]
        if missing:
            raise InvalidRequest(
                "Address verification in live mode needs USPS Addresses API credentials; set "
                + ", ".join(f"{USPS_PATH}.{m}" for m in missing)
                + " with PATCH /configuration.",
                param=f"{USPS_PATH}.{missing[0]}",
                code="configuration_incomplete",
            )
        timeout = self.usps_timeout
        # Built once per block, so its access token and connections outlive the request.
        return _built(
            tenant, "usps", block, timeout, lambda: UspsVerifier.from_config(block, timeout=timeout)
        )

    # --- trade-in valuation ---------------------------------------------------------------

    def valuation(self, session: Session, tenant: Tenant) -> ValuationProvider:
        """The sandbox in test mode; Black Book (``trade_in.black_book``) in live mode."""
        if self.valuation_override is not None:
            return self.valuation_override(session, tenant)
        if not tenant.livemode:
            return _SANDBOX_VALUATION
        block = resolved_config(session, tenant).get("trade_in", {}).get("black_book") or {}
        timeout = self.black_book_timeout
        return _built(
            tenant,
            "black_book",
            block,
            timeout,
            lambda: BlackBookValuation.from_config(block, timeout=timeout),
        )

    def valuation_name(self, tenant: Tenant) -> str:
        """The valuation provider's name without building it (the valuation cache's key)."""
        if self.valuation_override is not None:
            return "override"
        return BlackBookValuation.name if tenant.livemode else "sandbox"


_SANDBOX_VERIFIER = SandboxVerifier()
_SANDBOX_VALUATION = SandboxValuation()

# Connectors built from dealers' configuration blocks, keyed by a digest of the block (not the
# block: it holds secrets): a changed block builds a new connector, whose HTTP connections
# and tokens then live on; an old one is simply never asked for again.
_BUILT: dict[tuple[str, bool, str, str, Any], Any] = {}
_BUILD_LOCK = threading.Lock()

T = TypeVar("T")


def _built(
    tenant: Tenant, kind: str, block: Mapping[str, Any], timeout: Any, build: Callable[[], T]
) -> T:
    digest = hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()
    key = (tenant.dealer_id, tenant.livemode, kind, digest, timeout)
    with _BUILD_LOCK:
        found = _BUILT.get(key)
        if found is None:
            found = _BUILT[key] = build()
    return cast(T, found)


class SessionProcessors:
    """Processors for the payment services within one unit of work: reads each dealer's
    configuration at most once (routing needs it, capture/refund/sync of the sandbox's or a
    fake's attempts do not)."""

    def __init__(self, registry: Registry, session: Session) -> None:
        self.registry = registry
        self.session = session
        self._trees: dict[tuple[str, bool], dict[str, Any]] = {}

    def _tree(self, tenant: Tenant) -> dict[str, Any]:
        key = (tenant.dealer_id, tenant.livemode)
        if key not in self._trees:
            self._trees[key] = resolved_config(self.session, tenant)
        return self._trees[key]

    def named(self, tenant: Tenant, name: str | None) -> PaymentProcessor:
        """The processor an earlier attempt was made with: where its capture, void, refund
        and sync must go, whatever the routing says today."""
        if name is None:
            raise ProcessorNotConfigured("This attempt has no processor on record.")
        fixed = self.registry.processors.get(name)
        if fixed is not None and not (tenant.livemode and name == SANDBOX):
            return fixed
        if name == SANDBOX:
            raise ProcessorNotConfigured("The sandbox processor serves test mode only.")
        block = routing.gateway_block(self._tree(tenant), name)
        return self.registry.gateway(tenant, name, block)

    def route(
        self, tenant: Tenant, *, method_type: str, currency: str, on_behalf_of: str | None
    ) -> list[PaymentProcessor]:
        """Where a new attempt goes, in failover order (see :mod:`routing`)."""
        names = routing.candidates(
            self._tree(tenant),
            tenant.livemode,
            method_type=method_type,
            currency=currency,
            on_behalf_of=on_behalf_of,
            specs=self.registry.gateways,
        )
        return [self.named(tenant, name) for name in names]

    def tokenizer_gateway(self, tenant: Tenant) -> PaymentProcessor:
        """The gateway whose tokenizer a browser loads for a new card."""
        return self.route(tenant, method_type="card", currency="usd", on_behalf_of=None)[0]
