"""Where live-mode DealerTrack credentials come from: the dealer's /configuration tree."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.connectors.dms.dealertrack import DealerTrackCredentials
from dealerhub.dms.errors import DmsNotConfigured
from dealerhub.tenancy import Tenant

SECTION = ("dealer_management_system", "dealer_track", "dms")
REQUIRED = ("api_url", "username", "password", "enterprise_code", "company_number")


def dealertrack_credentials(session: Session, tenant: Tenant) -> DealerTrackCredentials:
    """Read ``dealer_management_system.dealer_track.dms``; a missing configuration service,
    section or field is a configuration error (not retryable: retrying will not fix it)."""
    try:
        service: Any = importlib.import_module("dealerhub.configuration.service")
        resolved = service.resolved_config
    except (ImportError, AttributeError) as exc:
        raise DmsNotConfigured(
            "DealerTrack credentials are unavailable: the configuration service is not installed."
        ) from exc
    node: Any = resolved(session, tenant)
    for key in SECTION:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        raise DmsNotConfigured(
            "DealerTrack is not configured: set dealer_management_system.dealer_track.dms in "
            "/configuration."
        )
    missing = [k for k in REQUIRED if not node.get(k)]
    if missing:
        raise DmsNotConfigured(
            "DealerTrack configuration is missing: "
            + ", ".join(f"dealer_management_system.dealer_track.dms.{k}" for k in missing)
        )
    return DealerTrackCredentials(
        api_url=node["api_url"],
        username=node["username"],
        password=node["password"],
        enterprise_code=node["enterprise_code"],
        company_number=node["company_number"],
        server_name=node.get("server_name"),
    )
