"""Trade-in errors."""

from __future__ import annotations

from dealerhub.errors import ProviderError


class ValuationProviderError(ProviderError):
    """The valuation provider (Black Book in live mode) failed; nothing was stored."""
