"""Which address verifier serves a dealer: the sandbox in test mode, USPS in live mode.

The app keeps one :class:`AddressVerifiers` (``app.extensions["address_verifiers"]``, set by
the addresses area); routes hand the service the verifier it returns. Live mode only ever
reaches USPS, built from the dealer's ``/configuration`` ``address_verification.usps`` block;
a connector is built once per block, so its access token and HTTP connections outlive the
request. Tests swap in fakes with ``replace(override=…)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.config import Settings
from dealerhub.configuration.service import resolved_config
from dealerhub.configuration.tree import get_path
from dealerhub.connectors.address.base import AddressVerifier
from dealerhub.connectors.address.sandbox import SandboxVerifier
from dealerhub.connectors.address.usps import UspsVerifier
from dealerhub.errors import InvalidRequest
from dealerhub.tenancy import Tenant

USPS_PATH = "address_verification.usps"
REQUIRED = ("client_id", "client_secret")
Override = Callable[[Session, Tenant], AddressVerifier]


@dataclass(frozen=True)
class AddressVerifiers:
    timeout: tuple[float, float] = (5.0, 15.0)  # (connect, read) seconds
    sandbox: AddressVerifier = field(default_factory=SandboxVerifier)
    override: Override | None = None

    @classmethod
    def build(cls, settings: Settings) -> AddressVerifiers:
        return cls(
            timeout=(
                float(settings.option("USPS_CONNECT_TIMEOUT", "5")),
                float(settings.option("USPS_READ_TIMEOUT", "15")),
            )
        )

    def replace(self, **changes: Any) -> AddressVerifiers:
        return dataclasses.replace(self, **changes)

    def for_tenant(self, session: Session, tenant: Tenant) -> AddressVerifier:
        if self.override is not None:
            return self.override(session, tenant)
        if not tenant.livemode:
            return self.sandbox
        block = get_path(resolved_config(session, tenant), USPS_PATH) or {}
        missing = [name for name in REQUIRED if not block.get(name)]
        if missing:
            raise InvalidRequest(
                "Address verification in live mode needs USPS Addresses API credentials; set "
                + ", ".join(f"{USPS_PATH}.{m}" for m in missing)
                + " with PATCH /configuration.",
                param=f"{USPS_PATH}.{missing[0]}",
                code="configuration_incomplete",
            )
        # Keyed by a digest of the block: the plaintext secret is not kept as a dict key.
        digest = hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()
        key = (tenant.dealer_id, digest, self.timeout)
        with _LOCK:
            built = _BUILT.get(key)
            if built is None:
                built = _BUILT[key] = UspsVerifier.from_config(block, timeout=self.timeout)
        return built


# USPS connectors by dealer and configuration block: a changed block builds a new one (with
# a new token), and the old one is simply never asked for again.
_BUILT: dict[tuple[str, str, tuple[float, float]], UspsVerifier] = {}
_LOCK = threading.Lock()
