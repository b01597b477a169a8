"""Which valuation provider serves a dealer: the sandbox in test mode, Black Book (built from
the dealer's ``/configuration`` ``trade_in.black_book``) in live mode.

Kept beside the providers rather than in ``connectors/registry.py`` so the trade-in area adds
no lines to the shared registry; the app holds one :class:`ValuationProviders` in
``app.extensions["valuation"]`` and tests swap it with :meth:`replace`.
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

from dealerhub.configuration.service import resolved_config
from dealerhub.connectors.valuation.base import ValuationProvider
from dealerhub.connectors.valuation.blackbook import BlackBookValuation
from dealerhub.connectors.valuation.sandbox import SandboxValuation
from dealerhub.tenancy import Tenant

Resolver = Callable[[Session, Tenant], ValuationProvider]


@dataclass(frozen=True)
class ValuationProviders:
    timeout: float = 10.0
    sandbox: ValuationProvider = field(default_factory=SandboxValuation)
    # A fake for tests and benchmarks; None means "resolve from the tenant".
    override: Resolver | None = None

    def replace(self, **changes: Any) -> ValuationProviders:
        return dataclasses.replace(self, **changes)

    def name_for(self, tenant: Tenant) -> str:
        """The provider's name without building it (the valuation cache is keyed by it)."""
        if self.override is not None:
            return "override"
        return BlackBookValuation.name if tenant.livemode else "sandbox"

    def for_tenant(self, session: Session, tenant: Tenant) -> ValuationProvider:
        if self.override is not None:
            return self.override(session, tenant)
        if not tenant.livemode:
            return self.sandbox
        block = resolved_config(session, tenant).get("trade_in", {}).get("black_book") or {}
        # One client per configuration block, so its HTTP connections are reused.
        # keyed by a digest: the block holds the password, a dict key would keep it readable
        digest = hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()
        key = (tenant.dealer_id, digest, self.timeout)
        with _LOCK:
            built = _BUILT.get(key)
            if built is None:
                built = _BUILT[key] = BlackBookValuation.from_config(block, timeout=self.timeout)
        return built


_BUILT: dict[tuple[str, str, float], BlackBookValuation] = {}
_LOCK = threading.Lock()
