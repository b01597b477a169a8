"""Which bureau a tenant reaches: test keys only ever reach the sandbox, live keys only the
real TransUnion connector built from the dealer's configuration and certificate."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from dealerhub.config import Settings
from dealerhub.configuration.certificates import CertStore
from dealerhub.configuration.service import active_certificate, resolved_config
from dealerhub.connectors.credit.base import CreditBureau
from dealerhub.connectors.credit.sandbox import SandboxBureau
from dealerhub.tenancy import Tenant


def bureau_factory(
    session: Session, tenant: Tenant, provider: str, store: CertStore, settings: Settings
) -> Callable[[], CreditBureau]:
    def build() -> CreditBureau:
        if not tenant.livemode:
            return SandboxBureau()
        from dealerhub.connectors.credit.transunion import TransUnionBureau

        tree = resolved_config(session, tenant)
        cert = active_certificate(session, tenant, store)
        return TransUnionBureau.from_config(
            tenant,
            tree.get("credit_application", {}).get("transunion", {}),
            cert,
            ca_bundle=settings.option("TRANSUNION_CA_BUNDLE") or None,
            timeout=float(settings.option("TRANSUNION_TIMEOUT", "20")),
        )

    return build
