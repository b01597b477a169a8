"""Where live-mode DealerTrack credentials come from: the dealer's /configuration tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dealerhub.connectors.dms.dealertrack import DealerTrackCredentials
from dealerhub.dms.errors import DmsNotConfigured

SECTION = ("dealer_management_system", "dealer_track", "dms")
REQUIRED = ("api_url", "username", "password", "enterprise_code", "company_number")


def dealertrack_credentials(config: Mapping[str, Any]) -> DealerTrackCredentials:
    """Read ``dealer_management_system.dealer_track.dms`` from a dealer's resolved
    configuration; a missing section or field is a configuration error (not retryable:
    retrying will not fix it)."""
    node: Any = config
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
