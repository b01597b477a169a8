"""The one place that resolves a dealer's connector for a capability.

Routes, tasks and the CLI take the app's :class:`Registry` (``app.extensions["connectors"]``)
and hand services the connector they need as a keyword argument; services never look one
up themselves. Test mode (``sk_test_`` keys) only ever reaches the sandboxes; live mode only
the real vendors, built from the dealer's ``/configuration`` and certificate. Tests and
benchmarks pass fakes in with :meth:`Registry.replace`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.config import Settings
from dealerhub.configuration.certificates import CertStore
from dealerhub.configuration.service import active_certificate, resolved_config
from dealerhub.connectors.credit.base import CreditBureau
from dealerhub.connectors.credit.sandbox import SandboxBureau
from dealerhub.connectors.credit.transunion import TransUnionBureau
from dealerhub.connectors.dms.base import DmsConnector
from dealerhub.connectors.dms.dealertrack import DealerTrackDms
from dealerhub.connectors.dms.sandbox import SandboxDms
from dealerhub.connectors.processors.base import PaymentProcessor
from dealerhub.connectors.processors.sandbox import SANDBOX_DEFAULT_SECRET, SandboxProcessor
from dealerhub.db import Database
from dealerhub.dms.credentials import dealertrack_credentials
from dealerhub.errors import InvalidRequest
from dealerhub.tenancy import Tenant

DmsResolver = Callable[[Session, Tenant], DmsConnector]
BureauResolver = Callable[[Session, Tenant, str], CreditBureau]


class ProcessorNotConfigured(InvalidRequest):
    code = "processor_not_configured"


@dataclass(frozen=True)
class Registry:
    settings: Settings
    db: Database
    cert_store: CertStore
    # Payment processors by name. "sandbox" serves test mode; live gateways join it when a
    # dealer configures one.
    processors: Mapping[str, PaymentProcessor] = field(default_factory=dict)
    # Fakes for tests and benchmarks; None means "resolve from the tenant".
    dms_override: DmsResolver | None = None
    bureau_override: BureauResolver | None = None

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
        )

    def replace(self, **changes: Any) -> Registry:
        """A copy with some collaborators swapped (``processors={"sandbox": fake}``)."""
        return dataclasses.replace(self, **changes)

    # --- payment processors ---------------------------------------------------------------

    def processor(self, tenant: Tenant, name: str | None = None) -> PaymentProcessor:
        """The processor a new attempt of ``tenant`` goes to, or (with ``name``) the one an
        earlier attempt was made with, which is where its capture, refund or sync must go."""
        if name is not None and (tenant.livemode or name == "sandbox"):
            found = self.processors.get(name)
            if found is not None:
                return found
        if not tenant.livemode:
            return self.processors["sandbox"]
        raise ProcessorNotConfigured(
            "No live payment processor is configured for this dealer yet.",
        )

    def processor_named(self, name: str) -> PaymentProcessor | None:
        """A processor by name, for its inbound webhooks (which name it in the URL)."""
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
